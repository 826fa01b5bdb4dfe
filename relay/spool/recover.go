package spool

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// errBadSegment is the cause logged for a file in seg/ that has a segment's
// name but not its magic.
var errBadSegment = errors.New("not a segment: bad magic")

// recovery holds what Open's recovery counts as it goes, for its summary.
type recovery struct {
	br         *bufio.Reader
	duplicates int // entries found twice (a compaction cut short): one copy kept
	wiped      int // records wiped whose removal mark a power loss lost
}

// recover rebuilds the index from seg/ at Open, and checks the entry files
// in q/. Every sound live record is an entry; what is damaged or missing is
// set aside, counted and logged (see the package comment). No segment is
// appended to again: the committer starts a new one. The manifest is then
// rewritten to say so, and only after that are the segments left without
// live records deleted: deleted first, they would look lost after a crash.
func (s *Spool) recover() error {
	man, err := s.readManifest()
	if err != nil {
		s.log.Warn("spool: segment manifest unreadable; segments lost or cut short cannot be noticed this time", "err", err.Error())
		man = nil
	}
	ents, err := os.ReadDir(s.seg)
	if err != nil {
		return fmt.Errorf("spool: read %s: %w", s.seg, err)
	}
	var seqs []uint64
	for _, e := range ents {
		seq, ok := parseSegName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue // not ours: left alone
		}
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	for seq := range man {
		s.nextSeq = max(s.nextSeq, seq+1)
	}
	if len(seqs) > 0 {
		s.nextSeq = max(s.nextSeq, seqs[len(seqs)-1]+1)
	}

	if err := s.countCorrupt(); err != nil {
		return err
	}
	rc := &recovery{br: bufio.NewReaderSize(nil, segBufSize)}
	for _, seq := range seqs {
		st, known := man[seq]
		delete(man, seq)
		seg, err := s.loadSegment(seq, st, known, rc)
		if err != nil {
			return err
		}
		if seg != nil {
			s.segs[seq] = seg
		}
	}
	for seq, st := range man {
		s.log.Warn("spool: segment missing; its entries are lost",
			"segment", segName(seq, segExt), "entries", st.records())
		s.dropped(dropTruncated, st.records())
	}
	var empty []*segment
	for seq, seg := range s.segs {
		if seg.live == 0 {
			seg.gone = true
			delete(s.segs, seq)
			empty = append(empty, seg)
		}
	}
	if err := s.recoverFiles(); err != nil {
		return err
	}
	if err := s.writeManifest(); err != nil {
		// Deleted now, they would look lost to the next Open.
		for _, seg := range empty {
			seg.f.Close()
		}
	} else {
		for _, seg := range empty {
			s.unlinkSegment(seg)
		}
	}
	corrupt, truncated := s.Dropped()
	attrs := []any{"entries", len(s.index), "segments", len(s.segs)}
	if corrupt+truncated+rc.duplicates+rc.wiped > 0 {
		attrs = append(attrs, "dropped_corrupt", corrupt, "dropped_truncated", truncated,
			"duplicates", rc.duplicates, "wiped_unmarked", rc.wiped)
	}
	s.log.Info("spool: recovered", attrs...)
	return nil
}

