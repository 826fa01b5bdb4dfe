package courier

import (
	"context"
	"strings"
	"testing"
)

// message2KiB is a 2 KiB message with DKIM fields, as the spool hands it
// over.
func message2KiB() string {
	var b strings.Builder
	b.WriteString("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=leak.test; s=r1;\r\n h=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n b=" + strings.Repeat("A", 340) + "\r\n")
	b.WriteString("From: <x@leak.test>\r\nTo: <bob@example.test>\r\nSubject: benchmark\r\nDate: Mon, 1 Jan 2026 00:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	for b.Len() < 2048-78 {
		b.WriteString(strings.Repeat("lorem ipsum ", 6) + "\r\n")
	}
	return b.String()
}

func BenchmarkSmarthostDeliver2KiB(b *testing.B) {
	body := message2KiB()
	for _, mode := range []string{TLSNone, TLSStartTLS} {
		b.Run(mode, func(b *testing.B) {
			ts := startServer(b, serverOpts{tls: mode, discard: true})
			s, _ := newSmarthost(b, ts, mode, nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.SetParallelism(8) // 8 × GOMAXPROCS deliveries in flight, MaxPerDest 20
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					m := &Message{ID: testID, From: "bounce+x@leak.test", To: "bob@example.test",
						Size: int64(len(body)), Body: strings.NewReader(body)}
					if err := s.Deliver(context.Background(), m); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.StopTimer()
			if got := ts.discarded.Load(); got != int64(b.N) {
				b.Errorf("server got %d messages, want %d", got, b.N)
			}
			if n := ts.ln.accepted.Load(); n > 20+int64(b.N)/100 {
				b.Errorf("%d connections for %d messages", n, b.N)
			}
		})
	}
}
