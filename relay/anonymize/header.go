package anonymize

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"

	"leak/relay/wire"
)

// headerSlack is what the readers above a guard may pull ahead of the
// header being parsed: a bufio.Reader for the preamble skipper, one inside
// go-message's multipart reader, and a boundary line.
const headerSlack = 2*4096 + 1024

// readHeader parses one header block from br, which reads from g, within
// the limits of the options. A header block ends at the empty line or at the
// end of input (a message may have no body).
func (r *rewriter) readHeader(g *guard, br *bufio.Reader) (textproto.Header, error) {
	g.arm(r.opts.MaxHeaderBytes + headerSlack)
	h, err := textproto.ReadHeader(br)
	g.disarm()
	if err == io.EOF {
		err = nil
	}
	if err != nil {
		return h, r.headerErr(err)
	}
	return h, r.checkHeader(&h)
}

// headerErr reports a failure met while reading a header: running out of
// budget, or a line over 998 octets, means the header is too large.
func (r *rewriter) headerErr(err error) error {
	if r.headerTooLarge || errors.Is(err, errBudget) || errors.Is(err, wire.ErrLongLine) {
		r.headerTooLarge = true
		return errHeaderTooLarge
	}
	return err
}

// checkHeader applies MaxHeaderFields and the exact MaxHeaderBytes.
func (r *rewriter) checkHeader(h *textproto.Header) error {
	if h.Len() > r.opts.MaxHeaderFields {
		r.headerTooLarge = true
		return errHeaderTooLarge
	}
	size := 2 // the empty line
	for fs := h.Fields(); fs.Next(); {
		raw, err := fs.Raw()
		if err != nil {
			return err
		}
		size += len(raw)
	}
	if size > r.opts.MaxHeaderBytes {
		r.headerTooLarge = true
		return errHeaderTooLarge
	}
	// Two content fields make an entity mean different things to
	// different readers: one client shows a part that another reads as
	// text, so what Leak cleaned may not be what the recipient sees.
	for _, k := range []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"} {
		if n := h.FieldsByKey(k); n.Len() > 1 {
			return errAmbiguous
		}
	}
	return nil
}

// checkLoop refuses a message that has been through Leak already, or through
// too many hops (RFC 5321 section 6.3 suggests counting Received fields).
func (r *rewriter) checkLoop(h *textproto.Header) error {
	n := 0
	for fs := h.FieldsByKey("Received"); fs.Next(); n++ {
		if strings.Contains(strings.ToLower(fs.Value()), "(leak)") {
			return errLoop
		}
	}
	if n > r.opts.MaxReceived {
		return errLoop
	}
	return nil
}

// NewMessageID returns a random Message-ID under domain (RFC 5322 3.6.4):
// it names nothing of the sender, so logs may carry it to match a copy a
// recipient forwards to abuse@.
func NewMessageID(domain string) string {
	return "<" + randomHex(16) + "@" + domain + ">"
}

// topHeader appends the header of copy i: the allowlisted fields in their
// fixed order, then the content fields of the top-level entity, then the
// caller's extra fields.
func (r *rewriter) topHeader(dst []byte, i int, content []HeaderField) ([]byte, error) {
	c := &r.copies[i]
	o := &r.opts
	rel := relationship(c.Relationship)
	date := r.dateOf(i).Format(time.RFC1123Z) // UTC: "+0000", no sender time zone
	subject := r.subject
	if subject == "" {
		subject = "From " + rel + ", anonymously."
	}
	msgid := c.MessageID
	if msgid == "" {
		msgid = NewMessageID(o.Domain)
	}
	fields := []HeaderField{
		{"Received", "by " + o.Hostname + " (Leak) id " + randomHex(8) + "; " + date},
		{"Date", date},
		{"From", `"` + capitalise(rel) + `, anonymously" <` + o.FromLocal + "@" + o.Domain + ">"},
		{"To", c.To},
		{"Subject", encodeText(subject)},
		{"Message-ID", msgid},
		{"MIME-Version", "1.0"},
	}
	fields = append(fields, entityFields(content)...)
	fields = append(fields, c.Extra...)
	var err error
	for _, f := range fields {
		if dst, err = appendField(dst, f.Key, f.Value, f.Key != "Subject"); err != nil {
			return dst, err
		}
	}
	return append(dst, crlf...), nil
}

// entityFields keeps, of an entity's content fields, those the top level
// and a forwarded message may carry: Content-Type and
// Content-Transfer-Encoding.
func entityFields(fields []HeaderField) []HeaderField {
	var out []HeaderField
	for _, f := range fields {
		if f.Key == "Content-Type" || f.Key == "Content-Transfer-Encoding" {
			out = append(out, f)
		}
	}
	return out
}

// relationship returns the caller's noun phrase reduced to what can sit in
// a quoted display name, or "someone".
func relationship(s string) string {
	s = strings.Map(func(c rune) rune {
		if c < ' ' || c > '~' || c == '"' || c == '\\' {
			return -1
		}
		return c
	}, strings.TrimSpace(s))
	if s == "" {
		return "someone"
	}
	return s
}

func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// appendField appends "Key: value" and CRLF to dst, folded at spaces so that
// lines stay within 78 octets where possible (RFC 5322 section 2.2.3). In a
// structured field it does not fold inside a quoted string. It fails if a
// line would exceed 998 octets (RFC 5322 section 2.1.1).
func appendField(dst []byte, key, value string, structured bool) ([]byte, error) {
	dst = append(dst, key...)
	dst = append(dst, ':')
	col := len(key) + 1
	first := true
	for {
		word, rest := nextWord(value, structured)
		if word == "" {
			break
		}
		if !first && col+1+len(word) > 78 {
			dst = append(dst, crlf...)
			col = 0
		}
		dst = append(dst, ' ')
		dst = append(dst, word...)
		col += 1 + len(word)
		if col > wire.MaxLine {
			return dst, fmt.Errorf("anonymize: header field %s cannot be folded within 998 octets", key)
		}
		first = false
		value = rest
	}
	return append(dst, crlf...), nil
}

// nextWord returns the first run of non-space characters in s (a quoted
// string counts as one run in structured fields) and what follows it.
func nextWord(s string, structured bool) (word, rest string) {
	s = strings.TrimLeft(s, " \t")
	quoted, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case structured && c == '"':
			quoted = !quoted
		case !quoted && (c == ' ' || c == '\t'):
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// isAtom reports whether s is a non-empty dot-atom (RFC 5322 section 3.2.3),
// as a domain, host name or local part of ours must be.
func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || strings.IndexByte(`()<>[]:;@\,"`, c) >= 0 {
			return false
		}
	}
	return true
}

// validAddress reports whether s can be written as the To field: valid
// UTF-8, an @, no control characters and no angle brackets.
func validAddress(s string) bool {
	if !utf8.ValidString(s) || !strings.Contains(s, "@") || len(s) > 900 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

func validFieldValue(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsAny(s, "\r\n\x00")
}
