package bounce

import (
	"strings"
	"testing"
)

const alphabet = "abcdefghijklmnopqrstuvwxyz234567"

var testKey = []byte("0123456789abcdef0123456789abcdef-test-key")

const testQID = "3f9c2a7e5b1d4c8fa0e6b2d9c7f1a354"

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	tk := NewTokens(testKey)
	for _, qid := range []string{
		testQID,
		"00000000000000000000000000000000",
		"ffffffffffffffffffffffffffffffff",
		"0123456789abcdef0123456789abcdef",
	} {
		addr := tk.Address(qid, "leak.example")
		local, domain, _ := strings.Cut(addr, "@")
		if domain != "leak.example" || !strings.HasPrefix(local, Prefix) {
			t.Errorf("Address(%s) = %q", qid, addr)
		}
		if len(local) > 64 || len(local) != localLen {
			t.Errorf("Address(%s): local part of %d octets, want %d (at most 64, RFC 5321 4.5.3.1.1)", qid, len(local), localLen)
		}
		for _, c := range local[len(Prefix):] {
			if !strings.ContainsRune(alphabet, c) {
				t.Errorf("Address(%s) = %q: %q is not lower-case base32", qid, addr, c)
			}
		}
		for _, variant := range []string{addr, strings.ToUpper(addr), "Bounce+" + strings.ToUpper(addr[len(Prefix):])} {
			got, ok := tk.Parse(variant)
			if !ok || got != qid {
				t.Errorf("Parse(%q) = %q, %v; want %q", variant, got, ok, qid)
			}
		}
	}
}

func TestTokenDeterministic(t *testing.T) {
	t.Parallel()
	a := NewTokens(testKey).Address(testQID, "leak.example")
	b := NewTokens(testKey).Address(testQID, "leak.example")
	if a != b {
		t.Errorf("same key and id give %q and %q", a, b)
	}
	c := NewTokens([]byte("another key, just as long as the first one")).Address(testQID, "leak.example")
	if c == a {
		t.Error("two keys give one address")
	}
}

func TestTokenRejects(t *testing.T) {
	t.Parallel()
	tk := NewTokens(testKey)
	other := NewTokens([]byte("another key, just as long as the first one"))
	addr := tk.Address(testQID, "leak.example")
	local, _, _ := strings.Cut(addr, "@")
	tok := local[len(Prefix):]
	otherAddr := tk.Address("0123456789abcdef0123456789abcdef", "leak.example")
	otherTok := otherAddr[len(Prefix):strings.IndexByte(otherAddr, '@')]

	// flip changes the character at i to another base32 digit.
	flip := func(s string, i int) string {
		c := byte('a')
		if s[i] == 'a' {
			c = 'b'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	tests := []struct {
		name, rcpt string
	}{
		{"empty", ""},
		{"no at", local},
		{"no domain", local + "@"},
		{"bare prefix", Prefix + "@leak.example"},
		{"legacy spool id", Prefix + testQID + "@leak.example"},
		{"other prefix", "bounces+" + tok + "@leak.example"},
		{"to prefix", "to+" + tok + "@leak.example"},
		{"no prefix", tok + "@leak.example"},
		{"prefix without plus", "bounce-" + tok + "@leak.example"},
		{"short", Prefix + tok[:len(tok)-1] + "@leak.example"},
		{"long", Prefix + tok + "a@leak.example"},
		{"padded", Prefix + tok + "======@leak.example"},
		{"mac altered", Prefix + flip(tok, len(tok)-3) + "@leak.example"},
		{"id altered", Prefix + flip(tok, 0) + "@leak.example"},
		// Same 26 bytes, but the 2 unused bits set: a second spelling.
		{"trailing bits set", Prefix + tok[:len(tok)-1] + string(alphabet[b32val(tok[len(tok)-1])|1]) + "@leak.example"},
		{"id of one, mac of another", Prefix + tok[:26] + otherTok[26:] + "@leak.example"},
		{"other key", other.Address(testQID, "leak.example")},
		{"not base32", Prefix + strings.Repeat("1", tokenLen) + "@leak.example"},
		{"newline inside", Prefix + tok[:20] + "\n" + tok[21:] + "@leak.example"},
		{"angle brackets", "<" + addr + ">"},
		{"quoted", `"` + local + `"@leak.example`},
		{"extra at", local + "@x@leak.example"},
	}
	for _, tt := range tests {
		if qid, ok := tk.Parse(tt.rcpt); ok {
			t.Errorf("%s: Parse(%q) = %q, true", tt.name, tt.rcpt, qid)
		}
	}
	if _, ok := tk.Parse(addr); !ok {
		t.Fatal("the untouched address no longer parses")
	}
}

func TestTokenEveryCharacterMatters(t *testing.T) {
	t.Parallel()
	tk := NewTokens(testKey)
	addr := tk.Address(testQID, "leak.example")
	for i := len(Prefix); i < localLen; i++ {
		for _, c := range alphabet {
			if byte(c) == addr[i] {
				continue
			}
			alt := addr[:i] + string(c) + addr[i+1:]
			if qid, ok := tk.Parse(alt); ok {
				t.Fatalf("altered position %d to %q: Parse = %q, true", i, c, qid)
			}
		}
	}
}

func TestAddressInvalidQID(t *testing.T) {
	t.Parallel()
	tk := NewTokens(testKey)
	for _, qid := range []string{"", "abc", strings.ToUpper(testQID), testQID + "00", "3f9c2a7e5b1d4c8fa0e6b2d9c7f1a35g", "../../../../etc/passwd/xxxxxxxxx"} {
		if got := tk.Address(qid, "leak.example"); got != "" {
			t.Errorf("Address(%q) = %q, want empty", qid, got)
		}
	}
}

func TestTokenConcurrent(t *testing.T) {
	t.Parallel()
	tk := NewTokens(testKey)
	done := make(chan bool)
	for g := range 8 {
		go func() {
			ok := true
			for i := range 200 {
				qid := strings.Repeat(string("0123456789abcdef"[(g+i)%16]), 32)
				got, good := tk.Parse(tk.Address(qid, "leak.example"))
				ok = ok && good && got == qid
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("a concurrent round trip failed")
		}
	}
}
