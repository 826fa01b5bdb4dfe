package corpus

import (
	"bytes"
	"regexp"
	"strings"
)

// entity is one MIME entity as Python's email package (policy compat32)
// sees it. The checker must see every byte of a broken message, so parsing
// never fails: a header line that is not a field starts the body, a
// multipart without boundaries is a leaf, a missing close boundary ends the
// part at the end of input. go-message refuses such input, which is right
// for a relay and wrong for a checker.
type entity struct {
	fields []field
	body   []byte    // a leaf's payload, still transfer-encoded
	parts  []*entity // a multipart's parts, or the one message inside message/*
	multi  bool      // parts is the payload (Python's is_multipart)
}

type field struct {
	name  string
	value string // after the colon, leading blanks and the last line end removed; folds kept
}

// parse reads a message leniently; it never fails.
func parse(raw []byte) *entity {
	return (&lineReader{data: raw}).entity("")
}

// lineReader yields lines with their endings (CRLF, LF or a lone CR, as
// Python's universal newlines do) and reports end of input at any line an
// enclosing multipart's boundary matches.
type lineReader struct {
	data    []byte
	pos     int
	eof     []func([]byte) bool
	pending [][]byte
}

func (r *lineReader) next() ([]byte, bool) {
	var line []byte
	if n := len(r.pending); n > 0 {
		line, r.pending = r.pending[n-1], r.pending[:n-1]
	} else {
		if r.pos >= len(r.data) {
			return nil, false
		}
		end := r.pos
		for end < len(r.data) && r.data[end] != '\n' && r.data[end] != '\r' {
			end++
		}
		if end < len(r.data) {
			if r.data[end] == '\r' && end+1 < len(r.data) && r.data[end+1] == '\n' {
				end++
			}
			end++
		}
		line, r.pos = r.data[r.pos:end], end
	}
	for i := len(r.eof) - 1; i >= 0; i-- {
		if r.eof[i](line) {
			r.unread(line)
			return nil, false
		}
	}
	return line, true
}

func (r *lineReader) unread(line []byte) { r.pending = append(r.pending, line) }

func (r *lineReader) rest() []byte {
	var b []byte
	for {
		line, ok := r.next()
		if !ok {
			return b
		}
		b = append(b, line...)
	}
}

// blankLine separates the field blocks of message/delivery-status.
var blankLine = regexp.MustCompile(`(?:\r\n|\r|\n)(?:\r\n|\r|\n)+`)

// headerLine is Python's feedparser headerRE.
var headerLine = regexp.MustCompile(`^(From |[\x21-\x39\x3b-\x7e]*:|[\t ])`)

// entity parses one entity; defType is the content type when the entity
// has none (message/rfc822 inside multipart/digest).
func (r *lineReader) entity(defType string) *entity {
	var lines [][]byte
	for {
		line, ok := r.next()
		if !ok {
			break
		}
		if !headerLine.Match(line) {
			if line[0] != '\r' && line[0] != '\n' {
				r.unread(line) // no blank line: the body starts here
			}
			break
		}
		lines = append(lines, line)
	}
	e := &entity{fields: parseFields(lines, r)}
	typ := e.contentType(defType)
	switch {
	case typ == "message/delivery-status":
		// RFC 3464: blocks of fields separated by blank lines, each an
		// entity of its own.
		e.multi = true
		for _, blk := range blankLine.Split(string(r.rest()), -1) {
			if strings.TrimSpace(blk) != "" {
				e.parts = append(e.parts, parse([]byte(blk+"\r\n")))
			}
		}
	case strings.HasPrefix(typ, "message/"):
		e.multi = true
		e.parts = []*entity{r.entity("")}
	case strings.HasPrefix(typ, "multipart/"):
		r.multipart(e, typ)
	default:
		e.body = r.rest()
	}
	return e
}

