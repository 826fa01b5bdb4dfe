package text

import (
	"bytes"
	"strings"
)

// scanner finds the sender's own address in the text that is kept. An
// address counts only as a whole token: "alice@x.example" is not found in
// "xalice@x.example" or "alice@x.example.org", which are other mailboxes.
//
// Links carry the address in two more spellings. Percent-encoded in a
// query ("alice%40x.example", RFC 3986 section 2.1), as SafeLinks and
// other redirectors write the recipient: the scanner also reads the text
// percent-decoded. And with "@" and "." written "_", as OneDrive and
// SharePoint name a personal site after the user's UPN
// (".../personal/alice_x_example/..."): the scanner also looks for that
// form, which names no other mailbox.
type scanner struct {
	addrs [][]byte
	under [][]byte // each address with its punctuation written "_"
	max   int      // the longest address, percent-encoded twice
	tail  []byte   // the end of the previous chunk of a long line
	// context is true when tail's first byte was looked at as a start
	// already, and is kept only as the byte before the next.
	context bool
}

func newScanner(addrs []string) *scanner {
	s := &scanner{}
	for _, a := range addrs {
		a = strings.ToLower(strings.TrimSpace(a))
		if strings.Contains(a, "@") {
			s.addrs = append(s.addrs, []byte(a))
			s.under = append(s.under, underscored(a))
			// SharePoint keeps a hyphen of the domain in some tenants'
			// URLs ("alice_x-corp_example"): that spelling too.
			if kept := strings.NewReplacer("@", "_", ".", "_").Replace(a); kept != string(underscored(a)) {
				s.under = append(s.under, []byte(kept))
			}
			// "%2540" is "@" encoded twice: five bytes for one.
			s.max = max(s.max, 5*len(a))
		}
	}
	return s
}

// underscored spells a as OneDrive writes a UPN into a personal site's
// path: every character other than a letter or digit becomes "_".
func underscored(a string) []byte {
	b := []byte(a)
	for i, c := range b {
		if !isAlnum(c) && c < 0x80 {
			b[i] = '_'
		}
	}
	return b
}

// mayHold reports whether s has a byte that starts one of the spellings
// the scanner looks for, to skip the search for the lines that hold none.
func mayHold(s string) bool { return strings.ContainsAny(s, "@%_") }

// HasAddress reports whether s contains one of addrs as a whole address,
// ignoring case.
func HasAddress(s string, addrs []string) bool { return newScanner(addrs).final(s) }

// AddressFinder returns HasAddress for a fixed list of addresses, for a
// caller that checks many strings.
func AddressFinder(addrs []string) func(s string) bool {
	sc := newScanner(addrs)
	return func(s string) bool {
		return len(sc.addrs) > 0 && mayHold(s) && sc.find([]byte(s), 0, true)
	}
}

// final checks a whole line.
func (s *scanner) final(line string) bool {
	s.tail = s.tail[:0]
	return len(s.addrs) > 0 && s.find([]byte(line), 0, true)
}

// part checks one chunk of a long line; end is true for its last chunk.
// The chunk is checked together with the end of the previous one, so an
// address split between chunks is found.
func (s *scanner) part(b []byte, end bool) bool {
	if len(s.addrs) == 0 {
		return false
	}
	buf := append(append([]byte(nil), s.tail...), b...)
	from := 0
	if s.context {
		from = 1 // byte 0 is only there as the context before byte 1
	}
	found := s.find(buf, from, end)
	switch keep := s.max + 1; {
	case end:
		s.tail, s.context = s.tail[:0], false
	case len(buf) > keep:
		s.tail, s.context = append(s.tail[:0], buf[len(buf)-keep:]...), true
	default:
		// A short chunk is kept whole, its first byte still a possible
		// start: an address may begin in it and end in the next.
		s.tail = append(s.tail[:0], buf...)
	}
	return found
}

// find looks for a whole address starting at or after from, in buf as it
// is, percent-decoded, and in the underscore spelling. When final is false
// a match that reaches the end of buf is left for the next chunk, which
// shows whether the address goes on.
func (s *scanner) find(buf []byte, from int, final bool) bool {
	if s.findAt(buf, from, final, localChar) || s.findUnder(buf, from, final) {
		return true
	}
	// Twice: a redirector inside a redirector encodes the "%" again.
	for range 2 {
		if bytes.IndexByte(buf, '%') < 0 {
			return false
		}
		dec := PercentDecode(nil, string(buf))
		if len(dec) == len(buf) {
			return false
		}
		buf = dec
		if s.findAt(buf, from, final, urlLocalChar) {
			return true
		}
	}
	return false
}

