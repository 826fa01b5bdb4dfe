package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"leak/relay/spool"
)

// cmdDisk measures how long the disk under a directory takes to make one
// message durable in Leak's spool: what every 250 reply waits for, at
// least once, when the senders are few and each waits for the reply before
// sending on (group commit can only share a flush among messages that
// arrive while one is running). It commits the messages one at a time to
// a spool in a temporary directory under --dir, each a record appended and
// fdatasync'd as leakd's are, and removes the directory afterwards.
func cmdDisk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("disk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "a directory on the disk to measure")
	n := fs.Int("n", 2000, "messages to commit")
	size := fs.Int("size", 3500, "octets per message (a 2 KiB message with its two DKIM-Signature fields is about 3,500)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *size < 1 || *size > 64<<20 {
		return fmt.Errorf("disk: --n and --size must be at least 1, and --size at most 64 MiB")
	}
	tmp, err := os.MkdirTemp(*dir, ".leak-load-disk-*")
	if err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	defer os.RemoveAll(tmp)
	sp, err := spool.Open(tmp, spool.Options{})
	if err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	defer sp.Close()
	msg := make([]byte, *size)
	for i := range msg {
		msg[i] = byte('a' + i%26)
	}
	took := make([]time.Duration, 0, *n)
	start := time.Now()
	for range *n {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w, err := sp.Create()
		if err != nil {
			return fmt.Errorf("disk: %w", err)
		}
		if _, err := w.Write(msg); err != nil {
			w.Abort()
			return fmt.Errorf("disk: %w", err)
		}
		t := time.Now()
		if err := w.Commit(spool.Meta{From: "load@load.example", Rcpt: "bob@example.com"}); err != nil {
			return fmt.Errorf("disk: %w", err)
		}
		took = append(took, time.Since(t))
	}
	elapsed := time.Since(start)
	p := summarize(took)
	fmt.Fprintf(stdout, "disk: %d messages of %d octets committed one at a time to a spool in %s (a record appended and fdatasync'd each): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %.0f a second\n",
		*n, *size, *dir, p.P50, p.P90, p.P99, p.Max, float64(*n)/elapsed.Seconds())
	return nil
}
