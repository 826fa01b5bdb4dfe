package anonymize

import (
	"bufio"
	"bytes"
	"io"
)

// qpReader decodes quoted-printable (RFC 2045 section 6.7) leniently: an
// "=" not followed by two hex digits is kept as a literal "=" (the rule 6.7
// suggests for robustness), trailing white space is dropped as transport
// padding, and a line ending in "=" is a soft line break. It works line by
// line; input lines are at most 998 octets, well inside its buffer.
type qpReader struct {
	br  *bufio.Reader
	out []byte // decoded octets not yet returned
	buf []byte
	err error
}

func newQPReader(r io.Reader) *qpReader {
	return &qpReader{br: bufio.NewReaderSize(r, 4096), buf: make([]byte, 0, 4096+2)}
}

func (q *qpReader) Read(p []byte) (int, error) {
	for len(q.out) == 0 {
		if q.err != nil {
			return 0, q.err
		}
		line, err := q.br.ReadSlice('\n')
		switch err {
		case nil:
			q.out = q.decode(line, true)
		case bufio.ErrBufferFull:
			q.out = q.decode(line, false) // part of a longer line
		default:
			q.err = err
			q.out = q.decode(line, err == io.EOF)
		}
	}
	n := copy(p, q.out)
	q.out = q.out[n:]
	return n, nil
}

// decode decodes one line. whole is false for a piece of a line that did
// not fit the buffer, which has no line end to handle.
func (q *qpReader) decode(line []byte, whole bool) []byte {
	out := q.buf[:0]
	eol, soft := false, false
	if whole {
		if l, ok := bytes.CutSuffix(line, []byte("\n")); ok {
			line, eol = bytes.TrimSuffix(l, []byte("\r")), true
		}
		line = bytes.TrimRight(line, " \t")
		line, soft = bytes.CutSuffix(line, []byte("="))
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
			out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
			i += 2
			continue
		}
		out = append(out, c)
	}
	if eol && !soft {
		out = append(out, crlf...)
	}
	return out
}

// qpMax is the longest encoded line we write, the "=" of a soft line break
// included (RFC 2045 section 6.7 rule 5 allows 76).
const qpMax = 76

// qpWriter encodes quoted-printable. A CRLF in the data becomes a line
// break; a lone CR or LF is encoded (=0D, =0A), so the octets of a text
// attachment survive exactly. White space before a line break is encoded,
// so that no transport can strip it. It is a plain value with no pointers
// into itself: a copy continues from the same state, which is how one
// shared body ends differently for each recipient.
type qpWriter struct {
	w    io.Writer
	line [qpMax + 3]byte // the current line, room for "=\r\n"
	n    int
	cr   bool // a CR waits to see whether LF follows
}

func (q *qpWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if q.cr {
			q.cr = false
			if c == '\n' {
				if err := q.lineBreak(); err != nil {
					return 0, err
				}
				continue
			}
			if err := q.encoded('\r'); err != nil {
				return 0, err
			}
		}
		var err error
		switch {
		case c == '\r':
			q.cr = true
		case c == ' ' || c == '\t' || c >= '!' && c <= '~' && c != '=':
			err = q.literal(c)
		default:
			err = q.encoded(c)
		}
		if err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Close writes what is pending, without a final line break: what follows
// (a boundary line) begins with CRLF.
func (q *qpWriter) Close() error {
	if q.cr {
		q.cr = false
		if err := q.encoded('\r'); err != nil {
			return err
		}
	}
	if err := q.encodeTrailingSpace(); err != nil {
		return err
	}
	_, err := q.w.Write(q.line[:q.n])
	q.n = 0
	return err
}

func (q *qpWriter) literal(c byte) error {
	if err := q.room(1); err != nil {
		return err
	}
	q.line[q.n] = c
	q.n++
	return nil
}

func (q *qpWriter) encoded(c byte) error {
	if err := q.room(3); err != nil {
		return err
	}
	q.line[q.n], q.line[q.n+1], q.line[q.n+2] = '=', hexDigits[c>>4], hexDigits[c&15]
	q.n += 3
	return nil
}

// room makes space for k more octets, with a soft line break if needed.
func (q *qpWriter) room(k int) error {
	if q.n+k <= qpMax-1 {
		return nil
	}
	q.n += copy(q.line[q.n:], "=\r\n")
	_, err := q.w.Write(q.line[:q.n])
	q.n = 0
	return err
}

func (q *qpWriter) lineBreak() error {
	if err := q.encodeTrailingSpace(); err != nil {
		return err
	}
	q.n += copy(q.line[q.n:], crlf)
	_, err := q.w.Write(q.line[:q.n])
	q.n = 0
	return err
}

// encodeTrailingSpace encodes a space or tab that would end a line (RFC
// 2045 section 6.7 rule 3).
func (q *qpWriter) encodeTrailingSpace() error {
	if q.n == 0 {
		return nil
	}
	if c := q.line[q.n-1]; c == ' ' || c == '\t' {
		q.n--
		return q.encoded(c)
	}
	return nil
}
