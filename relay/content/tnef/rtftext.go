package tnef

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// An Outlook rich-text body comes in one of three forms, and each is turned
// into what its writer typed, so that the relay cleans it as the text or
// HTML it is ([MS-OXRTFEX] section 1.3.1):
//   - HTML encapsulated in RTF (\fromhtml1, what Outlook writes for an HTML
//     message it stores as RTF): the original HTML is recovered
//     (section 2.2.3.2);
//   - plain text encapsulated in RTF (\fromtext): the original text is
//     recovered (section 2.2.3.3);
//   - RTF of its own (a message written in Outlook's rich-text format):
//     its text is taken out, as a reader shows it, without the formatting.

type rtfForm int

const (
	rtfNative rtfForm = iota
	rtfFromHTML
	rtfFromText
)

// maxRTFDepth bounds group nesting, as the office package's RTF cleaner
// does.
const maxRTFDepth = 4096

// rtfBody returns the text of an RTF body, and whether it is HTML. The
// text is UTF-8 and at most max bytes (errTooLarge past it); each input
// byte yields at most three output bytes. An RTF body that does not start
// with "{\rtf" is refused as Malformed; one whose non-ASCII text is in a
// code page not in codepages as Unsupported.
func rtfBody(b []byte, max int64) (string, bool, error) {
	if !bytes.HasPrefix(b, []byte(`{\rtf`)) {
		return "", false, errMalformed
	}
	r := &rtfReader{lex: rtfLexer{b: b}, form: recognize(b), max: max, fonts: map[int]uint32{}}
	r.st.uc = 1
	if err := r.run(); err != nil {
		return "", false, err
	}
	return r.out.String(), r.form == rtfFromHTML, nil
}

// recognize tells the form of an RTF body as [MS-OXRTFEX] section 2.2.3.1
// says: \fromhtml1 or \fromtext among the first 10 tokens.
func recognize(b []byte) rtfForm {
	l := rtfLexer{b: b}
	for range 10 {
		t, ok := l.next()
		if !ok {
			break
		}
		switch {
		case t.kind == 'w' && t.word == "fromhtml" && t.param == 1:
			return rtfFromHTML
		case t.kind == 'w' && t.word == "fromtext":
			return rtfFromText
		}
	}
	return rtfNative
}

// rtfToken is one token of RTF 1.9.1 ("Conventions of an RTF Reader").
type rtfToken struct {
	kind  byte   // '{', '}', 'w' control word, 's' control symbol, 'x' \'hh, 't' text
	word  string // the control word, or the symbol's character
	param int    // the word's parameter, the \'hh byte
	has   bool   // the word had a parameter
	text  []byte // a text run, without CR and LF
}

type rtfLexer struct {
	b []byte
	i int
}

// next reads one token; ok is false at the end of the input. CR and LF
// are not text in RTF and are left out; a \binN's N bytes are skipped.
func (l *rtfLexer) next() (rtfToken, bool) {
	for l.i < len(l.b) && (l.b[l.i] == '\r' || l.b[l.i] == '\n') {
		l.i++
	}
	if l.i >= len(l.b) {
		return rtfToken{}, false
	}
	c := l.b[l.i]
	switch c {
	case '{', '}':
		l.i++
		return rtfToken{kind: c}, true
	case '\\':
		return l.control()
	}
	start := l.i
	for l.i < len(l.b) && !strings.ContainsRune("\\{}\r\n", rune(l.b[l.i])) {
		l.i++
	}
	return rtfToken{kind: 't', text: l.b[start:l.i]}, true
}

