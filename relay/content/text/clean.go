package text

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"leak/relay/content/refusal"
)

// cleaner holds the state of one Clean call.
type cleaner struct {
	w     *bufio.Writer
	addr  *scanner
	names names
	win   []line // lines read but not yet written, oldest first
	pgp   armor  // OpenPGP armor, removed before the window

	sig     bool // inside a signature block at sigD
	sigD    int
	hdr     bool // inside an Outlook header block at hdrD
	hdrD    int
	hdrKeep bool // the last header field of the block was kept
	blank   bool // skipping blank lines after a device line at blankD
	blankD  int

	sigs  Signatures // the stored signatures the HTML part showed
	csig  bool       // inside a stored signature, followed to csigP, at csigD
	csigP sigPos
	csigD int

	places []string // a calendar invitation's rooms and location (places.go)

	signedOff bool   // the lines written last were a sign-off and blank lines (contactBlock)
	forwarded bool   // a quoted or forwarded message began: its signatures are its author's
	prev      string // the last line written, if it was the one before
}

// drain processes the lines still in the window at the end of the body.
func (c *cleaner) drain() error {
	for len(c.win) > 0 {
		if err := c.head(); err != nil {
			return err
		}
	}
	return nil
}

// head decides what to do with the oldest line in the window, looking at
// the lines after it where a rule spans several lines.
func (c *cleaner) head() error {
	l := c.win[0]
	signedOff, prev := c.signedOff, c.prev
	c.signedOff, c.prev = false, ""
	if c.sig && !c.sigEnds() {
		c.pop(1)
		return nil
	}
	c.sig = false
	if len(c.places) > 0 && placeLine(l.body, c.places) {
		c.pop(1)
		return nil
	}
	if n, links := c.teams(); n > 0 {
		last := c.win[n-1]
		c.pop(n)
		if err := c.emit(line{prefix: l.prefix, body: l.body, eol: l.eol, depth: l.depth}); err != nil {
			return err
		}
		for _, u := range links {
			if err := c.emit(line{prefix: l.prefix, body: u, eol: l.eol, depth: l.depth}); err != nil {
				return err
			}
		}
		return c.emit(last)
	}
	if c.csig {
		if l.depth == c.csigD {
			if placeholder(l.body) || filler(l.body) && c.sigGoesOn() {
				// A picture on the signature's next line is its logo.
				c.pop(1)
				return nil
			}
			if p, ok := c.sigs.within(c.csigP, l.body); ok && !filler(l.body) {
				c.csigP = p
				c.pop(1)
				return nil
			}
		}
		c.csig = false
	}
	if !c.sigs.Empty() && !filler(l.body) {
		if p, ok := c.sigs.start(l.body, c.next()); ok {
			// The HTML part's signature, as this part renders it: Outlook
			// and its web client write it with no marker, and it need not
			// start with the sender's name.
			c.csig, c.csigP, c.csigD = true, p, l.depth
			c.pop(1)
			return nil
		}
	}
	if n, s, ok := c.attribution(); ok {
		c.forwarded = true
		c.pop(n)
		c.hdr, c.blank = false, false
		return c.emit(line{prefix: l.prefix, body: s, eol: c.lastEOL(n), depth: l.depth})
	}
	if s, rest, ok := leadingAttribution(l.body); ok {
		// Yahoo's Android app runs the attribution and the first quoted
		// line into one line.
		c.pop(1)
		return c.emit(line{prefix: l.prefix, body: s + " " + rest, eol: l.eol, depth: l.depth})
	}
	if c.hdr {
		// The block ends at a blank line, at another quote depth, or at
		// a line that is neither a field nor continues a dropped one.
		if _, ok := field(l.body); l.depth == c.hdrD && !l.blank() && (ok || !c.hdrKeep) {
			return c.header(l)
		}
		c.hdr = false
	}
	if c.headerStarts() {
		c.hdr, c.hdrD, c.hdrKeep, c.forwarded = true, l.depth, true, true
		if isSeparator(l.body) {
			c.pop(1)
			return c.emit(l)
		}
		return c.header(l)
	}
	if signedOff && !c.forwarded && l.depth == 0 && c.contactBlock() {
		// A stored signature under the sign-off, found by its contact
		// details (contact.go).
		c.sig, c.sigD = true, l.depth
		c.pop(1)
		return nil
	}
	if l.body == "-- " || c.names.isLine(l.body) && !listed(prev) {
		// RFC 3676 section 4.3: the signature runs from "-- " to the end
		// of the part. Clients that sign above the quote (Gmail, Outlook)
		// write the quote after it, so a quote or an attribution ends it
		// too: the quoted text is not part of the signature.
		//
		// Outlook and Apple Mail write a stored signature into the
		// plain-text part without the "-- ": it starts at the line that
		// is the sender's full name, and its title, company and phone
		// follow. That line starts the signature too, in a quote as well
		// (the sender's own earlier message), unless it is an item of a
		// list.
		c.sig, c.sigD = true, l.depth
		c.pop(1)
		return nil
	}
	if IsDeviceLine(l.body) {
		c.blank, c.blankD = true, l.depth
		c.pop(1)
		return nil
	}
	if c.blank && l.blank() && l.depth == c.blankD {
		c.pop(1)
		return nil
	}
	c.blank = false
	if c.uuencoded() {
		return refuse(refusal.Unsupported, uuencodeText)
	}
	if len(c.win) > 1 && c.win[1].depth == l.depth {
		if a, b, ok := c.names.across(l.body, c.win[1].body); ok {
			l.body, c.win[1].body = a, b
		}
	}
	c.signedOff = l.depth == 0 && (signedOff && l.blank() || isSignOff(l.body))
	c.prev = l.body
	c.pop(1)
	return c.emit(l)
}

