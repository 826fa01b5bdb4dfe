// Package wire checks the line structure of message text as it streams:
// CRLF line endings only, no NUL, lines of at most 998 octets. The SMTP
// session checks each incoming message with it, and the anonymizer checks
// the decoded parts it passes on with it, so both hold one idea of a valid
// line.
//
// Refusing bare line endings instead of repairing them closes SMTP
// smuggling: a downstream server that ends DATA on <LF>.<LF> can never see
// such a sequence from us (RFC 5321 2.3.8, RFC 5322 2.3).
package wire

import (
	"bytes"
	"errors"
	"io"
)

// MaxLine is the longest line RFC 5322 section 2.1.1 allows, without CRLF.
const MaxLine = 998

// The ways a message can break the line rules.
var (
	ErrBareLF   = errors.New("bare LF in message")
	ErrBareCR   = errors.New("bare CR in message")
	ErrNUL      = errors.New("NUL in message")
	ErrLongLine = errors.New("line longer than 998 octets")
)

// Reader passes text through unchanged but fails on a bare CR, a bare LF,
// a NUL (unless AllowNUL) or a line over MaxLine, wherever reads split the
// text. It tells the two kinds of failure apart: a line error is the text's
// fault, an error of the underlying reader is passed on as it is (and keeps
// being returned). Both are sticky.
//
// On a line error, the bytes returned with it are the good ones before it,
// except that the last of them may be the CR that turned out bare.
type Reader struct {
	// AllowNUL lets NUL octets through: for text that was checked for them
	// already, or that only needs its lines to be sound.
	AllowNUL bool

	r     io.Reader
	n     int64 // bytes read from r
	cr    bool  // the previous byte was CR
	line  int   // octets in the current line so far
	bad   error // a line error
	ioErr error // an error of r
	eof   bool
}

// NewReader returns a Reader of r that refuses NUL.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// N is the number of bytes read from the underlying reader so far.
func (r *Reader) N() int64 { return r.n }

func (r *Reader) Read(p []byte) (int, error) {
	switch {
	case r.bad != nil:
		return 0, r.bad
	case r.ioErr != nil:
		return 0, r.ioErr
	case r.eof:
		return 0, io.EOF
	}
	n, err := r.r.Read(p)
	r.n += int64(n)
	if k, verr := r.check(p[:n]); verr != nil {
		r.bad = verr
		return k, verr
	}
	switch {
	case err == io.EOF && r.cr:
		// Text always ends in CRLF here (DATA ends in CRLF.CRLF), so a
		// trailing CR means a broken transport; refuse rather than guess.
		r.bad = ErrBareCR
		if n > 0 {
			n-- // keep the bare CR out of the output
		}
		return n, r.bad
	case err == io.EOF:
		r.eof = true
	case err != nil:
		r.ioErr = err
	}
	return n, err
}

// check validates b, continuing the line state of earlier reads. On a
// violation it returns how many leading octets of b are still good.
func (r *Reader) check(b []byte) (int, error) {
	stops := "\r\n\x00"
	if r.AllowNUL {
		stops = "\r\n"
	}
	done := 0
	for len(b) > 0 {
		if r.cr {
			if b[0] != '\n' {
				return done, ErrBareCR
			}
			r.cr, r.line = false, 0
			b, done = b[1:], done+1
			continue
		}
		// Fast path: find the next byte that needs a look.
		i := bytes.IndexAny(b, stops)
		run := i
		if i < 0 {
			run = len(b)
		}
		if r.line+run > MaxLine {
			return done, ErrLongLine
		}
		r.line += run
		if i < 0 {
			return done + len(b), nil
		}
		switch b[i] {
		case '\n':
			return done + i, ErrBareLF
		case 0:
			return done + i, ErrNUL
		}
		r.cr = true
		b, done = b[i+1:], done+i+1
	}
	return done, nil
}

// Drain reads the underlying reader to its end, ignoring what it holds,
// and returns its read error if it had one (io.EOF is no error). It is for
// a message that was refused, so that the reader below (an SMTP DATA
// reader) reaches its end and the dialogue stays in step.
func (r *Reader) Drain(buf []byte) error {
	if r.ioErr != nil {
		return r.ioErr
	}
	if r.eof {
		return nil
	}
	for {
		n, err := r.r.Read(buf)
		r.n += int64(n)
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			r.ioErr = err
			return err
		}
	}
}