func (l *rtfLexer) control() (rtfToken, bool) {
	l.i++ // the backslash
	if l.i >= len(l.b) {
		return rtfToken{}, false
	}
	c := l.b[l.i]
	l.i++
	if !isLetter(c) {
		if c == '\'' {
			if l.i+2 > len(l.b) {
				l.i = len(l.b)
				return rtfToken{}, false
			}
			hi, ok1 := unhex(l.b[l.i])
			lo, ok2 := unhex(l.b[l.i+1])
			l.i += 2
			if !ok1 || !ok2 {
				return rtfToken{kind: 's', word: "'"}, true // ignored
			}
			return rtfToken{kind: 'x', param: hi<<4 | lo}, true
		}
		return rtfToken{kind: 's', word: string(c)}, true
	}
	start := l.i - 1
	for l.i < len(l.b) && isLetter(l.b[l.i]) {
		l.i++
	}
	t := rtfToken{kind: 'w', word: string(l.b[start:l.i])}
	neg := l.i+1 < len(l.b) && l.b[l.i] == '-' && isDigit(l.b[l.i+1])
	if neg {
		l.i++
	}
	for l.i < len(l.b) && isDigit(l.b[l.i]) {
		if t.param < 1<<24 { // past it the number means nothing here
			t.param = t.param*10 + int(l.b[l.i]-'0')
		}
		t.has = true
		l.i++
	}
	if neg {
		t.param = -t.param
	}
	if l.i < len(l.b) && l.b[l.i] == ' ' {
		l.i++ // the delimiter, not text
	}
	if t.word == "bin" && t.param > 0 {
		l.i += min(t.param, len(l.b)-l.i)
	}
	return t, true
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool  { return b >= '0' && b <= '9' }

func unhex(b byte) (int, bool) {
	switch {
	case b >= '0' && b <= '9':
		return int(b - '0'), true
	case b >= 'a' && b <= 'f':
		return int(b-'a') + 10, true
	case b >= 'A' && b <= 'F':
		return int(b-'A') + 10, true
	}
	return 0, false
}

// rtfGroup is the state a group carries and restores when it closes
// (RTF 1.9.1; [MS-OXRTFEX] section 2.1.3.1.3 for \htmlrtf).
type rtfGroup struct {
	dest    string // the destination the group opened, "" for none
	hide    bool   // a destination whose text is not shown
	htmlrtf bool   // inside \htmlrtf … \htmlrtf0: not part of the original
	tag     bool   // inside an HTMLTAG or MHTMLTAG destination
	fonttbl bool   // inside the font table
	uc      int    // \ucN: fallback characters after each \uN
	font    int    // \fN
}

type rtfReader struct {
	lex   rtfLexer
	form  rtfForm
	max   int64
	st    rtfGroup
	stack []rtfGroup
	first bool // the last token opened a group: a destination may follow
	star  bool // the group opened with \*

	defCP   uint32         // \ansicpgN, or what \ansi, \mac, \pc, \pca imply
	cpSet   bool           // \ansicpgN was given
	deff    int            // \deffN
	fonts   map[int]uint32 // the font table: \fN to its code page
	tblFont int            // the font the font table is defining

	out    strings.Builder
	pend   []byte // text bytes in pendCP not yet decoded
	pendCP uint32
	skip   int  // fallback characters of a \uN still to skip
	high   rune // a high surrogate waiting for its low half

	// dropTag is set when an MHTMLTAG group closes: an HTMLTAG group right
	// after it holds the same tag rewritten, and is not copied.
	dropTag bool
}

func (r *rtfReader) run() error {
	depth := 0
	for {
		t, ok := r.lex.next()
		if !ok {
			break
		}
		first, star := r.first, r.star
		r.first, r.star = false, false
		switch t.kind {
		case '{':
			if depth++; depth > maxRTFDepth {
				return errMalformed
			}
			r.skip = 0
			r.stack = append(r.stack, r.st)
			r.st.dest = ""
			r.first = true
			continue
		case '}':
			r.skip = 0
			if r.st.dest == "mhtmltag" {
				r.dropTag = true
			}
			if depth--; depth == 0 {
				return r.finish()
			}
			if len(r.stack) > 0 {
				r.st, r.stack = r.stack[len(r.stack)-1], r.stack[:len(r.stack)-1]
			}
			continue
		case 's':
			if t.word == "*" && first {
				r.first, r.star = true, true
				continue
			}
		case 'w':
			if first && r.destination(t, star) {
				continue
			}
			if star {
				// An ignorable destination this reader does not know
				// ([MS-OXRTFEX] section 2.1 rule 2).
				r.st.dest, r.st.hide = t.word, true
				continue
			}
		}
		if err := r.token(t); err != nil {
			return err
		}
	}
	return r.finish()
}

// rtfHidden are the destinations whose content is not text a reader
// shows (RTF 1.9.1): tables of fonts, colours, styles and lists, the
// document's information, pictures, a field's instruction (its result is
// what shows), headers and footers, and the number text of a list item
// (Outlook's HTML carries its own).
var rtfHidden = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "info": true, "pict": true,
	"object": true, "fldinst": true, "listtable": true, "listoverridetable": true,
	"revtbl": true, "rsidtbl": true, "filetbl": true, "generator": true, "xmlnstbl": true,
	"header": true, "headerl": true, "headerr": true, "headerf": true,
	"footer": true, "footerl": true, "footerr": true, "footerf": true,
	"pntext": true, "pntxta": true, "pntxtb": true, "themedata": true, "datastore": true,
}

