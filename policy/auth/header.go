package auth

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/mail"
	"strings"

	"golang.org/x/net/idna"
)

// headerEnd is the empty line that ends a header block, with the line
// break before it (RFC 5322 section 2.1).
const headerEnd = "\r\n\r\n"

// headerBlock collects the header block of a message as it streams past,
// up to and including the empty line that ends it, within a byte limit.
type headerBlock struct {
	buf      []byte
	limit    int
	match    int  // how many bytes of headerEnd the input last matched
	done     bool // the header block has ended (or was given up on)
	tooLarge bool // it was longer than limit: buf was dropped
}

// newHeaderBlock starts with two bytes of headerEnd matched, as if a line
// had just ended: a message that starts with CRLF has an empty header.
func newHeaderBlock(limit int) headerBlock {
	return headerBlock{limit: limit, match: 2}
}

// write takes the next bytes of the message and returns how many of them
// belong to the header block: all of p, unless the block ended in p.
func (h *headerBlock) write(p []byte) int {
	if h.done {
		return 0
	}
	n := len(p)
	for i, b := range p {
		switch {
		case b == headerEnd[h.match]:
			h.match++
		case b == '\r':
			h.match = 1
		default:
			h.match = 0
		}
		if h.match == len(headerEnd) {
			n, h.done = i+1, true
			break
		}
	}
	if len(h.buf)+n > h.limit {
		// Give up on the header, and stop scanning the body for its end.
		h.buf, h.tooLarge, h.done = nil, true, true
		return len(p)
	}
	h.buf = append(h.buf, p[:n]...)
	return n
}

// finish ends a header block that the end of the message ended: a message
// may have no body (RFC 5322 section 3.5), and may even lack the line
// break after its last field. It appends what headerEnd still needs, and
// returns those bytes.
func (h *headerBlock) finish() []byte {
	if h.done {
		return nil
	}
	h.done = true
	rest := headerEnd[h.match:]
	h.buf = append(h.buf, rest...)
	return []byte(rest)
}

// fields is what the checks need from a header block.
type fields struct {
	from       []string // unfolded values of the From fields
	signatures int      // number of DKIM-Signature fields
}

// scanFields reads a header block leniently: a line that is no field (no
// colon) is skipped rather than failing the whole block, so that one
// malformed line cannot hide the From field. Folded lines are unfolded by
// removing the line breaks (RFC 5322 section 2.2.3).
func scanFields(head []byte) fields {
	var f fields
	for len(head) > 0 {
		line, rest := nextLine(head)
		head = rest
		if len(line) == 0 {
			break // the empty line: end of the header block
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // a continuation without a field to continue
		}
		// The whole field: this line and its continuation lines.
		value := line
		var unfolded []byte
		for len(head) > 0 && (head[0] == ' ' || head[0] == '\t') {
			cont, rest := nextLine(head)
			if unfolded == nil {
				unfolded = append([]byte(nil), value...)
			}
			unfolded = append(unfolded, cont...)
			head = rest
		}
		if unfolded != nil {
			value = unfolded
		}
		colon := bytes.IndexByte(value, ':')
		if colon < 0 {
			continue
		}
		// RFC 5322 section 4.5 (obsolete syntax) allows white space
		// between the field name and the colon.
		name := bytes.TrimRight(value[:colon], " \t")
		switch {
		case asciiEqualFold(name, "from"):
			f.from = append(f.from, string(value[colon+1:]))
		case asciiEqualFold(name, "dkim-signature"):
			f.signatures++
		}
	}
	return f
}

// nextLine splits off the first line of b, without its line break (CRLF,
// or a lone LF: the session rejects those, but after this package has
// seen them).
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// Reasons the RFC5322.From domain is unknown. Each makes DMARC
// "permerror" (RFC 7489 section 6.6.1 leaves such messages to local
// policy).
var (
	errNoFrom         = errors.New("auth: no From field")
	errManyFromFields = errors.New("auth: more than one From field")
	errManyFromAddrs  = errors.New("auth: more than one address in From")
	errBadFrom        = errors.New("auth: malformed From field")
	errBadFromDomain  = errors.New("auth: From domain is not a domain name")
)

// anyCharset lets the address parser skip display names in any charset:
// only the address matters here, and an unknown charset must not make a
// spoofed From unparseable.
var anyCharset = &mime.WordDecoder{
	CharsetReader: func(_ string, input io.Reader) (io.Reader, error) { return input, nil },
}

// fromDomain is the domain of the one address of the one From field
// (RFC 7489 section 6.6.1), normalised by normDomain.
func fromDomain(from []string) (string, error) {
	switch len(from) {
	case 0:
		return "", errNoFrom
	case 1:
	default:
		return "", errManyFromFields
	}
	p := mail.AddressParser{WordDecoder: anyCharset}
	addrs, err := p.ParseList(from[0])
	if err != nil {
		return "", errBadFrom
	}
	switch len(addrs) {
	case 0:
		return "", errNoFrom // an empty group
	case 1:
	default:
		return "", errManyFromAddrs
	}
	a := addrs[0].Address
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return "", errBadFrom
	}
	d, err := normDomain(a[at+1:])
	if err != nil {
		return "", err
	}
	return d, nil
}

// normDomain returns d lower-case, without a trailing dot, in A-labels
// (an internationalised From domain is compared with DKIM's d=, which is
// ASCII), or errBadFromDomain if d is no host name: an address literal,
// an empty label, a label over 63 octets or a name over 253.
func normDomain(d string) (string, error) {
	d = strings.TrimSuffix(d, ".")
	ascii := true
	for i := range len(d) {
		if d[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return "", errBadFromDomain
		}
		d = a
	}
	d = strings.ToLower(d)
	if d == "" || len(d) > 253 {
		return "", errBadFromDomain
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 {
			return "", errBadFromDomain
		}
		for i := range len(label) {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", errBadFromDomain
			}
		}
	}
	return d, nil
}
