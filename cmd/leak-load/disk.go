package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// cmdDisk measures how long the disk under a directory takes to make one
// small append durable: what every 250 reply of a relay that fsyncs before
// replying waits for, at least once, when its senders are few and each
// waits for the reply before sending on (group commit can only share a
// flush among messages that arrive while one is running). The appends are
// written one at a time, each with pwrite(2) then fdatasync(2), as the
// spool does a batch; the file is removed afterwards.
func cmdDisk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("disk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "a directory on the disk to measure")
	n := fs.Int("n", 2000, "appends to make durable")
	size := fs.Int("size", 3616, "octets per append (a 2 KiB message's spool record is 3,616)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *size < 1 || *size > 64<<20 {
		return fmt.Errorf("disk: --n and --size must be at least 1, and --size at most 64 MiB")
	}
	f, err := os.CreateTemp(*dir, ".leak-load-disk-*")
	if err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, *size)
	for i := range buf {
		buf[i] = byte('a' + i%26)
	}
	took := make([]time.Duration, 0, *n)
	start := time.Now()
	for i := range *n {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t := time.Now()
		if _, err := f.WriteAt(buf, int64(i)*int64(*size)); err != nil {
			return fmt.Errorf("disk: %w", err)
		}
		if err := datasync(f); err != nil {
			return fmt.Errorf("disk: %w", err)
		}
		took = append(took, time.Since(t))
	}
	elapsed := time.Since(start)
	p := summarize(took)
	fmt.Fprintf(stdout, "disk: %d appends of %d octets made durable one at a time (pwrite, fdatasync) in %s: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %.0f a second\n",
		*n, *size, *dir, p.P50, p.P90, p.P99, p.Max, float64(*n)/elapsed.Seconds())
	return nil
}
