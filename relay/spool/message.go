package spool

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Message is an open committed entry. Reading it yields Meta.Prefix, then
// the message bytes, straight from the disk: the body is never held in
// memory. Close it when done. A Message stays readable after Remove, and
// after the Spool is closed.
type Message struct {
	Meta Meta

	s      *Spool
	id     string
	seg    *segment // a record's segment, held until Close; or nil
	f      *os.File // an entry file; or nil
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
	l, ok := s.index[id]
	if ok {
		l.seg.refs++
		s.opens[id]++ // a Remove now leaves the bytes for us
	}
	s.mu.Unlock()
	if !ok {
		return s.openFile(id)
	}
	m, err := readRecordMeta(l, id)
	if err != nil {
		s.release(id, l.seg)
		return nil, fmt.Errorf("spool: open %s: %w", id, err)
	}
	body := io.NewSectionReader(l.seg.f, l.off+recHdrLen, l.bodyLen)
	return &Message{
		Meta: m,
		s:    s,
		id:   id,
		seg:  l.seg,
		r:    io.MultiReader(strings.NewReader(m.Prefix), body),
	}, nil
}

// release ends a reading of record id in seg: the last reader of a record
// removed meanwhile wipes it.
func (s *Spool) release(id string, seg *segment) {
	s.mu.Lock()
	s.opens[id]--
	l, wipe := s.wipeLater[id]
	if s.opens[id] == 0 {
		delete(s.opens, id)
		delete(s.wipeLater, id)
	} else {
		wipe = false
	}
	s.mu.Unlock()
	if wipe {
		s.wipe(id, l)
		s.mu.Lock()
		s.dirtyLocked(seg)
		s.mu.Unlock()
	}
	s.unref(seg)
}

// Read reads the prefix, then the message bytes.
func (m *Message) Read(p []byte) (int, error) { return m.r.Read(p) }

// Close releases the entry. It is idempotent.
func (m *Message) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	if m.seg != nil {
		m.s.release(m.id, m.seg)
		return nil
	}
	return m.f.Close()
}
