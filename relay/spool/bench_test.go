package spool

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
)

// benchCommit commits b.N entries of size bytes, from GOMAXPROCS×parallelism
// goroutines, or from the benchmark goroutine alone if parallelism is 0.
// Writers write in 32 KiB chunks.
func benchCommit(b *testing.B, size, parallelism int) {
	s, _ := openSpool(b, Options{})
	chunk := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abc\r\n"), 512)
	m := Meta{From: "bounce+x@leak.example", Rcpt: "bob@example.com",
		Prefix: "DKIM-Signature: v=1; a=rsa-sha256; d=leak.example; s=r; b=xxxx\r\n"}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	one := func() error {
		w, err := s.Create()
		if err != nil {
			return err
		}
		defer w.Abort()
		for rest := size; rest > 0; {
			n := min(rest, len(chunk))
			if _, err := w.Write(chunk[:n]); err != nil {
				return err
			}
			rest -= n
		}
		return w.Commit(m)
	}
	b.ResetTimer()
	if parallelism == 0 {
		for b.Loop() {
			if err := one(); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := one(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkCommit2KiB measures group commit of records with many
// concurrent writers (GOMAXPROCS×16 goroutines), as an SMTP server under
// load has: one write and one fdatasync per batch.
func BenchmarkCommit2KiB(b *testing.B) { benchCommit(b, 2<<10, 16) }

// BenchmarkCommit2KiBSerial is one writer at a time: no batching possible,
// one fdatasync per entry.
func BenchmarkCommit2KiBSerial(b *testing.B) { benchCommit(b, 2<<10, 0) }

// BenchmarkCommit1MiB is an entry file (over SmallMax). It shows that a
// commit streams: B/op stays far below the message size.
func BenchmarkCommit1MiB(b *testing.B) { benchCommit(b, 1<<20, 0) }

// BenchmarkRemove2KiB measures Remove of records from concurrent workers,
// as the queue does after deliveries: a dead mark and a wipe, two
// pwrite(2) each, and a segment deletion now and then.
func BenchmarkRemove2KiB(b *testing.B) {
	s, _ := openSpool(b, Options{SegmentMax: 1 << 20})
	body := bytes.Repeat([]byte("x"), 2<<10)
	ids := make(chan string, b.N)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				w, err := s.Create()
				if err != nil {
					b.Error(err)
					return
				}
				w.Write(body)
				if err := w.Commit(Meta{Rcpt: "bob@example.com"}); err != nil {
					b.Error(err)
					return
				}
				select {
				case ids <- w.ID():
				default:
					return // b.N are committed
				}
			}
		})
	}
	wg.Wait()
	close(ids)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Remove(<-ids); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "removes/s")
}

// BenchmarkOpen2KiB measures the delivery's side of a 2 KiB entry just
// committed, as the queue reads it: Open, read to the end, Close. "disk"
// reads the record back (three pread calls and the meta JSON decoded);
// "hot" takes it from the hot set (Options.HotMax), as leakd serve does.
// The commits, 256 at a time, are not timed.
func BenchmarkOpen2KiB(b *testing.B) {
	for _, bc := range []struct {
		name string
		hot  int64
	}{{"disk", 0}, {"hot", 1 << 20}} {
		b.Run(bc.name, func(b *testing.B) {
			s, _ := openSpool(b, Options{HotMax: bc.hot})
			body := bytes.Repeat([]byte("x"), 2<<10)
			prefix := strings.Repeat("DKIM-Signature: v=1; a=rsa-sha256; b=xxxxxxxx\r\n", 16)
			ids := make([]string, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				if len(ids) == 0 {
					b.StopTimer()
					var wg sync.WaitGroup
					var mu sync.Mutex
					for range 256 {
						wg.Go(func() {
							m := commit(b, s, body, Meta{Rcpt: "bob@example.com", Prefix: prefix})
							mu.Lock()
							ids = append(ids, m.ID)
							mu.Unlock()
						})
					}
					wg.Wait()
					b.StartTimer()
				}
				id := ids[len(ids)-1]
				ids = ids[:len(ids)-1]
				msg, err := s.Open(id)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, msg); err != nil {
					b.Fatal(err)
				}
				msg.Close()
			}
		})
	}
}
