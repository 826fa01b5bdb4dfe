package office

import (
	"bufio"
	"bytes"
	"strings"
)

// Word and LibreOffice write a field as {\field{\*\fldinst INSTRUCTION}
// {\fldrslt RESULT}} (RTF 1.9.1 "Fields"), whose instruction names its
// source: HYPERLINK "file:///C:/Users/alice/Documents/plan.docx",
// INCLUDEPICTURE "C:\\Users\\alice\\Pictures\\IMG_4032.JPG" \d,
// INCLUDETEXT, LINK Excel.Sheet.12 "C:\\Users\\alice\\book.xlsx" ...
// A shape's hyperlink (pihlShape) is a group {\*\hl {\hlfr ..}{\hlsrc ..}}.
// An argument of an instruction, or the text of \hlsrc and \hlfr, that is
// a local path (a file: URL, a drive letter or UNC path, an absolute
// Unix one, a relative one that localPath counts as local) becomes what
// baseName makes of it, as a relationship's target does in OOXML; so does
// a local path given as a value of a connection string (DATABASE \c).
// Other targets (https:, mailto:) stay. The field's result, which
// LibreOffice keeps for TEMPLATE, FILENAME and DOCPROPERTY, is
// neutralised as Word's is (fieldResult).

// maxInstruction bounds, in bytes of RTF, a field instruction held to be
// cleaned; a longer one is dropped with its group, and the field shows its
// result. Word's instructions are a few hundred bytes.
const maxInstruction = 8 << 10

// localTarget tells a link target that is a path on the author's disk.
func localTarget(v string) bool {
	u := unescape(v)
	return localPath(v) || strings.HasPrefix(u, "/") || strings.HasPrefix(u, "~/")
}

// linkName is a link target as it leaves: a local path cut to its last
// element.
func linkName(v string) string {
	if localTarget(v) {
		return baseName(v)
	}
	return v
}

// link cleans a group {\hlsrc TARGET} or {\hlfr TARGET} opened by read.
func (c *rtfCleaner) link(read []rtfToken) error {
	var head bytes.Buffer
	head.WriteByte('{')
	for _, t := range read {
		head.Write(t.raw)
	}
	if t := read[len(read)-1]; t.kind == 'w' && !t.space {
		head.WriteByte(' ')
	}
	units, kept, err := c.propertyValue(1)
	if err != nil {
		return err
	}
	if !kept {
		// As for a dropped group: a space delimits a word before.
		if c.bare {
			c.emit([]byte(" "))
		}
		return nil
	}
	c.emit(append(head.Bytes(), cleanValue(units, linkName)+"}"...))
	return nil
}

// instUnit is one character of an instruction: text is how the field
// reads it ("" for a brace, a control word, a line break in the file or
// what a nested destination holds), raw the RTF that writes it.
type instUnit struct{ text, raw string }

// instSpan is an argument to rewrite: the text in [start, end) goes but
// for [keep, keepEnd), or is replaced by "link" when keep < 0.
type instSpan struct{ start, end, keep, keepEnd int }

// instruction reads the rest of a field instruction group opened by read,
// {\*\fldinst. When it names no local path its tokens are put back as
// read; when it does they are put back rewritten; either way handled is
// false and the caller copies them. An instruction longer than
// maxInstruction, or holding raw bytes (\bin), is consumed and handled.
func (c *rtfCleaner) instruction(read []rtfToken) (handled bool, err error) {
	toks := append([]rtfToken(nil), read...)
	size, depth := 0, 1
	for depth > 0 {
		t, err := c.next()
		if err != nil {
			return false, err
		}
		size += len(t.raw)
		switch t.kind {
		case '{':
			depth++
		case '}':
			depth--
		}
		if bin := t.kind == 'w' && t.word == "bin"; bin || size > maxInstruction {
			if bin {
				if err := c.binary(t, false); err != nil {
					return false, err
				}
			}
			if err := c.skip(depth); err != nil {
				return false, err
			}
			if c.bare {
				c.emit([]byte(" "))
			}
			return true, nil
		}
		toks = append(toks, t)
	}
	units := instructionUnits(toks)
	var text strings.Builder
	for _, u := range units {
		text.WriteString(u.text)
	}
	if spans := localArguments(text.String()); len(spans) > 0 {
		toks = retokenize(rewrite(units, spans))
	}
	after, err := c.result(fieldResult(text.String(), c.locked))
	if err != nil {
		return false, err
	}
	c.pending = append(append(toks, after...), c.pending...)
	return false, nil
}

// maxResult bounds, in bytes of RTF, a field result held to be
// neutralised; a longer one, or one holding raw bytes (\bin), is emptied.
const maxResult = 8 << 10