// destination handles the first control word of a group, and reports
// whether it opened a destination.
func (r *rtfReader) destination(t rtfToken, star bool) bool {
	encap := r.form == rtfFromHTML
	switch {
	case star && encap && (t.word == "htmltag" || t.word == "mhtmltag"):
		// The CONTENT of an HTMLTAG group is copied; its HTMLTagParameter
		// (the control word's number) is not ([MS-OXRTFEX] section
		// 2.2.3.2). An MHTMLTAG group holds a tag whose URLs are the
		// message's cid: references, and the HTMLTAG group that follows
		// it the same tag rewritten for a file on disk: the first is the
		// one a message carries. Inside a destination not shown, neither
		// is shown.
		drop := t.word == "htmltag" && r.dropTag
		r.dropTag = false
		r.st.dest, r.st.tag, r.st.hide = t.word, true, r.st.hide || drop
		return true
	case t.word == "result" && len(r.stack) >= 2 && r.stack[len(r.stack)-1].dest == "object":
		// What a reader shows in place of an embedded object, if it shows
		// the object's group at all (the state the object's group opened
		// in is under the object's own).
		r.st.dest, r.st.hide = t.word, r.stack[len(r.stack)-2].hide
		return true
	case rtfHidden[t.word]:
		r.st.dest, r.st.hide = t.word, true
		r.st.fonttbl = r.st.fonttbl || t.word == "fonttbl"
		return true
	}
	return false
}

// token handles a token that opens no group and no destination.
func (r *rtfReader) token(t rtfToken) error {
	// What follows an MHTMLTAG group other than its HTMLTAG group ends the
	// pairing.
	r.dropTag = false
	switch t.kind {
	case 't':
		for _, c := range t.text {
			if err := r.byte(c); err != nil {
				return err
			}
		}
		return nil
	case 'x':
		return r.byte(byte(t.param))
	case 's':
		return r.symbol(t.word)
	}
	return r.word(t)
}

// shows reports whether text read now is copied out: not in a hidden
// destination, and, in an encapsulating document, not marked by \htmlrtf
// as RTF's own ([MS-OXRTFEX] section 2.1.3.1.3).
func (r *rtfReader) shows() bool {
	if r.st.hide {
		return false
	}
	return r.form == rtfNative || !r.st.htmlrtf
}

// byte takes one text byte, in the code page of the current font; in an
// HTMLTAG group, in the document's ([MS-OXRTFEX] section 2.2.3.2).
func (r *rtfReader) byte(c byte) error {
	if r.skip > 0 {
		r.skip--
		return nil
	}
	if !r.shows() {
		return nil
	}
	if err := r.emitHigh(); err != nil {
		return err
	}
	cp := r.defCP
	if f, ok := r.fonts[r.st.font]; ok && !r.st.tag {
		cp = f
	}
	if len(r.pend) > 0 && cp != r.pendCP {
		if err := r.flush(); err != nil {
			return err
		}
	}
	r.pend, r.pendCP = append(r.pend, c), cp
	return nil
}

// rtfSymbols are what the control symbols stand for ([MS-OXRTFEX]
// section 2.1.3.1.4.2; RTF 1.9.1 "Special Characters"). A native
// document's \_ is a non-breaking hyphen, shown as a hyphen.
var rtfSymbols = map[string]string{
	"{": "{", "}": "}", "\\": "\\", "~": "\u00a0", "_": "\u00ad",
}

func (r *rtfReader) symbol(s string) error {
	if r.skip > 0 {
		r.skip--
		return nil
	}
	if !r.shows() {
		return nil
	}
	out, ok := rtfSymbols[s]
	switch {
	case s == "_" && r.form == rtfNative:
		out = "-"
	case s == "\r" || s == "\n":
		return r.word(rtfToken{kind: 'w', word: "par"}) // "\" before a line end is \par
	case !ok:
		return nil // \- optional hyphen, \| \: index marks, a \' that was not hex
	}
	return r.emit(out)
}

// rtfWords are the control words that stand for characters ([MS-OXRTFEX]
// section 2.1.3.1.4.2; RTF 1.9.1 "Special Characters").
var rtfWords = map[string]string{
	"tab": "\t", "lquote": "\u2018", "rquote": "\u2019", "ldblquote": "\u201c",
	"rdblquote": "\u201d", "bullet": "\u2022", "endash": "\u2013", "emdash": "\u2014",
}

