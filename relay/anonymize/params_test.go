package anonymize

import (
	"mime"
	"strings"
	"testing"
)

func TestParseParams(t *testing.T) {
	tests := []struct {
		in, value string
		params    map[string]string
	}{
		{`text/plain; charset="UTF-8"; format=flowed`, "text/plain",
			map[string]string{"charset": "UTF-8", "format": "flowed"}},
		{`TEXT/PLAIN ; CHARSET=US-ASCII`, "text/plain", map[string]string{"charset": "US-ASCII"}},
		// Unquoted tspecials, as some clients write boundaries.
		{`multipart/mixed; boundary=----=_Part_1_2.3`, "multipart/mixed", map[string]string{"boundary": "----=_Part_1_2.3"}},
		{"multipart/mixed;\r\n\tboundary=\"abc\"", "multipart/mixed", map[string]string{"boundary": "abc"}},
		// RFC 2231 continuations, charset and language.
		{`attachment; filename*0*=UTF-8''Registerplan%20f%C3%BCr; filename*1*=%20x.txt`, "attachment",
			map[string]string{"filename": "Registerplan für x.txt"}},
		{`attachment; filename*=iso-8859-1'de'%FC.txt`, "attachment", map[string]string{"filename": "ü.txt"}},
		{`attachment; name*0="part one "; name*1="two"`, "attachment", map[string]string{"name": "part one two"}},
		{`attachment; filename="fallback.txt"; filename*=utf-8''real.txt`, "attachment", map[string]string{"filename": "real.txt"}},
		{`attachment; filename*1*=orphan`, "attachment", map[string]string{}},
		// Quoting, duplicates, damage.
		{`attachment; filename="a \"q\" b.txt"`, "attachment", map[string]string{"filename": `a "q" b.txt`}},
		{`text/plain; charset=utf-8; charset=latin1`, "text/plain", map[string]string{"charset": "utf-8"}},
		{`attachment; filename="abc`, "attachment", map[string]string{"filename": "abc"}},
		{`attachment; filename="C:\Users\hollis\cv.pdf"`, "attachment", map[string]string{"filename": `C:\Users\hollis\cv.pdf`}},
		{`attachment; filename="C:\\dir\\x.pdf"`, "attachment", map[string]string{"filename": `C:\dir\x.pdf`}},
		{`inline; filename=my file.pdf; size=3`, "inline", map[string]string{"filename": "my file.pdf", "size": "3"}},
		{`text/plain;;; novalue; =x; charset=utf-8;`, "text/plain", map[string]string{"charset": "utf-8"}},
		{``, "", map[string]string{}},
	}
	for _, tt := range tests {
		value, params := parseParams(tt.in)
		if value != tt.value || len(params) != len(tt.params) {
			t.Errorf("parseParams(%q) = %q %v, want %q %v", tt.in, value, params, tt.value, tt.params)
			continue
		}
		for k, v := range tt.params {
			if params[k] != v {
				t.Errorf("parseParams(%q)[%s] = %q, want %q", tt.in, k, params[k], v)
			}
		}
	}
}

// TestFormatFileParam: what we write is read back by an independent parser
// (mime.ParseMediaType) as the same name, within 78 columns.
func TestFormatFileParam(t *testing.T) {
	names := []string{
		"console.png",
		`with "quotes" and \ backslash.txt`,
		"Übersicht Q3.pdf",
		"Registerplan für die Orgel der Kirche St. Marien - Entwurf 3.txt",
		strings.Repeat("long-ascii-name-", 12) + ".bin",
		"会議の議事録.docx",
		"100% done; really=yes.txt",
	}
	for _, name := range names {
		v := "attachment; " + formatFileParam("filename", name)
		_, params, err := mime.ParseMediaType(v)
		if err != nil || params["filename"] != name {
			t.Errorf("%q → %q → %q, %v", name, v, params["filename"], err)
		}
		field, err := appendField(nil, "Content-Disposition", v, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(field), "\r\n"), "\r\n") {
			if len(line) > 78 {
				t.Errorf("%q: line of %d columns: %q", name, len(line), line)
			}
		}
	}
}

func TestBaseName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{`C:\Users\hollis\Desktop\cv.pdf`, "cv.pdf"},
		{"/home/jose/Documents/b.txt", "b.txt"},
		{"=?utf-8?Q?=2Fhome=2Fjose=2F=C3=9Cbersicht_Q3.pdf?=", "Übersicht Q3.pdf"},
		{"..", ""},
		{"dir/", ""},
		{"  spaced\tname .txt ", "spaced name .txt"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := baseName(tt.in); got != tt.want {
			t.Errorf("baseName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMsgID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<part1.J8XARSi5.CldUAQc2@oyelowo-brandt.example>", "part1.J8XARSi5.CldUAQc2@oyelowo-brandt.example"},
		{"  <a@b> (comment)", "a@b"},
		{"bare@id", "bare@id"},
		{"<>", ""},
		{"<unclosed", "unclosed"},
	}
	for _, tt := range tests {
		if got := msgID(tt.in); got != tt.want {
			t.Errorf("msgID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
