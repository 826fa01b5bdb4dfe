package sign

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"slices"
	"strings"
)

// DKIM's relaxed canonicalization (RFC 6376 section 3.4.2 and 3.4.4),
// done once per copy for all its keys: the body hash and the header fields
// are the same for every signature, only each DKIM-Signature field differs.
// The rules follow go-msgauth's, which verifiers and the earlier signer
// used, to the octet: TestSameAsGoMsgauth compares the two.

const crlf = "\r\n"

// maxHeaderBytes bounds the header block held until its end: the
// anonymizer writes at most 64 KiB of it, so more is not a message Leak
// made.
const maxHeaderBytes = 1 << 20

// relaxedBody hashes a body in relaxed canonical form, as it streams: runs
// of spaces and tabs become one space, spaces and tabs at the end of a line
// go, empty lines at the end go, and a body that is not empty ends in one
// CRLF. A lone LF counts as CRLF; line ends are held back until something
// follows them.
//
// A Write allocates nothing: canonical octets gather in out, which goes to
// the hash whenever it fills, and the line ends held back live in heldBuf
// unless more than 16 empty lines follow each other.
type relaxedBody struct {
	h       hash.Hash
	out     [1024]byte // canonical octets not yet hashed: out[:n]
	n       int
	held    []byte // CR and LF octets not yet known to be inside the body
	heldBuf [32]byte
	wsp     bool // spaces or tabs not yet known to be inside a line
	prevCR  bool // the last octet was a CR (a following LF is not lone)
	written bool // some canonical octet was added
}

func newRelaxedBody() *relaxedBody {
	c := &relaxedBody{h: sha256.New()}
	c.held = c.heldBuf[:0]
	return c
}

func (c *relaxedBody) Write(b []byte) {
	n, out := c.n, &c.out
	prevCR, wsp := c.prevCR, c.wsp
	for _, ch := range b {
		switch ch {
		case ' ', '\t':
			wsp, prevCR = true, false
			continue
		case '\n':
			if !prevCR {
				c.held = append(c.held, '\r')
			}
			fallthrough
		case '\r':
			wsp, prevCR = false, ch == '\r'
			c.held = append(c.held, ch)
			continue
		}
		prevCR = false
		if len(c.held) > 0 || wsp {
			c.n, c.wsp = n, wsp
			c.release()
			n, wsp = c.n, false
		}
		if n == len(out) {
			c.h.Write(out[:])
			n = 0
		}
		out[n] = ch
		n++
	}
	c.n, c.prevCR, c.wsp = n, prevCR, wsp
	c.written = c.written || n > 0
}

// release adds the line ends and the space held back: an octet of the
// line follows them.
func (c *relaxedBody) release() {
	for _, ch := range c.held {
		c.put(ch)
	}
	c.held = c.held[:0]
	if c.wsp {
		c.put(' ')
		c.wsp = false
	}
}

// put adds one canonical octet, handing out to the hash when it is full.
func (c *relaxedBody) put(ch byte) {
	if c.n == len(c.out) {
		c.h.Write(c.out[:])
		c.n = 0
	}
	c.out[c.n] = ch
	c.n++
}

// sum ends the body and returns its SHA-256.
func (c *relaxedBody) sum() []byte {
	c.h.Write(c.out[:c.n])
	c.n = 0
	if c.written {
		c.h.Write([]byte(crlf))
	}
	return c.h.Sum(nil)
}

// headerEnd returns the length of the header block at the start of b,
// up to and including the empty line that ends it, or -1 if b does not
// hold it yet. Lines end in LF, with or without CR (net/textproto's
// ReadLine, which go-msgauth reads the header with).
func headerEnd(b []byte, from int) int {
	if from == 0 && (bytes.HasPrefix(b, []byte("\n")) || bytes.HasPrefix(b, []byte("\r\n"))) {
		return bytes.IndexByte(b, '\n') + 1
	}
	for i := max(from, 0); ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		n := i + j + 1 // just past this LF: the next line starts here
		switch {
		case n < len(b) && b[n] == '\n':
			return n + 1
		case n+1 < len(b) && b[n] == '\r' && b[n+1] == '\n':
			return n + 2
		case n+1 >= len(b) && n < len(b) && b[n] == '\r':
			return -1 // "\r" alone: wait for what follows
		}
		i = n
	}
}

