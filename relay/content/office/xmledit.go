package office

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The XML parts are edited in place rather than decoded and re-encoded:
// encoding/xml's encoder rewrites namespace prefixes, which Office does not
// accept, and re-encoding would touch every byte of parts that need one
// attribute removed. The editor scans tokens with RawToken, which keeps the
// prefixes as written, resolves namespaces itself (Namespaces in XML 1.0
// §6), and replaces only the byte ranges of the tokens a rule changes
// (Decoder.InputOffset gives each token's end).

const xmlNS = "http://www.w3.org/XML/1998/namespace"

// elem is a start tag shown to a rule. Space is the namespace URI.
type elem struct {
	Space, Local string
	attrs        []xml.Attr // as written: Name.Space holds the prefix
	spaces       []string   // resolved namespace of each attribute
	changed      bool

	drop bool    // remove the element and its content
	text *string // replace the element's content with this text
}

// attr returns the value of the attribute space:local.
func (e *elem) attr(space, local string) (string, bool) {
	for i, a := range e.attrs {
		if a.Name.Local == local && e.spaces[i] == space {
			return a.Value, true
		}
	}
	return "", false
}

// set changes the value of the attribute space:local if it is present.
func (e *elem) set(space, local, value string) {
	for i, a := range e.attrs {
		if a.Name.Local == local && e.spaces[i] == space && a.Value != value {
			e.attrs[i].Value = value
			e.changed = true
		}
	}
}

// put sets the unqualified attribute local, adding it if it is absent.
func (e *elem) put(local, value string) {
	if _, ok := e.attr("", local); ok {
		e.set("", local, value)
		return
	}
	e.attrs = append(e.attrs, xml.Attr{Name: xml.Name{Local: local}, Value: value})
	e.spaces = append(e.spaces, "")
	e.changed = true
}

// remove deletes the attributes for which match is true.
func (e *elem) remove(match func(space, local, value string) bool) {
	j := 0
	for i, a := range e.attrs {
		if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") && match(e.spaces[i], a.Name.Local, a.Value) {
			e.changed = true
			continue
		}
		e.attrs[j], e.spaces[j] = a, e.spaces[i]
		j++
	}
	e.attrs, e.spaces = e.attrs[:j], e.spaces[:j]
}

// setText replaces the content of the element with s.
func (e *elem) setText(s string) { e.text = &s }

// name is a resolved element name, the ancestors a rule sees.
type name struct{ Space, Local string }

// rule inspects each start tag outside dropped elements; parents are the
// enclosing elements, outermost first.
type rule func(parents []name, e *elem)

// textRule may rewrite character data; it returns the new text and true to
// replace it.
type textRule func(parents []name, text string) (string, bool)

type frame struct {
	name  name
	raw   xml.Name          // as written, to match the end tag
	decls map[string]string // prefix → URI declared on this element, usually none
}

func (f *frame) declare(prefix, uri string) {
	if f.decls == nil {
		f.decls = map[string]string{}
	}
	f.decls[prefix] = uri
}

// edit applies r (and t, when not nil) to an XML document and returns the
// edited bytes, or data itself when nothing changed.
func edit(data []byte, r rule, t textRule) ([]byte, error) {
	body, bom := data, 0
	if bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		body, bom = body[3:], 3
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	var (
		out      bytes.Buffer
		stack    []frame
		parents  []name
		copyFrom int64
		prev     int64
		skip     int  // depth inside a dropped or replaced element
		keepEnd  bool // the skipped element's end tag stays (its text was replaced)
		changed  bool
	)
	flush := func(upTo int64) {
		out.Write(body[copyFrom:upTo])
		copyFrom = upTo
	}
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("office: xml: %v: %w", err, malformed())
		}
		start, end := prev, d.InputOffset()
		prev = end
		if skip > 0 {
			// RawToken reports <a/> as a start and an end, so every start
			// has its end.
			switch tok.(type) {
			case xml.StartElement:
				skip++
			case xml.EndElement:
				skip--
			}
			copyFrom = end
			if skip == 0 && keepEnd {
				copyFrom = start
			}
			continue
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			self := selfClosing(body[start:end])
			f := frame{raw: tok.Name}
			for _, a := range tok.Attr {
				switch {
				case a.Name.Space == "xmlns":
					f.declare(a.Name.Local, a.Value)
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					f.declare("", a.Value)
				}
			}
			stack = append(stack, f)
			e := &elem{Space: resolve(stack, tok.Name.Space, true), Local: tok.Name.Local, attrs: tok.Attr}
			e.spaces = make([]string, len(tok.Attr))
			for i, a := range tok.Attr {
				e.spaces[i] = resolve(stack, a.Name.Space, false)
			}
			stack[len(stack)-1].name = name{e.Space, e.Local}
			r(parents, e)
			switch {
			case e.drop:
				flush(start)
				copyFrom = end
				changed = true
				stack = stack[:len(stack)-1]
				skip, keepEnd = 1, false
				continue
			case e.text != nil && !self:
				flush(start)
				out.Write(startTag(tok.Name, e.attrs, false))
				textEscaper.WriteString(&out, *e.text)
				copyFrom = end
				changed = true
				stack = stack[:len(stack)-1]
				skip, keepEnd = 1, true
				continue
			case e.changed:
				flush(start)
				out.Write(startTag(tok.Name, e.attrs, self))
				copyFrom = end
				changed = true
			}
			parents = append(parents, stack[len(stack)-1].name)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].raw != tok.Name {
				return nil, fmt.Errorf("office: xml: unbalanced end tag: %w", malformed())
			}
			stack = stack[:len(stack)-1]
			parents = parents[:len(parents)-1]
		case xml.CharData:
			if t == nil || len(parents) == 0 {
				continue
			}
			if s, ok := t(parents, string(tok)); ok {
				flush(start)
				textEscaper.WriteString(&out, s)
				copyFrom = end
				changed = true
			}
		}
	}
	if len(stack) != 0 || skip != 0 {
		return nil, fmt.Errorf("office: xml: unclosed element: %w", malformed())
	}
	if !changed {
		return data, nil
	}
	flush(int64(len(body)))
	return append(append([]byte(nil), data[:bom]...), out.Bytes()...), nil
}

// resolve maps a prefix to its namespace URI. An element without a prefix
// is in the default namespace; an attribute without one is in none (§6.2).
func resolve(stack []frame, prefix string, element bool) string {
	if prefix == "xml" {
		return xmlNS
	}
	if prefix == "" && !element {
		return ""
	}
	for i := len(stack) - 1; i >= 0; i-- {
		if uri, ok := stack[i].decls[prefix]; ok {
			return uri
		}
	}
	return ""
}

func selfClosing(raw []byte) bool {
	return bytes.HasSuffix(bytes.TrimRight(raw, " \t\r\n"), []byte("/>"))
}

// startTag writes a start tag with the qualified names as they were written.
func startTag(n xml.Name, attrs []xml.Attr, self bool) []byte {
	var b bytes.Buffer
	b.WriteByte('<')
	b.WriteString(qname(n))
	for _, a := range attrs {
		b.WriteByte(' ')
		b.WriteString(qname(a.Name))
		b.WriteString(`="`)
		escapeAttr(&b, a.Value)
		b.WriteByte('"')
	}
	if self {
		b.WriteString("/>")
	} else {
		b.WriteByte('>')
	}
	return b.Bytes()
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// textEscaper escapes only what character data must (XML 1.0 §2.4), so
// line breaks stay as they were written.
var textEscaper = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;")

var attrEscaper = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;",
	"\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;")

func escapeAttr(b *bytes.Buffer, s string) { attrEscaper.WriteString(b, s) }
