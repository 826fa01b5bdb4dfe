package pdf

import (
	"bufio"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"leak/relay/content/filename"
)

// text returns the text string (7.9.2.2: PDFDocEncoding or UTF-16BE) that
// v is or refers to.
func text(xt *model.XRefTable, v types.Object) (string, bool) {
	v, err := xt.Dereference(v)
	if err != nil {
		return "", false
	}
	s, err := types.StringOrHexLiteral(v)
	if err != nil || s == nil {
		return "", false
	}
	return *s, true
}

// textString encodes s as a text string: a literal if it is ASCII,
// otherwise UTF-16BE with a byte order mark.
func textString(s string) types.Object {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return types.HexLiteral(hex.EncodeToString([]byte(types.EncodeUTF16String(s))))
		}
	}
	e, _ := types.Escape(s)
	return types.StringLiteral(*e)
}

// localPath reports whether s names a file on the sender's machine: a
// file: URI, or an absolute path of Unix (/, ~/) or Windows (C:\, \\server).
func localPath(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) >= 5 && strings.EqualFold(s[:5], "file:") {
		return true
	}
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~/") || strings.HasPrefix(s, `\\`) {
		return true
	}
	return len(s) >= 3 && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z') && s[1] == ':' && (s[2] == '\\' || s[2] == '/')
}

// base returns the last element of the path or file: URI s.
func base(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), `/\`)
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// structText are the text entries of a structure element (14.7.2, 14.9.3,
// 14.9.4, 14.9.5) and whether they are cleaned even when they hold no
// path. LibreOffice writes a picture's title and description, which it
// fills with the picture's file name or full path, into /T and /Alt.
var structText = map[string]bool{"Alt": true, "T": true, "E": false, "ActualText": false}

// scrubStructElem replaces a local path in the text entries of the
// structure element d by the file's name, and a name a camera or a phone
// made up by a plain one (filename.Neutral).
func scrubStructElem(xt *model.XRefTable, d types.Dict) {
	for k, always := range structText {
		s, ok := text(xt, d[k])
		if !ok {
			continue
		}
		t := s
		if localPath(s) {
			t = base(s)
		} else if !always {
			continue
		}
		if t = filename.Neutral(t); t != s {
			d[k] = textString(t)
		}
	}
}

// structElem reports whether d is a structure element (14.7.2): /Type is
// optional there, but a structure type and a parent are required.
func structElem(d types.Dict) bool {
	if t := d.Type(); t != nil {
		return *t == "StructElem"
	}
	_, parent := d["P"]
	_, rect := d["Rect"]
	return d.NameEntry("S") != nil && parent && !rect
}

// apiVersion is the attribute Acrobat writes on the body of an
// annotation's rich text (12.7.4.4) with its own version.
var apiVersion = regexp.MustCompile(`\s+xfa:APIVersion\s*=\s*("[^"]*"|'[^']*')`)

// scrubRichText removes the writer's version from the rich text /RC of the
// annotation d.
func scrubRichText(xt *model.XRefTable, d types.Dict) {
	s, ok := text(xt, d["RC"])
	if !ok {
		return
	}
	if t := apiVersion.ReplaceAllString(s, ""); t != s {
		d["RC"] = textString(t)
	}
}

// writeTextString writes the text string b (7.9.2.2: UTF-16BE or UTF-8
// after a byte order mark, else PDFDocEncoding) to w, and a line break.
func writeTextString(w *bufio.Writer, b []byte) {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		w.WriteString(utf16BE(b[2:]))
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		w.Write(b[3:])
	default:
		for _, c := range b {
			if c < 0x80 || c > 0xA0 {
				w.WriteRune(rune(c))
			} else {
				w.WriteRune(pdfDoc[c-0x80])
			}
		}
	}
	w.WriteByte('\n')
}

// pdfDoc is PDFDocEncoding (Annex D.2) from 0x80 to 0xA0, where it is not
// Latin-1.
var pdfDoc = [0x21]rune{
	'•', '†', '‡', '…', '—', '–', 'ƒ', '⁄', '‹', '›', '−', '‰', '„', '“', '”', '‘',
	'’', '‚', '™', 'ﬁ', 'ﬂ', 'Ł', 'Œ', 'Š', 'Ÿ', 'Ž', 'ı', 'ł', 'œ', 'š', 'ž', '\uFFFD',
	'€',
}
