package main

import (
	"os"
	"strconv"
	"testing"

	"leak/policy/testutil"
)

// TestKill9Cycles is the fault campaign's crash run: cycle after cycle,
// sessions send while delivery runs to a smarthost, and the daemon is
// killed with SIGKILL mid-flight. At the end every acknowledged message
// must be at the next hop; duplicates are counted (a removal not yet on
// disk at the kill). LEAK_KILL_CYCLES sets the number of cycles (5 by
// default; the figures in the issue note come from 50).
func TestKill9Cycles(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills and restarts leakd many times")
	}
	cycles := 5
	if n, err := strconv.Atoi(os.Getenv("LEAK_KILL_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	hop := newNextHop(t)
	hop.up(t)
	d := newDaemon(t, sections{Delivery: smarthostTo(hop)})
	var accepted []string
	for i := range cycles {
		d.log = &testutil.SyncBuffer{}
		d.start()
		accepted = append(accepted, sendThenKill(t, d, 6, "MARK-c"+strconv.Itoa(i), 60)...)
	}
	d.log = &testutil.SyncBuffer{}
	d.start()
	dups := hop.waitAll(t, accepted)
	t.Logf("%d kill -9 cycles in smarthost mode: %d acknowledged, 0 lost, %d duplicated", cycles, len(accepted), dups)
	if len(accepted) == 0 {
		t.Fatal("nothing acknowledged")
	}
	d.stop()
}
