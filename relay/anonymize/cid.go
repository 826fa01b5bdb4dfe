package anonymize

import (
	"bytes"
	"io"
)

// maxCIDRef bounds the id of one cid: reference. A longer one is still
// replaced (by the hash of its first maxCIDRef octets) and the rest of it
// dropped, so that no part of an original id reaches the output.
const maxCIDRef = 998

const (
	cidScan = iota // looking for "cid:"
	cidID          // collecting the id after "cid:"
	cidSkip        // dropping the rest of an over-long id
)

// cidWriter rewrites "cid:" URLs (RFC 2392) in HTML as it streams: the
// scheme is matched without regard to case when it starts a word, the id
// runs to a quote, ")", ">", "<" or white space, is percent-decoded, and is
// replaced by the keyed hash that also replaces the matching Content-ID.
// Only a few octets are held back between writes: a partial "cid:" and the
// id being read.
type cidWriter struct {
	w     io.Writer
	cid   func([]byte) string
	state int
	held  [4]byte // a prefix of "cid:" seen so far, as written
	nh    int
	prev  byte // the octet before the current one
	id    []byte
	dec   []byte
}

func (c *cidWriter) Write(p []byte) (int, error) {
	start := 0 // p[start:i] is literal text not yet written
	for i := 0; i < len(p); i++ {
		b := p[i]
		switch c.state {
		case cidScan:
			if c.nh == 0 {
				j := bytes.IndexAny(p[i:], "cC")
				if j < 0 {
					c.prev = p[len(p)-1]
					i = len(p)
					continue
				}
				if j > 0 {
					c.prev = p[i+j-1]
				}
				i += j
				b = p[i]
				if isAlnum(c.prev) {
					c.prev = b
					continue
				}
			}
			if lowerASCII(b) == "cid:"[c.nh] {
				if c.nh == 0 {
					if err := c.write(p[start:i]); err != nil {
						return 0, err
					}
				}
				c.held[c.nh] = b
				c.nh++
				start, c.prev = i+1, b
				if c.nh == 4 {
					c.state, c.nh, c.id = cidID, 0, c.id[:0]
				}
				continue
			}
			if err := c.write(c.held[:c.nh]); err != nil {
				return 0, err
			}
			c.nh, start = 0, i
			i-- // look at b again, from the start of "cid:"
		case cidID:
			if isCIDEnd(b) {
				if err := c.replace(); err != nil {
					return 0, err
				}
				c.state, start = cidScan, i
				i--
				continue
			}
			if len(c.id) == maxCIDRef {
				if err := c.replace(); err != nil {
					return 0, err
				}
				c.state = cidSkip
			} else {
				c.id = append(c.id, b)
			}
			start = i + 1
		case cidSkip:
			if isCIDEnd(b) {
				c.state, start = cidScan, i
				i--
				continue
			}
			start = i + 1
		}
	}
	if start < len(p) {
		if err := c.write(p[start:]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Close writes what is held back at the end of the part.
func (c *cidWriter) Close() error {
	switch c.state {
	case cidScan:
		err := c.write(c.held[:c.nh])
		c.nh = 0
		return err
	case cidID:
		c.state = cidScan
		return c.replace()
	}
	c.state = cidScan
	return nil
}

// replace writes "cid:" and the replacement of the id collected.
func (c *cidWriter) replace() error {
	if len(c.id) == 0 {
		return c.write([]byte("cid:"))
	}
	c.dec = percentDecode(c.dec[:0], string(c.id))
	return c.write([]byte("cid:" + c.cid(c.dec)))
}

func (c *cidWriter) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, err := c.w.Write(b)
	return err
}

func isCIDEnd(b byte) bool {
	switch b {
	case '"', '\'', ')', '>', '<', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func lowerASCII(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
