package office

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RTF cleans a Rich Text Format document (RTF 1.9.1) as it streams from r
// to w: it drops the \info group (title, author, operator, company,
// manager, dates), user properties, the rsid table and every rsid control
// word, the generator, the template path, the data store, document
// variables, mail merge settings and the text's languages; it neutralises
// the revision table and annotation authors and drops revision and
// annotation dates. Embedded objects lose their data
// (\objdata) and keep the picture shown in their place (\result);
// JPEG and PNG pictures are cleaned as attached images are, other
// pictures are dropped (see pict). A picture's or shape's properties that
// can name a file (wzName, wzDescription, pibName ...) lose their paths, as
// in OOXML (see property); so do the local paths a field's instruction or
// a hyperlink's source names (see instruction), and the results of the
// fields that show the author, the template's or document's path, a
// property or the document's dates are neutralised as in OOXML (see
// result). Everything else is copied as read.
// Input that does not start with "{\rtf" or whose groups do not close is
// refused; bytes after the outermost group are not copied.
func RTF(w io.Writer, r io.Reader) error {
	c := &rtfCleaner{in: bufio.NewReader(r), out: bufio.NewWriter(w)}
	if err := c.run(); err != nil {
		return err
	}
	if err := c.out.Flush(); err != nil {
		return fmt.Errorf("office: rtf: write: %w", err)
	}
	return nil
}

// maxDepth bounds group nesting; Word stops at a few dozen.
const maxDepth = 4096

// rtfDropped are destinations removed with their content (RTF 1.9.1
// "Information group", "User properties", "RSID table", \generator,
// \template, \datastore, \docvar, \filetbl, \password, \atndate,
// \atntime), an embedded object's data (\objdata: an OLE object, whose
// Package form carries the path of the file on the author's disk,
// "C:\Users\NAME\Desktop\notes.txt") and its time (\objtime, when it
// was last updated). The object's \result group, the picture a reader
// shows in its place, stays. The mail merge settings (\mailmerge, "Mail
// Merge") go whole, as w:mailMerge does in OOXML: their connection
// string, data source, header source and query name the author's files
// and database.
var rtfDropped = map[string]bool{
	"info": true, "userprops": true, "rsidtbl": true, "generator": true, "template": true,
	"datastore": true, "docvar": true, "filetbl": true, "password": true, "passwordhash": true,
	"atndate": true, "atntime": true, "author": true, "operator": true, "company": true, "manager": true,
	"creatim": true, "revtim": true, "printim": true, "buptim": true,
	"objdata": true, "objtime": true, "mailmerge": true,
}

// rtfDroppedWords are control words removed wherever they appear.
//
// The times of tracked changes (RTF 1.9.1 "Revision Marks"): of an
// insertion or deletion (\revdttmN, \revdttmdelN), of a change to
// character, paragraph, section, style or table row properties (\crdateN,
// \prdateN, \dfrdateN, \srdateN, \trdateN), to a paragraph's number
// (\pnrdateN), of a move (\mvdateN) and of an inserted, deleted or
// merged cell (\clinsdttmN, \cldeldttmN, \clmrgddttmN), each a minute of
// the author's working day. Their authors (\revauthN, \crauthN, \prauthN,
// \pnrauthN ...) stay: they are indexes into the revision table, whose
// names are neutralised (revtbl).
//
// The languages of the text ("Character Formatting Properties" \langN,
// \langfeN, \langnpN, \langfenpN, "Associated Character Properties"
// \alangN), the document's defaults ("Document Formatting Properties"
// \deflangN, \deflangfeN, \adeflangN) and the theme's (\themelangN,
// \themelangfeN, \themelangcsN): the author's locale, as Word's w:lang
// and w:themeFontLang, which the OOXML cleaner removes. They choose the
// spelling and hyphenation dictionaries, not how text is drawn;
// \noproof, which turns proofing off, stays.
var rtfDroppedWords = map[string]bool{
	"revdttm": true, "revdttmdel": true, "crdate": true, "prdate": true, "dfrdate": true,
	"srdate": true, "trdate": true, "pnrdate": true, "mvdate": true,
	"clinsdttm": true, "cldeldttm": true, "clmrgddttm": true,
	"lang": true, "langfe": true, "langnp": true, "langfenp": true, "alang": true,
	"deflang": true, "deflangfe": true, "adeflang": true,
	"themelang": true, "themelangfe": true, "themelangcs": true,
}