// teams reports how many lines of the window, from its oldest, are a
// Teams block at one quote depth (teamsBlock), and the block's join links.
func (c *cleaner) teams() (int, []string) {
	l := c.win[0]
	if !IsTeamsSeparator(l.body) {
		return 0, nil
	}
	var lines []string
	for _, m := range c.win {
		if m.depth != l.depth {
			break
		}
		lines = append(lines, m.body)
	}
	return teamsBlock(lines)
}

// listed reports whether a line holding the sender's name alone, after
// prev, is an item of a list rather than the start of their signature:
// prev introduces a list ("Team for Saturday:") or is an item of one,
// another name.
func listed(prev string) bool {
	p := strings.TrimSpace(prev)
	return strings.HasSuffix(p, ":") || nameLike(p)
}

// sigEnds reports whether the oldest line ends the signature block: a line
// at another quote depth, an attribution or an Outlook header block starts
// the quoted message below the signature.
func (c *cleaner) sigEnds() bool {
	l := c.win[0]
	if l.depth != c.sigD {
		return true
	}
	if _, _, ok := c.attribution(); ok {
		return true
	}
	return c.headerStarts()
}

// next returns the first line after the oldest in the window that is no
// filler (a blank line, a rule, a picture's placeholder), at its quote
// depth, or "".
func (c *cleaner) next() string {
	for _, m := range c.win[1:] {
		if m.depth != c.win[0].depth {
			return ""
		}
		if !filler(m.body) {
			return m.body
		}
	}
	return ""
}

// sigGoesOn reports whether the stored signature goes on after the oldest
// line, a filler: the next line the window holds belongs to it.
func (c *cleaner) sigGoesOn() bool {
	n := c.next()
	if n == "" {
		return false
	}
	_, ok := c.sigs.within(c.csigP, n)
	return ok
}

// pop removes n lines from the window.
func (c *cleaner) pop(n int) { c.win = append(c.win[:0], c.win[n:]...) }

// lastEOL is the line ending of the nth line of the window, for a rewrite
// that replaces n lines by one.
func (c *cleaner) lastEOL(n int) string {
	if n > len(c.win) {
		n = len(c.win)
	}
	if n == 0 {
		return "\r\n"
	}
	return c.win[n-1].eol
}

// attribution reports whether the window starts with an attribution line,
// possibly wrapped over several lines at one quote depth, and returns how
// many lines it spans and its neutral replacement.
func (c *cleaner) attribution() (int, string, bool) {
	l := c.win[0]
	if s, ok := NeutralAttribution(l.body); ok {
		return 1, s, true
	}
	if !attributionStart(l.body) {
		return 0, "", false
	}
	joined := strings.TrimSpace(l.body)
	for n := 2; n <= len(c.win); n++ {
		m := c.win[n-1]
		if m.depth != l.depth || m.blank() {
			break
		}
		joined += " " + strings.TrimSpace(m.body)
		if s, ok := NeutralAttribution(joined); ok {
			return n, s, true
		}
	}
	return 0, "", false
}

// emit writes a line that is kept, after checking it for the sender's
// address and rewriting the URLs in it.
func (c *cleaner) emit(l line) error {
	s, err := cleanURLs(l.text())
	if err != nil {
		return err
	}
	s = c.names.replace(s)
	s = pictureNames(s)
	if c.addr.final(s) {
		return refuse(refusal.Identifying, IdentifyingText)
	}
	if _, err := c.w.WriteString(s); err != nil {
		return fmt.Errorf("text: write: %w", err)
	}
	if _, err := c.w.WriteString(l.eol); err != nil {
		return fmt.Errorf("text: write: %w", err)
	}
	return nil
}

// long copies a line longer than the window allows, in chunks and without
// matching, checking only for the sender's address. The lines before it
// are processed first so the output keeps its order.
func (c *cleaner) long(first []byte, br *bufio.Reader) error {
	if err := c.drain(); err != nil {
		return err
	}
	c.sig, c.hdr, c.blank, c.csig, c.signedOff = false, false, false, false, false
	drop := c.pgp.dropping() // armor has no long lines; this one goes with its block
	b := first
	for {
		end := len(b) > 0 && b[len(b)-1] == '\n'
		if !drop {
			if c.addr.part(b, end) {
				return refuse(refusal.Identifying, IdentifyingText)
			}
			if _, err := c.w.Write(b); err != nil {
				return fmt.Errorf("text: write: %w", err)
			}
		}
		if end {
			return nil
		}
		var err error
		b, err = br.ReadSlice('\n')
		if err == io.EOF {
			if drop {
				return nil
			}
			if c.addr.part(b, true) {
				return refuse(refusal.Identifying, IdentifyingText)
			}
			if _, err := c.w.Write(b); err != nil {
				return fmt.Errorf("text: write: %w", err)
			}
			return nil
		}
		if err != nil && err != bufio.ErrBufferFull {
			return fmt.Errorf("text: read: %w", err)
		}
	}
}
