package corpus

import (
	"bytes"
	"encoding/base64"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// payload is Python's get_payload(decode=True) for a leaf: the body with
// its Content-Transfer-Encoding undone, leniently. What does not decode is
// returned as it came, so the checker still sees it.
func (e *entity) payload() []byte {
	cte, _ := e.get("Content-Transfer-Encoding")
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return decodeQP(e.body)
	case "base64":
		return decodeBase64(e.body)
	case "x-uuencode", "uuencode", "uue", "x-uue":
		if b, ok := decodeUU(e.body); ok {
			return b
		}
	}
	return e.body
}

// decodeBase64 decodes like Python's email decode_b without validation:
// characters outside the alphabet are skipped, padding ends a quantum, a
// truncated last quantum yields what it can. Input with nothing to decode
// is returned as it is.
func decodeBase64(b []byte) []byte {
	var out, quantum []byte
	flush := func() {
		if len(quantum) >= 2 {
			d, _ := base64.RawStdEncoding.DecodeString(string(quantum))
			out = append(out, d...)
		}
		quantum = quantum[:0]
	}
	seen := false
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			seen = true
			quantum = append(quantum, c)
			if len(quantum) == 4 {
				flush()
			}
		case c == '=':
			flush()
		}
	}
	flush()
	if !seen {
		return b
	}
	return out
}

// decodeQP is Python's quopri.decodestring: "=XX" is decoded, "=" at a
// line end joins lines, anything else invalid is kept literally.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line, eol := b, []byte(nil)
		if i >= 0 {
			line, eol, b = b[:i], []byte("\n"), b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, " \t\r")
		soft := bytes.HasSuffix(line, []byte("="))
		if soft {
			line = line[:len(line)-1]
		}
		for j := 0; j < len(line); j++ {
			if line[j] == '=' && j+2 < len(line) && isHex(line[j+1]) && isHex(line[j+2]) {
				out = append(out, unhex(line[j+1])<<4|unhex(line[j+2]))
				j += 2
				continue
			}
			out = append(out, line[j])
		}
		if !soft {
			out = append(out, eol...)
		}
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// decodeUU decodes a uuencoded body ("begin mode name" … "end"), or the
// lines of one without its frame.
func decodeUU(b []byte) ([]byte, bool) {
	var out []byte
	ok := false
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if bytes.HasPrefix(line, []byte("begin ")) || bytes.Equal(bytes.TrimSpace(line), []byte("end")) {
			continue
		}
		if d, good := uuLine(line); good {
			out = append(out, d...)
			ok = true
		}
	}
	return out, ok
}

// uuLine decodes one uuencoded line: a length character, then groups of
// four characters for three octets. A short line yields what it holds.
func uuLine(line []byte) ([]byte, bool) {
	if len(line) == 0 {
		return nil, false
	}
	n := int((line[0] - 32) & 63)
	var out []byte
	for i := 1; i < len(line) && len(out) < n; i += 4 {
		var q [4]byte
		for j := range q {
			if i+j < len(line) {
				q[j] = (line[i+j] - 32) & 63
			}
		}
		out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
	}
	if len(out) > n {
		out = out[:n]
	}
	return out, true
}

// decodeCharset decodes text in a named charset, reporting false when the
// charset is unknown or the octets are not valid in it.
func decodeCharset(b []byte, cs string) (string, bool) {
	cs = strings.ToLower(strings.TrimSpace(cs))
	switch cs {
	case "":
		return "", false
	case "utf-8", "utf8", "us-ascii", "ascii":
		if !utf8.Valid(b) || (cs != "utf-8" && cs != "utf8" && !isASCII(b)) {
			return "", false
		}
		return string(b), true
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		return "", false
	}
	d, err := io.ReadAll(r)
	if err != nil {
		return "", false
	}
	return string(d), true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// latin1 maps each octet to the code point of the same value.
func latin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// unfold removes the line breaks of folded header fields.
var unfold = regexp.MustCompile(`\r?\n([ \t])`)

// encodedWord is Python's email.header ecre: no blanks are required
// around an encoded word, and its text may contain any character.
var encodedWord = regexp.MustCompile(`=\?([^?]*?)\?([qQbB])\?(.*?)\?=`)

// decodeHeader unfolds a field value, repairs it to UTF-8 and decodes its
// RFC 2047 encoded words. A word whose charset is unknown, or whose octets
// do not decode, leaves the whole value undecoded, as in Python.
func decodeHeader(v string) string {
	v = unfold.ReplaceAllString(v, "$1")
	v = strings.ToValidUTF8(v, "\uFFFD")
	if !encodedWord.MatchString(v) {
		return v
	}
	var out strings.Builder
	for _, line := range strings.Split(v, "\n") {
		last := 0
		prevWord := false
		for _, m := range encodedWord.FindAllStringSubmatchIndex(line, -1) {
			between := line[last:m[0]]
			if last == 0 {
				between = strings.TrimLeft(between, " \t")
			}
			// Blanks between two encoded words are not part of the text (RFC 2047 6.2).
			if !(prevWord && strings.TrimSpace(between) == "" && between != "") {
				out.WriteString(between)
			}
			word, ok := decodeWord(line[m[2]:m[3]], line[m[4]:m[5]], line[m[6]:m[7]])
			if !ok {
				return v
			}
			out.WriteString(word)
			last, prevWord = m[1], true
		}
		out.WriteString(line[last:])
	}
	return out.String()
}

func decodeWord(cs, enc, text string) (string, bool) {
	cs, _, _ = strings.Cut(cs, "*") // RFC 2231 section 5 language suffix
	var b []byte
	if enc == "b" || enc == "B" {
		b = decodeBase64([]byte(text))
	} else {
		b = decodeQP([]byte(strings.ReplaceAll(text, "_", " ")))
	}
	if strings.EqualFold(cs, "us-ascii") || cs == "" {
		cs = "utf-8"
	}
	return decodeCharset(b, cs)
}
