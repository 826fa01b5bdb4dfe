package text

import "testing"

// googleInvitation is the text part of Google Calendar's invitation for an
// event in a booked room.
const googleInvitation = `Contract review
Thursday Nov 26, 2026 ⋅ 2pm – 3pm

Location
Warsaw Office, Złota 59, 00-120 Warszawa, Poland-3-Kasztan (8) [TV]	
https://www.google.com/maps/search/Warsaw+Office,+Z%C5%82ota+59,+00-120+Warszawa,+Poland-3-Kasztan+(8)+%5BTV%5D?hl=en

Guests
Carla Rinaldi
Warsaw-Office-3-Kasztan (8) [TV]
View all guest info https://calendar.google.com/calendar/event?action=VIEW&eid=abc
`

func TestCleanPlaces(t *testing.T) {
	places := []string{"Warsaw-Office-3-Kasztan (8) [TV]", "Warsaw Office, Złota 59, 00-120 Warszawa, Poland-3-Kasztan (8) [TV]"}
	got, err := clean(t, googleInvitation, Options{Places: places})
	if err != nil {
		t.Fatal(err)
	}
	want := `Contract review
Thursday Nov 26, 2026 ⋅ 2pm – 3pm

Location

Guests
Carla Rinaldi
View all guest info https://calendar.google.com/calendar/event?action=VIEW&eid=abc
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestCleanPlacesNone keeps a Maps link when no room was named: the
// sender may have linked a place themselves.
func TestCleanPlacesNone(t *testing.T) {
	got, err := clean(t, googleInvitation, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got != googleInvitation {
		t.Errorf("got\n%s", got)
	}
}

func TestMapsSearch(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.google.com/maps/search/Warsaw+Office,+Z%C5%82ota+59?hl=en", "Warsaw Office, Złota 59"},
		{"https://maps.google.com/maps?q=Z%C5%82ota+59&hl=en", "Złota 59"},
		{"https://www.google.com/maps?q=Z%C5%82ota+59", "Złota 59"},
		{"https://www.google.com/search?q=Z%C5%82ota+59", ""},
		{"https://maps.example/maps/search/Z%C5%82ota+59", ""},
		{"mailto:a@b.example", ""},
	}
	for _, tt := range tests {
		if got := MapsSearch(tt.in); got != tt.want {
			t.Errorf("MapsSearch(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
