package anonymize

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"time"

	"leak/relay/wire"
)

// rewriter is the state of one Rewrite call.
type rewriter struct {
	opts    Options
	textEnd func(int, string) []byte
	copies  []Copy
	in      *wire.Reader
	out     *fanout
	buf     []byte // copy buffer for bodies
	hbuf    []byte // scratch for header blocks
	mac     hash.Hash
	sum     []byte
	now     time.Time
	subject string // the sender's subject, decoded and normalised
	parts   int
	sender  sender  // who the content cleaners look for
	uidKey  []byte  // keys new calendar UIDs: one event keeps one UID within a message
	budget  *budget // shared by every rewrite of the Anonymizer

	footered   bool // a body text part carries the copies' footer
	outerFound bool // the outermost multipart has been entered

	headerTooLarge bool // a guard ran out of budget

	held      *held      // a plain-text part waiting for its HTML sibling (hold.go)
	sigs      [][]string // the signatures the HTML cleaner removed, as lines
	places    []string   // the rooms and location of an invitation the HTML cleaner removed
	htmlParts int        // HTML leaves cleaned so far

	readers []*bufio.Reader // from readerPool, given back by release
	qps     []*qpReader     // from qpPool, given back by release
}

// emitFunc writes the header of an entity being output, given its content
// fields. An entity calls it exactly once before writing its body, or not
// at all when it is dropped; the caller decides what surrounds the fields
// (a boundary line, the top-level header, a forwarded message's header).
type emitFunc func(fields []HeaderField) error

// scope is where an entity sits in the message.
type scope struct {
	depth     int  // enclosing multiparts and messages
	forwarded bool // inside a message/rfc822
	digest    bool // parent is a multipart/digest
	quiet     bool // a body made from an attachment (TNEF): no footer
}

// emptyText stands in for an entity that was dropped entirely, where the
// structure needs one (RFC 2046 section 5.1.1: a multipart has at least one
// part).
var emptyText = []HeaderField{{"Content-Type", "text/plain; charset=utf-8"}}

func newRewriter(a *Anonymizer, src io.Reader, copies []Copy, mailFrom []string) *rewriter {
	keys := make([]byte, 32+16)
	rand.Read(keys) // never fails (crypto/rand, Go 1.24+)
	key, uidKey := keys[:32], keys[32:]
	textEnd := a.textEnd
	if textEnd == nil && hasFooter(copies) {
		textEnd = func(i int, mediaType string) []byte {
			if mediaType == "text/html" {
				return []byte(copies[i].Footer.HTML)
			}
			return []byte(copies[i].Footer.Text)
		}
	}
	return &rewriter{
		opts:    a.opts,
		textEnd: textEnd,
		copies:  copies,
		in:      newInput(src),
		out:     newFanout(copies),
		buf:     getBuf(),
		hbuf:    make([]byte, 0, 1024),
		mac:     hmac.New(sha256.New, key),
		sum:     make([]byte, 0, sha256.Size),
		sender:  sender{addrs: normaliseAddrs(mailFrom)},
		uidKey:  uidKey,
		budget:  a.budget,
	}
}

// dateOf is when copy i is dated: its Copy.Date, or the time of the
// rewrite, in UTC and rounded down by DatePrecision.
func (r *rewriter) dateOf(i int) time.Time {
	d := r.copies[i].Date
	if d.IsZero() {
		return r.now
	}
	d = d.UTC()
	if p := r.opts.DatePrecision; p > 0 {
		d = d.Truncate(p)
	}
	return d
}

