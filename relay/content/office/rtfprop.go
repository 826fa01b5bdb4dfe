package office

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// Word and LibreOffice describe a picture or a drawing shape with
// properties (RTF 1.9.1 "Shapes", [MS-ODRAW] 2.3), each a group
// {\sp{\sn NAME}{\sv VALUE}} in the picture's {\*\picprop} or the shape's
// {\*\shpinst}. A few name a file on the author's disk: the name, title
// and description of a picture (wzName, wzTitle, wzDescription), which
// older Word and LibreOffice fill with the inserted file's name or whole
// path, "C:\\Users\\alice\\Pictures\\IMG_4032.JPG", as they fill OOXML's
// name and descr; and the file of a linked picture (pibName) or of a fill
// or line picture (fillBlipName, lineFillBlipName and the border ones of
// a table cell). Their values become what pictureName makes of them, as
// in OOXML and ODF.

// A signature line's shape ([MS-ODRAW], "Signature Line" properties) keeps the suggested
// signer's e-mail address (wzSigSetupSuggSignerEmail) for the signing
// dialog, which nothing shows; the property goes. The name and title
// stay, as in OOXML: they are drawn in the line's picture.
func dropProperty(name string) bool {
	return strings.EqualFold(name, "wzSigSetupSuggSignerEmail")
}

// pathProperty tells a shape property whose value can name a file.
func pathProperty(name string) bool {
	n := strings.ToLower(name)
	return n == "wzname" || n == "wztitle" || n == "wzdescription" || n == "pibname" || strings.HasSuffix(n, "blipname")
}

// maxProperty bounds, in bytes of RTF, the value of such a property held
// to be cleaned; a longer one is dropped with its group. A path is at most
// a few hundred characters.
const maxProperty = 8 << 10

// propUnit is one character of a property's value: text is how
// pictureName reads it ("" for a control word), raw the RTF that writes it
// (with the fallback of a \uN, and the line breaks in the file after it).
type propUnit struct {
	text, raw string
	uc        int // the \ucN in effect before the unit, -1 if inherited
}

// property reads the rest of a group opened by read, {\sp, when it is a
// property whose value can name a file, and returns it cleaned, or nil
// when it is dropped. For any other group ok is false and the tokens it
// read after read are put back.
func (c *rtfCleaner) property(read []rtfToken) (out []byte, ok bool, err error) {
	if t := read[len(read)-1]; t.kind != 'w' || t.word != "sp" {
		return nil, false, nil
	}
	var more []rtfToken
	next := func() (rtfToken, error) {
		t, err := c.next()
		more = append(more, t)
		return t, err
	}
	back := func() ([]byte, bool, error) {
		c.pending = append(more, c.pending...)
		return nil, false, nil
	}
	// {\sn NAME}, its name in plain text.
	if t, err := next(); err != nil || t.kind != '{' {
		if err != nil {
			return nil, false, err
		}
		return back()
	}
	if t, err := next(); err != nil || t.kind != 'w' || t.word != "sn" {
		if err != nil {
			return nil, false, err
		}
		return back()
	}
	var name strings.Builder
	for {
		t, err := next()
		if err != nil {
			return nil, false, err
		}
		if t.kind == '}' {
			break
		}
		if t.kind != 't' || name.Len() > 64 {
			return back()
		}
		name.Write(t.raw)
	}
	n := strings.TrimSpace(strings.NewReplacer("\r", "", "\n", "").Replace(name.String()))
	if dropProperty(n) {
		return nil, true, c.skip(1)
	}
	if !pathProperty(n) {
		return back()
	}
	// {\sv VALUE}, after line breaks in the file if any.
	for {
		t, err := next()
		if err != nil {
			return nil, false, err
		}
		if t.kind == 't' && strings.TrimSpace(string(t.raw)) == "" && len(more) < 16 {
			continue
		}
		if t.kind != '{' {
			return back()
		}
		break
	}
	if t, err := next(); err != nil || t.kind != 'w' || t.word != "sv" {
		if err != nil {
			return nil, false, err
		}
		return back()
	}
	units, kept, err := c.propertyValue(2)
	if err != nil || !kept {
		return nil, true, err
	}
	// Anything after the value goes with the rest of the group.
	if err := c.skip(1); err != nil {
		return nil, true, err
	}
	return []byte(`{\sp{\sn ` + n + `}{\sv ` + cleanValue(units, pictureName) + `}}`), true, nil
}

