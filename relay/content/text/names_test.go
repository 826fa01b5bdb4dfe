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
	}
	for _, tt := range tests {
		if got := ReplaceNames(tt.in, names); got != tt.want {
			t.Errorf("ReplaceNames(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
