package metrics

import (
	"slices"
	"strings"
	"testing"
)

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestCommandLabel(t *testing.T) {
	tests := []struct {
		verb, want string
	}{
		{"EHLO", "EHLO"},
		{"ehlo", "EHLO"},
		{"HeLo", "HELO"},
		{"MAIL", "MAIL"},
		{"rcpt", "RCPT"},
		{"DATA", "DATA"},
		{"BDAT", "BDAT"},
		{"RSET", "RSET"},
		{"NOOP", "NOOP"},
		{"QUIT", "QUIT"},
		{"VRFY", "VRFY"},
		{"starttls", "STARTTLS"},
		{"AUTH", "AUTH"},
		{"EXPN", CommandOther},
		{"HELP", CommandOther},
		{"", CommandOther},
		{"OTHER", CommandOther},
		{"EHLO ", CommandOther},
		{"MAIL FROM:<a@b>", CommandOther},
		{"STARTTLSX", CommandOther},
		{"\x00", CommandOther},
		// Only ASCII folds: U+017F (long s) folds to "s" in Unicode.
		{"\u017fTARTTLS", CommandOther},
		{"R\u017fET", CommandOther},
	}
	for _, tt := range tests {
		if got := CommandLabel(tt.verb); got != tt.want {
			t.Errorf("CommandLabel(%q) = %q, want %q", tt.verb, got, tt.want)
		}
	}
}

func TestReplyClass(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{220, "2xx"},
		{250, "2xx"},
		{354, "3xx"},
		{421, "4xx"},
		{452, "4xx"},
		{451, "4xx"},
		{550, "5xx"},
		{554, "5xx"},
		{0, "5xx"},
		{-250, "5xx"},
		{199, "5xx"},
		{600, "5xx"},
		{2500, "5xx"},
	}
	for _, tt := range tests {
		if got := ReplyClass(tt.code); got != tt.want {
			t.Errorf("ReplyClass(%d) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

// FuzzCommandLabel checks that whatever a client types, the label stays in
// the declared set: the verb is untrusted input.
func FuzzCommandLabel(f *testing.F) {
	for _, s := range []string{"EHLO", "ehlo", "STARTTLS", "XCLIENT", "", "\u017fTARTTLS", "MAIL FROM:<>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, verb string) {
		got := CommandLabel(verb)
		if !slices.Contains(commands, got) {
			t.Fatalf("CommandLabel(%q) = %q, outside the declared set", verb, got)
		}
		if got != CommandOther && strings.ToUpper(verb) != got {
			t.Fatalf("CommandLabel(%q) = %q: not the verb upper-cased", verb, got)
		}
		if got == CommandOther && slices.Contains(commands[:len(commands)-1], strings.ToUpper(verb)) && isASCII(verb) {
			t.Fatalf("CommandLabel(%q) = %q, want the known verb", verb, got)
		}
	})
}

func BenchmarkCommandCount(b *testing.B) {
	m := New("bench")
	b.ReportAllocs()
	for b.Loop() {
		m.Commands.WithLabelValues(CommandLabel("rcpt"), ReplyClass(250)).Inc()
	}
}
