package main

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// signedMessage signs a generated message with both algorithms, as Leak
// does, and returns it with a records file in `leakd dkim dns` format.
func signedMessage(t *testing.T) ([]byte, string) {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	epub, ek, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	testGenerator(t, 2500).Message(1, time.Now()).WriteTo(&raw)
	msg := raw.Bytes()
	for _, k := range []struct {
		sel    string
		signer crypto.Signer
	}{{"leak-rsa", rk}, {"leak-ed", ek}} {
		var out bytes.Buffer
		err := dkim.Sign(&out, bytes.NewReader(msg), &dkim.SignOptions{Domain: "leak.example", Selector: k.sel,
			Signer: k.signer, HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
			HeaderKeys: []string{"From", "To", "Subject", "Date"}})
		if err != nil {
			t.Fatal(err)
		}
		msg = out.Bytes()
	}
	der, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p := base64.StdEncoding.EncodeToString(der)
	recs := fmt.Sprintf("leak-rsa._domainkey.leak.example. IN TXT \"v=DKIM1; k=rsa; \" \"p=%s\" \"%s\"\n"+
		"leak-ed._domainkey.leak.example. IN TXT \"v=DKIM1; k=ed25519; \" \"p=%s\"\n",
		p[:200], p[200:], base64.StdEncoding.EncodeToString(epub))
	path := filepath.Join(t.TempDir(), "records.txt")
	if err := os.WriteFile(path, []byte(recs), 0o600); err != nil {
		t.Fatal(err)
	}
	return msg, path
}

func TestVerifyDKIM(t *testing.T) {
	msg, path := signedMessage(t)
	recs, err := loadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || !strings.HasPrefix(recs["leak-rsa._domainkey.leak.example"], "v=DKIM1; k=rsa; p=MII") {
		t.Fatalf("records %v", recs)
	}
	if got := signatureAlgorithms(msg); strings.Join(got, ",") != "ed25519-sha256,rsa-sha256" {
		t.Fatalf("algorithms %v", got)
	}

	tampered := bytes.Replace(msg, []byte("Hello Bob"), []byte("Hello Eve"), 1)
	unsigned := msg[bytes.Index(msg, []byte("Date:")):]
	r := verifyDKIM([][]byte{msg, msg, tampered, unsigned}, recs)
	if r.Messages != 4 || r.Unsigned != 1 || r.Pass["rsa-sha256"] != 2 || r.Pass["ed25519-sha256"] != 2 ||
		r.Fail["rsa-sha256"] != 1 || r.Fail["ed25519-sha256"] != 1 || r.FirstError == "" {
		t.Errorf("result %+v", r)
	}
	if r.ok() {
		t.Error("ok with failures")
	}
	if ok := verifyDKIM([][]byte{msg}, recs); !ok.ok() {
		t.Errorf("a good message: %+v", ok)
	}
	// Without the key, verification fails rather than passing.
	delete(recs, "leak-ed._domainkey.leak.example")
	if r := verifyDKIM([][]byte{msg}, recs); r.Fail["ed25519-sha256"] != 1 || r.Pass["rsa-sha256"] != 1 {
		t.Errorf("missing key: %+v", r)
	}
}

func TestLoadRecordsErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":    "\n\n",
		"unquoted": "leak-rsa._domainkey.leak.example. IN TXT v=DKIM1\n",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		if _, err := loadRecords(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := loadRecords(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestSignatureAlgorithms(t *testing.T) {
	msg := "DKIM-Signature: v=1; a=rsa-\r\n sha256; d=x\r\nSubject: a\r\ndkim-signature: v=1; d=y;\r\n\ta=ed25519-sha256\r\n\r\nDKIM-Signature: a=body\r\n"
	if got := signatureAlgorithms([]byte(msg)); strings.Join(got, ",") != "rsa-sha256,ed25519-sha256" {
		t.Errorf("got %v", got)
	}
}

func FuzzSignatureAlgorithms(f *testing.F) {
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256\r\n\r\n"))
	f.Add([]byte("\r\n\tDKIM-Signature:a=;;=\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
		if n := len(signatureAlgorithms(msg)); n > bytes.Count(bytes.ToLower(head), []byte("dkim-signature")) {
			t.Fatalf("%d algorithms from %d fields", n, bytes.Count(head, []byte("DKIM-Signature")))
		}
	})
}
