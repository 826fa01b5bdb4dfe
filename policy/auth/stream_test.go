package auth

import (
	"context"
	"io"
	"runtime"
	"strings"
	"testing"

	"leak/policy/testutil"

	"github.com/emersion/go-msgauth/dkim"
)

// bodyReader yields size octets of text lines, the same every time.
type bodyReader struct{ off, size int }

const bodyLine = "The quick brown fox jumps over the lazy dog, again and again.\r\n"

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && b.off < b.size {
		k := copy(p[n:min(len(p), n+b.size-b.off)], bodyLine[b.off%len(bodyLine):])
		n += k
		b.off += k
	}
	return n, nil
}

// streamedMessage returns a reader of a signed message with a body of
// size octets, never held whole in memory: the signature is computed over
// a first pass of the generated message, then prepended to a second.
func streamedMessage(t testing.TB, size int) func() io.Reader {
	testKeys(t)
	head := message("a@example.com", "")
	s, err := dkim.NewSigner(&dkim.SignOptions{
		Domain: "example.com", Selector: "ed", Signer: edKey,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(s, io.MultiReader(strings.NewReader(head), &bodyReader{size: size})); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sig := s.Signature()
	return func() io.Reader {
		return io.MultiReader(strings.NewReader(sig+head), &bodyReader{size: size})
	}
}

// TestStreamingHeap checks that a 10 MiB message verifies without the
// live heap growing with it: half-way through, the heap holds the header
// and the verifier's buffers, not 5 MiB of body.
func TestStreamingHeap(t *testing.T) {
	const size = 10 << 20
	d := testutil.StartDNS(t)
	zone(t, d)
	c := newChecker(t, d, Enforce)
	open := streamedMessage(t, size)

	m := c.Begin(context.Background(), otherIP, "client.example", "a@nodmarc.example")
	r := open()
	buf := make([]byte, 32<<10)
	var before, mid runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	written := 0
	for {
		n, err := r.Read(buf)
		if _, werr := m.Write(buf[:n]); werr != nil {
			t.Fatal(werr)
		}
		written += n
		if written >= size/2 && mid.NumGC == 0 {
			runtime.GC()
			runtime.ReadMemStats(&mid)
		}
		if err == io.EOF {
			break
		}
	}
	res, err := m.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.DKIM) != 1 || res.DKIM[0].Result != Pass || res.DMARC != Pass {
		t.Fatalf("10 MiB message: dkim %v dmarc %s, want one pass and pass", res.DKIM, res.DMARC)
	}
	growth := int64(mid.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("live heap half-way through 10 MiB: %+d bytes", growth)
	if growth > 1<<20 {
		t.Errorf("live heap grew by %d bytes half-way through a 10 MiB message", growth)
	}
}
