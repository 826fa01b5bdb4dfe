package sts

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds Parse arbitrary policy files: it must not panic, and a
// policy it accepts must hold what the rest of the package relies on.
func FuzzParse(f *testing.F) {
	f.Add("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n")
	f.Add("version: STSv1\nmode: none\nmax_age: 0\n")
	f.Add("version: STSv1\nmode: testing\nmx: a.test\nmax_age: 9999999999\next: x\n\n\n")
	f.Add("version:STSv1\r\nmode:\tenforce\r\nmx: A.TEST.\r\nmax_age: 1")
	f.Add("<html>\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse([]byte(text))
		if err != nil {
			return
		}
		switch p.Mode {
		case Enforce, Testing:
			if len(p.MX) == 0 {
				t.Fatalf("%s policy without mx", p.Mode)
			}
		case None:
		default:
			t.Fatalf("mode %q", p.Mode)
		}
		if p.MaxAge < 0 || p.MaxAge > MaxAge || p.MaxAge%time.Second != 0 {
			t.Fatalf("max_age %v", p.MaxAge)
		}
		for _, mx := range p.MX {
			host := strings.TrimPrefix(mx, "*.")
			if !isHostname(host) || mx != strings.ToLower(mx) {
				t.Fatalf("mx %q", mx)
			}
			// A literal pattern allows its own host; a wildcard allows one
			// label below it, never the domain itself.
			if host == mx && !p.Allows(mx) {
				t.Fatalf("mx %q does not allow itself", mx)
			}
			if host != mx && !p.Allows("x."+host) {
				t.Fatalf("mx %q does not allow x.%s", mx, host)
			}
		}
	})
}

// FuzzParseRecord feeds ParseRecord arbitrary TXT records: no panic, and
// an id it returns is 1 to 32 letters and digits.
func FuzzParseRecord(f *testing.F) {
	f.Add("v=STSv1; id=20160831085700Z;")
	f.Add("v=STSv1 ;\tid=abc ; ext=x-y ; ")
	f.Add("v=STSv1; id=;")
	f.Fuzz(func(t *testing.T, txt string) {
		id, err := ParseRecord(txt)
		if err != nil {
			return
		}
		if id == "" || len(id) > maxIDLen || !isAlnum(id) {
			t.Fatalf("id %q", id)
		}
	})
}
