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
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"

	"leak/relay/content/refusal"
	"leak/relay/content/text"
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
// EMAIL equal to a sender address, or whose FN or N is one of id.Names
// (read in its CHARSET and quoted-printable encoding, see cardValue), is
// that card, and is dropped whole. Other cards are content the sender chose
// to share and are written back line for line, less what the sender's
// client added (see dropCardProp), with their PHOTO and LOGO cleaned like
// any other image (see cardImage) and the sender's names in their text
// replaced (see withoutNames). Text outside cards is dropped. A
// caller drops the part when kept is 0.
func VCard(w io.Writer, r io.Reader, id Identity) (kept int, err error) {
	v := &cardCleaner{m: newMatch(id), names: id.Names, forms: allForms(id.Names, minDisplayName)}
	lr := newLineReader(r)
	bw := bufio.NewWriter(w)
	var (
		card  []byte // bytes of the card being read, as they will be written
		size  int    // raw bytes of the card being read
		depth int    // nesting: vCard 2.1 AGENT cards nest BEGIN:VCARD
		cards int
		qp    *property // a quoted-printable value going on after a soft line break
		qpRaw []byte    // the lines of qp read so far
	)
	// flush returns what to write of qp, ended by a line that is not
	// part of it.
	flush := func() []byte {
		if qp == nil {
			return nil
		}
		out := v.prop(*qp, qpRaw, depth)
		qp, qpRaw = nil, nil
		return out
	}
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
		var out []byte
		switch {
		case name == "BEGIN" && isValue(value, "VCARD"):
			out = append(flush(), raw...)
			depth++
			if depth > maxDepth {
				return kept, errCardBalance
			}
		case depth == 0:
			return kept, errNoCard
		case name == "END" && isValue(value, "VCARD"):
			out = append(flush(), raw...)
			depth--
		case qp != nil:
			// A quoted-printable value goes on after a soft line break
			// (RFC 2045 section 6.7): the line is part of the property
			// before it, not one of its own, and the property is judged
			// whole.
			qp.Value = strings.TrimSuffix(qp.Value, "=") + line
			qpRaw = append(qpRaw, raw...)
			if !strings.HasSuffix(line, "=") {
				out = flush()
			}
		case isQP(&p) && strings.HasSuffix(line, "="):
			qp, qpRaw = &p, raw
		default:
			out = v.prop(p, raw, depth)
		}
		if size += len(raw); size > maxCard {
			return kept, errCardLarge
		}
		card = append(card, out...)
		if depth > 0 {
			continue
		}
		cards++
		if !v.own {
			if len(card) > 0 && card[len(card)-1] != '\n' {
				card = append(bytes.TrimSuffix(card, []byte("\r")), "\r\n"...)
			}
			if _, err := bw.Write(card); err != nil {
				return kept, fmt.Errorf("vcard: write: %w", err)
			}
			kept++
		}
		card, size, v.own = card[:0], 0, false
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

// cardCleaner holds what VCard needs across the properties of a card.
type cardCleaner struct {
	m     *match
	names []string // id.Names
	forms []string // nameForms of names
	own   bool     // the card being read is the sender's
}

// prop returns what to write of a property of a card at depth, read from
// raw, and notes whether it shows the card to be the sender's.
func (v *cardCleaner) prop(p property, raw []byte, depth int) []byte {
	if depth == 1 && (p.Name == "EMAIL" && v.m.isSender(calAddress(p.Value)) || ownName(&p, v.names)) {
		v.own = true
	}
	switch {
	case dropCardProp(p.Name):
		return nil
	case cardURI(&p) && v.m.uriAtDomain(cardValue(&p)):
		// A free/busy, calendar or web link at the sender's domain
		// (FBURL:https://calendar.sender.example/freebusy/carol) names
		// their organisation. In another person's card (a colleague's,
		// from the sender's directory) it is what that directory added
		// beside the contact the sender meant to share, and goes; the
		// card's EMAIL is that contact, and stays.
		return nil
	case p.Name == "PHOTO" || p.Name == "LOGO":
		return cardImage(p, raw)
	case cardText[p.Name]:
		if out := v.withoutNames(p, raw); out != nil {
			return out
		}
	}
	return raw
}

// cardText are the properties of free text in which a shared card may
// name the sender ("NOTE:Met at Jörg Müller's 40th", RELATED;VALUE=text,
// the ORG of their own firm). FN and N do not: they make the card the
// sender's own.
var cardText = map[string]bool{
	"NOTE": true, "RELATED": true, "ORG": true, "TITLE": true, "ROLE": true, "NICKNAME": true, "ADR": true,
	"LABEL": true, "CATEGORIES": true, "EXPERTISE": true, "HOBBY": true, "INTEREST": true, "SORT-STRING": true,
}

// withoutNames returns p as a content line with the sender's names in its
// value replaced by text.Someone, as the text cleaner replaces them, or
// nil if it holds none. A value in another charset is written in UTF-8,
// a quoted-printable one quoted-printable on one line; the line ends as
// raw ends.
func (v *cardCleaner) withoutNames(p property, raw []byte) []byte {
	if len(v.forms) == 0 {
		return nil
	}
	val := cardValue(&p)
	clean := text.ReplaceNames(val, v.forms)
	if clean == val {
		return nil
	}
	p.Params = withoutParam(p.Params, "CHARSET")
	if !isASCII(clean) {
		p.Params = append(p.Params, param{Name: "CHARSET", Values: []string{"UTF-8"}})
	}
	var b bytes.Buffer
	if isQP(&p) {
		p.Value = encodeQP(clean)
		b.WriteString(p.String() + "\r\n")
	} else {
		p.Value = clean
		if err := writeFolded(&b, p.String()); err != nil {
			return nil
		}
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		return bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n"))
	}
	return b.Bytes()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// cardValue returns the value of p as UTF-8 text: quoted-printable decoded
// (vCard 2.1 section 2.1.3), and read in the charset its CHARSET parameter
// names (Outlook writes its own card in the Windows code page,
// "FN;CHARSET=Windows-1252:J\xf6rg"). A value without CHARSET that is not
// UTF-8 is read as Windows-1252, the commonest such.
func cardValue(p *property) string {
	val := p.Value
	if isQP(p) {
		if b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(val))); err == nil {
			val = string(b)
		}
	}
	if q := p.param("CHARSET"); q != nil && len(q.Values) == 1 {
		if enc, err := htmlindex.Get(q.Values[0]); err == nil {
			if s, err := enc.NewDecoder().String(val); err == nil {
				return s
			}
		}
		return val
	}
	if !utf8.ValidString(val) {
		if s, err := charmap.Windows1252.NewDecoder().String(val); err == nil {
			return s
		}
	}
	return val
}