// run rewrites the whole message.
func (r *rewriter) run() error {
	g := &guard{r: r.in, tripped: &r.headerTooLarge}
	br := r.reader(g)
	h, err := r.readHeader(g, br)
	if err != nil {
		return err
	}
	if err := r.checkLoop(&h); err != nil {
		return err
	}
	r.sender.add(&h)
	if r.subject, err = r.cleanSubject(h.Get("Subject")); err != nil {
		return err
	}
	r.now = r.opts.Now().UTC()
	if p := r.opts.DatePrecision; p > 0 {
		r.now = r.now.Truncate(p)
	}
	done := false
	emit := func(fields []HeaderField) error {
		done = true
		for i := range r.copies {
			b, err := r.topHeader(r.hbuf[:0], i, fields)
			if err != nil {
				return err
			}
			if err := r.out.writeTo(i, b); err != nil {
				return err
			}
		}
		return nil
	}
	if r.textEnd != nil && needsFooterPart(&h) {
		// A message that is one attachment and nothing else: put it in a
		// multipart/mixed, so the footer has a text part of its own.
		if err := r.wrapped(&h, br, emit); err != nil {
			return err
		}
	} else if err := r.entity(&h, br, scope{}, emit); err != nil {
		return err
	}
	if !done {
		if err := emit(emptyText); err != nil {
			return err
		}
	}
	// The epilogue of a top-level multipart is dropped, whatever it holds;
	// then the source is read to its end.
	_ = r.drain(br)
	return r.in.Drain(r.buf)
}

// partWriter writes the parts of one multipart being output: each part's
// boundary line and header, then, at close, the closing boundary.
type partWriter struct {
	r        *rewriter
	boundary string
	n        int // parts begun
}

// newParts starts a multipart with a fresh boundary.
func (r *rewriter) newParts() *partWriter { return &partWriter{r: r, boundary: newBoundary()} }

// emit begins the next part; it is the emitFunc of the parts' entities.
func (p *partWriter) emit(fields []HeaderField) error {
	first := p.n == 0
	p.n++
	return p.begin(first, fields)
}

// reserve takes the next part's place for a part written later (hold):
// the emitFunc it returns begins that part.
func (p *partWriter) reserve() emitFunc {
	first := p.n == 0
	p.n++
	return func(fields []HeaderField) error { return p.begin(first, fields) }
}

func (p *partWriter) begin(first bool, fields []HeaderField) error {
	b := p.r.hbuf[:0]
	if !first {
		b = append(b, crlf...)
	}
	b = append(b, "--"...)
	b = append(b, p.boundary...)
	b = append(b, crlf...)
	return p.r.writeFields(b, fields)
}

// close writes the closing boundary, after an empty text part if no part
// was written (RFC 2046 section 5.1.1: a multipart has at least one).
func (p *partWriter) close() error {
	if p.n == 0 {
		if err := p.emit(emptyText); err != nil {
			return err
		}
	}
	_, err := p.r.out.Write([]byte("\r\n--" + p.boundary + "--"))
	return err
}

// mixed is the Content-Type of a multipart/mixed the content stage makes.
func (p *partWriter) mixed() []HeaderField {
	return []HeaderField{{"Content-Type", "multipart/mixed; boundary=" + quote(p.boundary)}}
}

// writeFields appends fields and the empty line to b and writes it to
// every copy.
func (r *rewriter) writeFields(b []byte, fields []HeaderField) error {
	var err error
	for _, f := range fields {
		if b, err = appendField(b, f.Key, f.Value, true); err != nil {
			return err
		}
	}
	b = append(b, crlf...)
	r.hbuf = b[:0]
	_, err = r.out.Write(b)
	return err
}

// drain reads what is left of a body.
func (r *rewriter) drain(body io.Reader) error {
	_, err := io.CopyBuffer(io.Discard, body, r.buf)
	return err
}

// cid returns the replacement of a Content-ID: a keyed hash, so that the
// same id maps to the same value wherever it appears (Content-ID fields,
// cid: URLs, the start parameter) without remembering it, while the per
// message key keeps it from being linked back to the original.
func (r *rewriter) cid(id []byte) string {
	r.mac.Reset()
	r.mac.Write(id)
	r.sum = r.mac.Sum(r.sum[:0])
	return hex.EncodeToString(r.sum[:16]) + "@" + r.opts.Domain
}

// newBoundary returns a fresh random boundary (130 bits). "=_" cannot
// occur in quoted-printable or base64 text, so no re-encoded body can
// contain it; base32 rather than hex keeps it from looking like the
// "=_<md5>" boundaries of Roundcube.
func newBoundary() string { return "=_" + rand.Text() }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}

func hasFooter(copies []Copy) bool {
	for _, c := range copies {
		if c.Footer != (Footer{}) {
			return true
		}
	}
	return false
}