// dropWord tells control words removed wherever they appear: revision
// session ids (\rsidN, \insrsidN, \charrsidN, \pararsidN ...) and
// rtfDroppedWords.
func dropWord(word string) bool {
	return strings.Contains(word, "rsid") || rtfDroppedWords[word]
}

type rtfToken struct {
	kind  byte // '{', '}', 'w' control word, 's' control symbol, 't' text
	raw   []byte
	word  string
	param int64
	has   bool // the word had a parameter
	space bool // the word ended with its space delimiter
}

type rtfCleaner struct {
	in      *bufio.Reader
	out     *bufio.Writer
	pending []rtfToken
	bare    bool // the last byte written ends a control word with no delimiter
	locked  bool // the field last opened is locked (\field\fldlock)
}

func (c *rtfCleaner) run() error {
	head, err := c.in.Peek(5)
	if err != nil || string(head) != `{\rtf` {
		return fmt.Errorf("office: rtf: no {\\rtf header: %w", malformedRTF())
	}
	open, _ := c.next()
	version, err := c.next()
	if err != nil || version.word != "rtf" {
		return fmt.Errorf("office: rtf: no {\\rtf header: %w", malformedRTF())
	}
	c.write(open)
	c.write(version)
	depth := 1
	for {
		t, err := c.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case '{':
			depth++
			if depth > maxDepth {
				return fmt.Errorf("office: rtf: groups nested too deep: %w", malformedRTF())
			}
			handled, err := c.group()
			if err != nil {
				return err
			}
			if handled {
				depth--
				continue
			}
			c.write(t)
		case '}':
			depth--
			c.write(t)
			if depth == 0 {
				return nil
			}
			if depth < 0 {
				return fmt.Errorf("office: rtf: unbalanced braces: %w", malformedRTF())
			}
		case 'w':
			// A picture word later in a group (where a group of its own
			// would be read by pict) sends the rest of it to the picture
			// too; that picture goes unread.
			if rtfDropped[t.word] || t.word == "atnauthor" || t.word == "atnid" || t.word == "revtbl" || t.word == "pict" {
				// A destination word later in a group still sends the rest
				// of the group there, so the rest goes.
				if err := c.skip(1); err != nil {
					return err
				}
				c.write(rtfToken{kind: '}', raw: []byte("}")})
				if depth--; depth == 0 {
					return nil
				}
				continue
			}
			if dropWord(t.word) {
				// What followed the dropped word (text after its space, or
				// letters after its parameter: "\rsid5abc") would run
				// into a control word written just before it; a space is
				// that word's delimiter and nothing else.
				if c.bare {
					c.emit([]byte(" "))
				}
				continue
			}
			c.write(t)
			switch t.word {
			case "field":
				c.locked = false
			case "fldlock":
				c.locked = true
			case "bin":
				if err := c.binary(t, true); err != nil {
					return err
				}
			}
		default:
			c.write(t)
		}
	}
}

// group looks at the destination of a group just opened and, when it is
// one to drop or neutralise, consumes the whole group and reports true.
// Otherwise the tokens it read are queued to be copied.
func (c *rtfCleaner) group() (bool, error) {
	t1, err := c.next()
	if err != nil {
		return false, err
	}
	read := []rtfToken{t1}
	dest, star := "", false
	if t1.kind == 'w' {
		dest = t1.word
	} else if t1.kind == 's' && string(t1.raw) == `\*` {
		t2, err := c.next()
		if err != nil {
			return false, err
		}
		read = append(read, t2)
		if t2.kind == 'w' {
			dest, star = t2.word, true
		}
	}
	switch {
	case rtfDropped[dest]:
		// A control word written just before the group would run into
		// the text after it; a space is its delimiter and nothing else.
		if c.bare {
			c.emit([]byte(" "))
		}
		if t := read[len(read)-1]; t.kind == 'w' && t.word == "bin" {
			if err := c.binary(t, false); err != nil {
				return false, err
			}
		}
		return true, c.skip(1)
	case star && dest == "atnauthor":
		c.emit([]byte(`{\*\atnauthor ` + neutral + `}`))
		return true, c.skip(1)
	case star && dest == "atnid":
		c.emit([]byte(`{\*\atnid A}`))
		return true, c.skip(1)
	case star && dest == "revtbl":
		return true, c.revtbl()
	case star && dest == "protusertbl":
		return true, c.protusertbl()
	case star && (dest == "protstart" || dest == "protend"):
		return true, c.protRange(dest)
	case dest == "pict":
		return true, c.pict(read)
	case dest == "fldinst":
		return c.instruction(read)
	case dest == "hlsrc" || dest == "hlfr":
		return true, c.link(read)
	case dest == "sp":
		out, ok, err := c.property(read)
		if err != nil {
			return false, err
		}
		if ok {
			// As for a dropped group: a space delimits a word before.
			if out == nil && c.bare {
				out = []byte(" ")
			}
			c.emit(out)
			return true, nil
		}
	}
	c.pending = append(read, c.pending...)
	return false, nil
}

