package anonymize

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"

	"leak/relay/content/text"
)

// Limits on what parseParams keeps from a hostile value; the header size
// limit bounds the input already, these bound the work on it.
const (
	maxParams   = 64
	maxSections = 256
)

// parseParams parses a Content-Type or Content-Disposition value (RFC 2045
// section 5.1, RFC 2183) into its lower-cased value and parameters, with
// RFC 2231 continuations and charsets decoded. It is lenient where
// mime.ParseMediaType gives up on real mail: unquoted values with spaces or
// tspecials (boundary=----=_Part_1), duplicates (the first wins), a missing
// closing quote, unescaped backslashes. Parameter names are lower-cased.
func parseParams(v string) (value string, params map[string]string) {
	value, v, _ = strings.Cut(v, ";")
	value = strings.ToLower(strings.TrimSpace(value))
	params = map[string]string{}
	type section struct {
		ext bool
		val string
	}
	var sections map[string]map[int]section
	for n := 0; n < maxParams && v != ""; n++ {
		var key, val string
		key, val, v = nextParam(v)
		if key == "" {
			continue
		}
		base, num, ext := splitParamName(key)
		if num < 0 && !ext {
			if _, dup := params[base]; !dup {
				params[base] = val
			}
			continue
		}
		if num < 0 {
			num = 0 // "name*=" is a single extended section
		}
		if num >= maxSections {
			continue
		}
		if sections == nil {
			sections = map[string]map[int]section{}
		}
		if sections[base] == nil {
			sections[base] = map[int]section{}
		}
		if _, dup := sections[base][num]; !dup {
			sections[base][num] = section{ext: ext, val: val}
		}
	}
	// RFC 2231 section 3: sections are joined in order, starting at 0 and
	// stopping at the first one missing; the charset is named in the first.
	for base, secs := range sections {
		var raw []byte
		cs := ""
		for i := 0; ; i++ {
			s, ok := secs[i]
			if !ok {
				break
			}
			val := s.val
			if s.ext && i == 0 {
				parts := strings.SplitN(val, "'", 3)
				if len(parts) == 3 {
					cs, val = parts[0], parts[2]
				}
			}
			if s.ext {
				raw = text.PercentDecode(raw, val)
			} else {
				raw = append(raw, val...)
			}
		}
		if len(secs[0].val) > 0 || len(raw) > 0 {
			params[base] = decodeCharset(cs, raw) // the extended form wins
		}
	}
	return value, params
}

// nextParam reads one "key=value" off the front of v.
func nextParam(v string) (key, val, rest string) {
	v = strings.TrimLeft(v, " \t\r\n;")
	i := strings.IndexAny(v, "=;")
	if i < 0 || v[i] == ';' {
		_, rest, _ = strings.Cut(v, ";")
		return "", "", rest
	}
	key = strings.ToLower(strings.TrimSpace(v[:i]))
	v = strings.TrimLeft(v[i+1:], " \t\r\n")
	if strings.HasPrefix(v, `"`) {
		var b strings.Builder
		i = 1
		for ; i < len(v) && v[i] != '"'; i++ {
			// A backslash escapes only a quote or a backslash: Windows
			// paths arrive unescaped ("C:\Users\name\cv.pdf"), and
			// their separators must survive for baseName to cut them.
			if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\') {
				i++
			}
			b.WriteByte(v[i])
		}
		_, rest, _ = strings.Cut(v[min(i+1, len(v)):], ";")
		return key, b.String(), rest
	}
	val, rest, _ = strings.Cut(v, ";")
	return key, strings.TrimSpace(val), rest
}

// splitParamName splits an RFC 2231 name: "name*2*" is ("name", 2, true),
// "name*" is ("name", -1, true), "name" is ("name", -1, false).
func splitParamName(key string) (base string, num int, ext bool) {
	base, ext = strings.CutSuffix(key, "*")
	b, n, ok := strings.Cut(base, "*")
	if !ok {
		return base, -1, ext
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || (len(n) > 1 && n[0] == '0') {
		return key, -1, false // not a section number: keep the name as written
	}
	return b, i, ext
}

// decodeCharset converts b from charset cs to UTF-8; an unknown charset or
// invalid octets leave U+FFFD where they were.
func decodeCharset(cs string, b []byte) string {
	switch strings.ToLower(cs) {
	case "", "utf-8", "us-ascii":
	default:
		if r, err := charset.Reader(cs, bytes.NewReader(b)); err == nil {
			if d, err := io.ReadAll(io.LimitReader(r, 4*int64(len(b))+16)); err == nil {
				b = d
			}
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// isToken reports whether s is an RFC 2045 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// isMediaType reports whether s is "type/subtype" made of tokens.
func isMediaType(s string) bool {
	t, sub, ok := strings.Cut(s, "/")
	return ok && isToken(t) && isToken(sub)
}

// formatParam formats one parameter: bare if a token, quoted if printable
// ASCII, else in the RFC 2231 extended form.
func formatParam(key, val string) string {
	if isToken(val) {
		return key + "=" + val
	}
	if printableASCII(val) {
		return key + "=" + quote(val)
	}
	return strings.Join(extParam(key, val), "; ")
}

// formatFileParam formats a file name parameter (filename, name): quoted
// if short printable ASCII, as most clients write it, else in the RFC 2231
// extended form, split into continuations that fold within 78 columns.
func formatFileParam(key, val string) string {
	if printableASCII(val) && len(val) <= 60 {
		return key + "=" + quote(val)
	}
	return strings.Join(extParam(key, val), "; ")
}

// extParam encodes val as RFC 2231 "key*=utf-8”..." or, when long, as
// the sections "key*0*=utf-8”...", "key*1*=...".
func extParam(key, val string) []string {
	const chunk = 50 // " filename*10*=" and a chunk stay within 78 columns
	var secs []string
	var cur []byte
	for i := 0; i < len(val); i++ {
		c := val[i]
		var enc []byte
		if isAttrChar(c) {
			enc = []byte{c}
		} else {
			enc = []byte{'%', hexDigits[c>>4], hexDigits[c&15]}
		}
		if len(cur)+len(enc) > chunk {
			secs = append(secs, string(cur))
			cur = cur[:0]
		}
		cur = append(cur, enc...)
	}
	secs = append(secs, string(cur))
	if len(secs) == 1 {
		return []string{key + "*=utf-8''" + secs[0]}
	}
	out := make([]string, len(secs))
	for i, s := range secs {
		if i == 0 {
			s = "utf-8''" + s
		}
		out[i] = key + "*" + strconv.Itoa(i) + "*=" + s
	}
	return out
}

// isAttrChar reports whether c may appear unescaped in an RFC 2231 value.
func isAttrChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return utf8.ValidString(s)
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
