package spool

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"time"
)

// Writer writes one new entry. Nothing of it is listed until Commit returns
// nil. A small entry is held in memory; one that outgrows SmallMax is
// written to a file in tmp/ as it comes. A Writer is not safe for
// concurrent use. Every Writer must end with Commit or Abort (Abort after
// Commit is a no-op, so `defer w.Abort()` is the usual pattern).
type Writer struct {
	s     *Spool
	id    string
	rec   *[]byte // small entry: header room, then the message bytes; nil once spilled
	f     *os.File
	bw    *bufio.Writer
	n     int64  // message bytes written so far
	sum   uint32 // CRC-32C of the message bytes of a spilled entry
	size  int64  // a spilled entry's file size, once its trailer is written
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

// Create starts a new entry under a fresh random id. It touches no file:
// only an entry that outgrows SmallMax (or every entry, if SmallMax is
// negative) gets one, in tmp/.
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
	w := &Writer{s: s, id: id}
	if s.opts.SmallMax < 0 {
		if err := w.spill(); err != nil {
			return nil, err
		}
		return w, nil
	}
	w.rec = s.recs.Get().(*[]byte)
	return w, nil
}

// ID returns the entry's id.
func (w *Writer) ID() string { return w.id }

// Write appends message bytes (the clean header and body, CRLF line
// endings, exactly as signed).
func (w *Writer) Write(p []byte) (int, error) {
	if w.state != writing {
		return 0, errNotWriting
	}
	if w.rec != nil {
		if w.n+int64(len(p)) <= int64(w.s.opts.SmallMax) {
			*w.rec = append(*w.rec, p...)
			w.n += int64(len(p))
			return len(p), nil
		}
		if err := w.spill(); err != nil {
			return 0, err
		}
	}
	n, err := w.bw.Write(p)
	w.n += int64(n)
	w.sum = crc32.Update(w.sum, castagnoli, p[:n])
	if err != nil {
		return n, fmt.Errorf("spool: write %s: %w", w.id, err)
	}
	return n, nil
}

// spill moves the entry to tmp/<id>, with what was buffered so far. O_EXCL:
// 128 random bits never collide, but if they did we would rather fail than
// share a file.
func (w *Writer) spill() error {
	path := filepath.Join(w.s.tmp, w.id)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("spool: create: %w", err)
	}
	bw := w.s.bufs.Get().(*bufio.Writer)
	bw.Reset(f)
	if w.rec != nil {
		w.sum = crc32.Update(0, castagnoli, (*w.rec)[recHdrLen:])
		if _, err := bw.Write((*w.rec)[recHdrLen:]); err != nil {
			bw.Reset(nil)
			w.s.bufs.Put(bw)
			f.Close()
			os.Remove(path)
			return fmt.Errorf("spool: write %s: %w", w.id, err)
		}
		w.putRec()
	}
	w.f, w.bw = f, bw
	return nil
}

// Commit stores the metadata with the message bytes and makes the entry
// durable: it returns nil only once the entry's bytes, and the directory
// entry of any file created for it, are fsync'd. m.ID is set to w.ID(); a
// zero m.Created is set to now; m.Size is computed. On failure nothing of
// the entry is left to be listed.
func (w *Writer) Commit(m Meta) error {
	if w.state != writing {
		return errNotWriting
	}
	m.ID = w.id
	if m.Created.IsZero() {
		m.Created = time.Now()
	}
	// What is stored: milliseconds, from which delivery latency is measured.
	m.Created = time.UnixMilli(m.Created.UnixMilli()).UTC()
	m.Size = int64(len(m.Prefix)) + w.n
	if m.Rcpt == "" {
		w.Abort()
		return fmt.Errorf("spool: commit %s: no recipient", w.id)
	}

	r := &commitReq{id: w.id, done: make(chan struct{})}
	var buf *[]byte // a small entry's buffer, lent to the committer
	if w.rec != nil {
		js, err := encodeMeta(m, bodySum{})
		if err != nil {
			w.Abort()
			return fmt.Errorf("spool: commit %s: %w", w.id, err)
		}
		*w.rec = append(*w.rec, js...)
		sealData(*w.rec, int(w.n))
		r.rec, r.bodyLen = *w.rec, w.n
		buf, w.rec = w.rec, nil
	} else if err := w.syncFile(m); err != nil {
		w.Abort()
		return fmt.Errorf("spool: commit %s: %w", w.id, err)
	} else {
		r.size = w.size
	}
	w.state = ended

	select {
	case w.s.reqs <- r:
	case <-w.s.quit:
		if buf != nil {
			w.s.putRec(buf)
		} else {
			os.Remove(filepath.Join(w.s.tmp, w.id))
		}
		return ErrClosed
	}
	<-r.done
	if buf != nil {
		if r.err == nil {
			w.s.keepHot((*buf)[recHdrLen:recHdrLen+r.bodyLen], m)
		}
		w.s.putRec(buf)
	}
	if r.err != nil {
		return r.err
	}
	w.state = committed
	w.meta = m
	return nil
}

// syncFile ends a spilled entry: it appends the trailer, then fsyncs and
// closes the file, which the committer then renames into q/. The fsync is
// done here, by each writer in parallel, not by the committer, so one large
// message does not hold up a batch of small ones.
func (w *Writer) syncFile(m Meta) error {
	trailer, err := appendTrailer(nil, m, bodySum{w.sum, true})
	w.size = w.n + int64(len(trailer))
	if err == nil {
		_, err = w.bw.Write(trailer)
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if err != nil {
		return err
	}
	w.releaseBuf()
	f := w.f
	w.f = nil
	if err := f.Close(); err != nil {
		os.Remove(filepath.Join(w.s.tmp, w.id))
		return err
	}
	return nil
}

// Meta returns the metadata as committed (ID, Created and Size filled), or
// the zero Meta if Commit has not succeeded. It is what the queue needs.
func (w *Writer) Meta() Meta { return w.meta }

// Abort discards an uncommitted entry: it drops the buffer, or closes and
// removes the temporary file. It is idempotent and does nothing after a
// successful Commit.
func (w *Writer) Abort() {
	if w.state != writing {
		return
	}
	w.state = ended
	w.putRec()
	w.releaseBuf()
	if w.f != nil {
		w.f.Close()
		os.Remove(filepath.Join(w.s.tmp, w.id))
		w.f = nil
	}
}

// putRec returns the Writer's record buffer, if it has one, to the pool.
func (w *Writer) putRec() {
	if w.rec != nil {
		w.s.putRec(w.rec)
		w.rec = nil
	}
}

// putRec returns a record buffer to the pool, unless an unusually large
// meta made it much larger than the entries it is meant for.
func (s *Spool) putRec(b *[]byte) {
	if cap(*b) > 2*max(s.opts.SmallMax, recBufSize)+maxMetaLen {
		return
	}
	*b = (*b)[:recHdrLen]
	s.recs.Put(b)
}

// releaseBuf returns the write buffer of a spilled entry to the pool.
func (w *Writer) releaseBuf() {
	if w.bw == nil {
		return
	}
	w.bw.Reset(nil)
	w.s.bufs.Put(w.bw)
	w.bw = nil
}
