package calendar

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"leak/relay/content/refusal"
)

// maxCard bounds the bytes of one card held while deciding whether to
// keep it. A card with a photo is tens of kilobytes.
const maxCard = 8 << 20

var (
	errNoCard      = refusal.New(refusal.Malformed, "a contact part does not hold a vCard; send the contact from another client")
	errCardBalance = refusal.New(refusal.Malformed, "a contact part has unbalanced BEGIN and END lines; send the contact from another client")
	errCardLarge   = refusal.New(refusal.TooLarge, "a contact card is too large; remove its photo and send again")
)

// VCard writes the cards of r that are not the sender's own and returns how
// many it kept.
//
// Clients attach the sender's own card to every message (Thunderbird's
// per-identity "Attach my vCard", Outlook's signature card): a card with an
// EMAIL equal to a sender address is that card, and is dropped whole.
// Other cards are content the sender chose to share and are written back
// byte for byte. Text outside cards is dropped. A caller drops the part
// when kept is 0.
func VCard(w io.Writer, r io.Reader, id Identity) (kept int, err error) {
	m := newMatch(id)
	lr := newLineReader(r)
	bw := bufio.NewWriter(w)
	var (
		card  []byte // raw bytes of the card being read
		depth int    // nesting: vCard 2.1 AGENT cards nest BEGIN:VCARD
		own   bool
		cards int
	)
	for {
		line, raw, err := lr.read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if _, ok := refusal.As(err); ok {
				return kept, err
			}
			return kept, fmt.Errorf("vcard: read: %w", err)
		}
		if depth == 0 && strings.TrimSpace(line) == "" {
			continue
		}
		name, value := cardLine(line)
		switch {
		case name == "BEGIN" && isValue(value, "VCARD"):
			depth++
			if depth > maxDepth {
				return kept, errCardBalance
			}
		case depth == 0:
			return kept, errNoCard
		case name == "END" && isValue(value, "VCARD"):
			depth--
		case name == "EMAIL" && depth == 1 && m.isSender(calAddress(value)):
			own = true
		}
		if len(card)+len(raw) > maxCard {
			return kept, errCardLarge
		}
		card = append(card, raw...)
		if depth > 0 {
			continue
		}
		cards++
		if !own {
			if len(card) > 0 && card[len(card)-1] != '\n' {
				card = append(bytes.TrimSuffix(card, []byte("\r")), "\r\n"...)
			}
			if _, err := bw.Write(card); err != nil {
				return kept, fmt.Errorf("vcard: write: %w", err)
			}
			kept++
		}
		card, own = card[:0], false
	}
	if depth != 0 {
		return kept, errCardBalance
	}
	if cards == 0 {
		return 0, errNoCard
	}
	if err := bw.Flush(); err != nil {
		return kept, fmt.Errorf("vcard: write: %w", err)
	}
	return kept, nil
}

// cardLine returns the upper-case property name of a vCard line, without
// its group ("item1.EMAIL", RFC 6350 section 3.3), and its value. Lines
// that do not parse as properties (vCard 2.1 quoted-printable soft breaks
// continue without a leading space) return an empty name: they are kept
// as part of their card.
func cardLine(line string) (name, value string) {
	p, err := parseLine(line)
	if err != nil {
		return "", ""
	}
	return p.Name, strings.TrimSpace(p.Value)
}
