package calendar

import (
	"testing"

	"leak/relay/content/text"
)

// Outlook writes an invitation's text into DESCRIPTION, the stored
// signature included; the HTML part's signature says which lines it is.
func TestDescriptionSignature(t *testing.T) {
	sigs := text.NewSignatures([][]string{{"Kind regards,", "Aoife", "Head of Procurement | Brennan"}})
	for _, c := range []struct{ in, want string }{
		{`Agenda\n\nKind regards\,\nAoife\nHead of Procurement | Brennan\n\nJoin`, `Agenda\n\n\nJoin`},
		{`Agenda\NKind regards\,\NAoife\NHead of Procurement | Brennan`, `Agenda`},
		// An escaped backslash before an n is no line break.
		{`C:\\new\\Kind regards\, Aoife`, `C:\\new\\Kind regards\, Aoife`},
		{`Kind regards\, Bob`, `Kind regards\, Bob`},
	} {
		if got := cutSignature(c.in, sigs); got != c.want {
			t.Errorf("cutSignature(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := cutSignature(`a\nb`, text.Signatures{}); got != `a\nb` {
		t.Errorf("no signatures: %q", got)
	}
}
