package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
)

const (
	// maxNesting bounds how deeply arrays and dictionaries may nest.
	// pdfcpu's parser recurses once per level and a Go stack overflow
	// cannot be recovered: three megabytes of "[" crash the process. Real
	// documents nest a few levels deep; the rewrite itself stops at
	// maxDepth. The bound is loose because the screen does not parse: it
	// counts brackets in stream data too (see shallow).
	maxNesting = 10000
	// maxInflated bounds the inflated size of all Flate streams together.
	// pdfcpu inflates object streams whole in memory, and any stream can be
	// named an object stream, so a deflate bomb (1:1000) in a few
	// megabytes would otherwise take gigabytes.
	maxInflated = 256 << 20
)

// maxStray bounds the "stream" keywords that do not follow a dictionary.
const maxStray = 1000

// endstream reports whether head ends with "end", making the keyword after
// it "endstream".
func endstream(head []byte) bool {
	return bytes.HasSuffix(head, []byte("end"))
}

// afterDict reports whether head ends with ">>" and white space, as it does
// before a stream's data (7.3.8.1).
func afterDict(head []byte) bool {
	return bytes.HasSuffix(bytes.TrimRight(head, "\x00\t\n\f\r "), []byte(">>"))
}

// minObjects is the object count fewObjects allows any file; past it, a
// file may declare one object for every four bytes.
const minObjects = 1 << 18

var errBomb = errors.New("pdf: streams inflate past the bound")

// screen refuses input that would crash the parser or exhaust memory before
// it can say the file is malformed: nesting past maxNesting in the file or
// in a stream that may be parsed as an object stream, and Flate streams
// that inflate past maxInflated. It inflates every Flate stream through a
// counter without keeping the output.
func screen(b []byte) error {
	if !shallow(b) || !fewObjects(b) || !sparseObjects(b) {
		return malformed(nil)
	}
	in := &inflater{budget: maxInflated}
	stray := 0
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("stream"))
		if j < 0 {
			return nil
		}
		start := i + j + len("stream")
		if !endstream(b[:i+j]) && !afterDict(b[:i+j]) {
			// pdfcpu looks for the dictionary before each such keyword
			// from the start of the object, so a few megabytes of them
			// take it minutes.
			if stray++; stray > maxStray {
				return malformed(nil)
			}
		}
		if start < len(b) && b[start] == '\r' {
			start++
		}
		if start < len(b) && b[start] == '\n' {
			start++
			if zlibHeader(b[start:]) {
				if err := in.inflate(b[start:]); err != nil {
					return malformed(err)
				}
			}
		}
		i = start
	}
}

// shallow checks the nesting of the file's objects, skipping the data of
// each stream (from "stream" after a dictionary to the next "endstream"),
// as the parser does: a picture's data is not objects, and ASCII85 or DCT
// data is far from a balanced random walk (a 14 MB ReportLab file with
// photos counted past ten thousand). Object streams, which the parser does
// read as objects, are checked when they are inflated.
func shallow(b []byte) bool {
	var n nesting
	for {
		j := bytes.Index(b, []byte("stream"))
		if j < 0 || endstream(b[:j]) || !afterDict(b[:j]) {
			if j < 0 {
				return n.scan(b)
			}
			if !n.scan(b[:j+len("stream")]) {
				return false
			}
			b = b[j+len("stream"):]
			continue
		}
		if !n.scan(b[:j]) {
			return false
		}
		end := bytes.Index(b[j:], []byte("endstream"))
		if end < 0 {
			return true // the parser refuses an unterminated stream
		}
		b = b[j+end+len("endstream"):]
	}
}

// zlibHeader reports whether b starts like a zlib stream (RFC 1950 2.2).
func zlibHeader(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0F == 8 && b[0]>>4 <= 7 && (int(b[0])<<8|int(b[1]))%31 == 0
}

// inflater inflates streams through one reused decompressor and buffer,
// charging their sizes to budget.
type inflater struct {
	budget int64
	zr     io.ReadCloser
	buf    []byte
}

// inflate inflates the zlib stream at the start of b and checks the nesting
// of data that starts like an object stream (pairs of integers).
func (in *inflater) inflate(b []byte) error {
	var err error
	if in.zr == nil {
		in.zr, err = zlib.NewReader(bytes.NewReader(b))
		in.buf = make([]byte, 32<<10)
	} else {
		err = in.zr.(zlib.Resetter).Reset(bytes.NewReader(b), nil)
	}
	if err != nil {
		in.zr = nil
		return nil // not Flate after all; the parser will judge
	}
	c := counter{budget: &in.budget}
	for {
		n, rerr := in.zr.Read(in.buf)
		if _, err := c.Write(in.buf[:n]); err != nil {
			return err
		}
		if rerr != nil {
			// Truncated or corrupt data is the parser's to judge.
			return nil
		}
	}
}

var errDeep = errors.New("pdf: nesting past the bound")

