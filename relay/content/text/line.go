package text

import "strings"

// line is one line of the body, split into its quote prefix and the text
// after it.
type line struct {
	prefix string // the quote markers, e.g. "> > "
	body   string // the text after the prefix, without the line ending
	eol    string // "\r\n", "\n" or "" for a last line without one
	depth  int    // the number of ">" in prefix
}

func newLine(b []byte) line {
	s := string(b)
	var l line
	switch {
	case strings.HasSuffix(s, "\r\n"):
		s, l.eol = s[:len(s)-2], "\r\n"
	case strings.HasSuffix(s, "\n"):
		s, l.eol = s[:len(s)-1], "\n"
	}
	l.prefix, l.depth = quotePrefix(s)
	l.body = s[len(l.prefix):]
	return l
}

// quotePrefix returns the quote markers at the start of s and how many ">"
// they hold. RFC 3676 section 4.5 quotes with ">" and no space between
// markers; clients also write "> > ", so one space after each marker is
// part of the prefix. A second space is not: it may be indentation, and the
// body of "> -- " must keep its trailing space to be seen as a signature
// separator.
func quotePrefix(s string) (string, int) {
	i, n := 0, 0
	for i < len(s) && s[i] == '>' {
		n++
		i++
		if i < len(s) && s[i] == ' ' {
			i++
		}
	}
	return s[:i], n
}

// blank reports whether the body is empty or white space.
func (l line) blank() bool { return strings.TrimSpace(l.body) == "" }

// text is the whole line without its ending.
func (l line) text() string { return l.prefix + l.body }
