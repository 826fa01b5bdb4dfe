package scan

import (
	"strings"
	"testing"
	"time"

	"leak/policy/testutil"
)

// BenchmarkCheck2KiB scans a 2 KiB clean copy with a real Rspamd (one
// normal worker), one scan at a time: the latency a message waits before
// its 250.
//
//	go test -run '^$' -bench Check2KiB -benchtime 200x ./relay/scan/
func BenchmarkCheck2KiB(b *testing.B) {
	r := testutil.StartRspamd(b)
	waitHyperscan(b, r)
	s := newScanner(b, options(r.URL))
	line := "The figures for the third quarter were changed before the audit; ask for the originals.\n"
	msg := message(strings.Repeat(line, 2048/len(line)+1))[:2046] + "\r\n"
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := check(b, s, msg)
		if err != nil || v.Action != Accept {
			b.Fatalf("Check = %+v, %v", v, err)
		}
	}
}

// waitHyperscan waits until Rspamd's worker has loaded the regular
// expressions its helper compiles after the start: until then it matches
// them more slowly, and the helper competes for the CPU. Without Hyperscan
// (a CPU without SSSE3) the line never comes; after testutil.WaitTimeout
// the benchmark goes on and says so.
func waitHyperscan(b *testing.B, r testutil.Rspamd) {
	b.Helper()
	deadline := time.Now().Add(testutil.WaitTimeout)
	for !strings.Contains(testutil.Tail(r.Log, 1<<20), "rspamd_worker_hyperscan_ready") {
		if time.Now().After(deadline) {
			b.Logf("rspamd did not load Hyperscan within %v; measuring without it", testutil.WaitTimeout)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
