package anonymize

import (
	"strings"
	"testing"
)

func TestDecodeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain subject", "plain subject"},
		{"=?ISO-8859-1?Q?R=E9union_du_comit=E9?=", "Réunion du comité"},
		{"=?Shift_JIS?B?ie+LY4LMi2OOlphe?=", "会議の議事録"},
		{"=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?=", "テスト"},
		{"Re: =?UTF-8?B?w7xiZXI=?= test", "Re: über test"},
		// RFC 2047 section 6.2: white space between adjacent words goes.
		{"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
		{"=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"},
		{"=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b"},
		// A word that cannot be decoded stays as written; the others are
		// still decoded.
		{"=?x-no-such-charset?q?abc?= =?utf-8?q?d=C3=A9?=", "=?x-no-such-charset?q?abc?= dé"},
		{"=?utf-8?x?abc?= tail", "=?utf-8?x?abc?= tail"},
		{"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
		{"=?utf-8?q?with space?=", "=?utf-8?q?with space?="},
		{"=?", "=?"},
		{"caf\xe9", "caf\uFFFD"},
		{"=?utf-8?q?=FF?=", "\uFFFD"},
	}
	for _, tt := range tests {
		if got := decodeText(tt.in); got != tt.want {
			t.Errorf("decodeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormaliseText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  a\t\r\n b  ", "a b"},
		{"x\x00y\x1bz", "x y z"},
		{"", ""},
		{"\u00a0 nbsp \u2003", "nbsp"},
	}
	for _, tt := range tests {
		if got := normaliseText(tt.in); got != tt.want {
			t.Errorf("normaliseText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEncodeText: the value decodes back to the text, and the Subject field
// it makes stays within 78 columns (or 998 for an unbreakable word).
func TestEncodeText(t *testing.T) {
	tests := []struct {
		in    string
		plain bool
	}{
		{"Kumquat harvest rota", true},
		{"Réunion du comité des fêtes", false},
		{"会議の議事録について", false},
		{strings.Repeat("word ", 60), true},
		{strings.Repeat("ü", 200), false},
		{strings.Repeat("x", 950), false},
		{"=?utf-8?q?looks_encoded?=", false},
		{"=?x-no-such-charset?q?abc?= kept", false},
		{"a_b=c?d", true},
		{"😀 emoji 😀", false},
	}
	for _, tt := range tests {
		enc := encodeText(normaliseText(tt.in))
		if plain := enc == normaliseText(tt.in); plain != tt.plain {
			t.Errorf("encodeText(%.20q) plain = %v, want %v: %q", tt.in, plain, tt.plain, enc)
		}
		field, err := appendField(nil, "Subject", enc, false)
		if err != nil {
			t.Fatalf("appendField: %v", err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(field), "\r\n"), "\r\n") {
			if len(line) > 78 && strings.Contains(line, "=?") {
				t.Errorf("encoded line of %d columns: %q", len(line), line)
			}
		}
		unfolded := strings.ReplaceAll(strings.TrimSuffix(string(field), "\r\n"), "\r\n", "")
		got, err := testWordDecoder.DecodeHeader(strings.TrimPrefix(unfolded, "Subject: "))
		if err != nil || got != normaliseText(tt.in) {
			t.Errorf("round trip of %.20q = %q, %v", tt.in, got, err)
		}
	}
}

func TestAppendField(t *testing.T) {
	long := `attachment; filename="a very long file name with spaces that must not be broken.pdf"; size=1`
	tests := []struct {
		key, value string
		structured bool
		want       string
	}{
		{"To", "bob@example.com", true, "To: bob@example.com\r\n"},
		{"Empty", "", true, "Empty:\r\n"},
		{"Content-Disposition", long, true,
			"Content-Disposition: attachment;\r\n filename=\"a very long file name with spaces that must not be broken.pdf\";\r\n size=1\r\n"},
		{"Subject", `a "b c" d`, false, "Subject: a \"b c\" d\r\n"},
	}
	for _, tt := range tests {
		got, err := appendField(nil, tt.key, tt.value, tt.structured)
		if err != nil || string(got) != tt.want {
			t.Errorf("appendField(%q) = %q, %v; want %q", tt.value, got, err, tt.want)
		}
	}
	if _, err := appendField(nil, "X", strings.Repeat("y", 999), true); err == nil {
		t.Error("appendField accepted a 1000-octet line")
	}
}
