package policy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// A confirmation token is
//
//	base64url(h || exp || HMAC(secret, "resub:" || h || exp)[:16])
//
// where h is the recipient's keyed hash and exp the end of its validity,
// Unix seconds, 8 bytes big-endian. The "resub" kind separates its MAC
// from the unsubscribe token's ("unsub"), and the two differ in length,
// so neither parses as the other. h is already a keyed hash: the token
// says no more about the address than the unsubscribe token does.

const (
	resubRawLen = sha256.Size + 8 + tokenMACLen
	// resubTokenLen is the encoded length: 56 bytes make 75 characters,
	// whose last carries 2 unused bits; strict decoding wants them zero,
	// so every token has one spelling.
	resubTokenLen = (resubRawLen*8 + 5) / 6
)

var resubEncoding = base64.RawURLEncoding.Strict()

// resubToken returns the confirmation token for recipient hash h, valid
// until exp (rounded down to the second).
func (e *Engine) resubToken(h []byte, exp time.Time) string {
	raw := make([]byte, 0, resubRawLen)
	raw = append(raw, h...)
	raw = binary.BigEndian.AppendUint64(raw, uint64(exp.Unix()))
	mac := e.keys.sumBytes(kindResub, raw)
	raw = append(raw, mac[:tokenMACLen]...)
	return resubEncoding.EncodeToString(raw)
}

// parseResubToken returns the recipient key and expiry of a token this
// Engine made, or false. An expired token still parses: the caller says
// "expired" rather than "invalid".
func (e *Engine) parseResubToken(tok string) (key string, exp time.Time, ok bool) {
	if len(tok) != resubTokenLen {
		return "", time.Time{}, false
	}
	raw, err := resubEncoding.DecodeString(tok)
	if err != nil || len(raw) != resubRawLen {
		return "", time.Time{}, false
	}
	body, got := raw[:resubRawLen-tokenMACLen], raw[resubRawLen-tokenMACLen:]
	want := e.keys.sumBytes(kindResub, body)
	if !hmac.Equal(got, want[:tokenMACLen]) {
		return "", time.Time{}, false
	}
	secs := binary.BigEndian.Uint64(body[sha256.Size:])
	return hex.EncodeToString(body[:sha256.Size]), time.Unix(int64(secs), 0), true
}

// requestAddress checks an address typed into the request page and returns
// it as it will be mailed: surrounding space and angle brackets dropped,
// the domain lower-cased and in A-labels. The local part must be a
// dot-atom of ASCII (RFC 5322 section 3.2.3): a quoted or non-ASCII local
// part would need SMTPUTF8 or quoting the notice does not do.
func requestAddress(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || len(s) > maxAddress || at > 64 {
		return "", false
	}
	local, domain := s[:at], normDomain(s[at+1:])
	if !dotAtom(local) || !hostname(domain) {
		return "", false
	}
	return local + "@" + domain, true
}

// dotAtom reports whether s is an RFC 5322 dot-atom: atext runs joined by
// single dots.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// hostname reports whether d is a lower-case ASCII domain of at least two
// labels (letters, digits, hyphens; none longer than 63 or starting or
// ending with a hyphen).
func hostname(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := range len(label) {
			c := label[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}
