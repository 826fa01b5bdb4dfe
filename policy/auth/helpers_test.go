package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"

	"github.com/emersion/go-msgauth/dkim"
)

// Test keys, made once: RSA-2048 generation takes a while.
var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
}

// keyRecord is the DKIM key record (RFC 6376 section 3.6.1) of a signer.
func keyRecord(t testing.TB, s crypto.Signer) string {
	t.Helper()
	switch pub := s.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	}
	t.Fatalf("unknown key type %T", s.Public())
	return ""
}

// The test world: IP addresses and what the zone says of them.
var (
	goodIP  = netip.MustParseAddr("192.0.2.1")    // in every SPF record
	otherIP = netip.MustParseAddr("198.51.100.7") // in none
)

// zone publishes the records the tests rely on.
//
//	example.com      SPF -all, DMARC p=reject (relaxed), keys rsa and ed
//	mail.example.com no SPF, no DMARC record: the org domain's applies
//	example.org      SPF -all, DMARC p=reject strict, sp=none
//	soft.example.net SPF ~all, DMARC p=quarantine
//	pct.example.net  SPF -all, DMARC p=reject pct=0
//	bad.example.net  SPF -all, a malformed DMARC record
//	nodmarc.example  SPF -all, no DMARC record anywhere; key rsa
//	mx.example.com   SPF for HELO (a bounce)
//	bounces.example.{com,org} SPF -all: a MAIL FROM domain under the org
func zone(t testing.TB, d *testutil.DNS) {
	testKeys(t)
	spf := "v=spf1 ip4:192.0.2.0/24 -all"
	d.SetTXT("example.com", spf)
	d.SetTXT("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com")
	d.SetTXT("rsa._domainkey.example.com", keyRecord(t, rsaKey))
	d.SetTXT("ed._domainkey.example.com", keyRecord(t, edKey))
	d.SetTXT("example.org", spf)
	d.SetTXT("_dmarc.example.org", "v=DMARC1; p=reject; sp=none; adkim=s; aspf=s")
	d.SetTXT("rsa._domainkey.example.org", keyRecord(t, rsaKey))
	d.SetTXT("soft.example.net", "v=spf1 ip4:192.0.2.0/24 ~all")
	d.SetTXT("_dmarc.soft.example.net", "v=DMARC1; p=quarantine")
	d.SetTXT("pct.example.net", spf)
	d.SetTXT("_dmarc.pct.example.net", "v=DMARC1; p=reject; pct=0")
	d.SetTXT("bad.example.net", spf)
	d.SetTXT("_dmarc.bad.example.net", "v=DMARC1; p=maybe")
	d.SetTXT("nodmarc.example", spf)
	d.SetTXT("rsa._domainkey.nodmarc.example", keyRecord(t, rsaKey))
	d.SetTXT("mx.example.com", "v=spf1 ip4:192.0.2.1 -all")
	d.SetTXT("bounces.example.com", spf)
	d.SetTXT("bounces.example.org", spf)
}

// newChecker returns a Checker asking d.
func newChecker(t testing.TB, d *testutil.DNS, mode Mode) *Checker {
	t.Helper()
	c, err := New(Options{Mode: mode, Resolver: d.Addr, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// message is a small message from the given From field value.
func message(from, body string) string {
	var b strings.Builder
	if from != "" {
		b.WriteString("From: " + from + "\r\n")
	}
	b.WriteString("To: bob@leak.example\r\nSubject: hello\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\n" +
		"Message-ID: <1@example.com>\r\n\r\n" + body)
	return b.String()
}

// signOpts is how a test signs: domain, selector, key, canonicalization.
type signOpts struct {
	domain, selector string
	key              crypto.Signer
	simple           bool
}

// sign prepends a DKIM-Signature to msg.
func sign(t testing.TB, msg string, o signOpts) string {
	t.Helper()
	opts := &dkim.SignOptions{
		Domain:                 o.domain,
		Selector:               o.selector,
		Signer:                 o.key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
	}
	if o.simple {
		opts.HeaderCanonicalization = dkim.CanonicalizationSimple
		opts.BodyCanonicalization = dkim.CanonicalizationSimple
	}
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), opts); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// check runs one message through c, written in chunks of n bytes.
func check(t testing.TB, c *Checker, ip netip.Addr, helo, mailFrom, msg string, n int) Result {
	t.Helper()
	m := c.Begin(context.Background(), ip, helo, mailFrom)
	r := strings.NewReader(msg)
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		if k > 0 {
			if w, err := m.Write(buf[:k]); err != nil || w != k {
				t.Fatalf("Write = %d, %v", w, err)
			}
		}
		if err == io.EOF {
			break
		}
	}
	res, err := m.Close()
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	return res
}
