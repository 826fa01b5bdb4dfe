package spool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// This file handles entry files: large entries, one file each in q/: the
// message bytes, then the trailer of meta.go.

// clearDir removes everything inside dir, which holds only files that were
// never committed.
func clearDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("spool: read %s: %w", dir, err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("spool: clear %s: %w", p, err)
		}
	}
	return nil
}

// removeFile deletes the entry file q/<id>. q/ is not fsync'd: a crash
// soon after may bring the entry back, and it would be delivered again.
func (s *Spool) removeFile(id string) error {
	p := filepath.Join(s.q, id)
	fi, err := os.Lstat(p)
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil {
		return fmt.Errorf("spool: remove %s: %w", id, err)
	}
	s.size.Add(-fi.Size())
	return nil
}

// openFile opens the entry file q/<id> for delivery. One whose trailer is
// damaged is set aside.
func (s *Spool) openFile(id string) (*Message, error) {
	f, err := os.Open(filepath.Join(s.q, id))
	if err != nil {
		return nil, fmt.Errorf("spool: open %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: open %s: %w", id, err)
	}
	m, bodyLen, sum, err := readTrailer(f, fi.Size())
	if err == nil && m.ID != id {
		err = fmt.Errorf("%w: trailer id does not match the file name", errCorrupt)
	}
	if err != nil {
		f.Close()
		if errors.Is(err, errCorrupt) {
			s.dropFile(id, err)
		}
		return nil, fmt.Errorf("spool: open %s: %w", id, err)
	}
	var body io.Reader = io.NewSectionReader(f, 0, bodyLen)
	if sum.ok {
		body = &checked{r: body, want: sum.v, bad: func(err error) { s.dropFile(id, err) }}
	}
	return &Message{
		Meta: m,
		f:    f,
		r:    io.MultiReader(strings.NewReader(m.Prefix), body),
	}, nil
}

// listFiles returns the metadata of every entry file in q/, moving the ones
// that cannot be read to corrupt/.
func (s *Spool) listFiles() ([]Meta, error) {
	ents, err := os.ReadDir(s.q)
	if err != nil {
		return nil, fmt.Errorf("spool: list: %w", err)
	}
	metas := make([]Meta, 0, len(ents))
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		m, err := s.readMeta(name)
		if errors.Is(err, fs.ErrNotExist) {
			// Removed while we were listing: delivered.
			continue
		}
		if err != nil {
			if validID(name) {
				s.dropFile(name, err)
			} else {
				s.moveToCorrupt(filepath.Join(s.q, name), name, "file", err)
			}
			continue
		}
		metas = append(metas, m)
	}
	return metas, nil
}

// readMeta reads the trailer of q/<name>.
func (s *Spool) readMeta(name string) (Meta, error) {
	if !validID(name) {
		return Meta{}, errors.New("file name is not an id")
	}
	f, err := os.Open(filepath.Join(s.q, name))
	if err != nil {
		return Meta{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Meta{}, err
	}
	m, _, _, err := readTrailer(f, fi.Size())
	if err != nil {
		return Meta{}, err
	}
	if m.ID != name {
		return Meta{}, errors.New("trailer id does not match the file name")
	}
	return m, nil
}
