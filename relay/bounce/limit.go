package bounce

import (
	"errors"
	"io"
	"math"
)

var (
	errOverLimit  = errors.New("over the size limit")
	errHeaderSize = errors.New("header over the size limit")
)

// limitReader bounds what ParseDSN reads: the whole input, and each header
// block while one is read. Unlike io.LimitReader it fails with an error
// rather than a clean EOF, so a cut message is never taken for a whole
// one. It remembers the limit it hit: go-message wraps reader errors with
// %v, which loses their identity.
type limitReader struct {
	r        io.Reader
	left     int64 // bytes still allowed from r
	header   int64 // bytes still allowed for the header being read
	inHeader bool
	err      error // errOverLimit or errHeaderSize, once hit
	rerr     error // r's own error, other than io.EOF
}

// beginHeader limits the next n bytes, until endHeader, to a header block.
func (l *limitReader) beginHeader(n int64) { l.header, l.inHeader = n, true }

func (l *limitReader) endHeader() { l.inHeader = false }

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	// Ask for one byte past the limit, to tell input that ends exactly at
	// the limit from input that goes on.
	allow := plusOne(l.left)
	if l.inHeader {
		allow = min(allow, plusOne(l.header))
	}
	if int64(len(p)) > allow {
		p = p[:allow]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.inHeader {
		l.header -= int64(n)
	}
	switch {
	case l.left < 0:
		l.err = errOverLimit
		return n - 1, l.err
	case l.inHeader && l.header < 0:
		l.err = errHeaderSize
		return n - 1, l.err
	}
	if err != nil && err != io.EOF {
		l.rerr = err
	}
	return n, err
}

// plusOne is n+1 without overflow.
func plusOne(n int64) int64 {
	if n == math.MaxInt64 {
		return n
	}
	return n + 1
}
