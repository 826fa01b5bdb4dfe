package main

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestProcStatus reads this test's own process.
func TestProcStatus(t *testing.T) {
	rss, hwm, err := procStatus(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if rss <= 0 || hwm < rss {
		t.Errorf("VmRSS %d kB, VmHWM %d kB", rss, hwm)
	}
	ppid, _, err := procStat(os.Getpid())
	if err != nil || ppid != os.Getppid() {
		t.Errorf("procStat: ppid %d (want %d), %v", ppid, os.Getppid(), err)
	}
	if pss, err := procPss(os.Getpid()); err != nil || pss <= 0 || pss > rss*2 {
		t.Errorf("Pss %d kB (VmRSS %d kB), %v", pss, rss, err)
	}
	if _, _, err := procStatus(1 << 30); err == nil {
		t.Error("a missing process gave no error")
	}
}

// TestTreeAndSampler: the tree of this process includes a child it
// started, and the sampler sums both.
func TestTreeAndSampler(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep(1): %v", err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	pids := tree([]int{os.Getpid()})
	if !slices.Contains(pids, os.Getpid()) || !slices.Contains(pids, cmd.Process.Pid) {
		t.Fatalf("tree %v lacks this process or its child %d", pids, cmd.Process.Pid)
	}
	if slices.Contains(pids, os.Getppid()) {
		t.Errorf("tree %v includes the parent", pids)
	}
	s := startSampler([]int{os.Getpid()}, 5*time.Millisecond)
	buf := make([]byte, 8<<20) // touch some memory while sampling
	for i := range buf {
		buf[i] = byte(i)
	}
	time.Sleep(50 * time.Millisecond)
	r := s.stop()
	if r.Processes < 2 || r.Measure != "pss" || r.Samples == 0 || r.PeakKiB <= 0 || r.SteadyKiB <= 0 || r.SteadyKiB > r.PeakKiB || r.HWMKiB != 0 {
		t.Errorf("sampler result %+v", r)
	}
	_ = buf[len(buf)-1]
}

func TestParsePids(t *testing.T) {
	if p, err := parsePids(""); err != nil || p != nil {
		t.Errorf("empty: %v %v", p, err)
	}
	if p, err := parsePids(" 1 ," + strconv.Itoa(os.Getpid())); err != nil || len(p) != 2 {
		t.Errorf("got %v %v", p, err)
	}
	for _, bad := range []string{"x", "0", "-3", "1,,2", "1073741824"} {
		if _, err := parsePids(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