// result reads what follows a field's instruction and, when it is the
// field's result, {\fldrslt RESULT}, and neutral tells what the result
// of this field becomes (fieldResult: the author for AUTHOR, a path's
// last element for TEMPLATE and FILENAME, nothing for DOCPROPERTY,
// SAVEDATE ...), returns it rewritten: its groups and control words stay,
// the text it shows is what neutral makes of it. Otherwise it returns
// the tokens it read, as they were. Either way the caller puts them back
// to be copied, so what the result holds is still cleaned.
func (c *rtfCleaner) result(neutral func(string) string) ([]rtfToken, error) {
	if neutral == nil {
		return nil, nil
	}
	var read []rtfToken
	for {
		t, err := c.next()
		if err != nil {
			return nil, err
		}
		read = append(read, t)
		// Line breaks between the groups are no text.
		if t.kind != 't' || strings.Trim(string(t.raw), "\r\n") != "" {
			break
		}
	}
	if read[len(read)-1].kind != '{' {
		return read, nil
	}
	t, err := c.next()
	if err != nil {
		return nil, err
	}
	read = append(read, t)
	if t.kind != 'w' || t.word != "fldrslt" {
		return read, nil
	}
	open := read[:len(read)-1]
	toks := []rtfToken{t}
	size, depth := 0, 1
	for depth > 0 {
		t, err := c.next()
		if err != nil {
			return nil, err
		}
		size += len(t.raw)
		switch t.kind {
		case '{':
			depth++
		case '}':
			depth--
		}
		if bin := t.kind == 'w' && t.word == "bin"; bin || size > maxResult {
			if bin {
				if err := c.binary(t, false); err != nil {
					return nil, err
				}
			}
			if err := c.skip(depth); err != nil {
				return nil, err
			}
			return append(open, toks[0], rtfToken{kind: '}', raw: []byte("}")}), nil
		}
		toks = append(toks, t)
	}
	units := instructionUnits(toks)
	var shown strings.Builder
	for _, u := range units {
		shown.WriteString(u.text)
	}
	v := neutral(shown.String())
	if shown.Len() == 0 || v == shown.String() {
		return append(open, toks...), nil
	}
	return append(open, retokenize(neutralText(units, shown.String(), v))...), nil
}

// neutralText writes a field's result showing v instead of shown, the
// text of its units. Where shown holds v (a path's last element) the
// units that write it stay as they were, in the document's code page or
// in Unicode; otherwise v takes the place of the first character.
func neutralText(units []instUnit, shown, v string) []byte {
	var b bytes.Buffer
	k := strings.LastIndex(shown, v)
	at, inserted := 0, false
	for _, u := range units {
		switch {
		case u.text == "":
			b.WriteString(u.raw)
		case k >= 0 && at >= k && at+len(u.text) <= k+len(v):
			b.WriteString(u.raw)
		case k < 0 && !inserted:
			b.WriteString(rtfText(v))
			inserted = true
		}
		at += len(u.text)
	}
	return b.Bytes()
}

// instructionUnits decodes an instruction's tokens, from its destination
// word to its closing brace, into characters.
func instructionUnits(toks []rtfToken) []instUnit {
	var units []instUnit
	uc := []int{1} // \ucN in each open group, RTF 1.9.1's \uc1 outside
	depth, opaque, fallback := 0, 0, 0
	for i, t := range toks {
		raw := string(t.raw)
		if t.kind == 'w' && !t.space {
			// A space ends every control word, whatever text follows it
			// once the text after it is cut.
			raw += " "
		}
		switch {
		case t.kind == '{':
			depth++
			uc = append(uc, uc[len(uc)-1])
			fallback = 0
			if opaque == 0 && i+1 < len(toks) && string(toks[i+1].raw) == `\*` {
				// A nested destination ({\*\datafield ..}) is no text of
				// the instruction.
				opaque = depth
			}
			units = append(units, instUnit{raw: raw})
			continue
		case t.kind == '}':
			if opaque == depth {
				opaque = 0
			}
			if depth--; len(uc) > 1 {
				uc = uc[:len(uc)-1]
			}
			fallback = 0
			units = append(units, instUnit{raw: raw})
			continue
		case opaque > 0:
			units = append(units, instUnit{raw: string(t.raw)})
			continue
		}
		if t.kind == 't' {
			for j, b := range t.raw {
				r := string(t.raw[j : j+1])
				switch {
				case fallback > 0 && len(units) > 0:
					units[len(units)-1].raw += r
					fallback--
				case b == '\r' || b == '\n':
					units = append(units, instUnit{raw: r})
				case b < 0x80:
					units = append(units, instUnit{text: r, raw: r})
				default:
					units = append(units, instUnit{text: "\ufffd", raw: r})
				}
			}
			continue
		}
		if fallback > 0 && len(units) > 0 {
			units[len(units)-1].raw += raw
			fallback--
			continue
		}
		switch {
		case t.kind == 's' && raw == `\*`:
			units = append(units, instUnit{raw: raw})
		case t.kind == 's' && (raw == `\\` || raw == `\{` || raw == `\}`):
			units = append(units, instUnit{text: raw[1:], raw: raw})
		case t.kind == 's':
			// \'hh is a byte in the document's code page, unknown here,
			// and no path separator or quote.
			units = append(units, instUnit{text: "\ufffd", raw: raw})
		case t.word == "u" && t.has:
			r := rune(t.param)
			if r < 0 {
				r += 1 << 16
			}
			units = append(units, instUnit{text: string(r), raw: raw})
			fallback = uc[len(uc)-1]
		case t.word == "uc" && t.has:
			uc[len(uc)-1] = int(t.param)
			units = append(units, instUnit{raw: raw})
		case t.word == "ldblquote":
			units = append(units, instUnit{text: "\u201c", raw: raw})
		case t.word == "rdblquote":
			units = append(units, instUnit{text: "\u201d", raw: raw})
		default:
			units = append(units, instUnit{raw: raw})
		}
	}
	return units
}

