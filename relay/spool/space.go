package spool

import (
	"errors"
	"fmt"
	"time"
)

// ErrFull is returned by CheckSpace when the spool's file system has less
// free space than Options.Reserve: new mail should be refused for now
// (SMTP 452, RFC 5321 section 4.5.3.1.10) rather than accepted and then
// failing to commit.
var ErrFull = errors.New("spool: file system full")

// freeTTL is how long a reading of the free space is reused.
const freeTTL = time.Second

// Size returns the bytes the spool's files take: its segments, entry
// files and what was set aside in corrupt/ (apparent sizes, not blocks).
// It is kept up to date as files are written and deleted, not measured:
// calling it costs nothing. Entries still being written (in tmp/) are
// left out until committed.
func (s *Spool) Size() int64 { return s.size.Load() }

// Free returns the bytes free on the spool's file system for an
// unprivileged process (statfs(2): f_bavail × f_bsize). A reading is
// reused for a second, so calling it often is cheap.
func (s *Spool) Free() (int64, error) {
	s.freeMu.Lock()
	defer s.freeMu.Unlock()
	if now := time.Now(); s.freeAt.IsZero() || now.Sub(s.freeAt) >= freeTTL {
		s.free, s.freeErr = freeBytes(s.dir)
		s.freeAt = now
	}
	return s.free, s.freeErr
}

// CheckSpace returns an error wrapping ErrFull if the spool's file system
// has less free space than Options.Reserve, nil if it has enough or if the
// check is turned off or not supported on this system, and the error of
// statfs(2) if it failed. It is as cheap as Free.
func (s *Spool) CheckSpace() error {
	if s.opts.Reserve < 0 {
		return nil
	}
	free, err := s.Free()
	if errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	if err != nil {
		return err
	}
	if free < s.opts.Reserve {
		return fmt.Errorf("%w: %d bytes free, under the reserve of %d", ErrFull, free, s.opts.Reserve)
	}
	return nil
}
