package pdf

import "bytes"

// The tokens of a content stream or a CMap (7.2, 7.8.2): the operands and
// operators the text scan follows. The lexer never fails: what is not a
// token is skipped a byte at a time.
const (
	tokNumber = iota + 1
	tokString
	tokName
	tokOperator
	tokArray    // [
	tokArrayEnd // ]
	tokDict     // <<
	tokDictEnd  // >>
)

type token struct {
	kind int
	num  float64
	// b is a string's bytes (escapes undone, hex decoded), a name's
	// (#xx undone) or an operator's.
	b []byte
}

// lexer reads tokens from b. Decoded strings and names are appended to
// buf, which the caller may reset between operators.
type lexer struct {
	b   []byte
	i   int
	buf []byte
}

// next returns the next token; ok is false at the end of the data.
func (l *lexer) next() (t token, ok bool) {
	b := l.b
	for l.i < len(b) {
		c := b[l.i]
		switch {
		case space(c):
			l.i++
		case c == '%':
			for l.i < len(b) && b[l.i] != '\n' && b[l.i] != '\r' {
				l.i++
			}
		case c == '(':
			l.i++
			return token{kind: tokString, b: l.literal()}, true
		case c == '<':
			if l.i+1 < len(b) && b[l.i+1] == '<' {
				l.i += 2
				return token{kind: tokDict}, true
			}
			l.i++
			return token{kind: tokString, b: l.hex()}, true
		case c == '>':
			l.i++
			if l.i < len(b) && b[l.i] == '>' {
				l.i++
				return token{kind: tokDictEnd}, true
			}
		case c == '[':
			l.i++
			return token{kind: tokArray}, true
		case c == ']':
			l.i++
			return token{kind: tokArrayEnd}, true
		case c == '/':
			l.i++
			return token{kind: tokName, b: l.name()}, true
		case c == ')' || c == '{' || c == '}':
			l.i++
		default:
			start := l.i
			for l.i < len(b) && !delimiter(b[l.i]) {
				l.i++
			}
			w := b[start:l.i]
			if f, ok := number(w); ok {
				return token{kind: tokNumber, num: f}, true
			}
			return token{kind: tokOperator, b: w}, true
		}
	}
	return token{}, false
}

func space(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

// literal decodes a literal string (7.3.4.2) after its "(".
func (l *lexer) literal() []byte {
	b := l.b
	start := len(l.buf)
	depth := 1
	for l.i < len(b) {
		c := b[l.i]
		l.i++
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return l.buf[start:]
			}
		case '\r':
			// An end of line in a string is a line feed, whatever it was.
			if l.i < len(b) && b[l.i] == '\n' {
				l.i++
			}
			c = '\n'
		case '\\':
			if l.i >= len(b) {
				return l.buf[start:]
			}
			c = b[l.i]
			l.i++
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.i < len(b) && b[l.i] == '\n' {
					l.i++
				}
				continue
			case '\n':
				continue
			default:
				if c >= '0' && c <= '7' {
					n := int(c - '0')
					for k := 0; k < 2 && l.i < len(b) && b[l.i] >= '0' && b[l.i] <= '7'; k++ {
						n = n*8 + int(b[l.i]-'0')
						l.i++
					}
					c = byte(n)
				}
			}
		}
		l.buf = append(l.buf, c)
	}
	return l.buf[start:]
}

// hex decodes a hexadecimal string (7.3.4.3) after its "<": white space
// and other bytes are skipped, an odd last digit is followed by 0.
func (l *lexer) hex() []byte {
	b := l.b
	start := len(l.buf)
	var hi byte
	half := false
	for l.i < len(b) {
		c := b[l.i]
		l.i++
		if c == '>' {
			break
		}
		if !ishex(c) {
			continue
		}
		if half {
			l.buf = append(l.buf, hi<<4|unhex(c))
		} else {
			hi = unhex(c)
		}
		half = !half
	}
	if half {
		l.buf = append(l.buf, hi<<4)
	}
	return l.buf[start:]
}

// name decodes a name (7.3.5) after its "/".
func (l *lexer) name() []byte {
	b := l.b
	start := l.i
	for l.i < len(b) && !delimiter(b[l.i]) {
		l.i++
	}
	w := b[start:l.i]
	if bytes.IndexByte(w, '#') < 0 {
		return w
	}
	from := len(l.buf)
	for k := 0; k < len(w); k++ {
		c := w[k]
		if c == '#' && k+2 < len(w) && ishex(w[k+1]) && ishex(w[k+2]) {
			c = unhex(w[k+1])<<4 | unhex(w[k+2])
			k += 2
		}
		l.buf = append(l.buf, c)
	}
	return l.buf[from:]
}

// skipInline skips an inline image's data (8.9.7) after its ID operator:
// one white-space byte, then up to an EI between white space.
func (l *lexer) skipInline() {
	b := l.b
	i := l.i + 1
	for i < len(b) {
		j := bytes.Index(b[i:], []byte("EI"))
		if j < 0 {
			break
		}
		i += j
		if space(b[i-1]) && (i+2 == len(b) || space(b[i+2]) || delimiter(b[i+2])) {
			l.i = i + 2
			return
		}
		i += 2
	}
	l.i = len(b)
}

// number parses a number as content streams write them (7.3.3): a sign,
// digits and at most one period, no exponent.
func number(w []byte) (float64, bool) {
	if len(w) == 0 {
		return 0, false
	}
	neg := w[0] == '-'
	if w[0] == '-' || w[0] == '+' {
		w = w[1:]
	}
	var n, scale float64 = 0, 1
	digits, point := 0, false
	for _, c := range w {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + float64(c-'0')
			if point {
				scale *= 10
			}
			digits++
		case c == '.' && !point:
			point = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n / scale, true
}