// headerFields splits a header block into its fields, each with its
// continuation lines and every line ended by CRLF; the empty line that
// ends the block is not included. A continuation line before any field
// starts one of its own.
func headerFields(head []byte) []string {
	var fields []string
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		line := head
		if i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if len(fields) > 0 && (line[0] == ' ' || line[0] == '\t') {
			fields[len(fields)-1] += string(line) + crlf
		} else {
			fields = append(fields, string(line)+crlf)
		}
	}
	return fields
}

// fieldName is a field's name as DKIM compares it: before the colon,
// trimmed, lower case.
func fieldName(field string) string {
	k, _, _ := strings.Cut(field, ":")
	return strings.ToLower(strings.TrimSpace(k))
}

// relaxedHeader appends field in relaxed form to dst: the name lower case
// without surrounding space, a colon, the value unfolded with every run of
// whitespace made one space and none at either end, CRLF.
func relaxedHeader(dst []byte, field string) []byte {
	k, v, ok := strings.Cut(field, ":")
	if !ok {
		return append(append(dst, strings.TrimSpace(strings.ToLower(field))...), ":"+crlf...)
	}
	dst = append(dst, strings.TrimSpace(strings.ToLower(k))...)
	dst = append(dst, ':')
	space := false
	start := true
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case ' ', '\t', '\r', '\n':
			space = true
		default:
			if space && !start {
				dst = append(dst, ' ')
			}
			space, start = false, false
			dst = append(dst, c)
		}
	}
	return append(dst, crlf...)
}

// signedHeader returns the relaxed form of the fields that names (the h=
// list, in order) picks: each name takes the last field of that name not
// yet taken, counting from the bottom (RFC 6376 section 5.4.2); a name
// with none left adds nothing, which signs its absence.
func signedHeader(fields []string, names []string) []byte {
	byName := make(map[string][]int, len(fields))
	for i, f := range fields {
		n := fieldName(f)
		byName[n] = append(byName[n], i)
	}
	var out []byte
	for _, name := range names {
		key := strings.ToLower(name)
		idx := byName[key]
		if len(idx) == 0 {
			continue
		}
		out = relaxedHeader(out, fields[idx[len(idx)-1]])
		byName[key] = idx[:len(idx)-1]
	}
	return out
}

// tag is one tag=value of a DKIM-Signature field.
type tag struct{ k, v string }

// formatSignature writes a DKIM-Signature field as go-msgauth does: the
// tags but b= in name order on lines of at most about 75 octets, then b=
// on lines of its own, folded every 75 octets. The field ends in CRLF.
func formatSignature(tags []tag, b string) string {
	tags = slices.Clone(tags)
	slices.SortFunc(tags, func(x, y tag) int { return strings.Compare(x.k, y.k) })
	// One allocation: the field's length is known up to its folds.
	n := len("DKIM-Signature:") + len(" b=") + len(b) + 3*(len(b)/75+2) + len(crlf)
	for _, t := range tags {
		n += len(t.k) + len(t.v) + 3 + len(crlf)
	}
	var s strings.Builder
	s.Grow(n)
	s.WriteString("DKIM-Signature:")
	line := 0 // the length of the tags on the current line
	for _, t := range tags {
		if 3+line+len(t.v)+len(t.k) > 75 {
			s.WriteString(crlf)
			line = 0
		}
		s.WriteByte(' ')
		s.WriteString(t.k)
		s.WriteByte('=')
		s.WriteString(t.v)
		s.WriteByte(';')
		line += 3 + len(t.k) + len(t.v)
	}
	s.WriteString(crlf)
	// " b=" and the signature, folded every 75 octets.
	s.WriteString(" b=")
	first := min(len(b), 75-len(" b="))
	s.WriteString(b[:first])
	for i := first; i < len(b); i += 75 {
		s.WriteString("\r\n ")
		s.WriteString(b[i:min(i+75, len(b))])
	}
	s.WriteString(crlf)
	return s.String()
}
