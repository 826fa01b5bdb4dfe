//go:build cgo && !purego

package sign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// OpenSSL's signatures must be byte for byte Go's: PKCS#1 v1.5 is
// deterministic, so any difference is a bug in the binding.
func TestOpenSSLMatchesGo(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if name, detail := Backend(); name != "openssl" || !strings.HasPrefix(detail, "OpenSSL 3.") {
		t.Fatalf("Backend() = %q, %q; want openssl and its version (is libssl3 installed?)", name, detail)
	}
	fast := fastSigner(k)
	if _, ok := fast.(*opensslRSA); !ok {
		t.Fatalf("fastSigner returned %T, want the OpenSSL signer", fast)
	}
	for i := 0; i < 20; i++ {
		d := sha256.Sum256([]byte{byte(i), 'x'})
		want, err := k.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fast.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("digest %d: OpenSSL and Go signatures differ", i)
		}
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, d[:], got); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fast.Sign(rand.Reader, make([]byte, 20), crypto.SHA1); err == nil {
		t.Error("SHA-1 accepted")
	}
}

// Signing contexts are kept for the next signature, and each serves one
// goroutine at a time: signatures made at once, from more goroutines than
// the signer keeps contexts, must each be Go's, byte for byte.
func TestOpenSSLContexts(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := fastSigner(k).(*opensslRSA)
	if !ok {
		t.Fatal("fastSigner did not return the OpenSSL signer")
	}
	d := sha256.Sum256([]byte("first"))
	for range 3 {
		if _, err := o.Sign(nil, d[:], crypto.SHA256); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(o.idle); n != 1 {
		t.Fatalf("after three signatures in turn, %d idle contexts; want 1, used again", n)
	}

	const goroutines, each = idleContexts + 4, 3
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				d := sha256.Sum256([]byte{byte(g), byte(i)})
				got, err := o.Sign(nil, d[:], crypto.SHA256)
				if err != nil {
					errs <- err
					continue
				}
				want, _ := rsa.SignPKCS1v15(nil, k, crypto.SHA256, d[:])
				if !bytes.Equal(got, want) {
					errs <- fmt.Errorf("goroutine %d, signature %d: OpenSSL's differs from Go's", g, i)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(o.idle); n < 1 || n > idleContexts {
		t.Errorf("%d idle contexts after concurrent signing; want 1 to %d", n, idleContexts)
	}
}

func BenchmarkRSASign(b *testing.B) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	d := sha256.Sum256([]byte("x"))
	for name, s := range map[string]crypto.Signer{"go": k, "openssl": fastSigner(k)} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				s.Sign(rand.Reader, d[:], crypto.SHA256)
			}
		})
	}
}
