package calendar

import (
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"leak/relay/content/text"
)

// Identity is who the sender becomes, and what identifies the real sender.
type Identity struct {
	Address string   // Leak's anonymous address, e.g. "anonymous@leak.example"
	Name    string   // the relationship shown as CN, e.g. "A friend, anonymously"
	Sender  []string // the sender's addresses (envelope MAIL FROM, header From), lower case
	Names   []string // the sender's display names (header From); VCard drops a card of that name

	// UIDKey, if set, keys the HMAC that replaces UIDs, so that a later
	// update or cancellation of an event sent through Leak to the same
	// recipient carries the same new UID as the invitation did (RFC 5546
	// section 2.1.5: UID and SEQUENCE identify the event). If empty, each
	// call uses a random key and UIDs match only within one object.
	UIDKey []byte

	// Stamp is the DTSTAMP written: when the copy is dated, already
	// rounded as its Date is. Zero: now, to the minute.
	Stamp time.Time

	// Signatures are the sender's stored signatures as the message's
	// HTML part showed them (text.Signatures). Outlook writes the
	// invitation's text into DESCRIPTION, signature included; it goes.
	Signatures text.Signatures
}

// match answers whether calendar addresses and text identify the sender.
type match struct {
	addrs   map[string]bool
	domains map[string]bool
	// encoded holds the sender's addresses as they appear inside URLs and
	// tokens: percent-encoded, and the alignment-independent middle of
	// their base64 forms (Google's eid and tok parameters are base64 of
	// the calendar's address).
	encoded []string
}

func newMatch(id Identity) *match {
	m := &match{addrs: map[string]bool{}, domains: map[string]bool{}}
	for _, a := range id.Sender {
		a = strings.ToLower(strings.TrimSpace(a))
		at := strings.LastIndexByte(a, '@')
		if at <= 0 || at == len(a)-1 {
			continue
		}
		m.addrs[a] = true
		m.domains[a[at+1:]] = true
		m.encoded = append(m.encoded, strings.ToLower(url.QueryEscape(a)))
		for shift := 0; shift < 3; shift++ {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				if mid := base64Middle(enc, shift, a); len(mid) >= 8 {
					m.encoded = append(m.encoded, mid)
				}
			}
		}
	}
	return m
}

// base64Middle returns the characters of the base64 encoding of a, placed
// shift bytes into a stream, that do not depend on the bytes around it.
func base64Middle(enc *base64.Encoding, shift int, a string) string {
	pad := (3 - shift) % 3
	s := enc.EncodeToString([]byte(strings.Repeat("\x00", pad) + a))
	start := (pad + 2) / 3 * 4 // skip groups that hold padding bytes
	end := (pad + len(a)) / 3 * 4
	if start >= end || end > len(s) {
		return ""
	}
	return s[start:end]
}

// calAddress returns the lower-case address of a cal-address value
// ("mailto:a@b", RFC 5545 section 3.3.3), or the value itself.
func calAddress(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	if u, err := url.PathUnescape(v); err == nil {
		v = u
	}
	return strings.ToLower(v)
}

func (m *match) isSender(addr string) bool { return m.addrs[addr] }

// atSenderDomain reports an address at any of the sender's domains: a
// colleague listed beside the sender tells the recipient where they work.
func (m *match) atSenderDomain(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	return at > 0 && m.domains[addr[at+1:]]
}

// propSender reports whether a calendar user property (ORGANIZER, ATTENDEE)
// names the sender, by its value or its EMAIL parameter (RFC 7986 section
// 6.2).
func (m *match) propSender(p *property) bool {
	if m.isSender(calAddress(p.Value)) {
		return true
	}
	if q := p.param("EMAIL"); q != nil {
		for _, v := range q.Values {
			if m.isSender(calAddress(v)) {
				return true
			}
		}
	}
	return false
}

func (m *match) propAtDomain(p *property) bool {
	if m.atSenderDomain(calAddress(p.Value)) {
		return true
	}
	if q := p.param("EMAIL"); q != nil {
		for _, v := range q.Values {
			if m.atSenderDomain(calAddress(v)) {
				return true
			}
		}
	}
	return false
}

// containsAddr reports whether text holds one of the sender's addresses.
func (m *match) containsAddr(text string) bool {
	l := strings.ToLower(text)
	for a := range m.addrs {
		if strings.Contains(l, a) {
			return true
		}
	}
	return false
}

// scrub replaces the sender's addresses in v with addr and names (the
// sender's full name as the calendar itself gave it in a CN) with name,
// and removes any whitespace-separated token (a URL, typically) that holds
// an address in encoded form.
func (m *match) scrub(v, addr, name string, names []string) string {
	for a := range m.addrs {
		v = text.ReplaceFold(v, a, addr)
	}
	for _, n := range names {
		v = text.ReplaceFold(v, n, name)
	}
	if len(m.encoded) == 0 {
		return v
	}
	lower := strings.ToLower(v)
	found := false
	for _, e := range m.encoded {
		if strings.Contains(lower, strings.ToLower(e)) || strings.Contains(v, e) {
			found = true
			break
		}
	}
	if !found {
		return v
	}
	return dropTokens(v, m.encoded)
}

// dropTokens removes the tokens of text that hold any of needles. Tokens
// end at whitespace, quotes and angle brackets, and at the "\n" and "\,"
// escapes of TEXT values (RFC 5545 section 3.3.11).
func dropTokens(text string, needles []string) string {
	return dropTokensFunc(text, func(tok string) bool {
		for _, n := range needles {
			if strings.Contains(tok, n) || strings.Contains(strings.ToLower(tok), strings.ToLower(n)) && !isBase64ish(n) {
				return true
			}
		}
		return false
	})
}

// dropTokensFunc removes the tokens of text, split as dropTokens splits
// them, for which drop reports true.
func dropTokensFunc(text string, drop func(tok string) bool) string {
	var b strings.Builder
	start := 0
	flush := func(end int) {
		if tok := text[start:end]; !drop(tok) {
			b.WriteString(tok)
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		sep := c == ' ' || c == '\t' || c == '"' || c == '<' || c == '>' || c == '\''
		esc := c == '\\' && i+1 < len(text)
		if !sep && !esc {
			continue
		}
		flush(i)
		if esc {
			b.WriteString(text[i : i+2])
			i++
			start = i + 1
			continue
		}
		b.WriteByte(c)
		start = i + 1
	}
	flush(len(text))
	return b.String()
}

// isBase64ish tells base64 needles, which must match case-sensitively,
// from percent-encoded ones, which need not.
func isBase64ish(n string) bool { return !strings.Contains(n, "%") }