// localArguments finds the arguments of an instruction that are local
// paths. Arguments are separated by spaces, or quoted, where \" is a
// quote and \\ a backslash (as Word reads a field code). Word takes
// typographic quotes for straight ones, and its AutoCorrect can leave
// them in a field code typed by hand (“C:\\Users\\alice\\plan.docx”):
// either of “ and ” opens and closes an argument too.
func localArguments(s string) []instSpan {
	var spans []instSpan
	for i := 0; i < len(s); {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		start, end := i, i
		if q := quoteAt(s, i); q > 0 {
			start, end = i+q, i+q
			for end < len(s) && quoteAt(s, end) == 0 {
				if s[end] == '\\' && end+1 < len(s) {
					end++
				}
				end++
			}
			i = end + max(quoteAt(s, end), 1)
		} else {
			for end < len(s) && s[end] != ' ' && s[end] != '\t' {
				end++
			}
			i = end
		}
		if sp, ok := pathSpan(s, start, end); ok {
			spans = append(spans, sp)
			continue
		}
		spans = append(spans, connectionPaths(s, start, end)...)
	}
	return spans
}

// quoteAt tells the length of the quote that starts s[i:], or 0: a
// straight one, or a typographic double one (U+201C, U+201D).
func quoteAt(s string, i int) int {
	switch {
	case i >= len(s):
		return 0
	case s[i] == '"':
		return 1
	case strings.HasPrefix(s[i:], "\u201c") || strings.HasPrefix(s[i:], "\u201d"):
		return len("\u201c")
	}
	return 0
}

// pathSpan tells the argument s[start:end] cut to its last element when
// it is a local path.
func pathSpan(s string, start, end int) (instSpan, bool) {
	arg := s[start:end]
	if !localTarget(arg) {
		return instSpan{}, false
	}
	name := baseName(arg)
	if name == arg {
		return instSpan{}, false
	}
	sp := instSpan{start: start, end: end, keep: -1}
	trimmed := strings.TrimRight(arg, `/\`)
	// A name holding a quote would end the argument early once cut.
	if !strings.ContainsAny(name, "\"\u201c\u201d") && strings.HasSuffix(trimmed, name) {
		sp.keep, sp.keepEnd = start+len(trimmed)-len(name), start+len(trimmed)
	}
	return sp, true
}

// connectionPaths finds the local paths among the values of an argument
// that is a connection string, KEY=VALUE;KEY=VALUE: DATABASE's \c
// "Provider=Microsoft.ACE.OLEDB.12.0;Data Source=C:\\Users\\NAME\\db.accdb"
// names the database's file in OLE DB's Data Source and Initial Catalog,
// ODBC's DBQ and DefaultDir, Jet's System database. Whatever the key, a
// value that is a local path keeps its last element, as an argument does.
func connectionPaths(s string, start, end int) []instSpan {
	var spans []instSpan
	for i := start; i < end; {
		j := strings.IndexByte(s[i:end], ';')
		if j < 0 {
			j = end - i
		}
		if eq := strings.IndexByte(s[i:i+j], '='); eq >= 0 {
			vs, ve := i+eq+1, i+j
			for vs < ve && s[vs] == ' ' {
				vs++
			}
			for ve > vs && s[ve-1] == ' ' {
				ve--
			}
			if sp, ok := pathSpan(s, vs, ve); ok {
				spans = append(spans, sp)
			}
		}
		i += j + 1
	}
	return spans
}

// rewrite writes an instruction with its spans cut: braces and control
// words stay where they are, so the groups still close.
func rewrite(units []instUnit, spans []instSpan) []byte {
	var b bytes.Buffer
	at, k, inserted := 0, 0, false
	for _, u := range units {
		if u.text == "" {
			b.WriteString(u.raw)
			continue
		}
		for k < len(spans) && at >= spans[k].end {
			k++
			inserted = false
		}
		switch {
		case k < len(spans) && at >= spans[k].start:
			sp := spans[k]
			if sp.keep < 0 && !inserted {
				b.WriteString("link")
				inserted = true
			}
			if at >= sp.keep && at < sp.keepEnd {
				b.WriteString(u.raw)
			}
		default:
			b.WriteString(u.raw)
		}
		at += len(u.text)
	}
	return b.Bytes()
}

// retokenize reads RTF written by rewrite back into tokens.
func retokenize(b []byte) []rtfToken {
	r := &rtfCleaner{in: bufio.NewReader(bytes.NewReader(b))}
	var toks []rtfToken
	for {
		t, err := r.next()
		if err != nil {
			return toks
		}
		toks = append(toks, t)
	}
}
