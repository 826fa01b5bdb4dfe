//go:build cgo && !purego

package sign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"strings"
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
