package calendar

import (
	"strings"
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

// The HTML description of RFC 9073 goes, the plain one stays.
func TestStyledDescriptionDropped(t *testing.T) {
	in := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20261103T081422Z\r\n" +
		"DTSTART:20261112T130000Z\r\nSUMMARY:Review\r\nDESCRIPTION:KEEP agenda\r\n" +
		"STYLED-DESCRIPTION;VALUE=TEXT;FMTTYPE=text/html:<p>Agenda</p><img src=\"https://track.example/o.gif\">\r\n" +
		"END:VEVENT\r\nEND:VCALENDAR\r\n"
	var b strings.Builder
	if err := Calendar(&b, strings.NewReader(in), Identity{Address: "anonymous@leak.example", Name: "Someone"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "track.example") || !strings.Contains(b.String(), "KEEP agenda") {
		t.Errorf("output:\n%s", b.String())
	}
}
