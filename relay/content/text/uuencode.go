package text

import "regexp"

// beginRe matches the first line of a uuencoded file (POSIX uuencode):
// "begin <octal mode> <name>", or "begin-base64" for the -m variant.
var beginRe = regexp.MustCompile(`^begin(?:-base64)? [0-7]{3,4} \S`)

// uuencoded reports whether the window starts a uuencoded file: the begin
// line and, so that a sentence starting "begin 644 ..." is not refused, a
// first data line of the right shape after it.
func (c *cleaner) uuencoded() bool {
	if len(c.win) < 2 || c.win[0].depth != 0 || !beginRe.MatchString(c.win[0].body) {
		return false
	}
	return uuLine(c.win[1].body) || b64Line(c.win[1].body)
}

// uuLine reports a uuencoded data line: a length character, then four
// characters for every three octets, all in the range ' ' to '`'.
func uuLine(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '`' {
			return false
		}
	}
	n := int(s[0]-' ') & 63
	return n > 0 && len(s)-1 >= (n+2)/3*4
}

var b64Re = regexp.MustCompile(`^[A-Za-z0-9+/]{40,}={0,2}$`)

func b64Line(s string) bool { return b64Re.MatchString(s) }