// parseFields is Python's _parse_headers: continuation lines join the
// field before them, a "From " line is skipped, a line opening with a
// colon is dropped.
func parseFields(lines [][]byte, r *lineReader) []field {
	var fs []field
	var cur []byte
	flush := func() {
		if cur == nil {
			return
		}
		name, value, _ := bytes.Cut(cur, []byte(":"))
		v := strings.TrimLeft(string(value), " \t")
		fs = append(fs, field{name: string(name), value: strings.TrimRight(v, "\r\n")})
		cur = nil
	}
	for i, line := range lines {
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil {
				cur = append(cur, line...)
			}
			continue
		}
		flush()
		if bytes.HasPrefix(line, []byte("From ")) {
			if i == len(lines)-1 && i > 0 {
				r.unread(line)
				break
			}
			continue
		}
		if bytes.IndexByte(line, ':') <= 0 {
			continue
		}
		cur = append([]byte{}, line...)
	}
	flush()
	return fs
}

// get returns the first field of that name, as Python's Message.get does.
func (e *entity) get(name string) (string, bool) {
	for _, f := range e.fields {
		if strings.EqualFold(strings.TrimSpace(f.name), name) {
			return f.value, true
		}
	}
	return "", false
}

// contentType is Python's get_content_type: lower-cased, text/plain when
// missing or not of the form type/subtype.
func (e *entity) contentType(defType string) string {
	if defType == "" {
		defType = "text/plain"
	}
	v, ok := e.get("Content-Type")
	if !ok {
		return defType
	}
	t, _, _ := strings.Cut(v, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	if strings.Count(t, "/") != 1 {
		return "text/plain"
	}
	return t
}

// multipart splits a multipart body at its boundary as Python's feedparser
// does. With no boundary parameter or no opening boundary line, the body
// stays a leaf; a missing close boundary ends the last part at the end.
func (r *lineReader) multipart(e *entity, typ string) {
	boundary := strings.TrimRight(e.param("Content-Type", "boundary"), " \t\r\n")
	if boundary == "" {
		e.body = r.rest()
		return
	}
	sep := []byte("--" + boundary)
	match := func(line []byte) (ok, end bool) {
		rest, found := bytes.CutPrefix(line, sep)
		if !found {
			return false, false
		}
		end = bytes.HasPrefix(rest, []byte("--"))
		if end {
			rest = rest[2:]
		}
		rest = bytes.TrimLeft(rest, " \t")
		switch string(rest) {
		case "", "\r\n", "\r", "\n":
			return true, end
		}
		return false, false
	}
	isSep := func(line []byte) bool { ok, _ := match(line); return ok }
	defType := ""
	if typ == "multipart/digest" {
		defType = "message/rfc822"
	}
	var preamble []byte
	inPreamble := true
	for {
		line, ok := r.next()
		if !ok {
			break
		}
		found, end := match(line)
		if !found {
			preamble = append(preamble, line...)
			continue
		}
		if end {
			if !inPreamble {
				r.rest() // the epilogue
			}
			break
		}
		inPreamble = false
		e.multi = true
		r.eof = append(r.eof, isSep)
		p := r.entity(defType)
		r.eof = r.eof[:len(r.eof)-1]
		// The line end before a boundary belongs to the boundary.
		if !p.multi {
			p.body = trimEOL(p.body)
		}
		e.parts = append(e.parts, p)
	}
	if inPreamble {
		e.multi = false
		e.body = preamble
	}
}

func trimEOL(b []byte) []byte {
	switch {
	case bytes.HasSuffix(b, []byte("\r\n")):
		return b[:len(b)-2]
	case bytes.HasSuffix(b, []byte("\n")), bytes.HasSuffix(b, []byte("\r")):
		return b[:len(b)-1]
	}
	return b
}

// walk calls f for e and every entity below it, depth first, as Python's
// Message.walk does.
func (e *entity) walk(f func(*entity)) {
	f(e)
	for _, p := range e.parts {
		p.walk(f)
	}
}

// depth is leakcheck.py's mime_depth: the levels of parts below e.
func (e *entity) depth() int {
	if !e.multi {
		return 0
	}
	d := 0
	for _, p := range e.parts {
		d = max(d, p.depth()+1)
	}
	return d
}
