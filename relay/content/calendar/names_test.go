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
