package text

import (
	"bytes"
	"strings"
)

// scanner finds the sender's own address in the text that is kept. An
// address counts only as a whole token: "alice@x.example" is not found in
// "xalice@x.example" or "alice@x.example.org", which are other mailboxes.
type scanner struct {
	addrs [][]byte
	max   int
	tail  []byte // the end of the previous chunk of a long line
}

func newScanner(addrs []string) *scanner {
	s := &scanner{}
	for _, a := range addrs {
		a = strings.ToLower(strings.TrimSpace(a))
		if strings.Contains(a, "@") {
			s.addrs = append(s.addrs, []byte(a))
			s.max = max(s.max, len(a))
		}
	}
	return s
}

// HasAddress reports whether s contains one of addrs as a whole address,
// ignoring case.
func HasAddress(s string, addrs []string) bool { return newScanner(addrs).final(s) }

// AddressFinder returns HasAddress for a fixed list of addresses, for a
// caller that checks many strings.
func AddressFinder(addrs []string) func(s string) bool {
	sc := newScanner(addrs)
	return func(s string) bool {
		return len(sc.addrs) > 0 && strings.IndexByte(s, '@') >= 0 && sc.find([]byte(s), 0, true)
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
	if len(s.tail) > 0 {
		from = 1 // byte 0 is only there as the context before byte 1
	}
	found := s.find(buf, from, end)
	if end {
		s.tail = s.tail[:0]
	} else {
		s.tail = append(s.tail[:0], buf[max(0, len(buf)-s.max-1):]...)
	}
	return found
}

// find looks for a whole address starting at or after from. When final is
// false a match that reaches the end of buf is left for the next chunk,
// which shows whether the address goes on. It looks around each "@", so a
// line without one costs a byte search.
func (s *scanner) find(buf []byte, from int, final bool) bool {
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
			if (start == 0 || !localChar(buf[start-1])) && (end < len(buf) || final) && !continues(buf[end:]) {
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
