package text

import "testing"

func TestReplaceNames(t *testing.T) {
	names := []string{"Tomasz Kowalczyk", "Al", "  Ingrid   Solheimsvik "}
	tests := []struct{ in, want string }{
		{"Tomasz Kowalczyk has accepted this invitation.", "Someone has accepted this invitation."},
		{"TOMASZ KOWALCZYK, architect", "Someone, architect"},
		{"Ingrid Solheimsvik has declined", "Someone has declined"},
		{"Al is short and stays; Also stays", "Al is short and stays; Also stays"},
		{"xTomasz Kowalczyk stays inside a word", "xTomasz Kowalczyk stays inside a word"},
		{"Tomasz\u00a0Kowalczyk and TOMASZ  KOWALCZYK and Tomasz\tKowalczyk", "Someone and Someone and Someone"},
		{"Tomasz\u00a0Kowalczyk, İstanbul", "Someone, İstanbul"},
		{"TomaszKowalczyk stays", "TomaszKowalczyk stays"},
	}
	for _, tt := range tests {
		if got := ReplaceNames(tt.in, names); got != tt.want {
			t.Errorf("ReplaceNames(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A line whose lower-case form has another length still loses the
// sender's name, in any case.
func TestReplaceWordFoldedLength(t *testing.T) {
	for _, c := range []struct{ s, want string }{
		{"İstanbul, ALICE SMITH", "İstanbul, Someone"},
		{"5 \u212a from Alice Smith.", "5 \u212a from Someone."},
		{"\xff alice smith", "\xff Someone"},
		{"İ Alice Smithson", "İ Alice Smithson"},
	} {
		if got := replaceWord(c.s, "Alice Smith", appendLower(nil, "Alice Smith"), "Someone"); got != c.want {
			t.Errorf("replaceWord(%q) = %q, want %q", c.s, got, c.want)
		}
	}
}

// ReplaceFold, which the calendar cleaner uses for the sender's address
// and name, finds them in any case, even in a text whose lower-case form
// is longer or shorter than itself.
func TestReplaceFold(t *testing.T) {
	for _, c := range []struct{ s, old, want string }{
		{"Write to ALICE@SENDER.EXAMPLE today", "alice@sender.example", "Write to X today"},
		{"İstanbul: write to Alice@Sender.Example", "alice@sender.example", "İstanbul: write to X"},
		{"5 \u212a, ALICE@SENDER.EXAMPLE", "alice@sender.example", "5 \u212a, X"},
		{"bad \xff byte, alice@SENDER.example", "alice@sender.example", "bad \xff byte, X"},
		{"ZOË MÜLLER and Zoë Müller", "zoë müller", "X and X"},
		{"nothing here", "alice@sender.example", "nothing here"},
		{"alice@sender.exampl", "alice@sender.example", "alice@sender.exampl"},
	} {
		if got := ReplaceFold(c.s, c.old, "X"); got != c.want {
			t.Errorf("ReplaceFold(%q, %q) = %q, want %q", c.s, c.old, got, c.want)
		}
	}
}
