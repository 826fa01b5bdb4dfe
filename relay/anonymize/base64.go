package anonymize

import (
	"io"

	"leak/relay/content/refusal"
)

// errBadBase64 refuses an attachment whose base64 is damaged: text is
// decoded leniently, but a file whose octets cannot be known cannot be
// cleaned either.
var errBadBase64 = refusal.New(refusal.Malformed, "an attachment's base64 encoding is damaged; attach the file again")

// base64Reader decodes base64 (RFC 2045 section 6.8) leniently: characters
// outside the alphabet are skipped (section 6.8 asks for that), and "=" ends
// the current quantum wherever it appears, so that padding in the middle
// (pieces glued together) or missing at the end loses nothing that can be
// decoded. A lone leftover character carries less than a byte and is
// dropped.
type base64Reader struct {
	r      io.Reader
	strict bool // refuse characters outside the alphabet instead of skipping them
	in     [3072]byte
	out    [2304 + 3]byte
	pend   []byte // decoded octets not yet returned
	q      [4]byte
	nq     int
	err    error
}

var b64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

func (b *base64Reader) Read(p []byte) (int, error) {
	for len(b.pend) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		n, err := b.r.Read(b.in[:])
		out := b.out[:0]
		for _, c := range b.in[:n] {
			if c == '=' {
				out = b.flush(out)
				continue
			}
			v := b64Value[c]
			if v < 0 {
				if b.strict && c != '\r' && c != '\n' && c != ' ' && c != '\t' {
					b.err = errBadBase64
					break
				}
				continue
			}
			b.q[b.nq] = byte(v)
			if b.nq++; b.nq == 4 {
				out = b.flush(out)
			}
		}
		if err != nil && b.err == nil {
			out = b.flush(out)
			b.err = err
		}
		b.pend = out
	}
	n := copy(p, b.pend)
	b.pend = b.pend[n:]
	return n, nil
}

// flush decodes the quantum collected so far (2, 3 or 4 characters).
func (b *base64Reader) flush(out []byte) []byte {
	q := b.q
	switch b.nq {
	case 4:
		out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
	case 3:
		out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2)
	case 2:
		out = append(out, q[0]<<2|q[1]>>4)
	}
	b.nq = 0
	return out
}
