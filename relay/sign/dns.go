package sign

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
)

// Record is the DNS TXT record that publishes one public key (RFC 6376
// section 3.6.1).
type Record struct {
	Name  string // "leak-rsa._domainkey.leak.example", no trailing dot
	Value string // "v=DKIM1; k=rsa; p=<base64>"
}

// maxCharString is the longest DNS character-string (RFC 1035 section
// 3.3.14); a longer TXT value is split into several (RFC 6376 section 3.6.2.2,
// RFC 7208 section 3.3) which verifiers concatenate.
const maxCharString = 255

// DNSRecords returns the TXT record to publish for each key, in key order.
// RSA keys publish the DER SubjectPublicKeyInfo; Ed25519 keys the raw 32-byte
// public key (RFC 8463 section 4.2).
func (k *Keys) DNSRecords() []Record {
	recs := make([]Record, 0, len(k.Keys))
	for _, key := range k.Keys {
		var kt string
		var p []byte
		switch pub := key.Signer.Public().(type) {
		case *rsa.PublicKey:
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				// Cannot happen for a valid *rsa.PublicKey; skip rather
				// than publish a broken record.
				continue
			}
			kt, p = "rsa", der
		case ed25519.PublicKey:
			kt, p = "ed25519", pub
		default:
			continue
		}
		recs = append(recs, Record{
			Name:  key.Selector + "._domainkey." + k.Domain,
			Value: "v=DKIM1; k=" + kt + "; p=" + base64.StdEncoding.EncodeToString(p),
		})
	}
	return recs
}

// String formats r as a zone-file line:
//
//	leak-rsa._domainkey.leak.example. IN TXT "v=DKIM1; k=rsa; " "p=MIIB..." "..."
//
// The tags before p= form one string, and p= starts a new one, so the key is
// easy to pick out; every string holds at most 255 octets.
func (r Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s. IN TXT", strings.TrimSuffix(r.Name, "."))
	head, tail := r.Value, ""
	if i := strings.Index(r.Value, "p="); i > 0 {
		head, tail = r.Value[:i], r.Value[i:]
	}
	for _, part := range []string{head, tail} {
		for _, s := range splitOctets(part, maxCharString) {
			b.WriteString(` "`)
			b.WriteString(quoteTXT(s))
			b.WriteByte('"')
		}
	}
	return b.String()
}

// splitOctets cuts s into pieces of at most n octets.
func splitOctets(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// quoteTXT escapes the octets that are special inside a quoted zone-file
// string (RFC 1035 section 5.1). Record values Leak makes contain none, but
// String takes any Record.
func quoteTXT(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}
