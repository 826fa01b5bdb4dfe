package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// summary returns the percentiles of what was collected.
func (l *latencies) summary() percentiles {
	l.mu.Lock()
	d := slices.Clone(l.d)
	l.mu.Unlock()
	return summarize(d)
}

// percentiles of a set of durations, in milliseconds for the report.
type percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// summarize sorts d in place and returns its percentiles.
func summarize(d []time.Duration) percentiles {
	slices.Sort(d)
	p := percentiles{Count: len(d)}
	if len(d) == 0 {
		return p
	}
	p.P50 = ms(percentile(d, 50))
	p.P90 = ms(percentile(d, 90))
	p.P99 = ms(percentile(d, 99))
	p.Max = ms(d[len(d)-1])
	return p
}

// percentile is the nearest-rank percentile of sorted: the smallest value
// such that at least p percent of the values are less than or equal to it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}

func (p percentiles) String() string {
	if p.Count == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)", p.P50, p.P90, p.P99, p.Max, p.Count)
}

// rate is count per second over d, 0 when d is 0.
func rate(count int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(float64(count)/d.Seconds()*10) / 10
}

// counts is a set of named counters, safe for concurrent use.
type counts struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counts) add(key string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[key]++
	c.mu.Unlock()
}

func (c *counts) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// formatCounts writes counters as "k1 n1, k2 n2" in key order, or "none".
func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
