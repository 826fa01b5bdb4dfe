package image

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"

	"leak/relay/content/refusal"
)

const svgName = "SVG"

// MaxSVG bounds the SVG images SVG cleans: an SVG is re-serialised in
// memory.
const MaxSVG = 8 << 20

// maxSVGDepth bounds element nesting; drawings nest a few dozen deep.
const maxSVGDepth = 512

const (
	nsSVG   = "http://www.w3.org/2000/svg"
	nsXLink = "http://www.w3.org/1999/xlink"
	nsXML   = "http://www.w3.org/XML/1998/namespace"
)

// SVG re-serialises the SVG image in r to w from its XML token stream,
// keeping only what draws the picture. It drops:
//
//   - comments, DOCTYPE (its internal entities are expanded) and processing
//     instructions other than the XML declaration;
//   - <metadata> (RDF: creator, title, licence), <script> and
//     <foreignObject> (HTML, which may carry anything);
//   - every element and attribute outside the SVG, XLink and XML
//     namespaces: this is where editors keep their state (Inkscape's
//     sodipodi:docname and inkscape:export-filename name local files,
//     Illustrator's i:pgf holds the whole document, Sketch, Serif and Figma
//     add their own), and SVG renders none of it (SVG 2 §5.3);
//   - xml:base, event attributes (on*), and every href that is not a
//     fragment (#id) or an embedded image: an external reference names a
//     local file of the sender or, fetched when the recipient opens the
//     picture, tells a third party it was opened;
//   - animations that set an href, and CSS references that are not
//     fragments (see neutralCSS).
//
// Embedded base64 images (data: URLs) are cleaned by Clean; others are
// dropped. <title> and <desc> are kept: they are text the author wrote for
// the reader, like the drawing itself; a <desc> an editor wrote for itself
// ("Created with Sketch.") is emptied. data-* attributes go: they render
// nothing, and Illustrator keeps layer and file names there.
func SVG(w io.Writer, r io.Reader) error {
	in, err := io.ReadAll(io.LimitReader(r, MaxSVG+1))
	if err != nil {
		return fmt.Errorf("image: svg: read: %w", err)
	}
	if len(in) > MaxSVG {
		return fmt.Errorf("image: svg: %w", refusal.New(refusal.TooLarge,
			"the attached SVG image is too large to clean; send it as a PNG instead"))
	}
	out, err := cleanSVG(in)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return writeError(svgName, err)
	}
	return nil
}

type svgFrame struct {
	name  xml.Name          // as written: Space is the prefix
	ns    map[string]string // prefixes declared on this element
	drop  bool
	style bool // a <style> element: its text is CSS
}

type svgCleaner struct {
	out     bytes.Buffer
	stack   []svgFrame
	pending bool // a start tag waits for its ">" or "/>"
}

func cleanSVG(in []byte) ([]byte, error) {
	in = bytes.TrimPrefix(in, []byte("\xef\xbb\xbf"))
	d := xml.NewDecoder(bytes.NewReader(in))
	d.Strict = true
	d.Entity = map[string]string{}
	c := &svgCleaner{}
	root, done := false, false
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("image: svg: parse: %w", malformed(svgName))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if done {
				return nil, fmt.Errorf("image: svg: content after the root: %w", malformed(svgName))
			}
			if len(c.stack) >= maxSVGDepth {
				return nil, fmt.Errorf("image: svg: nested too deep: %w", malformed(svgName))
			}
			if !root {
				root = true
				if t.Name.Local != "svg" || !c.svgSpace(t) {
					return nil, fmt.Errorf("image: svg: root is not <svg>: %w", malformed(svgName))
				}
			}
			if err := c.start(t); err != nil {
				return nil, err
			}
		case xml.EndElement:
			if len(c.stack) == 0 || c.stack[len(c.stack)-1].name != t.Name {
				return nil, fmt.Errorf("image: svg: mismatched end tag: %w", malformed(svgName))
			}
			f := c.stack[len(c.stack)-1]
			c.stack = c.stack[:len(c.stack)-1]
			done = len(c.stack) == 0
			if f.drop {
				continue
			}
			if c.pending {
				c.out.WriteString("/>")
				c.pending = false
			} else {
				c.out.WriteString("</" + qname(t.Name) + ">")
			}
		case xml.CharData:
			if len(c.stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("image: svg: text outside the root: %w", malformed(svgName))
				}
				continue
			}
			f := c.stack[len(c.stack)-1]
			if f.drop {
				continue
			}
			s, ok := string(t), true
			switch {
			case f.style:
				s, ok = neutralCSS(s)
			case f.name.Local == "desc" && toolDesc.MatchString(s):
				ok = false // the editor's, not the author's
			}
			if ok {
				c.close()
				escape(&c.out, s, false)
			}
		case xml.ProcInst:
			if t.Target == "xml" && c.out.Len() == 0 && !root {
				c.out.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
			}
		case xml.Directive:
			// Each reference is replaced by its value: bound what the
			// references in the input can expand to, or a few bytes of
			// declarations could make gigabytes of text.
			grow := 0
			for _, m := range entityDecl.FindAllSubmatch(t, -1) {
				v := string(m[2]) + string(m[3])
				d.Entity[string(m[1])] = v
				grow += bytes.Count(in, []byte("&"+string(m[1])+";")) * len(v)
				if grow > MaxSVG {
					return nil, fmt.Errorf("image: svg: entities: %w", refusal.New(refusal.TooLarge,
						"the attached SVG image is too large to clean; send it as a PNG instead"))
				}
			}
		}
	}
	if !done {
		return nil, fmt.Errorf("image: svg: no complete root element: %w", malformed(svgName))
	}
	return c.out.Bytes(), nil
}