func (r *rtfReader) word(t rtfToken) error {
	// Words that change how text is read, whether or not it shows.
	switch t.word {
	case "uc":
		r.st.uc = min(max(t.param, 0), 16)
		return nil
	case "u":
		return r.unicode(t.param)
	case "htmlrtf":
		r.st.htmlrtf = !t.has || t.param != 0
		return nil
	case "f":
		if r.st.fonttbl {
			r.tblFont = t.param
		} else {
			r.st.font = t.param
		}
		return nil
	case "fcharset":
		if cp, ok := fontCharsets[t.param]; ok && r.st.fonttbl {
			r.fonts[r.tblFont] = cp
		}
		return nil
	case "cpg":
		if _, ok := codepages[uint32(t.param)]; ok && t.param > 0 && r.st.fonttbl {
			r.fonts[r.tblFont] = uint32(t.param)
		}
		return nil
	case "ansicpg":
		r.defCP, r.cpSet = uint32(max(t.param, 0)), true
		return nil
	case "ansi", "mac", "pc", "pca":
		if !r.cpSet {
			r.defCP = map[string]uint32{"ansi": 1252, "mac": 10000, "pc": 437, "pca": 850}[t.word]
		}
		return nil
	case "deff":
		r.deff = t.param
		r.st.font = t.param
		return nil
	case "plain":
		r.st.font = r.deff
		return nil
	}
	if r.skip > 0 {
		r.skip--
		return nil
	}
	if !r.shows() {
		return nil
	}
	if s, ok := rtfWords[t.word]; ok {
		return r.emit(s)
	}
	if r.form != rtfNative {
		// [MS-OXRTFEX] section 2.1.3.1.4.2: \par is CRLF. Other words in
		// an HTMLTAG group are ignored (section 2.2.3.2); outside one, a
		// \line is a line break of the original text.
		if t.word == "par" || t.word == "line" && !r.st.tag {
			return r.emit("\r\n")
		}
		return nil
	}
	switch t.word {
	case "par", "line", "sect", "page", "row":
		return r.emit("\n")
	case "cell", "nestcell":
		return r.emit("\t")
	case "emspace", "enspace", "qmspace":
		return r.emit(" ")
	}
	return nil
}

// unicode takes \uN: a signed 16-bit UTF-16 unit, followed by \ucN
// fallback characters for readers without Unicode, which are skipped
// (RTF 1.9.1 "Unicode RTF"). A surrogate pair comes as two \uN.
func (r *rtfReader) unicode(n int) error {
	r.skip = r.st.uc
	if !r.shows() {
		return nil
	}
	if n < 0 {
		n += 0x10000
	}
	c := rune(n & 0xFFFF)
	if utf16.IsSurrogate(c) && c < 0xDC00 {
		if err := r.emitHigh(); err != nil {
			return err
		}
		r.high = c
		return nil
	}
	if r.high != 0 && utf16.IsSurrogate(c) {
		c, r.high = utf16.DecodeRune(r.high, c), 0
	}
	return r.emit(string(c)) // a lone surrogate becomes U+FFFD
}

// emitHigh writes a high surrogate that no low one followed, as U+FFFD.
func (r *rtfReader) emitHigh() error {
	if r.high == 0 {
		return nil
	}
	r.high = 0
	return r.emit(string(utf8.RuneError))
}

func (r *rtfReader) emit(s string) error {
	if err := r.flush(); err != nil {
		return err
	}
	if r.high != 0 {
		r.high = 0
		r.out.WriteRune(utf8.RuneError)
	}
	r.out.WriteString(s)
	return r.check()
}

// flush decodes the pending text bytes.
func (r *rtfReader) flush() error {
	if len(r.pend) == 0 {
		return nil
	}
	// ASCII reads the same in every code page RTF is written in.
	s := string(r.pend)
	if !isASCII(r.pend) {
		var err error
		if s, err = decodeCodepage(r.pendCP, r.pend); err != nil {
			return err
		}
	}
	r.pend = r.pend[:0]
	r.out.WriteString(s)
	return r.check()
}

func (r *rtfReader) check() error {
	if int64(r.out.Len()) > r.max {
		return errTooLarge
	}
	return nil
}

func (r *rtfReader) finish() error {
	if err := r.emitHigh(); err != nil {
		return err
	}
	return r.flush()
}

// fontCharsets maps a font's \fcharsetN to its Windows code page (RTF
// 1.9.1 "Font Table"); a charset not here reads in the document's.
// ANSI (0), default (1) and symbol (2) fonts read in the document's code
// page, the one \ansicpgN names.
var fontCharsets = map[int]uint32{
	77: 10000, 128: 932, 129: 949, 134: 936, 136: 950,
	161: 1253, 162: 1254, 163: 1258, 177: 1255, 178: 1256, 186: 1257,
	204: 1251, 222: 874, 238: 1250, 254: 437, 255: 850,
}
