package policy

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"leak/metrics"
)

// benchEngine is an Engine on the local store with every policy on but
// limits too high to refuse: each call takes the full path.
func benchEngine(b *testing.B) *Engine {
	b.Helper()
	opts := DefaultOptions()
	opts.Secret = testSecret
	opts.Metrics = metrics.New("bench")
	high := Limit{Rate: 1_000_000, Burst: 1 << 20, Period: time.Second}
	opts.IP, opts.Net, opts.Sender, opts.SenderDomain, opts.Recipient, opts.Global =
		high, high, high, high, high, high
	s, err := OpenLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	e, err := Open(opts, s)
	if err != nil {
		b.Fatal(err)
	}
	// Some opt-outs in the file, as in production.
	for i := range 1000 {
		s.SetOptOut(context.Background(), e.RecipientHash(fmt.Sprintf("out%d@example.com", i)), true)
	}
	return e
}

type benchInput struct {
	ip           netip.Addr
	sender, rcpt string
}

func benchInputs() []benchInput {
	in := make([]benchInput, 1024)
	for i := range in {
		in[i] = benchInput{
			ip:     netip.AddrFrom4([4]byte{192, 0, byte(i >> 8), byte(i)}),
			sender: fmt.Sprintf("Sender%d@example%d.org", i, i%50),
			rcpt:   fmt.Sprintf("rcpt%d@example%d.com", i, i%70),
		}
	}
	return in
}

// BenchmarkMailRcpt is the policy cost of one single-recipient message.
func BenchmarkMailRcpt(b *testing.B) {
	ctx := context.Background()
	e := benchEngine(b)
	in := benchInputs()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		x := &in[i%len(in)]
		if d := e.Mail(ctx, x.ip, x.sender); d.Action != Allow {
			b.Fatal(d)
		}
		if d := e.Rcpt(ctx, x.rcpt); d.Action != Allow {
			b.Fatal(d)
		}
	}
}

func BenchmarkMailRcptParallel(b *testing.B) {
	ctx := context.Background()
	e := benchEngine(b)
	in := benchInputs()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			x := &in[i%len(in)]
			e.Mail(ctx, x.ip, x.sender)
			e.Rcpt(ctx, x.rcpt)
		}
	})
}

func BenchmarkConnect(b *testing.B) {
	ctx := context.Background()
	e := benchEngine(b)
	ip := netip.MustParseAddr("192.0.2.1")
	b.ReportAllocs()
	for b.Loop() {
		_, release := e.Connect(ctx, ip)
		release()
	}
}
