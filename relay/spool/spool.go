// Package spool stores the clean, signed copies of accepted messages until
// they are delivered, one file per recipient copy.
//
// What it promises:
//   - Writer.Commit returns nil only after the file's data and its directory
//     entry in q/ have been fsync'd, so a 250 reply sent after Commit survives
//     a power loss.
//   - A crash at any point leaves either nothing or a complete entry in q/:
//     files are written in tmp/ and renamed into q/ only once they are whole.
//   - tmp/ is emptied by Open, so an interrupted write leaves no trace.
//   - Entries are read back without loading the message into memory.
//
// Concurrent commits share one directory fsync (group commit, see commit.go).
// Remove does not fsync the directory: after a crash a delivered entry may
// reappear and be delivered again. Mail allows that (RFC 5321 section 6.1
// prefers duplicates to loss).
//
// The file format is described in docs/design.md, "Spool file format".
package spool

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Directory names inside the spool directory.
const (
	tmpDir     = "tmp"
	queueDir   = "q"
	corruptDir = "corrupt"
)

// defaultMaxBatch bounds how many commits share one directory fsync.
const defaultMaxBatch = 256

// bufSize is the write buffer of a Writer.
const bufSize = 64 << 10

// ErrClosed is returned by operations on a closed Spool.
var ErrClosed = errors.New("spool: closed")

// Options tune a Spool. The zero value is usable.
type Options struct {
	// MaxBatch is the largest number of commits sharing one directory
	// fsync. Default 256.
	MaxBatch int

	// OnCommit, if set, is called by the committer after each batch with
	// the number of commits in it and the time the batch took (file
	// fsyncs, renames and the directory fsync). It runs on the committer
	// goroutine: it must be quick (a metrics observation).
	OnCommit func(batch int, d time.Duration)

	// Logger receives the few events the spool logs (corrupt entries, by
	// id). Default slog.Default().
	Logger *slog.Logger
}

// Spool is a directory of committed messages. Its methods are safe for
// concurrent use.
type Spool struct {
	dir  string
	tmp  string
	q    string
	opts Options
	log  *slog.Logger

	reqs chan *commitReq // unbuffered: see committer
	quit chan struct{}   // closed by Close
	done chan struct{}   // closed when the committer has returned

	closeOnce sync.Once
	bufs      sync.Pool // *bufio.Writer, so a Writer costs no 64 KiB allocation
}

// Open opens the spool in dir, creating dir, dir/tmp and dir/q (mode 0700)
// as needed, removes whatever an interrupted write left in tmp/, and starts
// the group committer. Close stops it.
func Open(dir string, opts Options) (*Spool, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	s := &Spool{
		dir:  dir,
		tmp:  filepath.Join(dir, tmpDir),
		q:    filepath.Join(dir, queueDir),
		opts: opts,
		log:  lg,
		reqs: make(chan *commitReq),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	s.bufs.New = func() any { return bufio.NewWriterSize(nil, bufSize) }
	for _, d := range []string{dir, s.tmp, s.q} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("spool: create %s: %w", d, err)
		}
	}
	if err := clearDir(s.tmp); err != nil {
		return nil, err
	}
	go s.committer()
	return s, nil
}

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

// Close stops the group committer. A commit already in a batch completes
// first; one racing with Close either completes or fails with ErrClosed
// (its temporary file removed); later ones fail with ErrClosed. Committed
// entries are not touched. Close is idempotent.
func (s *Spool) Close() error {
	s.closeOnce.Do(func() { close(s.quit) })
	<-s.done
	return nil
}

// Remove deletes a committed entry. The directory is not fsync'd: a crash
// soon after may bring the entry back, and it would be delivered again.
// A missing entry gives an error matching fs.ErrNotExist.
func (s *Spool) Remove(id string) error {
	if !validID(id) {
		return fmt.Errorf("spool: remove: invalid id %q", id)
	}
	if err := os.Remove(filepath.Join(s.q, id)); err != nil {
		return fmt.Errorf("spool: remove %s: %w", id, err)
	}
	return nil
}

// List returns the metadata of every committed entry, reading only the
// trailers. An entry that cannot be read back (truncated, garbled, a name
// that is not an id) is moved to corrupt/ and logged by name only; it is
// not returned and List does not fail because of it.
func (s *Spool) List() ([]Meta, error) {
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
	cdir := filepath.Join(s.dir, corruptDir)
	err := os.MkdirAll(cdir, 0o700)
	if err == nil {
		err = os.Rename(filepath.Join(s.q, name), filepath.Join(cdir, name))
	}
	if err != nil {
		s.log.Error("spool: cannot move corrupt entry", "qid", name, "cause", cause.Error(), "err", err.Error())
		return
	}
	s.log.Warn("spool: corrupt entry moved to corrupt/", "qid", name, "cause", cause.Error())
}
