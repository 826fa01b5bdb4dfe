package calendar

import (
	"bufio"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"leak/relay/content/text"
)

// SenderNames returns the names a calendar object gives the sender: the CN
// of the ORGANIZER of a published object, of the replying ATTENDEE, and of
// any ORGANIZER or ATTENDEE at a sender address, as Calendar identifies
// them. Clients repeat these names in the message's text ("Tomasz
// Kowalczyk has accepted this invitation"), which a text cleaner cannot
// recognise on its own; the caller can rewrite them there too.
func SenderNames(r io.Reader, id Identity) ([]string, error) {
	c, err := readAll(r, id)
	if err != nil {
		return nil, err
	}
	return distinct(c.names), nil
}

// Places returns what Calendar removes of the places the calendar object
// names: the rooms the sender booked (their CN) and the text of LOCATION
// cut with them (the building's address, see withoutRooms). An
// invitation's text body shows them again, without the address or the
// property that tells a room; the caller can remove them there too.
func Places(r io.Reader, id Identity) ([]string, error) {
	c, err := readAll(r, id)
	if err != nil {
		return nil, err
	}
	return distinct(c.places), nil
}

// readAll cleans the calendar object in r for what the cleaner learns on
// the way, the output discarded.
func readAll(r io.Reader, id Identity) (*cleaner, error) {
	c, err := newCleaner(id)
	if err != nil {
		return nil, err
	}
	if err := c.run(newLineReader(r), bufio.NewWriter(io.Discard)); err != nil {
		return nil, err
	}
	return c, nil
}

// distinct returns the non-empty strings of list, each once under case
// folding, in their order.
func distinct(list []string) []string {
	var out []string
	for _, s := range list {
		if s != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, s) }) {
			out = append(out, s)
		}
	}
	return out
}

// nameForms returns the spellings of the sender's name n that a
// calendar's text may hold: as given, in the other order ("Smith, Alice"
// for "Alice Smith", as Outlook writes a CN, and back), and each with the
// comma escaped as TEXT values escape it (RFC 5545 section 3.3.11,
// "Smith\, Alice"). A name of one word shorter than short runes is none:
// it would hit ordinary words.
func nameForms(n string, short int) []string {
	n = strings.Join(strings.Fields(strings.Trim(strings.TrimSpace(n), `"'`)), " ")
	if !strings.Contains(n, " ") && utf8.RuneCountInString(n) < short {
		return nil
	}
	forms := []string{n}
	if last, first, ok := strings.Cut(n, ","); ok {
		last, first = strings.TrimSpace(last), strings.TrimSpace(first)
		if last != "" && first != "" && !strings.Contains(first, ",") {
			forms = append(forms, first+" "+last)
		}
	} else if w := strings.Fields(n); len(w) == 2 {
		forms = append(forms, w[1]+", "+w[0])
	}
	for _, f := range forms {
		if e := escapeText(f); e != f {
			forms = append(forms, e)
		}
	}
	return forms
}

// minName is the length of the shortest one-word name a CN gives the
// sender that text is matched with, and minDisplayName that of a display
// name from the message's From, which the text cleaner also uses
// (package text): a CN was written for this calendar, a display name may
// be a nickname.
const (
	minName        = 4
	minDisplayName = 6
)

// allForms returns nameForms of each of names.
func allForms(names []string, short int) []string {
	var out []string
	for _, n := range names {
		for _, f := range nameForms(n, short) {
			if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, f) }) {
				out = append(out, f)
			}
		}
	}
	return out
}

// nameIn reports whether v, a name as a CN, FN or N gives it, is one of
// names, the sender's display names. Names compare by their words, in any
// order and case, so that "Smith, Alice" is "Alice Smith"; a name holding
// more words (a title, a middle name) matches too, unless the sender's
// name is a single word.
func nameIn(v string, names []string) bool {
	words := nameWords(v)
	if len(words) == 0 {
		return false
	}
	for _, n := range names {
		w := nameWords(n)
		switch {
		case len(w) == 0:
		case len(w) == 1 && len(words) == 1 && w[0] == words[0]:
			return true
		case len(w) > 1 && containsAll(words, w):
			return true
		}
	}
	return false
}

// replaceName replaces the whole-word occurrences of name in v with with,
// under Unicode case folding; a space in name matches any run of white
// space. A TEXT value's "\n" escape ends the word before it.
func replaceName(v, name, with string) string {
	if name == "" {
		return v
	}
	return text.ReplaceFoldFunc(v, name, with, func(s string, start, end int) bool {
		return wordStart(s, start) && wordEnd(s, end)
	})
}

func wordStart(s string, i int) bool {
	if i == 0 || i >= 2 && s[i-2] == '\\' && (s[i-1] == 'n' || s[i-1] == 'N') {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

func wordEnd(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}
