package policy

import (
	"context"
	"testing"
	"time"

	"leak/metrics"
)

// checkReports drives one source to its block and checks what each step
// decides, on any Engine whose ReportThreshold is 2.
func checkReports(t *testing.T, e *Engine, advance func(time.Duration)) {
	t.Helper()
	ctx := context.Background()
	ip := addr("192.0.2.7")
	src := e.SenderSource("Harasser@Example.org")
	if src == "" || src != e.SenderSource("<harasser@example.org>") {
		t.Fatalf("sender source not normalised: %q", src)
	}
	if other := e.SenderSource("someone@example.org"); other == src {
		t.Fatal("two senders share a source")
	}
	if e.SenderSource("<>") != "" || e.SenderSource("") != "" {
		t.Fatal("the null sender has a source")
	}

	r, err := e.Report(ctx, "copy-a", src)
	if err != nil || r.Reports != 1 || r.Blocked {
		t.Fatalf("first report: %+v, %v", r, err)
	}
	// The same copy reported again counts once.
	if r, err = e.Report(ctx, "copy-a", src); err != nil || r.Reports != 1 || r.Blocked {
		t.Fatalf("same copy again: %+v, %v", r, err)
	}
	if d := e.Mail(ctx, ip, "harasser@example.org"); d.Action != Allow {
		t.Fatalf("blocked below the threshold: %+v", d)
	}
	if r, err = e.Report(ctx, "copy-b", src); err != nil || r.Reports != 2 || !r.Blocked {
		t.Fatalf("second copy: %+v, %v", r, err)
	}
	d := e.Mail(ctx, ip, "<HARASSER@example.org>")
	if d.Action != Reject || d.Policy != PolicyReported || d.Text != textReported {
		t.Fatalf("blocked sender's MAIL: %+v", d)
	}
	if d := e.Mail(ctx, ip, "someone@example.org"); d.Action != Allow {
		t.Fatalf("another sender refused: %+v", d)
	}
	if d := e.Source(ctx, src); d.Action != Reject {
		t.Fatalf("Source of a blocked source: %+v", d)
	}
	advance(e.opts.ReportBlockFor + 100*time.Millisecond)
	if d := e.Mail(ctx, ip, "harasser@example.org"); d.Action != Allow {
		t.Fatalf("still blocked after report_block_for: %+v", d)
	}
}

func TestReportsBlockASender(t *testing.T) {
	clk := newClock()
	o := offOptions()
	o.ReportThreshold, o.ReportWindow, o.ReportBlockFor = 2, time.Hour, 24*time.Hour
	e, _, m := localEngine(t, o, clk)
	checkReports(t, e, clk.Advance)
	if got := decisions(m, PolicyReported, metrics.DecisionReject); got != 2 {
		t.Errorf("reported/reject = %d, want 2", got)
	}
}

func TestReportsBlockANetwork(t *testing.T) {
	clk := newClock()
	o := offOptions()
	o.ReportThreshold, o.ReportWindow, o.ReportBlockFor = 2, time.Hour, 24*time.Hour
	e, _, _ := localEngine(t, o, clk)
	ctx := context.Background()
	src := e.NetworkSource(addr("198.51.100.20"))
	if src != e.NetworkSource(addr("198.51.100.200")) || src == e.NetworkSource(addr("198.51.101.20")) {
		t.Fatal("network source is not the /24")
	}
	if src == e.SenderSource("198.51.100.0/24") {
		t.Fatal("a network and a sender share a source")
	}
	e.Report(ctx, "copy-a", src)
	// Reports older than the window are forgotten: the next one is the
	// first again.
	clk.Advance(2 * time.Hour)
	if r, err := e.Report(ctx, "copy-b", src); err != nil || r.Reports != 1 || r.Blocked {
		t.Fatalf("report after the window: %+v, %v", r, err)
	}
	if r, _ := e.Report(ctx, "copy-c", src); !r.Blocked {
		t.Fatalf("second report in the window did not block: %+v", r)
	}
	if d := e.Source(ctx, e.NetworkSource(addr("198.51.100.99"))); d.Action != Reject {
		t.Fatalf("blocked network allowed: %+v", d)
	}
}

func TestReportsOff(t *testing.T) {
	o := offOptions()
	o.ReportThreshold = 0
	e, _, _ := localEngine(t, o, newClock())
	src := e.SenderSource("a@example.org")
	for _, id := range []string{"1", "2", "3", "4"} {
		if r, err := e.Report(context.Background(), id, src); err != nil || r != (Report{}) {
			t.Fatalf("report counted with reports off: %+v, %v", r, err)
		}
	}
	if e.Reports() || e.Source(context.Background(), src).Action != Allow {
		t.Fatal("reports off still block")
	}
	o.ReportThreshold, o.ReportWindow = 3, 0
	if _, err := Open(o, nil); err == nil {
		t.Fatal("a threshold without a window was accepted")
	}
}

func TestReportsRedis(t *testing.T) {
	url := startRedis(t)
	o := offOptions()
	o.ReportThreshold, o.ReportWindow, o.ReportBlockFor = 2, time.Hour, time.Second
	e, _ := redisEngine(t, url, o)
	// Redis expires keys on its own clock: wait out the block.
	checkReports(t, e, func(d time.Duration) {
		time.Sleep(d) // the TTL running out is what is tested
	})
}
