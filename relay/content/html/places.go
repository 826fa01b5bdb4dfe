package html

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"leak/relay/content/text"
)

// Google Calendar's invitation lists the rooms the organizer booked among
// the guests, each with its resource address
// (<domain>_<id>@resource.calendar.google.com or c_<id>@…), and shows the
// event's location, which for a room is the building's address before
// the room's name, with a "View map" link that searches it on Google
// Maps: the sender's office. The calendar part drops the rooms and cuts
// LOCATION (package calendar); here the guest entries of rooms go, and
// where there was one, the Maps links and the text that is their location
// or a room's name. The "Location" heading stays, with nothing under it.
// Without a room the location is left: it may be any place the sender
// typed, which they chose to write.

// resourceDomain is the domain of Google Workspace's room addresses.
const resourceDomain = "@resource.calendar.google.com"

// places removes the rooms and the location of a Google Calendar
// invitation from the tree under body, and returns what it removed:
// the rooms' names and the locations.
func places(body *html.Node) []string {
	var entries []*html.Node
	walk(body, func(n *html.Node) {
		if n.DataAtom != atom.Body && isResource(n) {
			if e := guestEntry(n); e != nil && !containsNode(entries, e) {
				entries = append(entries, e)
			}
		}
	})
	if len(entries) == 0 {
		return nil
	}
	var found []string
	add := func(s string) {
		if s = strings.Join(strings.Fields(s), " "); s != "" && !containsFold(found, s) {
			found = append(found, s)
		}
	}
	for _, e := range entries {
		add(roomName(e))
		e.Parent.RemoveChild(e)
	}
	var links []*html.Node
	walk(body, func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			if q := text.MapsSearch(attr(n, "href")); q != "" {
				add(q)
				links = append(links, n)
			}
		}
	})
	for _, l := range links {
		l.Parent.RemoveChild(l)
	}
	var texts []*html.Node
	walk(body, func(n *html.Node) {
		if n.Type == html.TextNode && text.HasPlace(n.Data, found) {
			texts = append(texts, n)
		}
	})
	for _, t := range texts {
		t.Parent.RemoveChild(t)
	}
	return found
}

// isResource reports whether n is, or names in an attribute (a mailto:
// link, schema.org's <meta itemprop="email">), a room's address.
func isResource(n *html.Node) bool {
	switch n.Type {
	case html.TextNode:
		return hasFold(n.Data, resourceDomain)
	case html.ElementNode:
		for _, a := range n.Attr {
			if hasFold(a.Val, resourceDomain) {
				return true
			}
		}
	}
	return false
}

// guestEntry returns the block that lists the guest n is part of: the
// nearest list item, table row, paragraph or division around it. A block
// with more text than a room's name is more than the entry: then the
// element n is, or is in, goes alone.
func guestEntry(n *html.Node) *html.Node {
	own := n
	if n.Type == html.TextNode && n.Parent.DataAtom != atom.Body {
		own = n.Parent
	}
	for p := n.Parent; p != nil; p = p.Parent {
		switch p.DataAtom {
		case atom.Body:
			return own
		case atom.Li, atom.Tr, atom.P, atom.Div:
			if len(roomName(p)) > maxRoomName {
				return own
			}
			return p
		}
	}
	return own
}

// maxRoomName bounds the text of a room's guest entry: Google's generated
// names (building-floor-room (capacity) [equipment]) are well under it.
const maxRoomName = 160

// roomName returns the text of a guest entry without the words that are
// addresses.
func roomName(e *html.Node) string {
	var words []string
	walk(e, func(n *html.Node) {
		if n.Type == html.TextNode {
			for _, w := range strings.Fields(n.Data) {
				if !strings.Contains(w, "@") {
					words = append(words, w)
				}
			}
		}
	})
	return strings.Join(words, " ")
}

// walk calls f for n and every node under it, in document order.
func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		walk(ch, f)
	}
}

func containsNode(list []*html.Node, n *html.Node) bool {
	for _, m := range list {
		if m == n {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, m := range list {
		if strings.EqualFold(m, s) {
			return true
		}
	}
	return false
}

// hasFold reports whether s holds sub, an ASCII string starting with
// "@", in any case.
func hasFold(s, sub string) bool {
	for i := strings.IndexByte(s, '@'); i >= 0 && i+len(sub) <= len(s); {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '@')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