// propertyValue reads the value of a property, its {\sv opened, up to its
// closing brace. A value that holds a group or raw bytes (none of which a
// name needs), or is longer than maxProperty, is consumed with the depth
// groups open around it (its own included) and kept is false.
func (c *rtfCleaner) propertyValue(depth int) (units []propUnit, kept bool, err error) {
	size, uc, fallback := 0, -1, 0
	add := func(text, raw string) {
		if fallback > 0 && len(units) > 0 {
			// What a reader without Unicode shows for the \uN before.
			units[len(units)-1].raw += raw
			fallback--
			return
		}
		units = append(units, propUnit{text: text, raw: raw, uc: uc})
	}
	for {
		t, err := c.next()
		if err != nil {
			return nil, false, err
		}
		switch {
		case t.kind == '{':
			return nil, false, c.skip(depth + 1)
		case t.kind == '}':
			return units, true, nil
		case t.kind == 'w' && t.word == "bin":
			if err := c.binary(t, false); err != nil {
				return nil, false, err
			}
			return nil, false, c.skip(depth)
		}
		if size += len(t.raw); size > maxProperty {
			return nil, false, c.skip(depth)
		}
		switch t.kind {
		case 't':
			for i, b := range t.raw {
				raw := string(t.raw[i : i+1]) // the byte as it is, not as a rune
				switch {
				case b == '\r' || b == '\n':
					// Line breaks in the file are not text.
					if len(units) > 0 {
						units[len(units)-1].raw += raw
					} else {
						units = append(units, propUnit{raw: raw, uc: uc})
					}
				case b < 0x80:
					add(raw, raw)
				default:
					add("\ufffd", raw)
				}
			}
		case 's':
			switch r := string(t.raw); r {
			case `\\`, `\{`, `\}`:
				add(r[1:], r)
			default:
				// \'hh is a byte in the document's code page, unknown
				// here; kept as written, it is no path separator (in
				// Shift JIS it can be the second byte of a character).
				add("\ufffd", r)
			}
		case 'w':
			// A space ends every control word kept, whatever follows it
			// once the units before are cut.
			raw := string(t.raw)
			if !t.space {
				raw += " "
			}
			switch {
			case dropWord(t.word):
			case t.word == "u" && t.has && fallback == 0:
				r := rune(t.param)
				if r < 0 {
					r += 1 << 16
				}
				add(string(r), raw)
				if fallback = uc; uc < 0 {
					fallback = 1 // RTF 1.9.1's default, \uc1
				}
			case t.word == "uc" && t.has && fallback == 0:
				units = append(units, propUnit{raw: raw, uc: uc})
				uc = int(t.param)
			default:
				add("", raw)
			}
		}
	}
}

// cleanValue writes a property's value as rename makes it (pictureName,
// linkName): its units as read when it is kept whole or cut to its last
// path element, plain RTF when it becomes another name.
func cleanValue(units []propUnit, rename func(string) string) string {
	var b strings.Builder
	for _, u := range units {
		b.WriteString(u.text)
	}
	v := b.String()
	name := rename(v)
	b.Reset()
	if name == v {
		for _, u := range units {
			b.WriteString(u.raw)
		}
		return b.String()
	}
	trimmed := strings.TrimRight(v, `/\`)
	if strings.HasSuffix(trimmed, name) {
		cut, end := len(trimmed)-len(name), len(trimmed)
		at, first := 0, true
		for _, u := range units {
			if at == cut && first {
				if u.uc >= 0 {
					fmt.Fprintf(&b, `\uc%d `, u.uc)
				}
				first = false
			}
			if at >= cut && at+len(u.text) <= end && !first {
				b.WriteString(u.raw)
			}
			at += len(u.text)
		}
		if !first {
			return b.String()
		}
		b.Reset()
	}
	return rtfText(name)
}

// rtfText writes s as RTF text: \, { and } escaped, characters outside
// printable ASCII as \uN with "?" for readers without Unicode.
func rtfText(s string) string {
	var b strings.Builder
	uc := false
	for _, r := range s {
		if r >= ' ' && r < 0x7f {
			if r == '\\' || r == '{' || r == '}' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
			continue
		}
		if !uc {
			b.WriteString(`\uc1 `)
			uc = true
		}
		units := []rune{r}
		if r1, r2 := utf16.EncodeRune(r); r1 != '\ufffd' {
			units = []rune{r1, r2}
		}
		for _, u := range units {
			fmt.Fprintf(&b, `\u%d?`, int16(uint16(u)))
		}
	}
	return b.String()
}
