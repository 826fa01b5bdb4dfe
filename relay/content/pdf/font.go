package pdf

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// font maps the codes of the strings a page shows in one font to Unicode
// (9.10.2): through its ToUnicode CMap, which LibreOffice and Word write
// for the subset fonts they embed, or, for a simple font, through its
// encoding and the glyph names of its /Differences. A code neither maps is
// dropped.
type font struct {
	composite bool
	// space are the code space ranges of a composite font; without any,
	// codes are two bytes (Identity-H, 9.7.5.2).
	space []codeRange
	uni   map[uint64]string // ToUnicode: len<<32 | code → text
	enc   *[256]string      // a simple font's encoding, nil if none applies
	// codes is a simple font's table, its encoding with its ToUnicode
	// mappings over it (see simple), looked up for each byte shown.
	codes *[256]string
}

// simple builds the table of a simple font from its encoding and its
// ToUnicode mappings, which win.
func (f *font) simple() {
	var t [256]string
	if f.enc != nil {
		t = *f.enc
	}
	for c := range 256 {
		if u, ok := f.uni[1<<32|uint64(c)]; ok {
			t[c] = u
		}
	}
	f.codes = &t
}

type codeRange struct{ lo, hi []byte }

// maxCMapEntries bounds the entries all ToUnicode CMaps of a document may
// add: a bfrange can name 65,536 codes in 20 bytes. Real subset fonts map
// a few hundred codes each.
const maxCMapEntries = 1 << 20

// decode appends the text the codes in s show to dst.
func (f *font) decode(dst, s []byte) []byte {
	if f == nil {
		f = &plainFont
	}
	if f.codes != nil {
		for _, c := range s {
			dst = append(dst, f.codes[c]...)
		}
		return dst
	}
	for len(s) > 0 {
		n := 1
		if f.composite {
			n = f.codeLength(s)
		}
		var code uint64
		for _, c := range s[:n] {
			code = code<<8 | uint64(c)
		}
		code |= uint64(n) << 32
		if u, ok := f.uni[code]; ok {
			dst = append(dst, u...)
		} else if f.enc != nil && n == 1 {
			dst = append(dst, f.enc[s[0]]...)
		}
		s = s[n:]
	}
	return dst
}

// codeLength returns the length of the code at the start of s (9.7.6.2):
// the range it falls in, else as many bytes as the shortest range has.
func (f *font) codeLength(s []byte) int {
	if len(f.space) == 0 {
		return min(2, len(s))
	}
	shortest := 4
	for _, r := range f.space {
		n := len(r.lo)
		shortest = min(shortest, n)
		if n > len(s) {
			continue
		}
		in := true
		for k := range n {
			if s[k] < r.lo[k] || s[k] > r.hi[k] {
				in = false
				break
			}
		}
		if in {
			return n
		}
	}
	return min(shortest, len(s))
}

// plainFont reads codes as ASCII, for text shown before any font is set.
var plainFont = font{codes: &standard}

// parseCMap reads a CMap (9.7.5, 9.10.3): the code space ranges, and the
// bfchar and bfrange mappings into f.uni. entries is the document's
// remaining allowance of mappings.
func parseCMap(f *font, data []byte, entries *int) {
	l := lexer{b: data}
	var ops []token
	mode := ""
	for {
		t, ok := l.next()
		if !ok {
			return
		}
		if t.kind == tokOperator {
			switch op := string(t.b); op {
			case "begincodespacerange", "beginbfchar", "beginbfrange":
				mode = op
			default:
				mode = ""
			}
			ops = ops[:0]
			l.buf = l.buf[:0]
			continue
		}
		if mode == "" {
			continue
		}
		if t.kind == tokArray {
			// A bfrange's destinations as an array: read up to its end.
			var arr []token
			for {
				e, ok := l.next()
				if !ok || e.kind == tokArrayEnd || e.kind == tokOperator {
					break
				}
				arr = append(arr, e)
			}
			if len(ops) == 2 {
				mapArray(f, ops[0].b, ops[1].b, arr, entries)
			}
			ops = ops[:0]
			continue
		}
		ops = append(ops, t)
		switch {
		case mode == "begincodespacerange" && len(ops) == 2:
			lo, hi := ops[0].b, ops[1].b
			if len(lo) == len(hi) && len(lo) >= 1 && len(lo) <= 4 && len(f.space) < 256 {
				f.space = append(f.space, codeRange{bytes.Clone(lo), bytes.Clone(hi)})
			}
			ops = ops[:0]
		case mode == "beginbfchar" && len(ops) == 2:
			if ops[0].kind == tokString && len(ops[0].b) >= 1 && len(ops[0].b) <= 4 && *entries > 0 {
				if u, ok := cmapText(ops[1]); ok {
					f.set(ops[0].b, 0, u)
					*entries--
				}
			}
			ops = ops[:0]
		case mode == "beginbfrange" && len(ops) == 3:
			mapRange(f, ops[0].b, ops[1].b, ops[2], entries)
			ops = ops[:0]
		}
	}
}

// cmapText is the text a CMap's destination holds: UTF-16BE in a string,
// or a glyph name.
func cmapText(t token) (string, bool) {
	switch t.kind {
	case tokString:
		return utf16BE(t.b), true
	case tokName:
		return glyphText(string(t.b)), true
	}
	return "", false
}

// set maps the code lo+off (the same length as lo) to u.
func (f *font) set(lo []byte, off uint64, u string) {
	if f.uni == nil {
		f.uni = make(map[uint64]string)
	}
	var code uint64
	for _, c := range lo {
		code = code<<8 | uint64(c)
	}
	f.uni[uint64(len(lo))<<32|(code+off)] = u
}

