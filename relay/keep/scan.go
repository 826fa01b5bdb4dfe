package keep

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// load removes the expired hour files in the directory and indexes the
// others, oldest first, so that a later record of an id wins as it did
// for Get before. It runs in Open, before s is shared.
func (s *Store) load() error {
	ents, err := os.ReadDir(s.o.Dir)
	if err != nil {
		return fmt.Errorf("keep: %w", err)
	}
	now := s.o.Now()
	// ReadDir sorts by name, and names sort by hour.
	for _, e := range ents {
		hour, ok := parseName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(s.o.Dir, e.Name())
		if s.expired(hour, now) {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("keep: remove expired %w", err)
			}
			continue
		}
		hf, err := s.scan(path)
		if err != nil {
			return err
		}
		hf.hour = hour
		s.files[hour.Unix()] = hf
		s.total += hf.size
	}
	return s.sweepLocked(now)
}

// scan opens an hour file and indexes its records by reading their
// headers. A record that is not whole (a crash during its write) or whose
// header fails its checksum ends the file: nothing after it can be framed,
// so the file is truncated there and the next append starts clean.
func (s *Store) scan(path string) (*hourFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("keep: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("keep: %w", err)
	}
	hf := &hourFile{path: path, f: f}
	size := st.Size()
	var hdr [hdrLen]byte
	var bad error
	for hf.size < size {
		if _, err := f.ReadAt(hdr[:], hf.size); err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("torn header")
			}
			bad = err
			break
		}
		h, err := parseHeader(hdr[:])
		if err != nil {
			bad = err
			break
		}
		end := hf.size + hdrLen + int64(h.n)
		if end > size {
			bad = fmt.Errorf("torn record: %d of %d bytes", size-hf.size, hdrLen+int64(h.n))
			break
		}
		s.index[h.id] = loc{file: hf, off: hf.size, n: h.n}
		hf.ids = append(hf.ids, h.id)
		hf.size = end
	}
	if bad != nil {
		s.log.Warn("keep: record cut at open", "file", path, "offset", hf.size, "bytes", size-hf.size, "why", bad.Error())
		if err := f.Truncate(hf.size); err != nil {
			f.Close()
			return nil, fmt.Errorf("keep: truncate %s at %d: %w", path, hf.size, err)
		}
	}
	return hf, nil
}
