package policy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/netip"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Kinds of keyed hash. Each is mixed into the HMAC input so that the same
// string hashed as two kinds gives unrelated keys.
const (
	kindIP           = "ip"
	kindNet          = "net"
	kindSender       = "sender"
	kindSenderDomain = "sender_domain"
	kindAuthDomain   = "auth_domain"
	kindRcpt         = "rcpt"
	kindUnsub        = "unsub"
)

// hasher computes HMAC-SHA256(secret, kind + ":" + value). hmac.New costs
// two SHA-256 blocks of key setup; pooling keyed instances and Reset-ing
// them skips that on every call, and the pooled scratch buffer spares an
// allocation for the input.
type hasher struct {
	pool sync.Pool
}

type mac struct {
	h   hash.Hash
	buf []byte // input scratch
	out []byte // digest scratch: a local array would escape through h.Sum
}

func newHasher(secret []byte) *hasher {
	key := append([]byte(nil), secret...)
	h := &hasher{}
	h.pool.New = func() any {
		return &mac{
			h:   hmac.New(sha256.New, key),
			buf: make([]byte, 0, 256),
			out: make([]byte, 0, sha256.Size),
		}
	}
	return h
}

// sum returns the keyed hash of kind and value.
func (h *hasher) sum(kind, value string) [sha256.Size]byte {
	m := h.pool.Get().(*mac)
	m.buf = append(append(append(m.buf[:0], kind...), ':'), value...)
	out := m.sum()
	h.pool.Put(m)
	return out
}

// sumBytes is sum for a binary value.
func (h *hasher) sumBytes(kind string, value []byte) [sha256.Size]byte {
	m := h.pool.Get().(*mac)
	m.buf = append(append(append(m.buf[:0], kind...), ':'), value...)
	out := m.sum()
	h.pool.Put(m)
	return out
}

func (m *mac) sum() [sha256.Size]byte {
	m.h.Reset()
	m.h.Write(m.buf)
	var out [sha256.Size]byte
	copy(out[:], m.h.Sum(m.out[:0]))
	if cap(m.buf) > 4096 {
		// Do not keep a huge buffer from one odd input in the pool.
		m.buf = make([]byte, 0, 256)
	}
	return out
}

// key is sum, hex-encoded: the form every store keeps.
func (h *hasher) key(kind, value string) string {
	s := h.sum(kind, value)
	return hex.EncodeToString(s[:])
}

// ipKey is the value hashed for a client address, and netKey for its
// network: the /24 of an IPv4 address, the /64 of an IPv6 one (the
// smallest network a site is normally given, RFC 6177 section 3). An
// IPv4-mapped IPv6 address counts as IPv4.
func ipKey(ip netip.Addr) string {
	return ip.Unmap().String()
}

func netKey(ip netip.Addr) string {
	ip = ip.Unmap()
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		// Only the zero Addr has no prefix; it still gets one shared key.
		return "invalid"
	}
	return p.String()
}

// connKey is the value the concurrent-connection limit counts by: the
// address for IPv4, the /64 for IPv6, where one host commonly holds the
// whole /64 and could otherwise open a connection from each address.
func connKey(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	return netKey(ip)
}

// normAddress normalises an address for hashing (see the package comment):
// lower-case, no "+tag", no dots in a Gmail local part, domain in A-labels.
// Angle brackets and surrounding space are dropped. It never fails: a
// malformed address still gets one stable form.
func normAddress(addr string) string {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return lower(addr)
	}
	local, domain := lower(addr[:at]), normDomain(addr[at+1:])
	// Sub-addressing (RFC 5233 section 1): everything from the first '+'
	// names the same mailbox. A local part that starts with '+' is left
	// whole rather than emptied.
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if domain == "gmail.com" || domain == "googlemail.com" {
		local = strings.ReplaceAll(local, ".", "")
		domain = "gmail.com"
	}
	return local + "@" + domain
}

// domainOf returns the normalised domain of an address, or "" if it has
// none.
func domainOf(addr string) string {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return normDomain(addr[at+1:])
}

// normDomain lower-cases a domain, drops a trailing root dot and converts
// U-labels to A-labels (RFC 5890) so that both spellings share one key.
// A name IDNA refuses is kept lower-cased: it is only ever a hash input or
// a list lookup, and must not be an error path a peer can steer.
func normDomain(d string) string {
	d = strings.TrimRight(strings.TrimSpace(d), ".")
	if isASCII(d) {
		return lower(d)
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return strings.ToLower(d)
	}
	return a
}

// lower is strings.ToLower without an allocation for the common case of an
// already lower-case ASCII string.
func lower(s string) string {
	for i := range len(s) {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
