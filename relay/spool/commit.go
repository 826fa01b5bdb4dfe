package spool

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// commitReq is one Writer.Commit waiting for the committer, or a chunk of
// compaction copies (copies set).
type commitReq struct {
	id      string
	rec     []byte // a small entry's sealed record; nil for an entry file in tmp/
	bodyLen int64
	off     int64         // where the committer wrote rec
	err     error         // set by the committer before done is closed
	done    chan struct{} // closed when the commit is durable or has failed
	moved   bool          // the entry file has been renamed into q/
	size    int64         // an entry file's size

	// A compaction copy: from is the record copied. Once the copy is
	// durable the committer sets wipe to the record whose bytes must go
	// (from, or the copy itself if the entry was removed meanwhile), with
	// a reference held on its segment.
	from   loc
	isCopy bool
	wipe   loc
	copies []*commitReq
}

// committer is the group commit loop. It takes whatever commits are waiting
// when it wakes (up to MaxBatch) and makes them durable together, so that
// concurrent commits share one fdatasync.
//
// s.reqs is unbuffered on purpose: a request is either received here, and
// then always answered, or its sender sees s.quit. Nothing can be left
// behind in a buffer when Close stops the loop. The non-blocking receives
// below collect exactly the writers that queued up while the previous
// batch was being synced.
func (s *Spool) committer() {
	defer close(s.done)
	batch := make([]*commitReq, 0, s.opts.MaxBatch)
	for {
		// Close wins over writers still queuing up.
		select {
		case <-s.quit:
			return
		default:
		}
		select {
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		case <-s.quit:
			return
		}
	gather:
		for len(batch) < s.opts.MaxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.commitBatch(batch)
		clear(batch)
	}
}

// commitBatch makes a batch durable: small records with one write and one
// fdatasync of the active segment, entry files with a rename each and one
// fsync of q/. Then it wakes every writer of the batch.
func (s *Spool) commitBatch(batch []*commitReq) {
	start := time.Now()
	s.small, s.files = s.small[:0], s.files[:0]
	for _, r := range batch {
		switch {
		case r.copies != nil:
			s.small = append(s.small, r.copies...)
		case r.rec != nil:
			s.small = append(s.small, r)
		default:
			s.files = append(s.files, r)
		}
	}
	if len(s.small) > 0 {
		s.appendRecords(s.small)
	}
	for _, r := range batch {
		for _, c := range r.copies {
			r.err = cmp.Or(r.err, c.err)
		}
	}
	if len(s.files) > 0 {
		s.moveFiles(s.files)
	}
	commits := len(s.files) + len(s.small)
	for _, r := range s.small {
		if r.isCopy {
			commits--
		}
	}
	clear(s.small)
	clear(s.files)
	if s.opts.OnCommit != nil && commits > 0 {
		// Compaction copies ride along; they are not commits.
		s.opts.OnCommit(commits, time.Since(start))
	}
	for _, r := range batch {
		close(r.done)
	}
}

// appendRecords writes the records of rs to the active segment, fdatasyncs
// it, and only then indexes them. A failure fails them all and closes the
// segment to appends: its tail may be torn, and a later fdatasync must not
// make the failed records durable behind their writers' backs. They are
// marked removed too, in case some of their bytes reached the disk anyway.
func (s *Spool) appendRecords(rs []*commitReq) {
	var total int64
	copies := false
	for _, r := range rs {
		total += int64(len(r.rec))
		copies = copies || r.isCopy
	}
	seg, err := s.segmentFor(total)
	if err != nil {
		for _, r := range rs {
			r.err = err
		}
		return
	}
	off := seg.size
	for i, r := range rs {
		sealHeader(r.rec, &seg.salt, seg.nrec+int64(i))
		r.off = off
		off += int64(len(r.rec))
		if _, err = s.segw.Write(r.rec); err != nil {
			break
		}
	}
	if err == nil {
		err = s.segw.Flush()
	}
	if copies {
		s.hook("compact-written")
	}
	if err == nil {
		err = datasync(seg.f)
	}
	if err != nil {
		err = fmt.Errorf("spool: append to segment %s: %w", seg.name(), err)
		s.abandon(seg, rs)
		for _, r := range rs {
			r.err = err
		}
		return
	}
	if copies {
		s.hook("compact-synced")
	}
	s.size.Add(off - seg.size)
	seg.size = off
	seg.nrec += int64(len(rs))
	s.mu.Lock()
	for _, r := range rs {
		l := loc{seg: seg, off: r.off, bodyLen: r.bodyLen, metaLen: int64(len(r.rec)) - recHdrLen - r.bodyLen}
		if r.isCopy {
			s.placeCopyLocked(r, l)
			continue
		}
		s.indexLocked(r.id, l)
	}
	s.mu.Unlock()
	if copies {
		s.hook("compact-indexed")
	}
}

