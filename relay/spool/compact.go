package spool

import (
	"cmp"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"time"
)

// Compaction keeps the disk the spool takes in proportion to what it
// holds. A segment is deleted only once its last record is removed, so one
// entry deferred for days would otherwise pin a whole segment: with 1% of
// the copies deferred, nearly every segment. When a segment closed to
// appends has few live bytes left (Options.CompactBelow), the compactor
// copies its live records into the active segment, and the segment goes
// when its last reader does.
//
// A move is crash-safe because the steps come in this order:
//
//  1. the compactor reads a record and checks its checksum (a damaged one
//     is set aside, never copied: compaction must not launder damage);
//  2. the committer appends the copies with a batch of commits and
//     fdatasyncs them, like any record;
//  3. under the index lock, it points the index at each copy and marks
//     the original removed; or, if the entry was removed while it was
//     being copied, marks the copy removed instead;
//  4. the compactor wipes the originals (a Message still reading one
//     keeps it until Close, as for Remove);
//  5. the segment, with no live record left, is deleted from the manifest,
//     then from seg/.
//
// A crash before 2 is done leaves the original live and the copy absent
// or torn. Between 2 and 3, or if the removal mark of 3 is lost with the
// page cache, both copies are live: recovery keeps the newer one and
// removes the other (recover.go). A mark lost while its wipe was kept
// leaves a record of zeros marked live, which recovery recognises.
// So every live entry is present at least once after a crash, and once
// after recovery.

const (
	// compactChunk bounds the bytes of copies in one commit batch, so
	// that compaction never holds up commits for long.
	compactChunk = 1 << 20
	// compactRetry is how long compaction rests after a failure (a full
	// disk, say), instead of trying again at every removal.
	compactRetry = time.Minute
)

// worthCompactingLocked reports whether seg should be compacted: closed to
// appends, with live records under CompactBelow of its bytes, and at least
// SegmentMax/16 of removed bytes to give back. s.mu is held.
func (s *Spool) worthCompactingLocked(seg *segment) bool {
	if s.opts.CompactBelow < 0 || seg.active || seg.gone || seg.compacting || seg.live == 0 {
		return false
	}
	return float64(seg.liveBytes) < s.opts.CompactBelow*float64(seg.closedSize) &&
		seg.closedSize-seg.liveBytes >= s.opts.SegmentMax/16
}

// wakeCompactorLocked wakes the compactor if seg is worth compacting. It
// never blocks. s.mu is held.
func (s *Spool) wakeCompactorLocked(seg *segment) {
	if s.worthCompactingLocked(seg) {
		s.wakeCompactor()
	}
}

// wakeCompactor wakes the compactor. It never blocks.
func (s *Spool) wakeCompactor() {
	select {
	case s.compactWake <- struct{}{}:
	default:
	}
}

// compactor is the spool's background worker. When woken it deletes the
// segments left without live records, then compacts every segment worth
// it, emptiest first.
func (s *Spool) compactor() {
	defer close(s.compactDone)
	for {
		var synced chan struct{}
		select {
		case <-s.quit:
			return
		case <-s.compactWake:
		case synced = <-s.compactSync:
		}
		s.deleteDoomed()
		tried := map[*segment]bool{} // once a pass: a compaction that failed is not retried at once
		for {
			select {
			case <-s.quit:
				if synced != nil {
					close(synced)
				}
				return
			default:
			}
			seg := s.pickCompaction(tried)
			if seg == nil {
				break
			}
			tried[seg] = true
			s.compact(seg)
			s.deleteDoomed()
		}
		if synced != nil {
			close(synced)
		}
	}
}

// compactNow runs a full pass of the compactor (deletions, then
// compactions) and returns when it is done. For tests, which would
// otherwise have to poll.
func (s *Spool) compactNow() {
	c := make(chan struct{})
	select {
	case s.compactSync <- c:
		<-c
	case <-s.compactDone:
	}
}

// pickCompaction returns the segment most worth compacting, other than
// those tried, marked compacting and with a reference held, or nil.
func (s *Spool) pickCompaction(tried map[*segment]bool) *segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || time.Now().Before(s.compactAfter) {
		return nil
	}
	ratio := func(seg *segment) float64 { return float64(seg.liveBytes) / float64(seg.closedSize) }
	var best *segment
	for _, seg := range s.segs {
		if !tried[seg] && s.worthCompactingLocked(seg) && (best == nil || ratio(seg) < ratio(best)) {
			best = seg
		}
	}
	if best != nil {
		best.compacting = true
		best.refs++
	}
	return best
}

