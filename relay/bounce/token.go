package bounce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
)

// Prefix starts the local part of every bounce address. An RCPT with this
// prefix that [Tokens.Parse] refuses is a forged or mangled bounce address.
const Prefix = "bounce+"

const (
	qidBytes = 16 // a spool id: 32 hex digits
	macBytes = 10 // truncated HMAC-SHA256: 80 bits against forgery
	rawBytes = qidBytes + macBytes
	// tokenLen is the base32 length of 26 bytes without padding:
	// ceil(26 × 8 / 5) = 42. The last character carries 3 bits of data
	// and 2 bits that must be zero.
	tokenLen = (rawBytes*8 + 4) / 5
	// localLen is the length of a bounce address's local part: 49.
	localLen = len(Prefix) + tokenLen
)

// RFC 5321 section 4.5.3.1.1 allows a local part of 64 octets at most; this
// fails to compile if localLen grows past that.
var _ [64 - localLen]struct{}

// b32 is RFC 4648 base32 in lower case: letters and 2-7 only, so a token
// is a valid dot-atom (RFC 5322 section 3.4.1) and survives an MTA that
// folds case.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Tokens makes and checks bounce addresses. It is safe for concurrent use.
type Tokens struct {
	pool sync.Pool // of *tokenMAC
}

// tokenMAC is a keyed HMAC kept for reuse: hmac.New costs two SHA-256
// blocks of key setup, Reset does not.
type tokenMAC struct {
	h   hash.Hash
	in  [len("bounce:") + 2*qidBytes]byte
	out []byte
}

// NewTokens returns Tokens keyed with key (see [LoadKey]). Changing the key
// invalidates every bounce address already handed out.
func NewTokens(key []byte) *Tokens {
	k := append([]byte(nil), key...)
	t := &Tokens{}
	t.pool.New = func() any {
		m := &tokenMAC{h: hmac.New(sha256.New, k), out: make([]byte, 0, sha256.Size)}
		copy(m.in[:], "bounce:")
		return m
	}
	return t
}

// mac writes HMAC-SHA256(key, "bounce:" + hex(qid))[:macBytes] to dst.
func (t *Tokens) mac(dst []byte, qid []byte) {
	m := t.pool.Get().(*tokenMAC)
	hex.Encode(m.in[len("bounce:"):], qid)
	m.h.Reset()
	m.h.Write(m.in[:])
	m.out = m.h.Sum(m.out[:0])
	copy(dst, m.out[:macBytes])
	t.pool.Put(m)
}

// Address returns the envelope sender for the copy with spool id qid:
// bounce+TOKEN@domain. qid must be a spool id (32 lower-case hex digits);
// for anything else Address returns "", since no valid token exists for it.
func (t *Tokens) Address(qid, domain string) string {
	var raw [rawBytes]byte
	if !decodeQID(raw[:qidBytes], qid) {
		return ""
	}
	t.mac(raw[qidBytes:], raw[:qidBytes])
	var b strings.Builder
	b.Grow(localLen + 1 + len(domain))
	b.WriteString(Prefix)
	var tok [tokenLen]byte
	b32.Encode(tok[:], raw[:])
	b.Write(tok[:])
	b.WriteByte('@')
	b.WriteString(domain)
	return b.String()
}

// Parse returns the spool id named by a bounce address. It fails unless
// rcpt is Prefix + a token made by [Tokens.Address] with the same key, then
// '@' and a non-empty domain. Case is ignored, since MTAs may change it.
// The domain is not checked here: whether it is a Leak domain is the SMTP
// session's question, as for any RCPT.
func (t *Tokens) Parse(rcpt string) (qid string, ok bool) {
	at := strings.LastIndexByte(rcpt, '@')
	if at < 0 || at == len(rcpt)-1 || at != localLen {
		return "", false
	}
	if !strings.EqualFold(rcpt[:len(Prefix)], Prefix) {
		return "", false
	}
	var tok [tokenLen]byte
	for i := range tokenLen {
		c := rcpt[len(Prefix)+i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return "", false
		}
		tok[i] = c
	}
	// The 2 bits past the 26 bytes must be zero, or two spellings would
	// name one token.
	if b32val(tok[tokenLen-1])&3 != 0 {
		return "", false
	}
	var raw [rawBytes]byte
	if n, err := b32.Decode(raw[:], tok[:]); err != nil || n != rawBytes {
		return "", false
	}
	var want [macBytes]byte
	t.mac(want[:], raw[:qidBytes])
	if !hmac.Equal(want[:], raw[qidBytes:]) {
		return "", false
	}
	return hex.EncodeToString(raw[:qidBytes]), true
}

// b32val is the value of one lower-case base32 digit.
func b32val(c byte) byte {
	if c >= 'a' {
		return c - 'a'
	}
	return c - '2' + 26
}

// decodeQID decodes a spool id into dst (qidBytes long). Only lower-case
// hex is a spool id (spool.newID), so only that is accepted: Parse then
// returns exactly the string Address was given.
func decodeQID(dst []byte, qid string) bool {
	if len(qid) != 2*qidBytes {
		return false
	}
	for i := range len(qid) {
		c := qid[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	_, err := hex.Decode(dst, []byte(qid))
	return err == nil
}