// placeCopyLocked makes the durable compaction copy r, at l, the entry's
// record, and marks the record it was copied from removed; or marks the
// copy removed if the entry was removed (or moved) since it was read. The
// record marked is left in r.wipe for the compactor to wipe, outside the
// committer, with a reference on its segment; unless a Message reads it:
// then its last reader wipes it. s.mu is held.
func (s *Spool) placeCopyLocked(r *commitReq, l loc) {
	old := r.from
	if cur, ok := s.index[r.id]; !ok || cur != old {
		old = l
	} else {
		s.unindexLocked(r.id, old)
		s.indexLocked(r.id, l)
	}
	if err := markDead(old); err != nil {
		// Both copies stay live on disk: recovery keeps one.
		s.log.Error("spool: cannot mark a compacted record removed", "qid", r.id, "segment", old.seg.name(), "err", err.Error())
	}
	s.dirtyLocked(old.seg)
	if s.opens[old.key()] > 0 {
		s.wipeLater[old.key()] = r.id
		return
	}
	old.seg.refs++
	r.wipe = old
}

// segmentFor returns the segment to append n bytes to: the active one,
// unless they would take it past SegmentMax, else a new one.
func (s *Spool) segmentFor(n int64) (*segment, error) {
	if a := s.active; a != nil && a.size > int64(segHdrLen) && a.size+n > s.opts.SegmentMax {
		s.retire(a)
	}
	if s.active == nil {
		seg, err := s.createSegment()
		if err != nil {
			return nil, err
		}
		s.active = seg
		s.segw.Reset(seg.f)
	}
	return s.active, nil
}

// abandon retires seg after a failed write or sync, and marks the records
// of the failed batch removed and wipes them, as far as they reached the
// file. A record cut short needs nothing: recovery stops before it.
func (s *Spool) abandon(seg *segment, rs []*commitReq) {
	var size int64
	if fi, err := seg.f.Stat(); err != nil {
		s.log.Error("spool: cannot mark a failed batch removed; it may be delivered after a restart",
			"segment", seg.name(), "err", err.Error())
	} else {
		size = fi.Size()
		s.size.Add(max(0, size-seg.size))
	}
	for _, r := range rs {
		if r.off+int64(len(r.rec)) > size {
			break
		}
		l := loc{seg: seg, off: r.off, bodyLen: r.bodyLen, metaLen: int64(len(r.rec)) - recHdrLen - r.bodyLen}
		if err := markDead(l); err != nil {
			s.log.Error("spool: cannot mark a failed commit removed; it may be delivered after a restart",
				"qid", r.id, "err", err.Error())
			continue
		}
		s.wipe(r.id, l)
	}
	s.mu.Lock()
	s.dirtyLocked(seg)
	s.mu.Unlock()
	s.retire(seg)
	s.writeManifest()
}

// moveFiles renames entry files, already fsync'd by their writers, into
// q/, then fsyncs q/ once so the new names survive a crash (rename alone
// only orders them in memory). A failed rename fails only that commit; a
// failed directory fsync fails them all, since none of their names is
// known to be on disk.
func (s *Spool) moveFiles(rs []*commitReq) {
	moved := 0
	for _, r := range rs {
		tmp := filepath.Join(s.tmp, r.id)
		if err := os.Rename(tmp, filepath.Join(s.q, r.id)); err != nil {
			os.Remove(tmp)
			r.err = fmt.Errorf("spool: rename %s: %w", r.id, err)
			continue
		}
		r.moved = true
		moved++
	}
	if moved == 0 {
		return
	}
	if err := syncDir(s.q); err != nil {
		for _, r := range rs {
			if r.moved {
				os.Remove(filepath.Join(s.q, r.id))
				r.err = err
			}
		}
		return
	}
	for _, r := range rs {
		if r.moved {
			s.size.Add(r.size)
		}
	}
}
