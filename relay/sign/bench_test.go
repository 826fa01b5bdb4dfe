package sign

import (
	"strings"
	"testing"
)

// benchSign signs msg with both keys, writing it in chunks of chunk octets
// (32 KiB is what io.Copy uses between a stream and a file).
func benchSign(b *testing.B, msg string, chunk int) {
	k := testKeys(b)
	data := []byte(msg)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		s, err := k.NewSigner()
		if err != nil {
			b.Fatal(err)
		}
		for p := data; len(p) > 0; {
			n := min(chunk, len(p))
			if _, err := s.Write(p[:n]); err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if s.Header() == "" {
			b.Fatal("no header")
		}
	}
}

func BenchmarkSign2KiB(b *testing.B) { benchSign(b, testMessage(sizedBody(2<<10)), 32<<10) }

func BenchmarkSign1MiB(b *testing.B) { benchSign(b, testMessage(sizedBody(1<<20)), 32<<10) }

// BenchmarkSign2KiBLines writes one line per Write, as a line-oriented
// producer would.
func BenchmarkSign2KiBLines(b *testing.B) {
	msg := testMessage(sizedBody(2 << 10))
	lines := strings.SplitAfter(msg, "\r\n")
	k := testKeys(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		s, err := k.NewSigner()
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range lines {
			if _, err := s.Write([]byte(l)); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRelaxedBody1MiB is the body hash alone, without the keys.
func BenchmarkRelaxedBody1MiB(b *testing.B) {
	body := []byte(sizedBody(1 << 20))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		c := newRelaxedBody()
		for p := body; len(p) > 0; {
			n := min(32<<10, len(p))
			c.Write(p[:n])
			p = p[n:]
		}
		c.sum()
	}
}