// toolDesc is the <desc> an editor writes for itself: Sketch's "Created
// with Sketch." (with its version in older releases), Method Draw's and
// others' alike.
var toolDesc = regexp.MustCompile(`(?i)^\s*created with [\w .-]{1,40}\.?\s*$`)

// entityDecl matches the general entity declarations of a DOCTYPE internal
// subset, which Illustrator uses for its namespace names.
var entityDecl = regexp.MustCompile(`<!ENTITY\s+([A-Za-z_][\w.\-]*)\s+(?:"([^"<&%]*)"|'([^'<&%]*)')\s*>`)

// svgSpace reports whether the element is in the SVG namespace, or in none
// (an SVG that forgot its xmlns).
func (c *svgCleaner) svgSpace(t xml.StartElement) bool {
	ns := c.resolve(t.Name.Space, declarations(t))
	return ns == nsSVG || ns == ""
}

func declarations(t xml.StartElement) map[string]string {
	var m map[string]string
	for _, a := range t.Attr {
		p, ok := "", false
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			ok = true
		case a.Name.Space == "xmlns":
			p, ok = a.Name.Local, true
		}
		if ok {
			if m == nil {
				m = map[string]string{}
			}
			m[p] = a.Value
		}
	}
	return m
}

// resolve returns the namespace name bound to prefix, looking at the
// element's own declarations first. An undeclared prefix resolves to a
// name no whitelist holds.
func (c *svgCleaner) resolve(prefix string, own map[string]string) string {
	if prefix == "xml" {
		return nsXML
	}
	if ns, ok := own[prefix]; ok {
		return ns
	}
	for i := len(c.stack) - 1; i >= 0; i-- {
		if ns, ok := c.stack[i].ns[prefix]; ok {
			return ns
		}
	}
	if prefix == "" {
		return ""
	}
	return "undeclared:" + prefix
}

func (c *svgCleaner) start(t xml.StartElement) error {
	own := declarations(t)
	f := svgFrame{name: t.Name, ns: own}
	parentDropped := len(c.stack) > 0 && c.stack[len(c.stack)-1].drop
	f.drop = parentDropped || !c.keepElement(t, own)
	c.stack = append(c.stack, f)
	if f.drop {
		return nil
	}
	c.stack[len(c.stack)-1].style = t.Name.Local == "style"
	c.close()
	c.out.WriteString("<" + qname(t.Name))
	for _, a := range t.Attr {
		v, ok, err := c.keepAttr(a, own)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		c.out.WriteString(" " + qname(a.Name) + `="`)
		escape(&c.out, v, true)
		c.out.WriteByte('"')
	}
	c.pending = true
	return nil
}

func (c *svgCleaner) keepElement(t xml.StartElement, own map[string]string) bool {
	if ns := c.resolve(t.Name.Space, own); ns != nsSVG && ns != "" {
		return false
	}
	switch strings.ToLower(t.Name.Local) {
	case "metadata", "script", "foreignobject", "handler":
		return false
	case "set", "animate":
		for _, a := range t.Attr {
			if a.Name.Local == "attributeName" && (a.Value == "href" || strings.HasSuffix(a.Value, ":href")) {
				return false
			}
		}
	}
	return true
}

// keepAttr returns the value to write for attribute a, and whether to write
// it at all.
func (c *svgCleaner) keepAttr(a xml.Attr, own map[string]string) (string, bool, error) {
	switch {
	case a.Name.Space == "" && a.Name.Local == "xmlns":
		return a.Value, a.Value == nsSVG || a.Value == "", nil
	case a.Name.Space == "xmlns":
		return a.Value, a.Value == nsSVG || a.Value == nsXLink, nil
	case a.Name.Space == "":
		if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
			return "", false, nil
		}
		if a.Name.Local == "href" {
			return href(a.Value)
		}
		if strings.HasPrefix(strings.ToLower(a.Name.Local), "data-") {
			// Custom data renders nothing; Illustrator writes its layer
			// and placed files' names there (data-name="IMG_4032.JPG").
			return "", false, nil
		}
		return neutralAttr(a.Value)
	}
	switch c.resolve(a.Name.Space, own) {
	case nsXLink:
		if a.Name.Local == "href" {
			return href(a.Value)
		}
		return neutralAttr(a.Value)
	case nsXML:
		if a.Name.Local == "base" {
			return "", false, nil
		}
		return a.Value, true, nil
	}
	return "", false, nil
}

func neutralAttr(v string) (string, bool, error) {
	v, ok := neutralCSS(v)
	return v, ok, nil
}

// href keeps a fragment reference as it is and an embedded image cleaned.
func href(v string) (string, bool, error) {
	t := strings.TrimSpace(v)
	if strings.HasPrefix(t, "#") {
		return v, true, nil
	}
	if len(t) < 5 || !strings.EqualFold(t[:5], "data:") {
		return "", false, nil
	}
	return dataURL(t)
}

// close finishes a pending start tag before content is written into it.
func (c *svgCleaner) close() {
	if c.pending {
		c.out.WriteByte('>')
		c.pending = false
	}
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// escape writes s as XML character data, or as an attribute value, so that
// it reads back as s (XML 1.0 §2.4, §3.3.3: newlines and tabs in attribute
// values are written as references or they would be normalised to spaces).
func escape(b *bytes.Buffer, s string, attr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\r':
			b.WriteString("&#xD;")
		case attr && r == '"':
			b.WriteString("&quot;")
		case attr && r == '\n':
			b.WriteString("&#xA;")
		case attr && r == '\t':
			b.WriteString("&#x9;")
		default:
			b.WriteRune(r)
		}
	}
}
