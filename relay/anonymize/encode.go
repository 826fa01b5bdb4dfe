package anonymize

import (
	"encoding/base64"
	"io"
)

// base64Writer encodes what it is given as base64 in lines of 76
// characters (RFC 2045 section 6.8), the way every client writes
// attachments, so the line length says nothing of the sender's client.
type base64Writer struct {
	w    io.Writer
	in   [57]byte // one line's worth of input
	n    int
	line [78]byte
}

func newBase64Writer(w io.Writer) *base64Writer { return &base64Writer{w: w} }

func (b *base64Writer) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := copy(b.in[b.n:], p)
		b.n += k
		p = p[k:]
		if b.n == len(b.in) {
			if err := b.flush(true); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}

// flush encodes the pending input as one line. Full lines end in CRLF;
// the last one does not, since the CRLF before the next boundary belongs
// to the boundary (RFC 2046 section 5.1.1).
func (b *base64Writer) flush(eol bool) error {
	if b.n == 0 {
		return nil
	}
	m := base64.StdEncoding.EncodedLen(b.n)
	base64.StdEncoding.Encode(b.line[:m], b.in[:b.n])
	if eol {
		b.line[m], b.line[m+1] = '\r', '\n'
		m += 2
	}
	b.n = 0
	_, err := b.w.Write(b.line[:m])
	return err
}

// Close writes the last, shorter line.
func (b *base64Writer) Close() error { return b.flush(false) }
