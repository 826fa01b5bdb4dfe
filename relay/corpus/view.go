package corpus

import (
	"bytes"
	"encoding/hex"
	"html"
	"strings"

	"golang.org/x/text/cases"
)

// view is what the checker searches: the raw message as text, the decoded
// text of every header, parameter and body, the decoded octets of every
// leaf, and every field name at any depth. Text is kept case-folded.
type view struct {
	raw   string // folded: the message as UTF-8 (invalid octets replaced), then as Latin-1
	dec   string // folded: fields, parameters, bodies, decoded
	blob  []byte // the raw message and every leaf's transfer-decoded payload
	names map[string]bool
	msg   *entity
}

// foldString is Python's str.casefold. A Caser keeps state, so each call
// makes its own: Check may run on many goroutines.
func foldString(s string) string { return cases.Fold().String(s) }

func newView(raw []byte, deep bool) *view {
	v := &view{msg: parse(raw), names: map[string]bool{}}
	v.raw = foldString(strings.ToValidUTF8(string(raw), "\uFFFD") + "\n" + latin1(raw))
	var dec []string
	blob := [][]byte{raw}
	var payloads [][]byte
	v.msg.walk(func(e *entity) {
		for _, f := range e.fields {
			v.names[strings.ToLower(strings.TrimSpace(f.name))] = true
			dec = append(dec, f.name+": "+decodeHeader(f.value))
		}
		dec = append(dec, e.paramTexts()...)
		if e.multi {
			return
		}
		p := e.payload()
		payloads = append(payloads, p)
		blob = append(blob, p)
		text, ok := decodeCharset(p, e.charset())
		if !ok {
			text, ok = decodeCharset(p, "utf-8")
		}
		if !ok {
			text = strings.ToValidUTF8(string(p), "\uFFFD")
		}
		dec = append(dec, text, latin1(p))
		if e.contentType("") == "text/html" {
			dec = append(dec, html.UnescapeString(text))
		}
	})
	if deep {
		texts, octets := deepView(payloads)
		dec = append(dec, texts)
		blob = append(blob, octets)
	}
	v.dec = foldString(strings.Join(dec, "\n"))
	v.blob = bytes.Join(blob, []byte("\n"))
	return v
}

// paramTexts lists the decoded parameters of the entity's Content-Type and
// Content-Disposition as "name=value", and its file name.
func (e *entity) paramTexts() []string {
	var out []string
	for _, name := range []string{"Content-Type", "Content-Disposition"} {
		v, ok := e.get(name)
		if !ok {
			continue
		}
		for _, p := range params(v) {
			out = append(out, p.name+"="+p.value)
		}
	}
	fn := e.param("Content-Disposition", "filename")
	if fn == "" {
		fn = e.param("Content-Type", "name")
	}
	if fn = strings.TrimSpace(fn); fn != "" {
		out = append(out, "filename="+fn)
	}
	return out
}

func (e *entity) charset() string { return strings.ToLower(e.param("Content-Type", "charset")) }

// has reports whether s occurs in the view: a "hex:" pattern among the
// octets, anything else case-folded in the raw or the decoded text.
func (v *view) has(s string) bool {
	if h, ok := strings.CutPrefix(s, "hex:"); ok {
		b, err := hex.DecodeString(h)
		return err == nil && bytes.Contains(v.blob, b)
	}
	f := foldString(s)
	return strings.Contains(v.raw, f) || strings.Contains(v.dec, f)
}

// hasDecoded reports whether s occurs, case-folded, in the decoded text.
func (v *view) hasDecoded(s string) bool { return strings.Contains(v.dec, foldString(s)) }

// leaves calls f with the payload of every leaf of that content type.
func (v *view) leaves(contentType string, f func([]byte)) {
	contentType = strings.ToLower(contentType)
	v.msg.walk(func(e *entity) {
		if !e.multi && e.contentType("") == contentType {
			f(e.payload())
		}
	})
}
