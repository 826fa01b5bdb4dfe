package keep

import (
	"bytes"
	"testing"
)

// BenchmarkPut appends 2 KiB copies to one hour file (no fsync: the page
// cache takes them).
//
//	go test -run '^$' -bench BenchmarkPut -benchmem ./relay/keep/
func BenchmarkPut(b *testing.B) {
	c := newClock("2026-12-05T13:10:00Z")
	o := DefaultOptions()
	o.Dir = b.TempDir()
	o.Now = c.Now
	o.MaxBytes = 1 << 40
	s, err := Open(o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := bytes.Repeat([]byte("x"), 2048)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.Put(id(i), bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkOpen indexes an hour file of 20,000 copies of 2 KiB (one pread
// per record header).
//
//	go test -run '^$' -bench BenchmarkOpen ./relay/keep/
func BenchmarkOpen(b *testing.B) {
	c := newClock("2026-12-05T13:10:00Z")
	o := DefaultOptions()
	o.Dir = b.TempDir()
	o.Now = c.Now
	s, err := Open(o)
	if err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 2048)
	const n = 20000
	for i := range n {
		if err := s.Put(id(i), bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	for b.Loop() {
		s, err := Open(o)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.index) != n {
			b.Fatalf("Open indexed %d copies, want %d", len(s.index), n)
		}
		s.Close()
	}
}