// revtbl rewrites the revision table (a list of author names, the first
// conventionally "Unknown") keeping its length, so \revauthN still points
// into it.
func (c *rtfCleaner) revtbl() error {
	return c.nameTable("revtbl", func(n int) string {
		if n == 0 {
			return "Unknown;"
		}
		return neutral + ";"
	})
}

// nameTable rewrites a destination that lists names, one group each, as
// the same number of groups holding entry(0), entry(1), …: a reference
// by position still points into it.
func (c *rtfCleaner) nameTable(dest string, entry func(n int) string) error {
	c.emit([]byte(`{\*\` + dest + ` `))
	for n := 0; ; {
		t, err := c.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case '{':
			if err := c.skip(1); err != nil {
				return err
			}
			c.emit([]byte(`{` + entry(n) + `}`))
			n++
		case '}':
			c.emit([]byte("}"))
			return nil
		case 'w':
			if t.word == "bin" {
				if err := c.binary(t, false); err != nil {
					return err
				}
			}
		}
	}
}

// Word 2003's protection exceptions (RTF 1.9.1 "Protection Exceptions"):
// {\*\protusertbl {NAME}{NAME}...} lists the users who may edit ranges of
// a protected document, by the name or address of their account, and a
// range is marked {\*\protstart ID} ... {\*\protend ID}, where ID is hex:
// the user as a little-endian 16-bit number, 1 for the table's first
// name, 0xFFFA to 0xFFFF for the groups Current User, Editors, Owners,
// Contributors, Administrators and Everyone; then the range's own
// numbers. As OOXML's w:permStart w:ed becomes w:edGrp="everyone"
// (wordRule), a range given to a user is given to Everyone, so the range
// and the document's protection stay; the table keeps its length with
// each name neutralised, so an ID this does not read still points into it.

// protusertbl rewrites the table of users, keeping its length.
func (c *rtfCleaner) protusertbl() error {
	return c.nameTable("protusertbl", func(int) string { return neutral })
}

// everyoneID is the user Everyone in a protection exception's ID.
const everyoneID = "FFFF"

// protRange rewrites a {\*\protstart ID} or {\*\protend ID} group whose
// ID names a user of the table so that it names Everyone. Start and end
// carry the same ID and are rewritten alike, so they still pair. An ID
// is text: what else the group holds (groups, control words, raw bytes)
// goes, and text that is no ID stays as it was.
func (c *rtfCleaner) protRange(dest string) error {
	var id strings.Builder
	for {
		t, err := c.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case '{':
			if err := c.skip(2); err != nil {
				return err
			}
			c.emit([]byte(`{\*\` + dest + ` ` + protID(id.String()) + `}`))
			return nil
		case '}':
			c.emit([]byte(`{\*\` + dest + ` ` + protID(id.String()) + `}`))
			return nil
		case 'w':
			if t.word == "bin" {
				if err := c.binary(t, false); err != nil {
					return err
				}
			}
		case 't':
			if id.Len() < 64 {
				id.WriteString(strings.Join(strings.Fields(string(t.raw)), ""))
			}
		}
	}
}

// protID gives Everyone the range an ID gives to a user of the table.
func protID(id string) string {
	if len(id) < 4 {
		return id
	}
	for i := 0; i < len(id); i++ {
		if !isHex(id[i]) {
			return id
		}
	}
	lo, hi := unhex(id[0])<<4|unhex(id[1]), unhex(id[2])<<4|unhex(id[3])
	if user := int(hi)<<8 | int(lo); user == 0 || user >= 0xFFFA {
		return id
	}
	return everyoneID + id[4:]
}

// skip consumes tokens until depth open groups have closed.
func (c *rtfCleaner) skip(depth int) error {
	for depth > 0 {
		t, err := c.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case '{':
			depth++
			if depth > maxDepth {
				return fmt.Errorf("office: rtf: groups nested too deep: %w", malformedRTF())
			}
		case '}':
			depth--
		case 'w':
			if t.word == "bin" {
				if err := c.binary(t, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// binary copies or skips the N raw bytes that follow \binN.
func (c *rtfCleaner) binary(t rtfToken, keep bool) error {
	if !t.has || t.param <= 0 {
		return nil
	}
	dst := io.Discard
	if keep {
		dst = c.out
		c.bare = false
	}
	if _, err := io.CopyN(dst, c.in, t.param); err != nil {
		return fmt.Errorf("office: rtf: \\bin past the end: %w", malformedRTF())
	}
	return nil
}

func (c *rtfCleaner) write(t rtfToken) {
	c.emit(t.raw)
	c.bare = t.kind == 'w' && !t.space
}

func (c *rtfCleaner) emit(b []byte) {
	c.out.Write(b)
	c.bare = false
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool  { return b >= '0' && b <= '9' }

// next reads one token (RTF 1.9.1 "Conventions of an RTF Reader").
func (c *rtfCleaner) next() (rtfToken, error) {
	if len(c.pending) > 0 {
		t := c.pending[0]
		c.pending = c.pending[1:]
		return t, nil
	}
	b, err := c.in.ReadByte()
	if err != nil {
		return rtfToken{}, c.eof(err)
	}
	switch b {
	case '{', '}':
		return rtfToken{kind: b, raw: []byte{b}}, nil
	case '\\':
		return c.control()
	}
	raw := []byte{b}
	for len(raw) < 4096 {
		p, err := c.in.Peek(1)
		if err != nil || p[0] == '\\' || p[0] == '{' || p[0] == '}' {
			break
		}
		c.in.ReadByte()
		raw = append(raw, p[0])
	}
	return rtfToken{kind: 't', raw: raw}, nil
}

func (c *rtfCleaner) control() (rtfToken, error) {
	b, err := c.in.ReadByte()
	if err != nil {
		return rtfToken{}, c.eof(err)
	}
	if !isLetter(b) {
		raw := []byte{'\\', b}
		if b == '\'' {
			var hex [2]byte
			if _, err := io.ReadFull(c.in, hex[:]); err != nil {
				return rtfToken{}, c.eof(err)
			}
			raw = append(raw, hex[:]...)
		}
		return rtfToken{kind: 's', raw: raw}, nil
	}
	var word bytes.Buffer
	word.WriteByte(b)
	t := rtfToken{kind: 'w'}
	for {
		p, err := c.in.Peek(1)
		if err != nil || !isLetter(p[0]) {
			break
		}
		if word.Len() >= 32 {
			return rtfToken{}, fmt.Errorf("office: rtf: control word too long: %w", malformedRTF())
		}
		c.in.ReadByte()
		word.WriteByte(p[0])
	}
	t.word = word.String()
	raw := append([]byte{'\\'}, word.Bytes()...)
	neg := false
	if p, err := c.in.Peek(2); err == nil && p[0] == '-' && isDigit(p[1]) {
		c.in.ReadByte()
		raw = append(raw, '-')
		neg = true
	}
	digits := 0
	for {
		p, err := c.in.Peek(1)
		if err != nil || !isDigit(p[0]) {
			break
		}
		if digits >= 10 {
			return rtfToken{}, fmt.Errorf("office: rtf: parameter too long: %w", malformedRTF())
		}
		c.in.ReadByte()
		raw = append(raw, p[0])
		t.param = t.param*10 + int64(p[0]-'0')
		t.has = true
		digits++
	}
	if neg {
		t.param = -t.param
	}
	if p, err := c.in.Peek(1); err == nil && p[0] == ' ' {
		c.in.ReadByte()
		raw = append(raw, ' ')
		t.space = true
	}
	t.raw = raw
	return t, nil
}

// eof turns the end of input inside the document into a refusal.
func (c *rtfCleaner) eof(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("office: rtf: groups left open at the end: %w", malformedRTF())
	}
	return fmt.Errorf("office: rtf: read: %w", err)
}
