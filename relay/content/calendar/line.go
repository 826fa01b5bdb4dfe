package calendar

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"leak/relay/content/refusal"
)

// maxLine bounds one unfolded content line. Real lines are short; the
// longest are inline ATTACH values, which Calendar drops anyway. The whole
// part is bounded by the caller.
const maxLine = 1 << 20

// foldAt is the octet limit of one physical line, CRLF excluded (RFC 5545
// section 3.1: "Lines of text SHOULD NOT be longer than 75 octets").
const foldAt = 75

var errLineTooLong = refusal.New(refusal.Malformed, "a calendar or contact line is too long; remove the large item and send again")

// lineReader reads logical content lines: a physical line that begins with
// a space or a tab continues the one before it (RFC 5545 section 3.1, RFC
// 6350 section 3.2). Lone LF line ends are accepted, since clients and
// gateways write them.
type lineReader struct {
	br      *bufio.Reader
	next    []byte // the physical line read ahead, with its terminator
	err     error
	started bool // a line was returned
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// physical reads one physical line with its terminator; it returns
// io.EOF only when there is nothing left.
func (lr *lineReader) physical() ([]byte, error) {
	var line []byte
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine+2 {
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, nil
		default:
			return nil, err
		}
	}
}

// read returns the next unfolded line without its terminator, and the raw
// bytes it was read from (folds and terminators included), which VCard
// writes back unchanged. It returns io.EOF at the end of input.
func (lr *lineReader) read() (logical string, raw []byte, err error) {
	if lr.next == nil {
		if lr.err != nil {
			return "", nil, lr.err
		}
		lr.next, lr.err = lr.physical()
		if lr.err != nil {
			return "", nil, lr.err
		}
	}
	raw = append([]byte(nil), lr.next...)
	first := trimEOL(lr.next)
	if !lr.started {
		// Windows tools start exported .ics and .vcf files with a BOM.
		first = bytes.TrimPrefix(first, []byte("\xEF\xBB\xBF"))
		lr.started = true
	}
	var b strings.Builder
	b.Write(first)
	lr.next = nil
	for {
		p, err := lr.physical()
		if err != nil {
			lr.err = err
			break
		}
		if p[0] != ' ' && p[0] != '\t' {
			lr.next = p
			break
		}
		if b.Len()+len(p) > maxLine {
			return "", nil, errLineTooLong
		}
		raw = append(raw, p...)
		b.Write(trimEOL(p[1:]))
	}
	if lr.err != nil && !errors.Is(lr.err, io.EOF) {
		return "", nil, lr.err
	}
	return b.String(), raw, nil
}

func trimEOL(p []byte) []byte {
	p = bytes.TrimSuffix(p, []byte("\n"))
	return bytes.TrimSuffix(p, []byte("\r"))
}

// param is one property parameter. Values are stored without the DQUOTEs
// that protect ':', ';' and ',' inside them (RFC 5545 section 3.2).
type param struct {
	Name   string // upper case
	Values []string
	Bare   bool // a vCard 2.1 style parameter without "=" (TYPE implied)
}

// property is one parsed content line: name *(";" param) ":" value.
type property struct {
	Group  string // vCard group prefix ("item1"), without the dot
	Name   string // upper case
	Params []param
	Value  string
}

func (p *property) param(name string) *param {
	for i := range p.Params {
		if p.Params[i].Name == name {
			return &p.Params[i]
		}
	}
	return nil
}

var errSyntax = refusal.New(refusal.Malformed, "a calendar or contact line does not parse; send the event or card from another client")

// parseLine splits an unfolded content line (RFC 5545 section 3.1). A
// quoted parameter value may hold ':' and ';', so the value starts at the
// first ':' outside quotes.
func parseLine(s string) (property, error) {
	var p property
	// No control character but HTAB may appear in a line (RFC 5545
	// section 3.1); a lone CR would end the line for the next reader.
	for k := 0; k < len(s); k++ {
		if c := s[k]; c < 0x20 && c != '\t' || c == 0x7f {
			return p, errSyntax
		}
	}
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return p, errSyntax
	}
	name := s[:i]
	if g, n, ok := strings.Cut(name, "."); ok {
		p.Group, name = g, n
	}
	if !isName(name) {
		return p, errSyntax
	}
	p.Name = strings.ToUpper(name)
	for s[i] == ';' {
		i++
		j := i
		for j < len(s) && s[j] != '=' && s[j] != ';' && s[j] != ':' {
			j++
		}
		// A parameter's name is a token as a property's is (RFC 5545
		// section 3.1); any other is no parameter, and whatever it holds
		// (an address, once) would go out unread.
		if j == len(s) || j == i || !isName(s[i:j]) {
			return p, errSyntax
		}
		q := param{Name: strings.ToUpper(s[i:j])}
		if s[j] != '=' {
			q.Bare = true
			p.Params = append(p.Params, q)
			i = j
			continue
		}
		i = j + 1
		for {
			if i < len(s) && s[i] == '"' {
				k := strings.IndexByte(s[i+1:], '"')
				if k < 0 {
					return p, errSyntax
				}
				q.Values = append(q.Values, s[i+1:i+1+k])
				i += k + 2
			} else {
				k := i
				for k < len(s) && s[k] != ',' && s[k] != ';' && s[k] != ':' {
					k++
				}
				q.Values = append(q.Values, s[i:k])
				i = k
			}
			if i >= len(s) {
				return p, errSyntax
			}
			if s[i] != ',' {
				break
			}
			i++
		}
		p.Params = append(p.Params, q)
		if s[i] != ';' && s[i] != ':' {
			return p, errSyntax
		}
	}
	p.Value = s[i+1:]
	return p, nil
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// String formats p as one unfolded content line. A parameter value is
// quoted when it holds a character that would end it otherwise; DQUOTE and
// control characters, which no parameter value may hold, are removed.
func (p *property) String() string {
	var b strings.Builder
	if p.Group != "" {
		b.WriteString(p.Group)
		b.WriteByte('.')
	}
	b.WriteString(p.Name)
	for _, q := range p.Params {
		b.WriteByte(';')
		b.WriteString(q.Name)
		if q.Bare {
			continue
		}
		b.WriteByte('=')
		for k, v := range q.Values {
			if k > 0 {
				b.WriteByte(',')
			}
			v = paramSafe(v)
			if strings.ContainsAny(v, ":;, ") || q.Name == "CN" {
				b.WriteByte('"')
				b.WriteString(v)
				b.WriteByte('"')
			} else {
				b.WriteString(v)
			}
		}
	}
	b.WriteByte(':')
	b.WriteString(p.Value)
	return b.String()
}

func paramSafe(v string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, v)
}

// writeFolded writes line with CRLF, folded so that no physical line
// exceeds foldAt octets and no UTF-8 sequence is split (RFC 5545 section
// 3.1: "care must be taken not to fold in the middle of a UTF-8 multi-octet
// sequence").
func writeFolded(w io.Writer, line string) error {
	var b []byte
	limit := foldAt
	for len(line) > limit {
		cut := limit
		for k := 0; k < utf8.UTFMax && cut > 1 && !utf8.RuneStart(line[cut]); k++ {
			cut--
		}
		b = append(b, line[:cut]...)
		b = append(b, "\r\n "...)
		line = line[cut:]
		limit = foldAt - 1 // the leading space counts
	}
	b = append(b, line...)
	b = append(b, "\r\n"...)
	_, err := w.Write(b)
	return err
}
