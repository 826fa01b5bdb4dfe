package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// cell is the runs of one relay under one shape of load: the runs at full
// speed, and those paced at a fixed rate for the latency.
type cell struct {
	shape, label string
	peak, paced  []*benchReport
}

// cmdSummary prints the medians of repeated runs, one row per shape and
// relay, with the ratio of each relay's end-to-end rate to the peer's
// (the first relay whose label starts with --peer) under the same shape.
func cmdSummary(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	peer := fs.String("peer", "Postfix", "label prefix of the relay the others are compared with")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return errUsage
	}
	var cells []*cell
	find := func(shape, label string) *cell {
		for _, c := range cells {
			if c.shape == shape && c.label == label {
				return c
			}
		}
		c := &cell{shape: shape, label: label}
		cells = append(cells, c)
		return c
	}
	for _, p := range fs.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("summary: %w", err)
		}
		var r benchReport
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("summary: %s: %w", p, err)
		}
		if r.Send == nil || r.Sink == nil {
			return fmt.Errorf("summary: %s: not a bench result", p)
		}
		c := find(r.Shape, r.Label)
		if r.Rate > 0 {
			c.paced = append(c.paced, &r)
		} else {
			c.peak = append(c.peak, &r)
		}
	}
	writeSummary(stdout, cells, *peer)
	return nil
}

func writeSummary(w io.Writer, cells []*cell, peer string) {
	fmt.Fprintln(w, "| shape | relay | end-to-end msgs/s (median; runs) | × peer | accepted msgs/s | DATA end → 250 at half the peak: p50 / p99 ms (median; rate) | peak RSS (median) | CPU per msg | load before runs |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	peers := map[string]float64{}
	for _, c := range cells {
		if _, ok := peers[c.shape]; !ok && strings.HasPrefix(c.label, peer) {
			peers[c.shape] = median(c.peak, func(r *benchReport) float64 { return r.Sink.PerSecond })
		}
	}
	for _, c := range cells {
		e2e := median(c.peak, func(r *benchReport) float64 { return r.Sink.PerSecond })
		var runs, loads []string
		for _, r := range c.peak {
			s := fmt.Sprintf("%.0f", r.Sink.PerSecond)
			if !r.Complete {
				s += " (incomplete)"
			}
			runs = append(runs, s)
			loads = append(loads, fmt.Sprintf("%.1f", r.LoadAverage[0]))
		}
		ratio := "–"
		if p := peers[c.shape]; p > 0 && !strings.HasPrefix(c.label, peer) {
			ratio = fmt.Sprintf("%.1f×", e2e/p)
		}
		acc := median(c.peak, func(r *benchReport) float64 { return r.Send.PerSecond })
		lat := "–"
		if len(c.paced) > 0 {
			lat = fmt.Sprintf("%.1f / %.1f (%.0f msgs/s)",
				median(c.paced, func(r *benchReport) float64 { return r.Send.Latency.P50 }),
				median(c.paced, func(r *benchReport) float64 { return r.Send.Latency.P99 }),
				c.paced[0].Rate)
		}
		rss, cpu := "–", "–"
		if withMem := slices.DeleteFunc(slices.Clone(c.peak), func(r *benchReport) bool { return r.Memory == nil }); len(withMem) > 0 {
			rss = mib(int64(median(withMem, func(r *benchReport) float64 { return float64(max(r.Memory.PeakKiB, r.Memory.HWMKiB)) })))
			if withMem[0].Memory.Measure == "pss" {
				rss += " (PSS)"
			}
			cpu = fmt.Sprintf("%.2f ms", median(withMem, func(r *benchReport) float64 {
				return r.Memory.CPUSeconds * 1000 / float64(max(r.Sink.Delivered, 1))
			}))
		}
		fmt.Fprintf(w, "| %s | %s | %.0f; %s | %s | %.0f | %s | %s | %s | %s |\n",
			c.shape, c.label, e2e, strings.Join(runs, ", "), ratio, acc, lat, rss, cpu, strings.Join(loads, ", "))
	}
}

// median of f over the reports, 0 for none; the mean of the middle two
// for an even count.
func median(reps []*benchReport, f func(*benchReport) float64) float64 {
	if len(reps) == 0 {
		return 0
	}
	v := make([]float64, len(reps))
	for i, r := range reps {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
