package address

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecode checks that Decode never panics, that what it accepts is
// deliverable and survives Encode, and that what it refuses comes with a
// one-line *Error.
func FuzzDecode(f *testing.F) {
	for _, tt := range decodeCases {
		f.Add(tt.rcpt)
	}
	f.Add("to+bob=bucher.example@leak.example")
	f.Add("to+bob=mx.bücher.example@bücher.example")
	c, err := NewCodec("leak.example", "relay.example.org", "bücher.example")
	if err != nil {
		f.Fatal(err)
	}
	leaks := []string{"leak.example", "relay.example.org", "xn--bcher-kva.example"}
	f.Fuzz(func(t *testing.T, rcpt string) {
		r, err := c.Decode(rcpt)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode(%q): %T %v, want *Error", rcpt, err, err)
			}
			if e.Reason < NotLocal || e.Reason > Loop {
				t.Fatalf("Decode(%q): reason %d", rcpt, e.Reason)
			}
			if e.Text == "" || !isPrintableASCII(e.Text) || !isPrintableASCII(e.Error()) {
				t.Fatalf("Decode(%q): text %q is not one line of printable ASCII", rcpt, e.Text)
			}
			return
		}
		if !isPrintableASCII(r.Domain) || r.Domain != strings.ToLower(r.Domain) || strings.HasSuffix(r.Domain, ".") {
			t.Fatalf("Decode(%q): domain %q is not lower-case ASCII without a trailing dot", rcpt, r.Domain)
		}
		if c.IsLeakDomain(r.Domain) {
			t.Fatalf("Decode(%q): domain %q is a Leak domain", rcpt, r.Domain)
		}
		if r.Local == "" || len(r.Local) > maxLocal || !utf8.ValidString(r.Local) || len(r.Address()) > maxPath {
			t.Fatalf("Decode(%q): local part %q out of bounds", rcpt, r.Local)
		}
		if r.Relationship.Prefix() == "" {
			t.Fatalf("Decode(%q): unknown relationship %d", rcpt, r.Relationship)
		}
		for _, leak := range leaks {
			enc := Encode(r.Relationship, r.Address(), leak)
			r2, err := c.Decode(enc)
			if err != nil || r2 != r {
				t.Fatalf("Decode(%q) = %+v, but Decode(Encode) = Decode(%q) = %+v, %v", rcpt, r, enc, r2, err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	c := testCodec(b)
	for _, bc := range []struct{ name, rcpt string }{
		{"ascii", "friend+bob.smith+news=mail.example.com@leak.example"},
		{"idn", "to+josé=bücher.example@leak.example"},
		{"invalid", "boss+bob=example.com@leak.example"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Decode(bc.rcpt)
			}
		})
	}
}
