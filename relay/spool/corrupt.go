package spool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// This file sets damaged data aside in corrupt/, where an operator can look
// at it: it is never delivered from there, nor deleted by the spool. Only
// file names, segment offsets and entry ids (random) are logged: the bytes
// are not trusted and may hold addresses.

// moveToCorrupt moves the file at path to corrupt/<name> and logs it,
// naming it by key ("qid", "segment" or "file"). It reports whether the
// file was moved.
func (s *Spool) moveToCorrupt(path, name, key string, cause error) bool {
	cdir := filepath.Join(s.dir, corruptDir)
	err := os.MkdirAll(cdir, 0o700)
	if err == nil {
		err = os.Rename(path, filepath.Join(cdir, name))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false // removed meanwhile
	}
	if err != nil {
		s.log.Error("spool: cannot move a damaged file to corrupt/", key, name, "cause", cause.Error(), "err", err.Error())
		return false
	}
	s.log.Warn("spool: damaged file moved to corrupt/", key, name, "cause", cause.Error())
	return true
}

// dropFile sets the entry file q/<id> aside, and counts it dropped.
func (s *Spool) dropFile(id string, cause error) {
	if s.moveToCorrupt(filepath.Join(s.q, id), id, "qid", cause) {
		s.dropped(dropCorrupt, 1)
	}
}

// dropRecord gives up the live record id at l, found damaged after Open:
// its bytes are copied to corrupt/, then it is marked removed and dropped
// from the index, and wiped once no Message reads it. Nothing is done if
// the index no longer holds l (removed or compacted meanwhile). The caller
// holds a reference to l.seg.
func (s *Spool) dropRecord(id string, l loc, cause error) {
	s.mu.Lock()
	cur, ok := s.index[id]
	s.mu.Unlock()
	if !ok || cur != l {
		return
	}
	s.copySpan(l.seg, l.off, l.off+l.len())
	s.mu.Lock()
	if cur, ok := s.index[id]; !ok || cur != l {
		s.mu.Unlock()
		return
	}
	if err := markDead(l); err != nil {
		s.mu.Unlock()
		s.log.Error("spool: cannot mark a damaged record removed", "qid", id, "segment", l.seg.name(), "err", err.Error())
		return
	}
	s.unindexLocked(id, l)
	if errors.Is(cause, errRecordHeader) {
		// The next scan will find a span it cannot read, not a record
		// marked removed: the manifest tells it this one was counted.
		l.seg.lost++
	}
	wipeNow := s.opens[l.key()] == 0
	if wipeNow {
		l.seg.refs++
	} else {
		s.wipeLater[l.key()] = id
	}
	s.mu.Unlock()
	s.log.Warn("spool: damaged entry dropped", "qid", id, "segment", l.seg.name(), "offset", l.off, "cause", cause.Error())
	s.dropped(dropCorrupt, 1)
	if wipeNow {
		s.wipe(id, l)
		s.unref(l.seg)
	}
}

// copySpan copies bytes off to end of seg to corrupt/<segment>.<off>,
// durably, and reports whether it did. A copy already there (made by an
// earlier recovery) is kept.
func (s *Spool) copySpan(seg *segment, off, end int64) bool {
	cdir := filepath.Join(s.dir, corruptDir)
	name := fmt.Sprintf("%s.%d", seg.name(), off)
	err := os.MkdirAll(cdir, 0o700)
	var f *os.File
	if err == nil {
		f, err = os.OpenFile(filepath.Join(cdir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if errors.Is(err, fs.ErrExist) {
		return true
	}
	if err != nil {
		s.log.Error("spool: cannot copy damaged bytes to corrupt/", "segment", seg.name(), "offset", off, "err", err.Error())
		return false
	}
	n, err := io.Copy(f, io.NewSectionReader(seg.f, off, end-off))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(cdir)
	}
	s.size.Add(n)
	if err != nil {
		s.log.Error("spool: cannot copy damaged bytes to corrupt/", "segment", seg.name(), "offset", off, "err", err.Error())
		return false
	}
	return true
}

// zeroSpan overwrites bytes off to end of seg with zeros: damaged bytes,
// once copied to corrupt/, do not stay in a segment that lives on.
func (s *Spool) zeroSpan(seg *segment, off, end int64) {
	for off < end {
		k := min(end-off, int64(len(zeros)))
		if _, err := seg.f.WriteAt(zeros[:k], off); err != nil {
			s.log.Error("spool: cannot wipe damaged bytes", "segment", seg.name(), "offset", off, "err", err.Error())
			return
		}
		off += k
	}
}