// span returns the number of codes from lo to hi, 0 if they are no range.
func span(lo, hi []byte) uint64 {
	if len(lo) != len(hi) || len(lo) < 1 || len(lo) > 4 {
		return 0
	}
	var a, b uint64
	for i := range lo {
		a, b = a<<8|uint64(lo[i]), b<<8|uint64(hi[i])
	}
	if b < a || b-a > 0xFFFF {
		return 0
	}
	return b - a + 1
}

// mapRange maps a bfrange whose destination is one string: each code
// after the first adds one to the destination's last UTF-16 unit.
func mapRange(f *font, lo, hi []byte, dst token, entries *int) {
	n := span(lo, hi)
	if n == 0 || dst.kind != tokString || len(dst.b) < 2 {
		return
	}
	units := make([]uint16, len(dst.b)/2)
	for i := range units {
		units[i] = uint16(dst.b[2*i])<<8 | uint16(dst.b[2*i+1])
	}
	last := units[len(units)-1]
	for off := range n {
		if *entries <= 0 {
			return
		}
		*entries--
		units[len(units)-1] = last + uint16(off)
		f.set(lo, off, string(utf16.Decode(units)))
	}
}

// mapArray maps a bfrange whose destinations are an array, one per code.
func mapArray(f *font, lo, hi []byte, dst []token, entries *int) {
	n := span(lo, hi)
	for off := uint64(0); off < n && off < uint64(len(dst)); off++ {
		if *entries <= 0 {
			return
		}
		if u, ok := cmapText(dst[off]); ok {
			*entries--
			f.set(lo, off, u)
		}
	}
}

// utf16BE decodes b as UTF-16BE; an odd last byte is dropped.
func utf16BE(b []byte) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(units))
}

// The simple fonts' encodings (Annex D): the codes of printable ASCII are
// the same in all three but for StandardEncoding's quotes.
var standard, winAnsi, macRoman [256]string

func init() {
	for c := 0x20; c < 0x7F; c++ {
		standard[c] = string(rune(c))
	}
	standard['\''], standard['`'] = "’", "‘"
	for c := range 256 {
		if r := charmap.Windows1252.DecodeByte(byte(c)); c >= 0x20 && r != utf8.RuneError {
			winAnsi[c] = string(r)
		}
		if r := charmap.Macintosh.DecodeByte(byte(c)); c >= 0x20 && r != utf8.RuneError {
			macRoman[c] = string(r)
		}
	}
}

func baseEncoding(name string) *[256]string {
	switch name {
	case "WinAnsiEncoding":
		return &winAnsi
	case "MacRomanEncoding":
		return &macRoman
	}
	return &standard
}

// glyphs are the glyph names (Adobe Glyph List) of printable ASCII and
// the common ligatures: enough for the text of an address in a font whose
// /Differences name its glyphs. Single letters are their own names.
var glyphs = map[string]string{
	"space": " ", "exclam": "!", "quotedbl": `"`, "numbersign": "#", "dollar": "$",
	"percent": "%", "ampersand": "&", "quotesingle": "'", "quoteright": "’", "quoteleft": "‘",
	"parenleft": "(", "parenright": ")", "asterisk": "*", "plus": "+", "comma": ",",
	"hyphen": "-", "minus": "−", "endash": "–", "emdash": "—", "period": ".", "slash": "/",
	"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
	"six": "6", "seven": "7", "eight": "8", "nine": "9", "colon": ":", "semicolon": ";",
	"less": "<", "equal": "=", "greater": ">", "question": "?", "at": "@",
	"bracketleft": "[", "backslash": `\`, "bracketright": "]", "asciicircum": "^",
	"underscore": "_", "grave": "`", "braceleft": "{", "bar": "|", "braceright": "}",
	"asciitilde": "~", "nbspace": "\u00a0",
	"fi": "fi", "fl": "fl", "ff": "ff", "ffi": "ffi", "ffl": "ffl",
}

// glyphText maps a glyph name to its text as the Adobe Glyph List
// specification does: the part before a period (a.sc), each component of
// a ligature (f_i), uniXXXX (more than one group for a ligature) and
// uXXXX[XX]. An unknown name is the empty string.
func glyphText(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	if strings.Contains(name, "_") {
		var b strings.Builder
		for c := range strings.SplitSeq(name, "_") {
			b.WriteString(glyphText(c))
		}
		return b.String()
	}
	if len(name) == 1 && (name[0]|0x20 >= 'a' && name[0]|0x20 <= 'z') {
		return name
	}
	if s, ok := glyphs[name]; ok {
		return s
	}
	if rest, ok := strings.CutPrefix(name, "uni"); ok && len(rest) >= 4 && len(rest)%4 == 0 {
		var b strings.Builder
		for i := 0; i < len(rest); i += 4 {
			v, err := strconv.ParseUint(rest[i:i+4], 16, 16)
			if err != nil || v >= 0xD800 && v <= 0xDFFF {
				return ""
			}
			b.WriteRune(rune(v))
		}
		return b.String()
	}
	if rest, ok := strings.CutPrefix(name, "u"); ok && len(rest) >= 4 && len(rest) <= 6 {
		v, err := strconv.ParseUint(rest, 16, 32)
		if err != nil || v > 0x10FFFF || v >= 0xD800 && v <= 0xDFFF {
			return ""
		}
		return string(rune(v))
	}
	return ""
}
