package spool

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Message is an open committed entry. Reading it yields Meta.Prefix, then
// the message bytes, straight from the file: the body is never held in
// memory. Close it when done. A Message stays readable after Remove.
type Message struct {
	Meta Meta

	f *os.File
	r io.Reader
}

// Open opens the committed entry id for delivery. A missing entry gives an
// error matching fs.ErrNotExist.
func (s *Spool) Open(id string) (*Message, error) {
	if !validID(id) {
		return nil, fmt.Errorf("spool: open: invalid id %q", id)
	}
	f, err := os.Open(filepath.Join(s.q, id))
	if err != nil {
		return nil, fmt.Errorf("spool: open %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: open %s: %w", id, err)
	}
	m, bodyLen, err := readTrailer(f, fi.Size())
	if err == nil && m.ID != id {
		err = fmt.Errorf("%w: trailer id does not match the file name", errCorrupt)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: open %s: %w", id, err)
	}
	return &Message{
		Meta: m,
		f:    f,
		r:    io.MultiReader(strings.NewReader(m.Prefix), io.NewSectionReader(f, 0, bodyLen)),
	}, nil
}

// Read reads the prefix, then the message bytes.
func (m *Message) Read(p []byte) (int, error) { return m.r.Read(p) }

// Close closes the underlying file.
func (m *Message) Close() error { return m.f.Close() }
