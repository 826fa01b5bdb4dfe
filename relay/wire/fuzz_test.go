package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReader: whatever the text and however reads split it, Reader fails
// with the error a plain byte-by-byte check finds first, or passes the text
// through unchanged; what it hands over is a prefix of the text with no bare
// LF, no NUL (unless allowed) and no long line, and no bare CR but possibly
// the very last byte when it fails.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"", "a\r\nb\r\n", "a\nb", "a\rb", "a\r", "\r\r\n", "a\x00b\r\n",
		"a\r\n.\r\n", "a\r\n\n.\n", "a\r\n.\rX\r\n", "x\r\n\r\n.\r\n",
		strings.Repeat("y", 998) + "\r\n", strings.Repeat("y", 999) + "\r\n",
		strings.Repeat("z", 997) + "\r\r\n",
	} {
		f.Add([]byte(s), uint16(1), false)
		f.Add([]byte(s), uint16(7), true)
	}
	f.Fuzz(func(t *testing.T, text []byte, split uint16, allowNUL bool) {
		if len(text) > 64<<10 {
			return
		}
		want := firstError(text, allowNUL)
		r := NewReader(&chunks{b: text, size: int(split)})
		r.AllowNUL = allowNUL
		out, err := io.ReadAll(r)
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Fatalf("err %v, want %v", err, want)
		}
		if !bytes.HasPrefix(text, out) {
			t.Fatalf("output is not a prefix of the text")
		}
		if err == nil {
			if len(out) != len(text) {
				t.Fatalf("clean text shortened: %d of %d bytes", len(out), len(text))
			}
			if r.N() != int64(len(text)) {
				t.Fatalf("N = %d, want %d", r.N(), len(text))
			}
		}
		checked := out
		if err != nil && len(checked) > 0 && checked[len(checked)-1] == '\r' {
			checked = checked[:len(checked)-1]
		}
		if cerr := firstError(checked, allowNUL); cerr != nil {
			t.Fatalf("output breaks the rules: %v", cerr)
		}
	})
}

// firstError is the line rules checked one byte at a time: the first
// violation in the text, or nil.
func firstError(text []byte, allowNUL bool) error {
	line := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\r':
			if i+1 == len(text) || text[i+1] != '\n' {
				return ErrBareCR
			}
			i++
			line = 0
		case c == '\n':
			return ErrBareLF
		case c == 0 && !allowNUL:
			return ErrNUL
		default:
			line++
			if line > MaxLine {
				return ErrLongLine
			}
		}
	}
	return nil
}

// chunks hands out b in reads of size bytes (any size when 0), the last
// one with io.EOF, as some readers do.
type chunks struct {
	b    []byte
	size int
}

func (c *chunks) Read(p []byte) (int, error) {
	if c.size > 0 && len(p) > c.size {
		p = p[:c.size]
	}
	n := copy(p, c.b)
	c.b = c.b[n:]
	if len(c.b) == 0 {
		return n, io.EOF
	}
	return n, nil
}
