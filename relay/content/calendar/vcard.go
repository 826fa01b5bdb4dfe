package calendar

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"slices"
	"strings"
	"unicode"

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
// EMAIL equal to a sender address, or whose FN or N is one of id.Names, is
// that card, and is dropped whole. Other cards are content the sender chose
// to share and are written back line for line, less what the sender's
// client added (see dropCardProp) and with their PHOTO and LOGO cleaned
// like any other image (see cardImage). Text outside cards is dropped. A
// caller drops the part when kept is 0.
func VCard(w io.Writer, r io.Reader, id Identity) (kept int, err error) {
	m := newMatch(id)
	lr := newLineReader(r)
	bw := bufio.NewWriter(w)
	var (
		card  []byte // bytes of the card being read, as they will be written
		size  int    // raw bytes of the card being read
		depth int    // nesting: vCard 2.1 AGENT cards nest BEGIN:VCARD
		own   bool
		cards int
		qp    qpState
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
		p, err := parseLine(line)
		if err != nil {
			// Lines that do not parse as properties (vCard 2.1
			// quoted-printable soft breaks continue without a leading
			// space) are kept as part of their card.
			p = property{}
		}
		name, value := p.Name, strings.TrimSpace(p.Value)
		out := raw
		switch {
		case name == "BEGIN" && isValue(value, "VCARD"):
			depth++
			if depth > maxDepth {
				return kept, errCardBalance
			}
			qp = qpNone
		case depth == 0:
			return kept, errNoCard
		case name == "END" && isValue(value, "VCARD"):
			depth--
			qp = qpNone
		case qp != qpNone:
			// A quoted-printable value goes on after a soft line break
			// (RFC 2045 section 6.7): the line is part of the property
			// before it, not one of its own.
			if qp == qpDrop {
				out = nil
			}
			if !strings.HasSuffix(line, "=") {
				qp = qpNone
			}
		default:
			if depth == 1 && (name == "EMAIL" && m.isSender(calAddress(value)) || ownName(&p, id.Names)) {
				own = true
			}
			switch {
			case dropCardProp(name):
				out = nil
			case name == "PHOTO" || name == "LOGO":
				out = cardImage(p, raw)
			}
			if isQP(&p) && strings.HasSuffix(line, "=") {
				qp = qpKeep
				if out == nil {
					qp = qpDrop
				}
			}
		}
		if size += len(raw); size > maxCard {
			return kept, errCardLarge
		}
		card = append(card, out...)
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
		card, size, own = card[:0], 0, false
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

// qpState tells whether the next line continues a quoted-printable value,
// and whether that value is being dropped.
type qpState int

const (
	qpNone qpState = iota
	qpKeep
	qpDrop
)

// isQP reports a vCard 2.1 quoted-printable value: ENCODING=QUOTED-PRINTABLE
// or the bare QUOTED-PRINTABLE parameter (vCard 2.1 section 2.1.3).
func isQP(p *property) bool {
	for _, q := range p.Params {
		if q.Bare && q.Name == "QUOTED-PRINTABLE" {
			return true
		}
		if q.Name == "ENCODING" && len(q.Values) == 1 && strings.EqualFold(q.Values[0], "QUOTED-PRINTABLE") {
			return true
		}
	}
	return false
}

// dropCardProp reports the properties the sender's client adds to a card
// rather than its subject: PRODID names the client and its version
// ("-//Apple Inc.//iPhone OS 18.1//EN"), REV the time the sender last
// edited it, UID and CLIENTPIDMAP (RFC 6350 section 6.7.7) are ids from the
// sender's address book, SOURCE and NAME (RFC 2425 section 6.1) point at
// it, and X- properties (X-ABUID, X-ABLabel, X-MOZILLA-HTML) hold the
// client's own ids and settings, as in a calendar (see dropName).
func dropCardProp(name string) bool {
	switch name {
	case "PRODID", "REV", "UID", "CLIENTPIDMAP", "SOURCE", "NAME":
		return true
	}
	return dropName(name)
}

// ownName reports an FN or N property that gives one of names, the
// sender's display names: a card of the sender under another address
// (their work card, sent from their home account) names them as surely as
// the address would. Names compare by their words, in any order and case,
// so that "Smith, Alice" is N:Smith;Alice;;; and FN:Alice Smith; a card
// name holding more words (a title, a middle name) matches too, unless the
// sender's name is a single word.
func ownName(p *property, names []string) bool {
	var v string
	switch p.Name {
	case "FN":
		v = p.Value
	case "N":
		// Family; given; additional; prefixes; suffixes (RFC 6350
		// section 6.2.2).
		parts := strings.Split(p.Value, ";")
		v = strings.Join(parts[:min(3, len(parts))], " ")
	default:
		return false
	}
	if isQP(p) {
		if b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(v))); err == nil {
			v = string(b)
		}
	}
	card := nameWords(v)
	if len(card) == 0 {
		return false
	}
	for _, n := range names {
		w := nameWords(n)
		switch {
		case len(w) == 0:
		case len(w) == 1 && len(card) == 1 && w[0] == card[0]:
			return true
		case len(w) > 1 && containsAll(card, w):
			return true
		}
	}
	return false
}

// nameWords splits a name into lower-case words, at spaces, commas,
// semicolons and the backslashes of TEXT escapes (RFC 6350 section 3.4).
func nameWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == ';' || r == '\\'
	})
}

func containsAll(set, words []string) bool {
	for _, w := range words {
		if !slices.Contains(set, w) {
			return false
		}
	}
	return true
}
