// Command leak-load measures an SMTP relay under load: how fast it
// accepts mail, how fast that mail comes out the other side, and how much
// memory the relay needs meanwhile.
//
//	leak-load send  --addr HOST:PORT [--n N --c C --size OCTETS ...]
//	leak-load sink  --listen HOST:PORT [--expect N --timeout D --dkim-records FILE]
//	leak-load bench --addr HOST:PORT --listen HOST:PORT [--pid PID,...] [--json FILE]
//	leak-load form  --url URL [--n N --c C --form --presolve ...]
//	leak-load run   --counter FILE --n N [--pid PID,...] [--json FILE] [-- SENDER ARGS...]
//	leak-load table RESULT.json...
//	leak-load summary [--peer LABEL] RESULT.json...
//	leak-load ports N
//	leak-load disk  [--dir DIR --n N --size OCTETS]
//
// send pipelines MAIL/RCPT/DATA (RFC 2920) over C reused sessions and
// reports accepted messages per second and the latency from the end of
// DATA to the reply; every message carries a marker with its send time.
// sink accepts everything and reads the markers back for the end-to-end
// rate and latency. bench runs both against a relay whose next hop is the
// sink, and samples the relay's memory. run does the same for a relay
// whose next hop is Postfix's smtp-sink, fed by leak-load or by another
// program such as Postfix's smtp-source (run.go). table turns bench
// results into the markdown table of the README; summary takes the
// medians of repeated runs and the ratios against a peer (summary.go);
// ports prints free loopback ports for scripts. form measures the web
// form and its API (form.go). disk measures how long the disk takes to
// make one message durable in Leak's spool, which bounds what leakd can do
// for few senders that each wait for the 250 (disk.go).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const usageText = `usage:
  leak-load send  --addr HOST:PORT [--n N] [--c C] [--size OCTETS | --attach FILE] [--rcpt ADDR] [--duration D]
  leak-load sink  --listen HOST:PORT [--expect N] [--timeout D] [--dkim-records FILE]
  leak-load bench --addr HOST:PORT --listen HOST:PORT [send flags] [--pid PID,...] [--json FILE]
  leak-load form  --url URL [--n N] [--c C] [--size OCTETS] [--rcpts K] [--form] [--presolve] [--json FILE]
  leak-load run   --counter SINK-OUTPUT --n N [send flags] [--pid PID,...] [--json FILE] [-- SENDER ARGS...]
  leak-load table RESULT.json...
  leak-load summary [--peer LABEL] RESULT.json...
  leak-load ports N
  leak-load disk  [--dir DIR] [--n N] [--size OCTETS]
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

var errUsage = errors.New("usage")

// run dispatches a command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	var err error
	switch args[0] {
	case "send":
		err = cmdSend(ctx, args[1:], stdout, stderr)
	case "sink":
		err = cmdSink(ctx, args[1:], stdout, stderr)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr)
	case "form":
		err = cmdForm(ctx, args[1:], stdout, stderr)
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "table":
		err = cmdTable(args[1:], stdout)
	case "summary":
		err = cmdSummary(args[1:], stdout)
	case "ports":
		err = cmdPorts(args[1:], stdout)
	case "disk":
		err = cmdDisk(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		fmt.Fprint(stderr, usageText)
		return 2
	}
	switch {
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "leak-load:", err)
		return 1
	}
	return 0
}

// sendFlags registers the flags of a send run on fs.
func sendFlags(fs *flag.FlagSet) *sendOptions {
	o := &sendOptions{}
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:2525", "the relay's SMTP address")
	fs.IntVar(&o.N, "n", 10000, "messages to send")
	fs.IntVar(&o.C, "c", 50, "concurrent SMTP sessions")
	fs.IntVar(&o.Size, "size", 2048, "message size in octets")
	fs.StringVar(&o.From, "from", "load@load.example", "envelope sender and From address")
	fs.StringVar(&o.Rcpt, "rcpt", "to+bob=example.com@leak.example", "recipient of every message")
	fs.StringVar(&o.HELO, "helo", "load.example", "EHLO name")
	fs.DurationVar(&o.Duration, "duration", 10*time.Minute, "stop sending after this long")
	fs.DurationVar(&o.Timeout, "io-timeout", 2*time.Minute, "limit on each network read or write")
	fs.IntVar(&o.PerConn, "per-conn", 0, "messages per connection before reconnecting (0: no limit)")
	fs.StringVar(&o.Attach, "attach", "", "a file (a photo, a PDF, a document) every message carries instead of the filler; --size is then ignored")
	fs.StringVar(&o.File, "file", "", "send this whole message (header and body, as smtp-source -F does) instead of the generated one; --size is then ignored and the sink sees no marker")
	fs.Float64Var(&o.Rate, "rate", 0, "messages per second over all sessions (0: as fast as the relay answers)")
	return o
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

func cmdSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := sendFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	o.Progress = stderr
	res, err := send(ctx, *o)
	if err != nil {
		return err
	}
	res.write(stdout)
	if res.Accepted == 0 {
		return errors.New("no message was accepted")
	}
	return nil
}

func cmdSink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:2526", "address to listen on")
	expect := fs.Int("expect", 0, "report once this many messages arrived (0: at the timeout or on SIGINT)")
	timeout := fs.Duration("timeout", 10*time.Minute, "report after this long at the latest")
	records := fs.String("dkim-records", "", "file with the output of `leakd dkim dns`: verify a sample of signatures")
	sample := fs.Int("dkim-sample", 50, "messages to verify with --dkim-records")
	if err := parse(fs, args); err != nil {
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
	fmt.Fprintf(stderr, "sink: listening on %s\n", s.Addr())
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *expect > 0 {
		if !s.wait(wctx, *expect) {
			fmt.Fprintf(stderr, "sink: stopped before %d messages arrived\n", *expect)
		}
	} else {
		<-wctx.Done()
	}
	s.Close()
	res := s.result(time.Time{})
	if recs != nil {
		res.DKIM = verifyDKIM(s.takeSamples(), recs)
	}
	res.write(stdout)
	if *expect > 0 && res.Delivered < *expect {
		return fmt.Errorf("%d of %d expected messages arrived", res.Delivered, *expect)
	}
	return nil
}

// dkimSetup loads the records file, if any, and returns the sample size
// to keep (0 without records).
func dkimSetup(path string, sample int) (map[string]string, int, error) {
	if path == "" {
		return nil, 0, nil
	}
	recs, err := loadRecords(path)
	if err != nil {
		return nil, 0, err
	}
	return recs, max(sample, 1), nil
}

func cmdPorts(args []string, stdout io.Writer) error {
	n := 1
	if len(args) > 1 {
		return errUsage
	}
	if len(args) == 1 {
		var err error
		if n, err = strconv.Atoi(args[0]); err != nil || n < 1 || n > 100 {
			return fmt.Errorf("ports: %q is not a count from 1 to 100", args[0])
		}
	}
	// Hold every listener until all are chosen, so the ports differ.
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("ports: %w", err)
		}
		defer l.Close()
		_, p, _ := net.SplitHostPort(l.Addr().String())
		ports = append(ports, p)
	}
	fmt.Fprintln(stdout, strings.Join(ports, " "))
	return nil
}

// parsePids reads "123,456".
func parsePids(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var pids []int
	for _, f := range strings.Split(s, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid < 1 {
			return nil, fmt.Errorf("--pid: %q is not a process id", f)
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			return nil, fmt.Errorf("--pid: no process %d", pid)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("--json: %w", err)
	}
	return nil
}
