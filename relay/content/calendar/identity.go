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
	Names   []string // the sender's display names (header From): a CN or card of that name is the sender's, and text naming them is rewritten

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
	locals  []string // the local parts of the sender's addresses, for personalURL
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
		if at >= minLocal {
			m.locals = append(m.locals, a[:at])
		}
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

// atSenderDomain reports an address at any of the sender's domains or
// below them (carol@eu.sender.example for alice@sender.example): a
// colleague listed beside the sender tells the recipient where they work.
// Google Workspace writes a room as <domain>_<id>@resource.calendar.google.com,
// with the organisation's domain in its local part, and a shared
// calendar of the sender's account or organisation as
// <id>@group.calendar.google.com; both count as at the sender's domain.
func (m *match) atSenderDomain(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return false
	}
	local, domain := addr[:at], addr[at+1:]
	switch domain {
	case "resource.calendar.google.com":
		d, _, ok := strings.Cut(local, "_")
		return ok && m.orgDomain(d)
	case "group.calendar.google.com":
		return true
	}
	return m.orgDomain(domain)
}

// orgDomain reports one of the sender's domains, or a domain below one
// that is not a public mail provider's: a sender at gmail.com shares
// nothing with the people at a subdomain of it.
func (m *match) orgDomain(domain string) bool {
	if m.domains[domain] {
		return true
	}
	for d := range m.domains {
		if !publicProviders[d] && strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

// uriAtDomain reports a URI at the sender's domain or below it, as
// atSenderDomain finds an address there: by its host
// (https://calendar.sender.example/freebusy/alice, Exchange's
// https://mail.sender.example/owa/calendar/…/calendar.html), or by the
// address of a scheme without one (mailto:, sip:, xmpp:). A free/busy or
// calendar link at the sender's domain names their organisation as a
// colleague's address does.
func (m *match) uriAtDomain(v string) bool {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "://"); i > 0 {
		host := v[i+3:]
		if j := strings.IndexAny(host, "/?#\\"); j >= 0 {
			host = host[:j]
		}
		if j := strings.LastIndexByte(host, '@'); j >= 0 {
			host = host[j+1:]
		}
		if j := strings.LastIndexByte(host, ':'); j >= 0 && !strings.Contains(host[j:], "]") {
			host = host[:j]
		}
		return m.orgDomain(strings.TrimSuffix(strings.ToLower(host), "."))
	}
	if _, opaque, ok := strings.Cut(v, ":"); ok {
		if j := strings.IndexAny(opaque, ";?"); j >= 0 {
			opaque = opaque[:j]
		}
		return m.atSenderDomain(calAddress(opaque))
	}
	return false
}

// publicProviders are the domains of the large free mail services, under
// which an address tells no employer.
var publicProviders = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true, "live.com": true,
	"msn.com": true, "yahoo.com": true, "ymail.com": true, "icloud.com": true, "me.com": true, "mac.com": true,
	"aol.com": true, "gmx.de": true, "gmx.net": true, "gmx.com": true, "web.de": true, "t-online.de": true,
	"proton.me": true, "protonmail.com": true, "pm.me": true, "mail.com": true, "zoho.com": true,
	"fastmail.com": true, "yandex.ru": true, "mail.ru": true, "qq.com": true, "163.com": true,
	"orange.fr": true, "free.fr": true, "laposte.net": true, "libero.it": true, "tutanota.com": true,
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
// sender's full names, as nameForms spells them) with name, and removes
// any whitespace-separated token (a URL, typically) that holds an address
// in encoded form, or is a link to the sender's personal meeting room
// (see personalURL).
func (m *match) scrub(v, addr, name string, names []string) string {
	for a := range m.addrs {
		v = text.ReplaceFold(v, a, addr)
	}
	for _, n := range names {
		v = replaceName(v, n, name)
	}
	if m.hasPersonalURL(v) {
		v = dropTokensFunc(v, m.personalURL)
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

// minLocal is the shortest local part personalURL looks for: shorter
// ones ("al") are parts of any path.
const minLocal = 3

// hasPersonalURL reports whether v may hold a personalURL, cheaply.
func (m *match) hasPersonalURL(v string) bool {
	if len(m.locals) == 0 || !strings.Contains(v, "://") {
		return false
	}
	l := strings.ToLower(v)
	for _, local := range m.locals {
		if strings.Contains(l, local) {
			return true
		}
	}
	return false
}

// personalURL reports a URL whose path or query holds the local part of
// one of the sender's addresses as a word of its own: Webex and Zoom
// personal rooms (https://sendercorp.webex.com/meet/alice,
// https://sendercorp.zoom.us/my/alice.smith) are named after the
// organizer's account, and cannot be rewritten and still work.
func (m *match) personalURL(tok string) bool {
	l := strings.ToLower(tok)
	i := strings.Index(l, "://")
	if i < 0 {
		return false
	}
	rest := l[i+3:]
	j := strings.IndexAny(rest, "/?#")
	if j < 0 {
		return false
	}
	path := rest[j:]
	for _, local := range m.locals {
		for k := 0; k < len(path); {
			n := strings.Index(path[k:], local)
			if n < 0 {
				break
			}
			start, end := k+n, k+n+len(local)
			if (start == 0 || !isAlnum(path[start-1])) && (end == len(path) || !isAlnum(path[end])) {
				return true
			}
			k = start + 1
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
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