// compact copies the live records of seg into the active segment, in
// chunks of about compactChunk bytes, then lets it go.
func (s *Spool) compact(seg *segment) {
	defer func() {
		s.mu.Lock()
		seg.compacting = false
		s.mu.Unlock()
		s.unref(seg)
	}()
	type item struct {
		id string
		l  loc
	}
	var items []item
	s.mu.Lock()
	for id, l := range s.index {
		if l.seg == seg {
			items = append(items, item{id, l})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.l.off, b.l.off) })

	start := time.Now()
	var chunk []*commitReq
	var chunkBytes, moved int64
	send := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := s.sendCopies(chunk)
		if err == nil {
			moved += int64(len(chunk))
		}
		chunk, chunkBytes = nil, 0
		return err
	}
	for _, it := range items {
		c, err := s.readCopy(it.id, it.l)
		if errors.Is(err, errCorrupt) {
			s.dropRecord(it.id, it.l, err)
			continue
		}
		if err == nil && c != nil {
			chunk = append(chunk, c)
			chunkBytes += int64(len(c.rec))
			if chunkBytes >= compactChunk {
				err = send()
			}
		}
		if err != nil {
			s.compactFailed(seg, err)
			return
		}
	}
	if err := send(); err != nil {
		s.compactFailed(seg, err)
		return
	}
	s.log.Info("spool: segment compacted", "segment", seg.name(), "entries", moved,
		"bytes", seg.closedSize, "took_ms", time.Since(start).Milliseconds())
}

// compactFailed logs a failed compaction and rests the compactor.
func (s *Spool) compactFailed(seg *segment, err error) {
	if errors.Is(err, ErrClosed) {
		return
	}
	s.log.Error("spool: compaction failed", "segment", seg.name(), "err", err.Error())
	s.mu.Lock()
	s.compactAfter = time.Now().Add(compactRetry)
	s.mu.Unlock()
}

// readCopy reads the live record id at l and returns it as a format 2
// record ready for the committer, or nil if the entry was removed
// meanwhile. A record whose checksum fails gives an error wrapping
// errCorrupt. The caller holds a reference to l.seg.
func (s *Spool) readCopy(id string, l loc) (*commitReq, error) {
	hl := l.seg.hdrLen()
	rec := make([]byte, recHdrLen+l.bodyLen+l.metaLen)
	src := rec[recHdrLen-hl:] // the body and meta land where a format 2 record has them
	_, err := l.seg.f.ReadAt(src, l.off)
	// The bytes count only if the record was live throughout the read:
	// once out of the index it may be wiped at any time.
	s.mu.Lock()
	cur, live := s.index[id]
	s.mu.Unlock()
	if !live || cur != l {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: read %s in %s: %w", id, l.seg.name(), err)
	}
	var h recHeader
	var ok bool
	if l.seg.v == 1 {
		h, ok = parseHeaderV1(src[:hl])
	} else {
		h, ok = parseHeader(src[:hl], &l.seg.salt)
	}
	sum := crc32.Update(sumStart(l.seg.v, src[:hl]), castagnoli, rec[recHdrLen:])
	if !ok || h.bodyLen != l.bodyLen || h.metaLen != l.metaLen || h.sum != sum {
		return nil, fmt.Errorf("%w: record checksum mismatch", errCorrupt)
	}
	sealData(rec, int(l.bodyLen))
	return &commitReq{id: id, rec: rec, bodyLen: l.bodyLen, from: l, isCopy: true}, nil
}

// sendCopies has the committer append a chunk of copies, then wipes the
// records they replace.
func (s *Spool) sendCopies(chunk []*commitReq) error {
	r := &commitReq{copies: chunk, done: make(chan struct{})}
	select {
	case s.reqs <- r:
	case <-s.quit:
		return ErrClosed
	}
	<-r.done
	for _, c := range chunk {
		if c.wipe.seg != nil {
			s.wipe(c.id, c.wipe)
			s.unref(c.wipe.seg)
		}
	}
	s.hook("compact-wiped")
	return r.err
}
