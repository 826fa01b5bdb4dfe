package policy

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestNormAddress(t *testing.T) {
	for in, want := range map[string]string{
		"bob@example.com":             "bob@example.com",
		"<Bob@Example.COM>":           "bob@example.com",
		" bob+news@example.com. ":     "bob@example.com",
		"+bob@example.com":            "+bob@example.com",
		"a.b+c+d@Example.com":         "a.b@example.com",
		"J.Doe+x@GoogleMail.com":      "jdoe@gmail.com",
		"bob@bücher.example":          "bob@xn--bcher-kva.example",
		"bob@BÜCHER.example":          "bob@xn--bcher-kva.example",
		"\"a@b\"@example.com":         "\"a@b\"@example.com",
		"postmaster":                  "postmaster",
		"ÉLODIE@example.com":          "élodie@example.com",
		"bob@example.com..":           "bob@example.com",
		"bob@xn--bcher-kva.example":   "bob@xn--bcher-kva.example",
		"user@[192.0.2.1]":            "user@[192.0.2.1]",
		"":                            "",
		"@":                           "@",
		"bob@exa mple.com":            "bob@exa mple.com",
		"bob+tag@sub.Example.co.uk.":  "bob@sub.example.co.uk",
		"bob@example.com>":            "bob@example.com",
		"<bob+x@gmail.com>":           "bob@gmail.com",
		"B.O.B@notgmail.com":          "b.o.b@notgmail.com",
		"bob@gmail.com.":              "bob@gmail.com",
		"b.o.b@GMAIL.COM":             "bob@gmail.com",
		"bob@\u2488.example":          "bob@\u2488.example", // IDNA refuses: kept, lower-cased
		"Bob@\u2488.Example":          "bob@\u2488.example",
		"bob@example.com\t":           "bob@example.com",
		"<>":                          "",
		"to+bob=example.com@leak.exa": "to@leak.exa",
	} {
		if got := normAddress(in); got != want {
			t.Errorf("normAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzNormAddress(f *testing.F) {
	for _, s := range []string{
		"bob@example.com", "<Bob+x@Example.COM.>", "j.doe@googlemail.com",
		"bob@bücher.example", "", "@", "a@b@c", "+@", "<<a>>", "x@\u2488",
	} {
		f.Add(s)
	}
	h := newHasher(testSecret)
	f.Fuzz(func(t *testing.T, s string) {
		n := normAddress(s)
		if n != normAddress(s) {
			t.Fatal("not deterministic")
		}
		_ = domainOf(s)
		_ = h.key(kindRcpt, n)
		if isASCII(s) {
			// Case never makes a new key.
			if u := normAddress(strings.ToUpper(s)); u != n {
				t.Fatalf("%q → %q but upper-case → %q", s, n, u)
			}
			if strings.ToLower(n) != n {
				t.Fatalf("%q → %q has upper case", s, n)
			}
		}
	})
}

func FuzzToken(f *testing.F) {
	s, err := openLocal(f.TempDir(), 16, newClock().Now)
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	e, err := Open(offOptions(), s)
	if err != nil {
		f.Fatal(err)
	}
	good := e.UnsubscribeURL("", "bob@example.com")[len("/u/"):]
	f.Add(good)
	f.Add(good[:63] + "B")
	f.Add(strings.Repeat("A", 64))
	f.Add("")
	f.Add(good + "==")
	f.Fuzz(func(t *testing.T, tok string) {
		key, ok := e.parseToken(tok)
		if !ok {
			return
		}
		// Only the one canonical token of a recipient is accepted.
		raw, err := hex.DecodeString(key)
		if err != nil {
			t.Fatal(err)
		}
		if e.token(raw) != tok {
			t.Fatalf("accepted %q, which is not the token of its hash", tok)
		}
	})
}

func FuzzParseList(f *testing.F) {
	f.Add("example.com\n# comment\n\n*.wild.example # trailing\nBÜCHER.example\n")
	f.Add("a@b\n")
	f.Add(".\n*\n")
	f.Add("x.example\r\ny.example\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		set, err := parseList(strings.NewReader(s))
		if err != nil {
			return
		}
		for d := range set {
			if d == "" || strings.ContainsAny(d, " \t@/\\#") {
				t.Fatalf("entry %q from %q", d, s)
			}
			if !set.match(d) || !set.match("sub."+d) {
				t.Fatalf("entry %q does not match itself or a subdomain", d)
			}
		}
	})
}
