package bounce

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkTokens makes and checks one bounce address: what one copy costs
// (Address at spool time, Parse when its bounce comes back).
func BenchmarkTokens(b *testing.B) {
	tk := NewTokens(testKey)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tk.Parse(tk.Address(testQID, "leak.example")); !ok {
			b.Fatal("round trip failed")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkSentRecord is the cost of Put to its caller, the writer
// running beside it.
func BenchmarkSentRecord(b *testing.B) {
	s, err := OpenSent(filepath.Join(b.TempDir(), "sent.db"), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	qids := make([]string, 1<<14)
	for i := range qids {
		qids[i] = qidN(i)
	}
	hash := hashN(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			for s.Put(b.Context(), qids[i%len(qids)], hash) != nil {
				// Backlog full: the disk sets the pace. Put offers no
				// wake-up, and a benchmark's pause costs no test time.
				time.Sleep(time.Millisecond)
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkSentDurable records b.N entries and closes the log: the rate at
// which entries reach the disk (fsync'd bbolt commits).
func BenchmarkSentDurable(b *testing.B) {
	s, err := OpenSent(filepath.Join(b.TempDir(), "sent.db"), 0)
	if err != nil {
		b.Fatal(err)
	}
	hash := hashN(1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for s.Put(b.Context(), qidN(i), hash) != nil {
			time.Sleep(time.Millisecond) // backlog full, as above
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkParseDSN reads a Postfix bounce.
func BenchmarkParseDSN(b *testing.B) {
	raw := crlf(readSample(b, "postfix-failed.eml"))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDSN(bytes.NewReader(raw), 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedisSent is what one copy costs with the shared sent log: a
// Put when it is spooled and a Get when its bounce comes back, each a
// round trip to a local redis-server (over a Unix socket).
func BenchmarkRedisSent(b *testing.B) {
	s := NewRedisSent(startRedis(b), 0)
	hash := hashN(1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		qid := qidN(i)
		if err := s.Put(b.Context(), qid, hash); err != nil {
			b.Fatal(err)
		}
		if _, ok, err := s.Get(b.Context(), qid); !ok || err != nil {
			b.Fatalf("Get: %v, %v", ok, err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "copies/s")
}