// loadSegment reads segment seq and adds its live records to the index. st
// is what the manifest says of it, if known. It returns nil for a file
// that is not a segment any more: moved to corrupt/, or deleted if it was
// never written to. A segment returned is closed to appends and holds its
// file open for reading and wiping.
func (s *Spool) loadSegment(seq uint64, st segState, known bool, rc *recovery) (*segment, error) {
	name := segName(seq, segExt)
	path := s.segPath(seq)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("spool: open segment %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: open segment %s: %w", name, err)
	}
	size := fi.Size()
	s.size.Add(size)
	seg := &segment{seq: seq, f: f}
	var head [segHdrLen]byte
	n, err := f.ReadAt(head[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("spool: read segment %s: %w", name, err)
	}
	magic := string(head[:min(n, len(segMagic))])
	switch {
	case n < len(segMagic) || magic == segMagic && n < segHdrLen:
		f.Close()
		if !known {
			// Created, then the process died before its header was
			// synced: nothing in it was ever committed.
			if err := os.Remove(path); err == nil {
				s.size.Add(-size)
			}
			return nil, nil
		}
		s.log.Warn("spool: segment cut short before its first record; its entries are lost",
			"segment", name, "bytes", size, "entries", st.records())
		s.dropped(dropTruncated, st.records())
		s.moveToCorrupt(path, name, "segment", errors.New("shorter than a segment header"))
		return nil, nil
	case magic == segMagic:
		seg.v = 2
		copy(seg.salt[:], head[len(segMagic):])
	case magic == segMagicV1:
		seg.v = 1
	default:
		f.Close()
		if known {
			s.log.Warn("spool: segment header damaged; its entries are lost", "segment", name, "entries", st.records())
			s.dropped(dropCorrupt, st.records())
		}
		s.moveToCorrupt(path, name, "segment", errBadSegment)
		return nil, nil
	}

	budget := st.lost
	res, err := scanSegment(f, size, seg.v, &seg.salt, rc.br, func(d damage) {
		s.recoverDamage(seg, d, &budget, rc)
	})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: scan segment %s: %w", name, err)
	}
	s.checkEnd(seg, size, res, st, known, budget)
	seg.size, seg.nrec = res.end, res.next
	seg.closedSize, seg.closedRecs = res.end, res.next
	seg.lost = res.gapLost
	for _, r := range res.recs {
		l := loc{seg: seg, off: r.off, bodyLen: r.bodyLen, metaLen: r.metaLen}
		if old, dup := s.index[r.id]; dup {
			// Two copies of one entry: a compaction that a crash
			// interrupted. The newer one, read last, is kept.
			if err := markDead(old); err != nil {
				s.log.Error("spool: cannot remove a duplicate; the older copy is kept", "qid", r.id,
					"segment", old.seg.name(), "err", err.Error())
				continue
			}
			s.unindexLocked(r.id, old)
			s.wipe(r.id, old)
			rc.duplicates++
		}
		s.indexLocked(r.id, l)
	}
	return seg, nil
}

// recoverDamage handles a damaged span that the scan of seg found. budget
// is the number of records in damaged spans that an earlier recovery
// counted already (the manifest's lost): they are not counted again.
func (s *Spool) recoverDamage(seg *segment, d damage, budget *int64, rc *recovery) {
	l := loc{seg: seg, off: d.off}
	switch {
	case d.wiped:
		if markDead(l) == nil {
			s.dirtyLocked(seg)
		}
		rc.wiped++
	case d.record:
		// A sound header: the record can be marked removed, and is then
		// never counted again.
		s.copySpan(seg, d.off, d.end)
		if markDead(l) == nil {
			s.zeroSpan(seg, d.off+seg.hdrLen(), d.end)
			s.dirtyLocked(seg)
		}
		attrs := []any{"segment", seg.name(), "offset", d.off, "bytes", d.end - d.off, "cause", d.cause}
		if d.id != "" {
			attrs = append(attrs, "qid", d.id)
		}
		s.log.Warn("spool: damaged entry dropped", attrs...)
		s.dropped(dropCorrupt, 1)
	default:
		old := min(*budget, d.lost)
		*budget -= old
		fresh := d.lost - old
		if d.end > d.off {
			if z, _ := zeroRange(seg.f, d.off, d.end); z && fresh == 0 {
				return // set aside by an earlier recovery
			}
			s.copySpan(seg, d.off, d.end)
			s.zeroSpan(seg, d.off, d.end)
			s.dirtyLocked(seg)
		}
		s.log.Warn("spool: damaged bytes skipped; reading resumed at the next record",
			"segment", seg.name(), "offset", d.off, "bytes", d.end-d.off, "entries", fresh, "cause", d.cause)
		s.dropped(dropCorrupt, fresh)
	}
}

