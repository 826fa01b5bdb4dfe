package calendar

import (
	"slices"
	"strings"
	"testing"
)

func TestSenderNames(t *testing.T) {
	in := crlf(`BEGIN:VCALENDAR
METHOD:REPLY
BEGIN:VEVENT
ORGANIZER;CN=Bob:mailto:bob@example.com
ATTENDEE;PARTSTAT=ACCEPTED;CN="Kowalczyk, Tomasz":mailto:tk@elsewhere.example
END:VEVENT
BEGIN:VEVENT
ATTENDEE;PARTSTAT=ACCEPTED;CN="kowalczyk, tomasz":mailto:tomasz@mail.example
END:VEVENT
END:VCALENDAR
`)
	got, err := SenderNames(strings.NewReader(in), testID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Kowalczyk, Tomasz"}; !slices.Equal(got, want) {
		t.Errorf("SenderNames = %q, want %q", got, want)
	}
}

// TestPlaces checks that Places gives the rooms Calendar drops and the
// part of LOCATION cut with them, and not what LOCATION keeps after them.
func TestPlaces(t *testing.T) {
	in := crlf(`BEGIN:VCALENDAR
METHOD:REQUEST
BEGIN:VEVENT
ORGANIZER;CN=Alice:mailto:alice@x.example
ATTENDEE;CUTYPE=RESOURCE;CN=Warsaw Office-3-Kasztan (8) [TV]:mailto:c_1882f0e4@resource.calendar.google.com
LOCATION:Warsaw Office\, Złota 59\, 00-120 Warszawa\, Poland-3-Kasztan (8) [TV]\; Café Morgenrot
END:VEVENT
END:VCALENDAR
`)
	got, err := Places(strings.NewReader(in), testID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Warsaw Office-3-Kasztan (8) [TV]", "Warsaw Office, Złota 59, 00-120 Warszawa, Poland-3-Kasztan (8) [TV]"}
	if !slices.Equal(got, want) {
		t.Errorf("Places = %q, want %q", got, want)
	}
}

// TestReplaceName pins what counts as the name: whole words under case
// folding, any run of white space between them, and a TEXT value's "\n"
// escape as the end of the word before it.
func TestReplaceName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`Call Tomasz Kowalczyk today`, `Call Someone today`},
		{`TOMASZ  KOWALCZYK:`, `Someone:`},
		{"Tomasz\u00a0Kowalczyk", `Someone`},
		{`Regards\nTomasz Kowalczyk\nSales`, `Regards\nSomeone\nSales`},
		{`Regards\NTomasz Kowalczyk`, `Regards\NSomeone`},
		{`Tomasz Kowalczyks`, `Tomasz Kowalczyks`},
		{`xTomasz Kowalczyk`, `xTomasz Kowalczyk`},
		{`Tomasz, Kowalczyk`, `Tomasz, Kowalczyk`},
		{`Łukasz Nowak`, `Łukasz Nowak`},
	} {
		if got := replaceName(c.in, "tomasz kowalczyk", "Someone"); got != c.want {
			t.Errorf("replaceName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := replaceName("Tomasz", "", "Someone"); got != "Tomasz" {
		t.Errorf("an empty name replaced: %q", got)
	}
}
