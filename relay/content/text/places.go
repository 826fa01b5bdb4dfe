package text

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// A Google Calendar invitation's body repeats the event's location (the
// building's address Google writes before a booked room) and lists the
// rooms among the guests: the sender's office, which the calendar part
// loses. The caller names them in Options.Places; the lines that hold one
// go, and so do the links that search an address on Google Maps ("View
// map"), as those lines are the location again.

// minPlace is the shortest place matched: shorter ones are words of
// any text.
const minPlace = 6

// placeLine reports whether body holds one of places or a Google Maps
// search link.
func placeLine(body string, places []string) bool {
	if HasPlace(body, places) {
		return true
	}
	if strings.Contains(body, "/maps") {
		for _, f := range strings.Fields(body) {
			if MapsSearch(strings.Trim(f, "<>()[]\"'")) != "" {
				return true
			}
		}
	}
	return false
}

// HasPlace reports whether s holds one of places, under case folding
// with a space in a place matching any run of white space. Places
// shorter than minPlace runes are not looked for.
func HasPlace(s string, places []string) bool {
	for _, p := range places {
		if utf8.RuneCountInString(p) < minPlace {
			continue
		}
		for i := 0; i < len(s); {
			if foldPrefixSpaced(s[i:], p) > 0 {
				return true
			}
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
	}
	return false
}

// MapsSearch returns the place a Google Maps search link looks for
// (https://www.google.com/maps/search/<place>, or /maps?q=<place>, as
// Google Calendar links an event's location), or "" for any other link.
func MapsSearch(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if host != "google.com" && host != "www.google.com" && host != "maps.google.com" {
		return ""
	}
	var q string
	switch {
	case strings.HasPrefix(u.Path, "/maps/search/"):
		q = strings.TrimSuffix(strings.TrimPrefix(u.Path, "/maps/search/"), "/")
	case u.Path == "/maps" || u.Path == "/maps/" || host == "maps.google.com" && (u.Path == "" || u.Path == "/"):
		q = u.Query().Get("q")
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(q, "+", " ")), " ")
}
