package calendar

import (
	"bufio"
	"io"
	"slices"
	"strings"
)

// SenderNames returns the names a calendar object gives the sender: the CN
// of the ORGANIZER of a published object, of the replying ATTENDEE, and of
// any ORGANIZER or ATTENDEE at a sender address, as Calendar identifies
// them. Clients repeat these names in the message's text ("Tomasz
// Kowalczyk has accepted this invitation"), which a text cleaner cannot
// recognise on its own; the caller can rewrite them there too.
func SenderNames(r io.Reader, id Identity) ([]string, error) {
	c, err := newCleaner(id)
	if err != nil {
		return nil, err
	}
	if err := c.run(newLineReader(r), bufio.NewWriter(io.Discard)); err != nil {
		return nil, err
	}
	var out []string
	for _, n := range c.names {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
			out = append(out, n)
		}
	}
	return out, nil
}
