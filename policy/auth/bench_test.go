package auth

import (
	"context"
	"io"
	"strings"
	"testing"

	"leak/policy/testutil"
)

// BenchmarkCheck2KiB checks a 2 KiB message, RSA-2048 signed, against the
// loopback DNS server: three TXT lookups (SPF, DKIM key, DMARC), one RSA
// verification, SPF and DMARC passing.
func BenchmarkCheck2KiB(b *testing.B) {
	d := testutil.StartDNS(b)
	zone(b, d)
	c := newChecker(b, d, Enforce)
	body := strings.Repeat(bodyLine, 2048/len(bodyLine))
	msg := []byte(sign(b, message("a@example.com", body), signOpts{domain: "example.com", selector: "rsa", key: rsaKey}))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		m := c.Begin(context.Background(), goodIP, "client.example", "a@example.com")
		m.Write(msg)
		r, err := m.Close()
		if err != nil || r.DMARC != Pass || r.SPF != Pass {
			b.Fatalf("%v %v", r, err)
		}
	}
}

// BenchmarkCheck10MiB streams a 10 MiB Ed25519-signed message in 32 KiB
// writes. B/op is garbage, not retention: go-msgauth's canonicalisers
// allocate a copy of every write (see TestStreamingHeap for the live heap).
func BenchmarkCheck10MiB(b *testing.B) {
	const size = 10 << 20
	d := testutil.StartDNS(b)
	zone(b, d)
	c := newChecker(b, d, Enforce)
	open := streamedMessage(b, size)
	buf := make([]byte, 32<<10)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		m := c.Begin(context.Background(), otherIP, "client.example", "a@nodmarc.example")
		if _, err := io.CopyBuffer(struct{ io.Writer }{m}, open(), buf); err != nil {
			b.Fatal(err)
		}
		r, err := m.Close()
		if err != nil || r.DMARC != Pass {
			b.Fatalf("%v %v", r, err)
		}
	}
}

// BenchmarkHeaderScan is the cost of finding From in a typical header.
func BenchmarkHeaderScan(b *testing.B) {
	head := []byte(strings.Repeat("Received: from a.example by b.example; Mon, 2 Jan 2006 15:04:05 +0000\r\n", 8) +
		message("Alice Example <alice@example.com>", ""))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fromDomain(scanFields(head).from); err != nil {
			b.Fatal(err)
		}
	}
}