// checkEnd compares how a segment of the given size ends, as the scan
// found it, with what the manifest says of it, and counts and logs what is
// missing. A segment closed to appends must hold as many records as it did
// when closed; bytes after its closing size are a failed batch, which was
// never acknowledged. A segment that was open when the process stopped
// may end in a torn write, also never acknowledged; but a tail that does
// not look like one is damage to at least one record. budget is what is
// left of the records the manifest says were counted already.
func (s *Spool) checkEnd(seg *segment, size int64, res scanResult, st segState, known bool, budget int64) {
	name := seg.name()
	tailBytes := size - res.tail
	if known && st.closed {
		if missing := st.nrec - res.next - budget; missing > 0 {
			reason := dropCorrupt
			if size < st.size {
				reason = dropTruncated
			}
			s.log.Warn("spool: segment ends early; its last entries are lost",
				"segment", name, "offset", res.end, "bytes", size, "closed_at", st.size, "entries", missing, "reason", reason)
			s.dropped(reason, missing)
		}
		switch {
		case tailBytes == 0:
		case res.tail >= st.size:
			s.log.Info("spool: segment tail ignored (a failed write)", "segment", name, "offset", res.tail, "bytes", tailBytes)
		default:
			s.setAsideTail(seg, res.tail, size)
		}
		return
	}
	switch {
	case tailBytes == 0:
	case res.torn:
		// Usually a batch whose write a crash cut short: never
		// acknowledged, so nothing is lost.
		s.log.Info("spool: segment tail ignored (a write cut short)", "segment", name, "offset", res.tail, "bytes", tailBytes)
	default:
		s.log.Warn("spool: segment tail unreadable; at least one entry is lost",
			"segment", name, "offset", res.tail, "bytes", tailBytes, "entries", 1)
		s.dropped(dropCorrupt, 1)
		s.setAsideTail(seg, res.tail, size)
	}
}

// setAsideTail copies the damaged bytes from off to size of seg to
// corrupt/ and wipes them.
func (s *Spool) setAsideTail(seg *segment, off, size int64) {
	if z, _ := zeroRange(seg.f, off, size); z {
		return
	}
	s.copySpan(seg, off, size)
	s.zeroSpan(seg, off, size)
	s.dirtyLocked(seg)
}

// countCorrupt adds the bytes of what earlier runs set aside in corrupt/ to
// Size. It runs first: what this recovery sets aside is counted as it goes.
func (s *Spool) countCorrupt() error {
	ents, err := os.ReadDir(filepath.Join(s.dir, corruptDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("spool: read %s: %w", corruptDir, err)
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			s.size.Add(fi.Size())
		}
	}
	return nil
}

// recoverFiles checks every entry file in q/ at Open: its trailer, and the
// checksum of its message bytes if it has one (files written by earlier
// versions have none), so that a damaged one never enters the queue: it is
// moved to corrupt/, counted and logged. This reads every large entry
// once.
func (s *Spool) recoverFiles() error {
	ents, err := os.ReadDir(s.q)
	if err != nil {
		return fmt.Errorf("spool: read %s: %w", s.q, err)
	}
	buf := make([]byte, 256<<10)
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		s.size.Add(fi.Size())
		name := e.Name()
		if !validID(name) {
			s.moveToCorrupt(filepath.Join(s.q, name), name, "file", errors.New("file name is not an id"))
			continue
		}
		if err := s.checkFile(name, buf); err != nil {
			s.dropFile(name, err)
		}
	}
	return nil
}

// checkFile reads the entry file q/<id> whole, through buf, and checks it.
func (s *Spool) checkFile(id string, buf []byte) error {
	f, err := os.Open(filepath.Join(s.q, id))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	m, bodyLen, sum, err := readTrailer(f, fi.Size())
	if err != nil {
		return err
	}
	if m.ID != id {
		return fmt.Errorf("%w: trailer id does not match the file name", errCorrupt)
	}
	if !sum.ok {
		return nil
	}
	h := crc32.New(castagnoli)
	if _, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, bodyLen), buf); err != nil {
		return fmt.Errorf("spool: read %s: %w", id, err)
	}
	if h.Sum32() != sum.v {
		return fmt.Errorf("%w: message bytes do not match their checksum", errCorrupt)
	}
	return nil
}
