package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// benchReport is the result of one bench run, as written by --json.
type benchReport struct {
	Label string `json:"label"`
	Shape string `json:"shape,omitempty"`
	// Rate is the sending rate the run was paced at, 0 for as fast as
	// the relay answers.
	Rate     float64     `json:"rate,omitempty"`
	Cores    int         `json:"cores"`
	CPUModel string      `json:"cpu_model"`
	N        int         `json:"n"`
	C        int         `json:"c"`
	Size     int         `json:"size"`
	Send     *sendResult `json:"send"`
	Sink     *sinkResult `json:"sink"`
	Memory   *memResult  `json:"memory,omitempty"`
	// Complete is true when every accepted message arrived at the sink.
	Complete bool `json:"complete"`
	// LoadAverage is the 1-minute load average before and after the run:
	// other work on the machine skews the figures.
	LoadAverage [2]float64 `json:"load_average"`
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := sendFlags(fs)
	listen := fs.String("listen", "127.0.0.1:2526", "the sink's address: the relay's next hop")
	wait := fs.Duration("timeout", 5*time.Minute, "how long to wait for deliveries after sending")
	pidList := fs.String("pid", "", "the relay's process ids, comma-separated: memory and CPU of these and their children")
	every := fs.Duration("rss-interval", 100*time.Millisecond, "memory sampling interval")
	records := fs.String("dkim-records", "", "file with the output of `leakd dkim dns`: verify a sample of signatures")
	sample := fs.Int("dkim-sample", 50, "messages to verify with --dkim-records")
	label := fs.String("label", "relay", "name of the run in the report")
	shape := fs.String("shape", "", "name of the load's shape in the report")
	jsonPath := fs.String("json", "", "also write the report to this file as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	pids, err := parsePids(*pidList)
	if err != nil {
		return err
	}
	recs, n, err := dkimSetup(*records, *sample)
	if err != nil {
		return err
	}
	s, err := startSink(sinkOptions{Listen: *listen, DKIMSample: n})
	if err != nil {
		return err
	}
	defer s.Close()

	load := loadAverage()
	var mem *sampler
	if len(pids) > 0 {
		mem = startSampler(pids, *every)
	}
	o.Progress = stderr
	sres, err := send(ctx, *o)
	if err != nil {
		if mem != nil {
			mem.stop()
		}
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	stopProgress := progress(stderr, func() string {
		return fmt.Sprintf("bench: %d/%d delivered", s.Delivered(), sres.Accepted)
	})
	complete := s.wait(wctx, sres.Accepted)
	stopProgress()
	rep := &benchReport{Label: *label, Shape: *shape, Rate: o.Rate, Cores: runtime.NumCPU(), CPUModel: cpuModel(),
		N: o.N, C: o.C, Size: sres.MessageSize, Send: sres, Complete: complete,
		LoadAverage: [2]float64{load, loadAverage()}}
	if mem != nil {
		rep.Memory = mem.stop()
	}
	s.Close()
	rep.Sink = s.result(sres.Start)
	if recs != nil {
		rep.Sink.DKIM = verifyDKIM(s.takeSamples(), recs)
	}
	rep.write(stdout)
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, rep); err != nil {
			return err
		}
	}
	switch {
	case sres.Accepted == 0:
		return errors.New("bench: no message was accepted")
	case !complete:
		return fmt.Errorf("bench: %d of %d accepted messages arrived before the timeout", rep.Sink.Delivered, sres.Accepted)
	case rep.Sink.DKIM != nil && !rep.Sink.DKIM.ok():
		return errors.New("bench: DKIM verification failed")
	}
	return nil
}

