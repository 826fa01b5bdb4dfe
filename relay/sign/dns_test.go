package sign

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestDNSRecords(t *testing.T) {
	k := testKeys(t)
	recs := k.DNSRecords()
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	for i, r := range recs {
		key := k.Keys[i]
		if want := key.Selector + "._domainkey." + testDomain; r.Name != want {
			t.Errorf("Name = %q, want %q", r.Name, want)
		}
		kt := map[string]string{RSASHA256: "rsa", Ed25519SHA256: "ed25519"}[key.Algorithm]
		prefix := "v=DKIM1; k=" + kt + "; p="
		if !strings.HasPrefix(r.Value, prefix) {
			t.Fatalf("Value = %q, want prefix %q", r.Value, prefix)
		}
		p, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Value, prefix))
		if err != nil {
			t.Fatal(err)
		}
		var pub any
		if kt == "rsa" {
			if pub, err = x509.ParsePKIXPublicKey(p); err != nil {
				t.Fatal(err)
			}
		} else {
			if len(p) != ed25519.PublicKeySize {
				t.Fatalf("ed25519 p= of %d octets, want %d (raw key, RFC 8463)", len(p), ed25519.PublicKeySize)
			}
			pub = ed25519.PublicKey(p)
		}
		if !key.Signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
			t.Errorf("%s: p= is not the key's public key", key.Selector)
		}
	}
}

func TestRecordString(t *testing.T) {
	long := "v=DKIM1; k=rsa; p=" + strings.Repeat("A", 392)
	tests := []struct {
		name string
		rec  Record
		want string // exact line, or "" to check only the invariants
	}{
		{"short", Record{"leak-ed._domainkey.leak.example", "v=DKIM1; k=ed25519; p=abc="},
			`leak-ed._domainkey.leak.example. IN TXT "v=DKIM1; k=ed25519; " "p=abc="`},
		{"trailing dot kept single", Record{"s._domainkey.leak.example.", "v=DKIM1; k=rsa; p=x"},
			`s._domainkey.leak.example. IN TXT "v=DKIM1; k=rsa; " "p=x"`},
		{"rsa-2048 length", Record{"leak-rsa._domainkey.leak.example", long},
			`leak-rsa._domainkey.leak.example. IN TXT "v=DKIM1; k=rsa; " "p=` + strings.Repeat("A", 253) + `" "` + strings.Repeat("A", 139) + `"`},
		{"no p= tag", Record{"x._domainkey.leak.example", strings.Repeat("B", 600)}, ""},
		{"quotes escaped", Record{"x._domainkey.leak.example", `n="a\b"; p=x`},
			`x._domainkey.leak.example. IN TXT "n=\"a\\b\"; " "p=x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := tt.rec.String()
			if tt.want != "" && line != tt.want {
				t.Errorf("String =\n%s\nwant\n%s", line, tt.want)
			}
			// An independent zone-file parser must read back the value, in
			// character-strings of at most 255 octets.
			rr, err := dns.NewRR(line)
			if err != nil {
				t.Fatalf("miekg/dns cannot parse %q: %v", line, err)
			}
			txt, ok := rr.(*dns.TXT)
			if !ok {
				t.Fatalf("parsed %T, want *dns.TXT", rr)
			}
			for _, s := range txt.Txt {
				if n := len(unescape(s)); n > 255 {
					t.Errorf("character-string of %d octets", n)
				}
			}
			if got := unescape(strings.Join(txt.Txt, "")); got != tt.rec.Value {
				t.Errorf("parsed value %q, want %q", got, tt.rec.Value)
			}
			if want := strings.TrimSuffix(tt.rec.Name, ".") + "."; rr.Header().Name != want {
				t.Errorf("parsed name %q, want %q", rr.Header().Name, want)
			}
		})
	}
}

// unescape undoes miekg/dns's presentation escaping of TXT strings.
func unescape(s string) string {
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s)
}

func TestRecordsOfLoadedKeys(t *testing.T) {
	k := testKeys(t)
	for _, r := range k.DNSRecords() {
		rr, err := dns.NewRR(r.String())
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		if got := strings.Join(rr.(*dns.TXT).Txt, ""); got != r.Value {
			t.Errorf("%s: zone line reads back %q, want %q", r.Name, got, r.Value)
		}
	}
}
