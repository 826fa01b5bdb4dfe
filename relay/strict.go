package relay

import (
	"bytes"
	"errors"
	"io"
)

// maxLine is the longest line RFC 5322 section 2.1.1 allows, without CRLF.
const maxLine = 998

// Errors of the strict DATA reader. Each one is answered with 554 5.6.0 after
// the rest of DATA has been read, so the dialogue stays in sync.
var (
	errBareLF   = errors.New("bare LF in message")
	errBareCR   = errors.New("bare CR in message")
	errNUL      = errors.New("NUL in message")
	errLongLine = errors.New("line longer than 998 octets")
)

// strictReader passes DATA through unchanged but fails on a bare CR, a bare
// LF, a NUL or an over-long line. Refusing bare line endings instead of
// repairing them closes SMTP smuggling: a downstream server that ends DATA on
// <LF>.<LF> can never see such a sequence from us (RFC 5321 2.3.8, RFC 5322 2.3).
type strictReader struct {
	r       io.Reader
	n       int64 // bytes read
	lineLen int
	cr      bool // the previous byte was CR
	err     error
}

func newStrictReader(r io.Reader) *strictReader { return &strictReader{r: r} }

func (s *strictReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if verr := s.check(p[:n]); verr != nil {
		s.err = verr
		return 0, verr
	}
	if errors.Is(err, errBareCR) {
		// The connection saw a bare CR that go-smtp's reader dropped
		// ("\r\n.\r" followed by anything but LF).
		s.err = err
		return 0, err
	}
	if err == io.EOF && s.cr {
		// DATA always ends in CRLF.CRLF, so a trailing CR cannot happen
		// unless the transport is broken; refuse rather than guess.
		s.err = errBareCR
		return 0, s.err
	}
	return n, err
}

func (s *strictReader) check(b []byte) error {
	for len(b) > 0 {
		if s.cr {
			if b[0] != '\n' {
				return errBareCR
			}
			s.cr = false
			s.lineLen = 0
			b = b[1:]
			continue
		}
		// Fast path: find the next byte that needs a look.
		i := bytes.IndexAny(b, "\r\n\x00")
		run := i
		if i < 0 {
			run = len(b)
		}
		s.lineLen += run
		if s.lineLen > maxLine {
			return errLongLine
		}
		if i < 0 {
			return nil
		}
		switch b[i] {
		case '\n':
			return errBareLF
		case 0:
			return errNUL
		}
		s.cr = true
		b = b[i+1:]
	}
	return nil
}

// eodState follows go-smtp's DATA reader state machine (data.go), so both
// agree on where DATA ends: at <CRLF>.<CRLF> and nowhere else.
type eodState uint8

const (
	eodBeginLine eodState = iota
	eodDot
	eodDotCR
	eodCR
	eodMid
)

// scan advances the state over b and returns the index just past the
// end-of-data line, or -1 if DATA goes on. go-smtp's reader drops the dot
// and the CR of "\r\n.\r" when no LF follows, so the strict reader never
// sees that bare CR: scan reports it in dotCR.
func (s *eodState) scan(b []byte, dotCR *bool) int {
	st := *s
	for i, c := range b {
		switch st {
		case eodBeginLine:
			switch c {
			case '.':
				st = eodDot
			case '\r':
				st = eodCR
			default:
				st = eodMid
			}
		case eodDot:
			st = eodMid
			if c == '\r' {
				st = eodDotCR
			}
		case eodDotCR:
			if c == '\n' {
				*s = eodBeginLine
				return i + 1
			}
			*dotCR = true
			st = eodMid
		case eodCR:
			st = eodMid
			if c == '\n' {
				st = eodBeginLine
			}
		case eodMid:
			if c == '\r' {
				st = eodCR
			}
		}
	}
	*s = st
	return -1
}
