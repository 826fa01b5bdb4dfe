package spool

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Writer writes one new entry. It buffers writes; nothing is visible in q/
// until Commit returns nil. A Writer is not safe for concurrent use.
// Every Writer must end with Commit or Abort (Abort after Commit is a
// no-op, so `defer w.Abort()` is the usual pattern).
type Writer struct {
	s     *Spool
	id    string
	f     *os.File
	bw    *bufio.Writer
	n     int64 // message bytes written so far
	state writerState
	meta  Meta
}

type writerState int

const (
	writing writerState = iota
	committed
	ended // aborted, or Commit failed and cleaned up
)

var errNotWriting = errors.New("spool: writer already committed or aborted")

// Create starts a new entry in tmp/ under a fresh random id.
func (s *Spool) Create() (*Writer, error) {
	select {
	case <-s.quit:
		return nil, ErrClosed
	default:
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	// O_EXCL: 128 random bits never collide, but if they did we would
	// rather fail than share a file.
	f, err := os.OpenFile(filepath.Join(s.tmp, id), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: create: %w", err)
	}
	bw := s.bufs.Get().(*bufio.Writer)
	bw.Reset(f)
	return &Writer{s: s, id: id, f: f, bw: bw}, nil
}

// ID returns the entry's id, which is also its file name in q/.
func (w *Writer) ID() string { return w.id }

// Write appends message bytes (the clean header and body, CRLF line
// endings, exactly as signed).
func (w *Writer) Write(p []byte) (int, error) {
	if w.state != writing {
		return 0, errNotWriting
	}
	n, err := w.bw.Write(p)
	w.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("spool: write %s: %w", w.id, err)
	}
	return n, nil
}

// Commit appends the metadata trailer and makes the entry durable: it
// returns nil only once the file and its directory entry in q/ are
// fsync'd. m.ID is set to w.ID(); a zero m.Created is set to now; m.Size is
// computed. On failure the temporary file is already removed.
func (w *Writer) Commit(m Meta) error {
	if w.state != writing {
		return errNotWriting
	}
	m.ID = w.id
	if m.Created.IsZero() {
		m.Created = time.Now()
	}
	m.Created = time.Unix(m.Created.Unix(), 0).UTC() // what the trailer keeps
	m.Size = int64(len(m.Prefix)) + w.n
	if m.Rcpt == "" {
		w.Abort()
		return fmt.Errorf("spool: commit %s: no recipient", w.id)
	}

	trailer, err := appendTrailer(nil, m)
	if err == nil {
		_, err = w.bw.Write(trailer)
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("spool: commit %s: %w", w.id, err)
	}
	w.releaseBuf()

	// From here on the committer owns the file: it closes it and removes
	// it on failure.
	r := &commitReq{f: w.f, id: w.id, done: make(chan struct{})}
	w.f = nil
	w.state = ended
	select {
	case w.s.reqs <- r:
	case <-w.s.quit:
		r.f.Close()
		os.Remove(filepath.Join(w.s.tmp, r.id))
		return ErrClosed
	}
	<-r.done
	if r.err != nil {
		return r.err
	}
	w.state = committed
	w.meta = m
	return nil
}

// Meta returns the metadata as committed (ID, Created and Size filled), or
// the zero Meta if Commit has not succeeded. It is what the queue needs.
func (w *Writer) Meta() Meta { return w.meta }

// Abort discards an uncommitted entry: it closes and removes the temporary
// file. It is idempotent and does nothing after a successful Commit.
func (w *Writer) Abort() {
	if w.state != writing {
		return
	}
	w.state = ended
	w.releaseBuf()
	w.f.Close()
	os.Remove(filepath.Join(w.s.tmp, w.id))
	w.f = nil
}

// releaseBuf returns the write buffer to the pool.
func (w *Writer) releaseBuf() {
	if w.bw == nil {
		return
	}
	w.bw.Reset(nil)
	w.s.bufs.Put(w.bw)
	w.bw = nil
}
