package spool

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
)

// Message is an open committed entry. Reading it yields Meta.Prefix, then
// the message bytes, straight from the disk: the body is never held in
// memory, except by a small entry's first Open from the hot set (hot.go),
// which reads a copy made at Commit. Close it when done. A Message stays
// readable after Remove, and after the Spool is closed.
//
// The bytes are checked as they are read: if they do not match the
// checksum stored with them, the read that reaches the end returns an
// error wrapping ErrCorrupt instead of io.EOF, and the entry is set aside.
// A delivery must therefore read to io.EOF before it completes.
type Message struct {
	Meta Meta

	s      *Spool
	id     string
	l      loc      // a record, whose segment is held until Close; l.seg nil for an entry file
	f      *os.File // an entry file; or nil
	hot    bool     // read from memory (hot.go)
	r      io.Reader
	closed bool
}

// Open opens the committed entry id for delivery. A missing entry gives an
// error matching fs.ErrNotExist.
func (s *Spool) Open(id string) (*Message, error) {
	if !validID(id) {
		return nil, fmt.Errorf("spool: open: invalid id %q", id)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if e, ok := s.takeHot(id); ok {
		s.mu.Unlock()
		return s.openHot(id, e), nil
	}
	l, ok := s.index[id]
	if ok {
		l.seg.refs++
		s.opens[l.key()]++ // a Remove now leaves the bytes for us
	}
	s.mu.Unlock()
	if !ok {
		return s.openFile(id)
	}
	m, head, err := readRecordMeta(l, id)
	if err != nil {
		if errors.Is(err, errCorrupt) {
			s.dropRecord(id, l, err)
		}
		s.release(l)
		return nil, fmt.Errorf("spool: open %s: %w", id, err)
	}
	body := &checked{
		r:    io.NewSectionReader(l.seg.f, l.off+l.seg.hdrLen(), l.bodyLen),
		sum:  head.start,
		tail: head.js,
		want: head.want,
		bad:  func(err error) { s.dropRecord(id, l, err) },
	}
	return &Message{
		Meta: m,
		s:    s,
		id:   id,
		l:    l,
		r:    io.MultiReader(strings.NewReader(m.Prefix), body),
	}, nil
}

// release ends a reading of the record at l: the last reader of a record
// removed meanwhile wipes it.
func (s *Spool) release(l loc) {
	k := l.key()
	s.mu.Lock()
	s.opens[k]--
	id, wipe := s.wipeLater[k]
	if s.opens[k] == 0 {
		delete(s.opens, k)
		delete(s.wipeLater, k)
	} else {
		wipe = false
	}
	s.mu.Unlock()
	if wipe {
		s.wipe(id, l)
		s.mu.Lock()
		s.dirtyLocked(l.seg)
		s.mu.Unlock()
	}
	s.unref(l.seg)
}

// Read reads the prefix, then the message bytes.
func (m *Message) Read(p []byte) (int, error) { return m.r.Read(p) }

// Close releases the entry. It is idempotent.
func (m *Message) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	if m.hot {
		return nil
	}
	if m.l.seg != nil {
		m.s.release(m.l)
		return nil
	}
	return m.f.Close()
}

// checked passes a body through, computing its CRC-32C from sum, and at its
// end adds tail (a record's meta, which its checksum covers after the
// body) and compares the result with want. A mismatch turns io.EOF into an
// error wrapping ErrCorrupt, and is reported to bad once.
type checked struct {
	r    io.Reader
	sum  uint32
	tail []byte
	want uint32
	bad  func(error)
	err  error
}

func (c *checked) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.sum = crc32.Update(c.sum, castagnoli, p[:n])
	if err == io.EOF {
		if crc32.Update(c.sum, castagnoli, c.tail) != c.want {
			c.err = fmt.Errorf("%w: message bytes do not match their checksum", errCorrupt)
			c.bad(c.err)
			return n, c.err
		}
	}
	return n, err
}