// encodeQP writes s quoted-printable, on one line: vCard 2.1 readers take
// long lines, and a soft break before a space would read as a fold.
func encodeQP(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '!' && c <= '~' && c != '=' || c == ' ' && i < len(s)-1 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('=')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

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

// cardURI reports a card property whose value is a URI: by its VALUE
// parameter, or by its name where a URI is its usual value (RFC 6350
// sections 6.4.3, 6.5, 6.7, 6.8 and 6.9, RFC 2739's FBURL, CALURI and
// CALADRURI for vCard 3, RFC 6715's ORG-DIRECTORY, RFC 8605's
// CONTACT-URI). EMAIL is the contact itself, judged by the caller.
func cardURI(p *property) bool {
	switch p.Name {
	case "URL", "FBURL", "CALURI", "CALADRURI", "CAPURI", "IMPP", "KEY", "SOUND", "MEMBER", "ORG-DIRECTORY", "CONTACT-URI":
		return true
	case "EMAIL":
		return false
	}
	q := p.param("VALUE")
	return q != nil && len(q.Values) == 1 && strings.EqualFold(q.Values[0], "URI")
}

// ownName reports an FN or N property that gives one of names, the
// sender's display names: a card of the sender under another address
// (their work card, sent from their home account) names them as surely as
// the address would. Names compare by their words, in any order and case,
// so that "Smith, Alice" is N:Smith;Alice;;; and FN:Alice Smith; a card
// name holding more words (a title, a middle name) matches too, unless the
// sender's name is a single word.
func ownName(p *property, names []string) bool {
	switch p.Name {
	case "FN":
		return nameIn(cardValue(p), names)
	case "N":
		// Family; given; additional; prefixes; suffixes (RFC 6350
		// section 6.2.2).
		parts := strings.Split(cardValue(p), ";")
		return nameIn(strings.Join(parts[:min(3, len(parts))], " "), names)
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
