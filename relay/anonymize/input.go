package anonymize

import (
	"errors"
	"io"

	"leak/relay/wire"
)

var errBudget = errors.New("anonymize: header over budget")

// newInput reads the message source and checks what the session promised:
// CRLF line endings only and lines of at most wire.MaxLine octets. Parts that
// pass through unchanged are copied line for line, so this check is what
// keeps the output within the same limits. The reader remembers a read error
// of the source apart from line errors: the first is an I/O error (Drain
// returns it), the second a malformed message. NUL is let through as it
// always was here: the session refuses it on the wire, and what a decoded
// part holds is the content cleaners' business.
func newInput(src io.Reader) *wire.Reader {
	in := wire.NewReader(src)
	in.AllowNUL = true
	return in
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