// counter charges written bytes to a budget and tracks bracket nesting when
// the data starts with a digit, as an object stream does.
type counter struct {
	budget  *int64
	started bool
	objects bool
	nest    nesting
}

func (c *counter) Write(p []byte) (int, error) {
	*c.budget -= int64(len(p))
	if *c.budget < 0 {
		return 0, errBomb
	}
	if !c.started {
		q := bytes.TrimLeft(p, " \t\r\n\f\x00")
		if len(q) == 0 {
			return len(p), nil
		}
		c.started, c.objects = true, q[0] >= '0' && q[0] <= '9'
	}
	if c.objects && !c.nest.scan(p) {
		return 0, errDeep
	}
	return len(p), nil
}

// nesting counts "[" and "<<" against "]" and ">>" without parsing strings,
// comments or streams: parsing would let a crafted file hide brackets from
// the screen that the parser then sees. Random (compressed) stream data
// is a random walk that stays far below the bound; text stream data
// (content streams, ASCII85) is balanced or random too.
type nesting struct {
	depth int
	last  byte
}

func (n *nesting) scan(b []byte) bool {
	for _, c := range b {
		switch {
		case c == '[':
			n.depth++
		case c == ']':
			n.depth--
		case c == '<' && n.last == '<':
			n.depth++
			c = 0 // "<<<" is "<<" and "<"
		case c == '>' && n.last == '>':
			n.depth--
			c = 0
		}
		n.last = c
		if n.depth < 0 {
			n.depth = 0
		}
		if n.depth > maxNesting {
			return false
		}
	}
	return true
}

// fewObjects reports whether the object counts the file declares in /Size
// entries and /Index arrays (of cross-reference streams) add up to no more
// than max(minObjects, len(b)/4). pdfcpu expands an /Index array (or
// [0 Size]) into a slice of every object number before it looks at the
// data: "/Index [0 2000000000]" in a 300-byte file takes 16 GB. Names are
// compared after #xx escapes are decoded, as the parser decodes them.
func fewObjects(b []byte) bool {
	limit := max(minObjects, len(b)/4)
	total := 0
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '/')
		if j < 0 {
			return true
		}
		i += j + 1
		name, rest := nameAt(b[i:])
		switch name {
		case "Size":
			if n, _, ok := integerAt(rest); ok {
				total += n
			}
		case "Index":
			rest = skipSpace(rest)
			if len(rest) == 0 || rest[0] != '[' {
				continue
			}
			rest = rest[1:]
			for k := 0; ; k++ {
				n, r, ok := integerAt(rest)
				if !ok {
					break
				}
				if k%2 == 1 {
					total += n
				}
				rest = r
			}
		default:
			continue
		}
		if total > limit || total < 0 {
			return false
		}
	}
}

// nameAt decodes the name (without its slash) at the start of b, up to 16
// bytes, and returns it with the bytes after it.
func nameAt(b []byte) (string, []byte) {
	var name [16]byte
	n := 0
	i := 0
	for i < len(b) && n < len(name) && !delimiter(b[i]) {
		c := b[i]
		if c == '#' && i+2 < len(b) && ishex(b[i+1]) && ishex(b[i+2]) {
			c = unhex(b[i+1])<<4 | unhex(b[i+2])
			i += 2
		}
		name[n] = c
		n++
		i++
	}
	return string(name[:n]), b[i:]
}

// integerAt parses a non-negative integer after white space and comments.
func integerAt(b []byte) (int, []byte, bool) {
	b = skipSpace(b)
	n, i := 0, 0
	for ; i < len(b) && i < 12 && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int(b[i]-'0')
	}
	if i == 0 {
		return 0, b, false
	}
	return n, b[i:], true
}

// skipSpace skips white space and comments (7.2.3, 7.2.4).
func skipSpace(b []byte) []byte {
	for len(b) > 0 {
		switch b[0] {
		case 0, '\t', '\n', '\f', '\r', ' ':
			b = b[1:]
		case '%':
			for len(b) > 0 && b[0] != '\n' && b[0] != '\r' {
				b = b[1:]
			}
		default:
			return b
		}
	}
	return b
}

func delimiter(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// sparseObjects reports whether the file has no more than one "N G obj"
// header per 64 bytes (past the first 65536). pdfcpu's model costs about
// 3 KB of memory per object, so ten megabytes of "1 0 obj <<>> endobj"
// would take a gigabyte; real files average hundreds of bytes an object
// outside object streams.
func sparseObjects(b []byte) bool {
	limit := max(1<<16, len(b)/64)
	n := 0
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("obj"))
		if j < 0 {
			return true
		}
		i += j
		if i >= 2 && (b[i-1] == ' ' || b[i-1] == '\n' || b[i-1] == '\r') && b[i-2] >= '0' && b[i-2] <= '9' {
			if n++; n > limit {
				return false
			}
		}
		i += len("obj")
	}
}