func (r *benchReport) write(w io.Writer) {
	fmt.Fprintf(w, "== %s: %d messages of %s over %d sessions, %d cores (%s)\n",
		r.Label, r.N, human(r.Size), r.C, r.Cores, r.CPUModel)
	r.Send.write(w)
	r.Sink.write(w)
	if r.Memory != nil {
		r.Memory.write(w)
		if r.Sink.Delivered > 0 {
			fmt.Fprintf(w, "cpu: %.2f ms per delivered message\n", r.Memory.CPUSeconds*1000/float64(r.Sink.Delivered))
		}
	}
	fmt.Fprintf(w, "load average: %.2f before, %.2f after\n", r.LoadAverage[0], r.LoadAverage[1])
	if !r.Complete {
		fmt.Fprintf(w, "INCOMPLETE: %d of %d accepted messages arrived\n", r.Sink.Delivered, r.Send.Accepted)
	}
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// loadAverage is the 1-minute load average, or -1 if unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// human writes a size in octets as KiB or MiB when it is close to one.
func human(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// cmdTable prints bench results as one markdown table.
func cmdTable(paths []string, stdout io.Writer) error {
	if len(paths) == 0 {
		return errUsage
	}
	var reps []*benchReport
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("table: %w", err)
		}
		var r benchReport
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("table: %s: %w", p, err)
		}
		if r.Send == nil || r.Sink == nil {
			return fmt.Errorf("table: %s: not a bench result", p)
		}
		reps = append(reps, &r)
	}
	writeTable(stdout, reps)
	return nil
}

func writeTable(w io.Writer, reps []*benchReport) {
	fmt.Fprintln(w, "| run | size | messages × sessions | accepted msgs/s | DATA end → 250 p50 / p90 / p99 (ms) | end-to-end msgs/s | end-to-end p50 / p90 / p99 (ms) | errors | DKIM verified | relay memory peak / steady | relay CPU per msg |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range reps {
		errs := 0
		for _, n := range r.Send.Errors {
			errs += n
		}
		delivered := fmt.Sprintf("%.1f", r.Sink.PerSecond)
		if !r.Complete {
			delivered += fmt.Sprintf(" (%d of %d arrived)", r.Sink.Delivered, r.Send.Accepted)
		}
		dk := "–"
		if d := r.Sink.DKIM; d != nil {
			var parts []string
			for _, alg := range []string{"rsa-sha256", "ed25519-sha256"} {
				if d.Pass[alg]+d.Fail[alg] > 0 {
					parts = append(parts, fmt.Sprintf("%s %d/%d", strings.TrimSuffix(alg, "-sha256"), d.Pass[alg], d.Pass[alg]+d.Fail[alg]))
				}
			}
			if d.Unsigned > 0 {
				parts = append(parts, fmt.Sprintf("%d unsigned", d.Unsigned))
			}
			dk = strings.Join(parts, ", ")
		}
		mem, cpu := "–", "–"
		if m := r.Memory; m != nil {
			mem = fmt.Sprintf("%s / %s", mib(m.PeakKiB), mib(m.SteadyKiB))
			if m.Measure == "pss" {
				mem += fmt.Sprintf(" (PSS, %d processes)", m.Processes)
			}
			if r.Sink.Delivered > 0 {
				cpu = fmt.Sprintf("%.2f ms", m.CPUSeconds*1000/float64(r.Sink.Delivered))
			}
		}
		fmt.Fprintf(w, "| %s | %s | %d × %d | %.1f | %.1f / %.1f / %.1f | %s | %.0f / %.0f / %.0f | %d | %s | %s | %s |\n",
			r.Label, human(r.Size), r.Send.Attempted, r.C, r.Send.PerSecond,
			r.Send.Latency.P50, r.Send.Latency.P90, r.Send.Latency.P99,
			delivered, r.Sink.Latency.P50, r.Sink.Latency.P90, r.Sink.Latency.P99,
			errs, dk, mem, cpu)
	}
	if len(reps) > 0 {
		fmt.Fprintf(w, "\n%d cores (%s); sender, relay and sink share them. 1-minute load average before → after each run:", reps[0].Cores, reps[0].CPUModel)
		for i, r := range reps {
			sep := ","
			if i == len(reps)-1 {
				sep = "."
			}
			fmt.Fprintf(w, " %s %.1f → %.1f%s", r.Label, r.LoadAverage[0], r.LoadAverage[1], sep)
		}
		fmt.Fprintln(w)
	}
}
