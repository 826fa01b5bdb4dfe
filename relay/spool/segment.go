package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// segExt ends the name of every segment file in seg/.
const segExt = ".seg"

// segment is one segment file. Its counters and flags are guarded by
// Spool.mu; size belongs to the committer.
type segment struct {
	seq  uint64
	f    *os.File // read, wiped and (while active) appended to, until gone
	size int64    // bytes written and synced; the committer's, while active

	live   int  // records in the index
	refs   int  // open Messages, Lists, removals and flushes using f
	active bool // the committer may still append
	dirty  bool // written to by a removal since the last flush, and in Spool.dirty
	gone   bool // f is closed (and the file deleted, if it had no live record)
}

// segName is the file name of segment seq. The sequence number is
// fixed-width hex, so names sort in creation order. Open continues after
// the highest number in seg/, so the number of a deleted last segment may
// be given again: harmless, nothing refers to segments by number.
func segName(seq uint64, ext string) string {
	return fmt.Sprintf("%016x%s", seq, ext)
}

// parseSegName returns the sequence number of a segment's file name, or ok
// false for a name the spool did not make.
func parseSegName(name string) (seq uint64, ok bool) {
	if len(name) != 16+len(segExt) || name[16:] != segExt {
		return 0, false
	}
	seq, err := strconv.ParseUint(name[:16], 16, 64)
	return seq, err == nil
}

func (s *Spool) segPath(seq uint64) string {
	return filepath.Join(s.seg, segName(seq, segExt))
}

// createSegment starts a new active segment. Its directory entry is
// fsync'd here; its magic is made durable by the fdatasync of the first
// batch written to it. Not O_APPEND: removals write into it with pwrite(2),
// which O_APPEND would send to the end. Called by the committer.
func (s *Spool) createSegment() (*segment, error) {
	seq := s.nextSeq
	s.nextSeq++
	path := s.segPath(seq)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: create segment: %w", err)
	}
	_, err = f.WriteString(segMagic)
	if err == nil {
		err = syncDir(s.seg)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("spool: create segment %s: %w", segName(seq, segExt), err)
	}
	seg := &segment{seq: seq, f: f, size: int64(len(segMagic)), active: true}
	s.mu.Lock()
	s.segs[seq] = seg
	s.mu.Unlock()
	return seg, nil
}

// retire closes seg to appends. Called by the committer.
func (s *Spool) retire(seg *segment) {
	if s.active == seg {
		s.active = nil
	}
	s.mu.Lock()
	seg.active = false
	act := s.settleLocked(seg)
	s.mu.Unlock()
	act()
}

func nop() {}

// settleLocked decides what becomes of seg after its counters changed: a
// segment that nobody needs any more is deleted, one that a closed spool
// no longer reads is closed. It returns that work, to be run once s.mu is
// released (file I/O stays out of the lock). s.mu is held.
func (s *Spool) settleLocked(seg *segment) func() {
	if seg.gone || seg.refs > 0 {
		return nop
	}
	if seg.live == 0 && (!seg.active || s.closed) {
		seg.gone = true
		delete(s.segs, seg.seq)
		return func() { s.deleteSegment(seg) }
	}
	if s.closed {
		seg.gone = true
		delete(s.segs, seg.seq)
		return func() { seg.f.Close() }
	}
	return nop
}

// unref drops a reference taken on each of segs.
func (s *Spool) unref(segs ...*segment) {
	acts := make([]func(), 0, len(segs))
	s.mu.Lock()
	for _, seg := range segs {
		seg.refs--
		acts = append(acts, s.settleLocked(seg))
	}
	s.mu.Unlock()
	for _, a := range acts {
		a()
	}
}

// deleteSegment closes and deletes a segment without live records. seg/ is
// not fsync'd: should the deletion not survive a crash, every record in
// the segment is marked removed, or was so less than removeSync before.
func (s *Spool) deleteSegment(seg *segment) {
	seg.f.Close()
	if err := os.Remove(s.segPath(seg.seq)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Error("spool: cannot delete segment", "segment", segName(seg.seq, segExt), "err", err.Error())
	}
}

// syncDir fsyncs a directory, making the entries created, renamed or
// removed in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool: sync dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spool: sync dir %s: %w", dir, err)
	}
	return nil
}
