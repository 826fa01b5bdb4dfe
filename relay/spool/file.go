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

// This file handles entry files: large entries, one file each in q/, in the
// format of docs/design.md.

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
	if err := os.Remove(filepath.Join(s.q, id)); err != nil {
		return fmt.Errorf("spool: remove %s: %w", id, err)
	}
	return nil
}

// openFile opens the entry file q/<id> for delivery.
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
			s.quarantine(name, err)
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
	m, _, err := readTrailer(f, fi.Size())
	if err != nil {
		return Meta{}, err
	}
	if m.ID != name {
		return Meta{}, errors.New("trailer id does not match the file name")
	}
	return m, nil
}

// quarantine moves q/<name> to corrupt/<name> so it is neither delivered
// nor lost, and logs it. Only the file name (a random id) is logged: the
// trailer is not trusted and may hold addresses.
func (s *Spool) quarantine(name string, cause error) {
	s.moveToCorrupt(filepath.Join(s.q, name), name, "qid", cause)
}

// moveToCorrupt moves the file at path to corrupt/<name> and logs it,
// naming it by key ("qid" or "segment").
func (s *Spool) moveToCorrupt(path, name, key string, cause error) {
	cdir := filepath.Join(s.dir, corruptDir)
	err := os.MkdirAll(cdir, 0o700)
	if err == nil {
		err = os.Rename(path, filepath.Join(cdir, name))
	}
	if err != nil {
		s.log.Error("spool: cannot move corrupt entry", key, name, "cause", cause.Error(), "err", err.Error())
		return
	}
	s.log.Warn("spool: corrupt entry moved to corrupt/", key, name, "cause", cause.Error())
}
