package keep

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// Hour files are named by their UTC hour.
const (
	hourLayout = "2006010215"
	fileExt    = ".kept"
)

// parseName returns the hour of an hour file's name; ok is false for any
// other name, which the store leaves alone.
func parseName(name string) (time.Time, bool) {
	if len(name) != len(hourLayout)+len(fileExt) || name[len(hourLayout):] != fileExt {
		return time.Time{}, false
	}
	t, err := time.Parse(hourLayout, name[:len(hourLayout)])
	if err != nil || t.Format(hourLayout)+fileExt != name {
		return time.Time{}, false
	}
	return t, true
}

// expired reports whether the hour starting at hour is older than Keep at
// now: its newest copy was put Keep ago or more.
func (s *Store) expired(hour, now time.Time) bool {
	return !now.Before(hour.Add(time.Hour + s.o.Keep))
}

// Sweep removes the hour files that have expired, then the oldest ones
// while the files take more than MaxBytes. An open Store sweeps every minute
// on its own; Sweep is for tests and for an owner that wants it sooner.
func (s *Store) Sweep() error {
	if s.o.Keep == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.sweepLocked(s.o.Now())
}

// sweepLocked is Sweep with s.mu held.
func (s *Store) sweepLocked(now time.Time) error {
	var errs []error
	for _, hf := range s.oldestFirst() {
		if s.expired(hf.hour, now) || s.total > s.o.MaxBytes {
			if err := s.remove(hf); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// makeRoom removes the oldest hour files other than cur until n more bytes
// fit in MaxBytes. If cur alone leaves no room, it returns ErrFull. s.mu is
// held.
func (s *Store) makeRoom(n int64, cur *hourFile) error {
	var errs []error
	for _, hf := range s.oldestFirst() {
		if s.total+n <= s.o.MaxBytes {
			break
		}
		if hf != cur {
			if err := s.remove(hf); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if s.total+n > s.o.MaxBytes {
		errs = append(errs, fmt.Errorf("%w: %d bytes in %s", ErrFull, cur.size, cur.path))
	}
	return errors.Join(errs...)
}

// oldestFirst returns the hour files, oldest hour first.
func (s *Store) oldestFirst() []*hourFile {
	hfs := make([]*hourFile, 0, len(s.files))
	for _, hf := range s.files {
		hfs = append(hfs, hf)
	}
	slices.SortFunc(hfs, func(a, b *hourFile) int { return a.hour.Compare(b.hour) })
	return hfs
}

// remove forgets hf's copies and deletes the file. If the unlink fails the
// copies are forgotten all the same, and the file stays listed so that the
// next sweep tries again. s.mu is held.
func (s *Store) remove(hf *hourFile) error {
	for _, k := range hf.ids {
		if l, ok := s.index[k]; ok && l.file == hf {
			delete(s.index, k)
		}
	}
	hf.ids = nil
	if err := os.Remove(hf.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("keep: remove %s: %w", hf.path, err)
	}
	hf.f.Close()
	delete(s.files, hf.hour.Unix())
	s.total -= hf.size
	return nil
}
