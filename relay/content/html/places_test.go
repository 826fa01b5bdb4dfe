package html

import (
	"slices"
	"strings"
	"testing"
)

// googleInvitation is the Location and Guests sections of Google
// Calendar's invitation for an event in a booked room.
const googleInvitation = `<table><tr><td><h3>Location</h3></td></tr><tr><td>` +
	`<span itemprop="location" itemscope itemtype="http://schema.org/Place"><span itemprop="name">Warsaw Office, Złota 59, 00-120 Warszawa, Poland-3-Kasztan (8) [TV]</span>` +
	`<meta itemprop="address" content="Warsaw Office, Złota 59, 00-120 Warszawa, Poland-3-Kasztan (8) [TV]"/></span> ` +
	`<a href="https://www.google.com/maps/search/Warsaw+Office,+Z%C5%82ota+59,+00-120+Warszawa,+Poland-3-Kasztan+(8)+%5BTV%5D?hl=en">View map</a></td></tr></table>` +
	`<table><tr><td><h3>Guests</h3></td></tr><tr><td>` +
	`<div><span itemprop="attendee"><span itemprop="name"><a href="mailto:carla@rinaldi.example">Carla Rinaldi</a></span><meta itemprop="email" content="carla@rinaldi.example"/></span></div>` +
	`<div><span itemprop="attendee"><span itemprop="name"><a href="mailto:acme.example_3834@resource.calendar.google.com">Warsaw-Office-3-Kasztan (8) [TV]</a></span><meta itemprop="email" content="acme.example_3834@resource.calendar.google.com"/></span></div>` +
	`</td></tr></table>`

func TestPlaces(t *testing.T) {
	var got []string
	out, err := cleanString(t, googleInvitation, Options{Places: func(p []string) { got = append(got, p...) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"Kasztan", "Złota", "00-120", "resource.calendar", "maps", "View map"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q left in %s", gone, out)
		}
	}
	for _, kept := range []string{"<h3>Location</h3>", "<h3>Guests</h3>", "Carla Rinaldi", "mailto:carla@rinaldi.example"} {
		if !strings.Contains(out, kept) {
			t.Errorf("%q missing from %s", kept, out)
		}
	}
	want := []string{"Warsaw-Office-3-Kasztan (8) [TV]", "Warsaw Office, Złota 59, 00-120 Warszawa, Poland-3-Kasztan (8) [TV]"}
	if !slices.Equal(got, want) {
		t.Errorf("Places got %q, want %q", got, want)
	}
}

// TestPlacesWithoutRoom keeps a location when no room was booked: it is a
// place the sender typed, such as a café, and its map link.
func TestPlacesWithoutRoom(t *testing.T) {
	in := `<p>Location</p><p>Café Nero, Nowy Świat 2</p><p><a href="https://www.google.com/maps/search/Caf%C3%A9+Nero,+Nowy+%C5%9Awiat+2?hl=en">View map</a></p>`
	called := false
	out, err := cleanString(t, in, Options{Places: func([]string) { called = true }})
	if err != nil {
		t.Fatal(err)
	}
	if called || !strings.Contains(out, "Nowy Świat 2") || !strings.Contains(out, "View map") {
		t.Errorf("called %v, out %s", called, out)
	}
}

// TestPlacesEntryTooLong removes only the link of a resource address in
// a block that holds more than a guest entry.
func TestPlacesEntryTooLong(t *testing.T) {
	long := strings.Repeat("We will meet in the usual room as agreed last week. ", 4)
	in := `<div>` + long + `<a href="mailto:c_1@resource.calendar.google.com">Room 4</a></div>`
	out, err := cleanString(t, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "as agreed last week") || strings.Contains(out, "resource.calendar") || strings.Contains(out, "Room 4") {
		t.Errorf("out %s", out)
	}
}