// PercentDecode appends s to dst with each "%XX" (RFC 3986 section 2.1)
// replaced by the octet it stands for; a "%" not followed by two hex
// digits stays as it is.
func PercentDecode(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		dst = append(dst, s[i])
	}
	return dst
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

// findUnder looks for the underscore spelling of an address as a whole
// token: "_" and "." before or after it would make it another name.
func (s *scanner) findUnder(buf []byte, from int, final bool) bool {
	if bytes.IndexByte(buf, '_') < 0 {
		return false
	}
	for _, u := range s.under {
		for i := from; i+len(u) <= len(buf); i++ {
			j := indexFold(buf[i:], u)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(u)
			if (start == 0 || !urlLocalChar(buf[start-1])) && (end < len(buf) || final) && !continues(buf[end:]) {
				return true
			}
			i = start
		}
	}
	return false
}

// indexFold is bytes.Index ignoring ASCII case; u is lower case.
func indexFold(b, u []byte) int {
	for i := 0; i+len(u) <= len(b); i++ {
		if c := b[i]; (c == u[0] || c+'a'-'A' == u[0]) && bytes.EqualFold(b[i:i+len(u)], u) {
			return i
		}
	}
	return -1
}

// findAt looks around each "@", so a line without one costs a byte
// search. before tells a byte that would make the match the tail of a
// longer local part.
func (s *scanner) findAt(buf []byte, from int, final bool, before func(byte) bool) bool {
	for i := 0; i < len(buf); i++ {
		j := bytes.IndexByte(buf[i:], '@')
		if j < 0 {
			return false
		}
		i += j
		for _, a := range s.addrs {
			start := i - bytes.IndexByte(a, '@')
			end := start + len(a)
			if start < from || end > len(buf) || !bytes.EqualFold(buf[start:end], a) {
				continue
			}
			if (start == 0 || !before(buf[start-1])) && (end < len(buf) || final) && !continues(buf[end:]) {
				return true
			}
		}
	}
	return false
}

// localChar reports whether c may be part of the local part before an
// address (atext and ".", RFC 5322 section 3.4.1): then the match is the
// tail of a longer address.
func localChar(c byte) bool {
	return c >= 0x80 || isAlnum(c) || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0
}

// urlLocalChar is localChar inside a link, where "/", "|", "=" and "&"
// separate fields ("data=05|02|alice@x.example|...", ".../personal/
// alice_x_example/") rather than continue a local part.
func urlLocalChar(c byte) bool {
	return c >= 0x80 || isAlnum(c) || strings.IndexByte(".!#$%'*+^_`{}~-", c) >= 0
}

// continues reports whether the text after a matched domain goes on as a
// longer domain ("-x", "_x", ".org"); a full stop ending a sentence does
// not.
func continues(rest []byte) bool {
	if len(rest) == 0 {
		return false
	}
	c := rest[0]
	if c >= 0x80 || isAlnum(c) || c == '-' || c == '_' {
		return true
	}
	return c == '.' && len(rest) > 1 && (isAlnum(rest[1]) || rest[1] >= 0x80)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// AddressWriter looks for the sender's addresses, in the spellings the
// scanner knows, in what is written through it, across writes: for a
// caller that streams a format this package does not clean (the XML of a
// document, RTF). It never fails a write.
type AddressWriter struct {
	s     *scanner
	found bool
}

// NewAddressWriter returns an AddressWriter for addrs.
func NewAddressWriter(addrs []string) *AddressWriter {
	return &AddressWriter{s: newScanner(addrs)}
}

func (w *AddressWriter) Write(p []byte) (int, error) {
	if !w.found && len(w.s.addrs) > 0 {
		w.found = w.s.part(p, false)
	}
	return len(p), nil
}

// Found reports whether an address was written, the end of what was
// written included.
func (w *AddressWriter) Found() bool {
	if !w.found && len(w.s.tail) > 0 {
		w.found = w.s.part(nil, true)
	}
	return w.found
}
