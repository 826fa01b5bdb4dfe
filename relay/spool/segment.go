package spool

import (
	"crypto/rand"
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
// Spool.mu; size and nrec belong to the committer while it is active.
type segment struct {
	seq  uint64
	f    *os.File      // read, wiped and (while active) appended to, until gone
	v    int           // format: 2, or 1 for a segment of an earlier version
	salt [saltLen]byte // format 2: in every header checksum
	size int64         // bytes written and synced
	nrec int64         // records written: the next record number

	closedSize int64 // size and nrec once closed to appends: for the manifest
	closedRecs int64
	lost       int64 // records lost in damaged spans, already counted

	live       int   // records in the index
	liveBytes  int64 // their bytes, headers included
	refs       int   // open Messages, Lists, removals, flushes and compactions using f
	active     bool  // the committer may still append
	dirty      bool  // written to by a removal since the last flush, and in Spool.dirty
	gone       bool  // f is closed (and the file deleted, if it had no live record)
	compacting bool  // its live records are being copied out
}

// hdrLen is the length of a record header in seg.
func (seg *segment) hdrLen() int64 {
	if seg.v == 1 {
		return recHdrLenV1
	}
	return recHdrLen
}

// name is seg's file name, as logged.
func (seg *segment) name() string { return segName(seg.seq, segExt) }

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

// createSegment starts a new active segment: its header is fdatasync'd,
// then its directory entry, then it is added to the manifest, all before
// the first record is written to it. So a segment in the manifest is never
// legitimately shorter than its header. Not O_APPEND: removals write into
// it with pwrite(2), which O_APPEND would send to the end. Called by the
// committer.
func (s *Spool) createSegment() (*segment, error) {
	seq := s.nextSeq
	s.nextSeq++
	seg := &segment{seq: seq, v: 2, size: int64(segHdrLen), active: true}
	if _, err := rand.Read(seg.salt[:]); err != nil {
		return nil, fmt.Errorf("spool: create segment: %w", err)
	}
	path := s.segPath(seq)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: create segment: %w", err)
	}
	_, err = f.Write(append([]byte(segMagic), seg.salt[:]...))
	if err == nil {
		err = datasync(f)
	}
	if err == nil {
		err = syncDir(s.seg)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("spool: create segment %s: %w", seg.name(), err)
	}
	seg.f = f
	s.size.Add(int64(segHdrLen))
	s.mu.Lock()
	s.segs[seq] = seg
	s.mu.Unlock()
	s.writeManifest()
	return seg, nil
}

// retire closes seg to appends. The manifest learns of it with the next
// write. Called by the committer, or by Close once it has stopped.
func (s *Spool) retire(seg *segment) {
	if s.active == seg {
		s.active = nil
	}
	s.mu.Lock()
	seg.active = false
	seg.closedSize, seg.closedRecs = seg.size, seg.nrec
	s.wakeCompactorLocked(seg)
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
		if s.closed {
			return func() { s.deleteSegments([]*segment{seg}) }
		}
		// The compactor deletes it: the manifest is rewritten (and
		// fsync'd) first, which a removal should not wait for.
		s.doomed = append(s.doomed, seg)
		s.wakeCompactor()
		return nop
	}
	if s.closed {
		// Closed but kept: it stays in s.segs, which the manifest lists.
		seg.gone = true
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

// deleteSegments deletes segments without live records: first from the
// manifest, then from seg/, so that a crash between the two never makes a
// deleted segment look lost. seg/ is not fsync'd: should a deletion not
// survive a crash, every record in the segment is marked removed, or was
// so less than removeSync before. If the manifest cannot be written, the
// files are left for the next Open to delete.
func (s *Spool) deleteSegments(segs []*segment) {
	if err := s.writeManifest(); err != nil {
		for _, seg := range segs {
			seg.f.Close()
		}
		return
	}
	s.hook("segment-forgotten")
	for _, seg := range segs {
		s.unlinkSegment(seg)
	}
	s.hook("segment-deleted")
}

// deleteDoomed deletes the segments waiting for it, if any.
func (s *Spool) deleteDoomed() {
	s.mu.Lock()
	segs := s.doomed
	s.doomed = nil
	s.mu.Unlock()
	if len(segs) > 0 {
		s.deleteSegments(segs)
	}
}

// unlinkSegment closes seg and deletes its file.
func (s *Spool) unlinkSegment(seg *segment) {
	var n int64
	if fi, err := seg.f.Stat(); err == nil {
		n = fi.Size()
	}
	seg.f.Close()
	if err := os.Remove(s.segPath(seg.seq)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Error("spool: cannot delete segment", "segment", seg.name(), "err", err.Error())
		return
	}
	s.size.Add(-n)
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
