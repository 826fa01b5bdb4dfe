package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func durations(ms ...int) []time.Duration {
	d := make([]time.Duration, len(ms))
	for i, m := range ms {
		d[i] = time.Duration(m) * time.Millisecond
	}
	return d
}

// TestPercentile checks the nearest-rank definition on small sets, where
// the other common definitions would interpolate.
func TestPercentile(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		name string
		vals []int
		p    float64
		want int
	}{
		{"one value", []int{7}, 50, 7},
		{"one value p99", []int{7}, 99, 7},
		{"two p50", []int{1, 2}, 50, 1},
		{"two p51", []int{1, 2}, 51, 2},
		{"four p50", []int{1, 2, 3, 4}, 50, 2},
		{"five p50", []int{1, 2, 3, 4, 5}, 50, 3},
		{"ten p90", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{"ten p99", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"hundred p99", hundred, 99, 99},
		{"hundred p100", hundred, 100, 100},
		{"hundred p0", hundred, 0, 1},
	} {
		if got := percentile(durations(c.vals...), c.p); got != time.Duration(c.want)*time.Millisecond {
			t.Errorf("%s: percentile %v = %v, want %dms", c.name, c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

// TestSummarize: summarize sorts its input and reports in milliseconds.
func TestSummarize(t *testing.T) {
	var l latencies
	for _, d := range durations(30, 10, 20, 50, 40, 60, 80, 70, 100, 90) {
		l.add(d)
	}
	l.add(1500 * time.Microsecond)
	p := l.summary()
	want := percentiles{Count: 11, P50: 50, P90: 90, P99: 100, Max: 100}
	if p != want {
		t.Errorf("summary = %+v, want %+v", p, want)
	}
	if got := summarize(nil); got.Count != 0 || got.String() != "none" {
		t.Errorf("empty summary %+v %q", got, got.String())
	}
}

func TestRate(t *testing.T) {
	for _, c := range []struct {
		n    int
		d    time.Duration
		want float64
	}{
		{1000, 2 * time.Second, 500},
		{1, 3 * time.Second, 0.3},
		{10, 0, 0},
	} {
		if got := rate(c.n, c.d); got != c.want {
			t.Errorf("rate(%d, %v) = %v, want %v", c.n, c.d, got, c.want)
		}
	}
}

func TestFormatCounts(t *testing.T) {
	var c counts
	c.add("451 4.3.0 at DATA-end")
	c.add("net: timeout")
	c.add("451 4.3.0 at DATA-end")
	if got, want := formatCounts(c.snapshot()), "451 4.3.0 at DATA-end ×2, net: timeout ×1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if formatCounts(nil) != "none" {
		t.Error("empty counts not 'none'")
	}
}

// TestTable: the markdown table has a header, a separator and one row per
// result with its figures.
func TestTable(t *testing.T) {
	rep := &benchReport{Label: "Leak", Cores: 2, CPUModel: "test cpu", N: 100, C: 10, Size: 2048, Complete: true,
		Send: &sendResult{Attempted: 100, Accepted: 100, PerSecond: 512.5,
			Latency: percentiles{Count: 100, P50: 1.5, P90: 2.5, P99: 3.5}, Errors: map[string]int{}},
		Sink: &sinkResult{Delivered: 100, PerSecond: 480.2, Latency: percentiles{Count: 100, P50: 10, P90: 20, P99: 30},
			DKIM: &dkimResult{Messages: 5, Pass: map[string]int{"rsa-sha256": 5, "ed25519-sha256": 5}, Fail: map[string]int{}}},
		Memory:      &memResult{PeakKiB: 40960, SteadyKiB: 30720, CPUSeconds: 0.2},
		LoadAverage: [2]float64{0.5, 1.2},
	}
	var b bytes.Buffer
	writeTable(&b, []*benchReport{rep})
	lines := strings.Split(b.String(), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[1], "|---") {
		t.Fatalf("not a markdown table:\n%s", b.String())
	}
	for _, want := range []string{"| Leak | 2 KiB | 100 × 10 | 512.5 | 1.5 / 2.5 / 3.5 | 480.2 | 10 / 20 / 30 | 0 |",
		"rsa 5/5, ed25519 5/5", "| 40.0 MiB / 30.0 MiB |", "2.00 ms", "2 cores (test cpu)", "Leak 0.5 → 1.2."} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
