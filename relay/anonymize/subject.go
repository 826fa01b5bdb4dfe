package anonymize

import (
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"

	"leak/relay/content/refusal"
	"leak/relay/content/text"
)

// wordDecoder decodes one RFC 2047 encoded-word in any charset go-message's
// charset package knows (mime.WordDecoder alone knows UTF-8, US-ASCII and
// ISO-8859-1).
var wordDecoder = mime.WordDecoder{
	CharsetReader: func(cs string, r io.Reader) (io.Reader, error) { return charset.Reader(cs, r) },
}

// decodeText decodes the RFC 2047 encoded-words of an unstructured header
// value (a Subject). Unlike mime.WordDecoder.DecodeHeader, which gives up on
// the whole value, a word it cannot decode (unknown charset, bad encoding)
// is kept as raw text and the others are still decoded. Whitespace between
// two decoded words is dropped (RFC 2047 section 6.2). Octets that are not
// UTF-8 (a raw 8-bit header) become U+FFFD.
func decodeText(s string) string {
	var b strings.Builder
	prevWord := false
	for {
		i := strings.Index(s, "=?")
		if i < 0 {
			b.WriteString(s)
			break
		}
		pre := s[:i]
		word, rest, ok := cutEncodedWord(s[i:])
		if !ok {
			b.WriteString(s[:i+2])
			s, prevWord = s[i+2:], false
			continue
		}
		dec, err := wordDecoder.Decode(word)
		if !prevWord || err != nil || strings.Trim(pre, " \t\r\n") != "" {
			b.WriteString(pre)
		}
		if err != nil {
			b.WriteString(word)
		} else {
			b.WriteString(dec)
		}
		s, prevWord = rest, err == nil
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

// maxWord bounds the length of an encoded-word we look for. RFC 2047
// section 2 says 75; some encoders write longer ones. The bound keeps the
// scan linear on a value full of "=?".
const maxWord = 256

// cutEncodedWord splits "=?charset?e?text?=" off the front of s.
func cutEncodedWord(s string) (word, rest string, ok bool) {
	s0 := s
	if len(s) > maxWord {
		s = s[:maxWord]
	}
	q1 := strings.IndexByte(s[2:], '?')
	if q1 <= 0 || len(s) < 2+q1+3 || s[2+q1+2] != '?' {
		return "", s0, false
	}
	body := 2 + q1 + 3
	end := strings.Index(s[body:], "?=")
	if end < 0 {
		return "", s0, false
	}
	word = s[:body+end+2]
	if strings.ContainsAny(word, " \t\r\n") {
		return "", s, false
	}
	return word, s0[len(word):], true
}

// normaliseText turns every run of white space and control characters into
// one space and trims the ends.
func normaliseText(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(c rune) bool {
		return unicode.IsSpace(c) || unicode.IsControl(c)
	}), " ")
}

// encodeText returns s as an unstructured header value: unchanged if it is
// printable ASCII with words short enough to fold, otherwise as RFC 2047
// "Q" encoded-words in UTF-8, each short enough that "Subject: " and one
// word fit in 78 columns. The words are separated by spaces, where
// appendField folds; whitespace between encoded-words is not part of the
// text (RFC 2047 section 6.2), so folding there changes nothing.
func encodeText(s string) string {
	if plainText(s) {
		return s
	}
	const maxPayload = 78 - len("Subject: ") - len("=?utf-8?q??=")
	var b strings.Builder
	word := make([]byte, 0, maxPayload)
	flush := func() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("=?utf-8?q?")
		b.Write(word)
		b.WriteString("?=")
		word = word[:0]
	}
	var enc [3 * utf8.UTFMax]byte
	for _, c := range s {
		n := qWord(enc[:0], c)
		if len(word)+len(n) > maxPayload {
			flush()
		}
		word = append(word, n...)
	}
	if len(word) > 0 || b.Len() == 0 {
		flush()
	}
	return b.String()
}

// qWord appends rune c in the "Q" encoding, using only the characters RFC
// 2047 section 5 (3) allows in any header position.
func qWord(dst []byte, c rune) []byte {
	switch {
	case c == ' ':
		return append(dst, '_')
	case c < utf8.RuneSelf && (isAlnum(byte(c)) || strings.IndexByte("!*+-/", byte(c)) >= 0):
		return append(dst, byte(c))
	}
	var buf [utf8.UTFMax]byte
	for _, o := range buf[:utf8.EncodeRune(buf[:], c)] {
		dst = append(dst, '=', hexDigits[o>>4], hexDigits[o&15])
	}
	return dst
}

// plainText reports whether s can be written as is: printable ASCII, no
// word so long that its line could not stay under 998 octets, and nothing
// a reader would take for an encoded-word (text that only looks like one,
// or a word we could not decode, is shown literally once encoded).
func plainText(s string) bool {
	if strings.Contains(s, "=?") {
		return false
	}
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' {
			return false
		}
		if c == ' ' {
			run = 0
		} else if run++; run > 900 {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

const hexDigits = "0123456789ABCDEF"

// errSubjectAddress refuses a subject that holds the sender's address, as
// the text cleaner refuses a body that does.
var errSubjectAddress = refusal.New(refusal.Identifying,
	"Your subject contains your own email address, which would identify you; remove it and send again.")

// cleanSubject decodes and normalises the sender's subject, with their
// display name replaced as it is in the text; one that holds their address
// is refused.
func (r *rewriter) cleanSubject(raw string) (string, error) {
	s := normaliseText(decodeText(raw))
	if text.HasAddress(s, r.sender.addrs) {
		return "", errSubjectAddress
	}
	return text.ReplaceNames(replyPrefixes(s), r.sender.names), nil
}

// replyPrefix is one reply or forward prefix as mail clients write it in
// the sender's language: German Outlook's "AW:" and "WG:", Scandinavian
// "SV:", Finnish "VS:" and "VL:", Dutch "Antw:" and "Doorst:", Polish
// "Odp:", Italian "Rif:", Portuguese "Res:" and "Enc:", French "TR:",
// Spanish "RV:", Turkish "YNT:", with an optional count ("Re[2]:").
// Polish "PD:" is left out: in English it starts subjects of its own.
var replyPrefix = regexp.MustCompile(`(?i)^\s*(re|aw|sv|vs|antw|odp|rif|res|ynt|fwd?|wg|vl|doorst|enc|tr|rv)(?:\s*\[\d{1,3}\])?\s*:\s*`)

// forwardWords are the prefixes of replyPrefix that mark a forward.
var forwardWords = map[string]bool{"fw": true, "fwd": true, "wg": true, "vl": true, "doorst": true, "enc": true, "tr": true, "rv": true}

// replyPrefixes writes the reply and forward prefixes at the start of a
// subject as English clients do ("AW: WG: budget" becomes "Re: Fwd:
// budget"): in the sender's language they tell the recipient the
// language, and the brand, of the sender's mail client.
func replyPrefixes(s string) string {
	var b strings.Builder
	for {
		m := replyPrefix.FindStringSubmatchIndex(s)
		if m == nil {
			break
		}
		if forwardWords[strings.ToLower(s[m[2]:m[3]])] {
			b.WriteString("Fwd: ")
		} else {
			b.WriteString("Re: ")
		}
		s = s[m[1]:]
	}
	if b.Len() == 0 {
		return s
	}
	return b.String() + s
}
