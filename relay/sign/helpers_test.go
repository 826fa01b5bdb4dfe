package sign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

const testDomain = "leak.example"

var (
	testKeysOnce sync.Once
	testKeysVal  *Keys
	testKeysErr  error
)

// testKeys returns one in-memory RSA-2048 + Ed25519 key set, made once per
// test binary (RSA generation is slow on a shared 2-core machine). The Ed25519
// key is listed first so the tests see NewSigner put RSA first.
func testKeys(tb testing.TB) *Keys {
	tb.Helper()
	testKeysOnce.Do(func() {
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			testKeysErr = err
			return
		}
		_, ek, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			testKeysErr = err
			return
		}
		testKeysVal = &Keys{Domain: testDomain, Keys: []Key{
			{Selector: SelectorEd25519, Algorithm: Ed25519SHA256, Signer: ek},
			{Selector: SelectorRSA, Algorithm: RSASHA256, Signer: rk},
		}}
	})
	if testKeysErr != nil {
		tb.Fatalf("generate test keys: %v", testKeysErr)
	}
	return testKeysVal
}

// testMessage is a message shaped like the anonymizer's output.
func testMessage(body string) string {
	return "From: Leak <noreply@leak.example>\r\n" +
		"To: bob@example.com\r\n" +
		"Subject: Hello there\r\n" +
		"Date: Tue, 25 Nov 2025 10:00:00 +0000\r\n" +
		"Message-ID: <abc123@leak.example>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 7bit\r\n" +
		"List-Unsubscribe: <mailto:unsub@leak.example>, <https://leak.example/u/x>\r\n" +
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
		"\r\n" + body
}

// sizedBody returns CRLF text lines totalling about n octets.
func sizedBody(n int) string {
	var b strings.Builder
	line := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 2)[:76] + "\r\n"
	for b.Len() < n {
		b.WriteString(line)
	}
	return b.String()
}

// signWith signs msg, writing it in chunks of chunk octets (all at once if
// chunk <= 0), and returns Header().
func signWith(tb testing.TB, k *Keys, msg string, chunk int) string {
	tb.Helper()
	s, err := k.NewSigner()
	if err != nil {
		tb.Fatalf("NewSigner: %v", err)
	}
	defer s.Abort()
	data := []byte(msg)
	if chunk <= 0 {
		chunk = len(data) + 1
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		if w, err := s.Write(data[:n]); err != nil || w != n {
			tb.Fatalf("Write: %d, %v; want %d, nil", w, err, n)
		}
		data = data[n:]
	}
	if err := s.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	return s.Header()
}

// lookupFrom serves TXT lookups from the records of k.
func lookupFrom(k *Keys) func(string) ([]string, error) {
	recs := map[string]string{}
	for _, r := range k.DNSRecords() {
		recs[r.Name] = r.Value
	}
	return func(name string) ([]string, error) {
		v, ok := recs[strings.TrimSuffix(strings.ToLower(name), ".")]
		if !ok {
			return nil, fmt.Errorf("no TXT record for %s", name)
		}
		return []string{v}, nil
	}
}

// verify runs go-msgauth's verifier over a signed message.
func verify(tb testing.TB, k *Keys, signed string) []*dkim.Verification {
	tb.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader([]byte(signed)), &dkim.VerifyOptions{
		LookupTXT:        lookupFrom(k),
		MaxVerifications: 5,
	})
	if err != nil {
		tb.Fatalf("Verify: %v", err)
	}
	return vs
}

// waitGoroutines waits until no more than want goroutines run, and fails the
// test if that does not happen: a goroutine that has been told to end may
// still be on its way out.
func waitGoroutines(tb testing.TB, want int) {
	tb.Helper()
	var n int
	for range 200 {
		n = runtime.NumGoroutine()
		if n <= want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	buf = buf[:runtime.Stack(buf, true)]
	tb.Fatalf("goroutines: %d, want <= %d; stacks:\n%s", n, want, buf)
}
