package relay

import (
	"io"

	"leak/relay/wire"
)

// The strict DATA reader is wire.Reader: it passes DATA through unchanged
// but fails on a bare CR, a bare LF, a NUL or an over-long line. Each of its
// errors is answered with 554 5.6.0 (dataReply) after the rest of DATA has
// been read, so the dialogue stays in sync.
var (
	errBareLF   = wire.ErrBareLF
	errBareCR   = wire.ErrBareCR
	errNUL      = wire.ErrNUL
	errLongLine = wire.ErrLongLine
)

// newStrictReader checks a message body as it streams. A bare CR that only
// the connection saw (see eodState) reaches it as its source's errBareCR.
func newStrictReader(r io.Reader) *wire.Reader { return wire.NewReader(r) }

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
