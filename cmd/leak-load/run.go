package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"
)

// cmdRun measures a relay that delivers to Postfix's smtp-sink, fed either
// by another program given after "--" (Postfix's smtp-source: a new
// connection per message, no pipelining) or by leak-load's own sender.
// Arrivals are read from the sink's running counter: smtp-sink -c writes
// "sess=S quit=Q mesg=M\r" to its standard output, which --counter names.
//
//	leak-load run --counter FILE --n N [--pid PID] [--json F] -- smtp-source -s 10 -m N ...
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := sendFlags(fs)
	counter := fs.String("counter", "", "the output file of smtp-sink -c, the relay's next hop")
	wait := fs.Duration("timeout", 5*time.Minute, "how long to wait for deliveries after sending")
	pidList := fs.String("pid", "", "the relay's process ids, comma-separated: memory and CPU of these and their children")
	every := fs.Duration("rss-interval", 100*time.Millisecond, "memory sampling interval")
	label := fs.String("label", "relay", "name of the relay in the report")
	shape := fs.String("shape", "", "name of the load's shape in the report")
	jsonPath := fs.String("json", "", "also write the report to this file as JSON")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *counter == "" {
		fmt.Fprintln(stderr, "run: --counter is required")
		return errUsage
	}
	pids, err := parsePids(*pidList)
	if err != nil {
		return err
	}
	base, err := sinkCount(*counter)
	if err != nil {
		return err
	}

	load := loadAverage()
	var mem *sampler
	if len(pids) > 0 {
		mem = startSampler(pids, *every)
	}
	var sres *sendResult
	if cmd := fs.Args(); len(cmd) > 0 {
		sres, err = runSender(ctx, cmd, o.N, stderr)
	} else {
		o.Progress = stderr
		sres, err = send(ctx, *o)
	}
	if err != nil {
		if mem != nil {
			mem.stop()
		}
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	got, last, err := waitCount(wctx, *counter, base+sres.Accepted)
	if err != nil {
		if mem != nil {
			mem.stop()
		}
		return err
	}
	rep := &benchReport{Label: *label, Shape: *shape, Rate: o.Rate, Cores: runtime.NumCPU(), CPUModel: cpuModel(),
		N: o.N, C: o.C, Size: sres.MessageSize, Send: sres, Complete: got-base >= sres.Accepted,
		LoadAverage: [2]float64{load, loadAverage()}}
	if mem != nil {
		rep.Memory = mem.stop()
	}
	rep.Sink = &sinkResult{Delivered: got - base, Last: last, FirstSent: sres.Start}
	if !last.IsZero() {
		rep.Sink.Seconds = last.Sub(sres.Start).Seconds()
		rep.Sink.PerSecond = rate(rep.Sink.Delivered, last.Sub(sres.Start))
	}
	rep.write(stdout)
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, rep); err != nil {
			return err
		}
	}
	switch {
	case sres.Accepted == 0:
		return errors.New("run: no message was accepted")
	case !rep.Complete:
		return fmt.Errorf("run: %d of %d accepted messages arrived before the timeout", rep.Sink.Delivered, sres.Accepted)
	}
	return nil
}

// runSender runs cmd, a sender of n messages that exits 0 only when every
// one was accepted (smtp-source does, without -A), and times it.
func runSender(ctx context.Context, cmd []string, n int, stderr io.Writer) (*sendResult, error) {
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	c.Stdout, c.Stderr = stderr, stderr
	res := &sendResult{Run: cmd[0], Attempted: n, Errors: map[string]int{}, Start: time.Now()}
	err := c.Run()
	res.End = time.Now()
	res.Seconds = res.End.Sub(res.Start).Seconds()
	if err != nil {
		return nil, fmt.Errorf("run: %s: %w", cmd[0], err)
	}
	res.Accepted = n
	res.PerSecond = rate(n, res.End.Sub(res.Start))
	return res, nil
}

// waitCount polls the sink's counter until it reaches want or ctx is done,
// and returns the last count and when it was first seen.
func waitCount(ctx context.Context, path string, want int) (int, time.Time, error) {
	var (
		last int
		at   time.Time
	)
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		n, err := sinkCount(path)
		if err != nil {
			return last, at, err
		}
		if n > last {
			last, at = n, time.Now()
		}
		if last >= want {
			return last, at, nil
		}
		select {
		case <-ctx.Done():
			return last, at, nil
		case <-t.C:
		}
	}
}

// sinkCount is the message count of the last complete record smtp-sink -c
// wrote to path ("sess=S quit=Q mesg=M\r"), 0 before the first.
func sinkCount(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("--counter: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("--counter: %w", err)
	}
	const tail = 256
	off := max(st.Size()-tail, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("--counter: %w", err)
	}
	return parseSinkCount(buf), nil
}

// parseSinkCount reads the last complete "mesg=M\r" record of buf.
func parseSinkCount(buf []byte) int {
	end := bytes.LastIndexByte(buf, '\r')
	if end < 0 {
		return 0
	}
	rec := buf[:end]
	i := bytes.LastIndex(rec, []byte("mesg="))
	if i < 0 || bytes.LastIndexByte(rec[:i], '\r') > i {
		return 0
	}
	n, err := strconv.Atoi(string(rec[i+len("mesg="):]))
	if err != nil {
		return 0
	}
	return n
}
