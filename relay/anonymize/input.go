package anonymize

import (
	"bytes"
	"errors"
	"io"
)

// maxLine is the longest line RFC 5322 section 2.1.1 allows, without CRLF.
const maxLine = 998

var (
	errBareEOL  = errors.New("anonymize: bare CR or LF in message")
	errLongLine = errors.New("anonymize: line longer than 998 octets")
	errBudget   = errors.New("anonymize: header over budget")
)

// input reads the message source and checks what the session promised:
// CRLF line endings only and lines of at most 998 octets. Parts that pass
// through unchanged are copied line for line, so this check is what keeps
// the output within the same limits. It remembers a read error of the
// source apart from validation failures: the first is an I/O error, the
// second a malformed message.
type input struct {
	r     io.Reader
	cr    bool // the previous byte was CR
	line  int  // octets in the current line so far
	bad   error
	ioErr error
	eof   bool
}

func (in *input) Read(p []byte) (int, error) {
	switch {
	case in.bad != nil:
		return 0, in.bad
	case in.ioErr != nil:
		return 0, in.ioErr
	case in.eof:
		return 0, io.EOF
	}
	n, err := in.r.Read(p)
	if k, verr := in.check(p[:n]); verr != nil {
		in.bad = verr
		return k, verr
	}
	switch {
	case err == io.EOF && in.cr:
		in.bad = errBareEOL
		return n, in.bad
	case err == io.EOF:
		in.eof = true
	case err != nil:
		in.ioErr = err
	}
	return n, err
}

// check validates p, continuing the line state of earlier reads. On a
// violation it returns how many leading octets of p are still good.
func (in *input) check(p []byte) (int, error) {
	done := 0
	for len(p) > 0 {
		if in.cr {
			if p[0] != '\n' {
				return done, errBareEOL
			}
			in.cr, in.line = false, 0
			p, done = p[1:], done+1
			continue
		}
		seg := p
		lf := bytes.IndexByte(p, '\n')
		if lf >= 0 {
			seg = p[:lf]
		}
		cr := bytes.IndexByte(seg, '\r')
		switch {
		case cr >= 0 && cr != len(seg)-1:
			return done, errBareEOL // a CR inside the line
		case lf >= 0 && cr < 0:
			return done, errBareEOL // LF without CR
		}
		text := len(seg)
		if cr >= 0 {
			text--
		}
		if in.line+text > maxLine {
			return done, errLongLine
		}
		if lf < 0 {
			in.line += text
			in.cr = cr >= 0
			return done + len(p), nil
		}
		in.line = 0
		p, done = p[lf+1:], done+lf+1
	}
	return done, nil
}

// drain reads the source to its end, ignoring what it contains, and returns
// the source's read error if it had one. It is used once a message has been
// refused, so that the caller's DATA reader reaches its end.
func (in *input) drain(buf []byte) error {
	if in.ioErr != nil {
		return in.ioErr
	}
	if in.eof {
		return nil
	}
	for {
		_, err := in.r.Read(buf)
		if err == io.EOF {
			in.eof = true
			return nil
		}
		if err != nil {
			in.ioErr = err
			return err
		}
	}
}

// guard sits under the bufio.Reader a header is parsed from. While armed it
// lets at most max octets through and then fails, so that a header block
// (which textproto.ReadHeader accumulates without limit) stays bounded in
// memory. The exact limit is checked on the parsed header; the budget only
// needs room for the header plus what the buffers above read ahead.
type guard struct {
	r       io.Reader
	armed   bool
	n, max  int
	tripped *bool // set when the budget runs out
}

func (g *guard) arm(max int) { g.armed, g.n, g.max = true, 0, max }
func (g *guard) disarm()     { g.armed = false }
func (g *guard) Read(p []byte) (int, error) {
	if !g.armed {
		return g.r.Read(p)
	}
	if g.n >= g.max {
		*g.tripped = true
		return 0, errBudget
	}
	if len(p) > g.max-g.n {
		p = p[:g.max-g.n]
	}
	n, err := g.r.Read(p)
	g.n += n
	return n, err
}
