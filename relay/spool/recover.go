package spool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// errBadSegment is the cause logged for a file in seg/ that has a segment's
// name but not its magic.
var errBadSegment = errors.New("not a segment: bad magic")

// recover rebuilds the index from seg/ at Open: every sound live record is
// an entry. Segments without one are deleted. No segment is appended to
// again: the committer starts a new one.
func (s *Spool) recover() error {
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
		s.nextSeq = max(s.nextSeq, seq+1)
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)

	br := bufio.NewReaderSize(nil, segBufSize)
	corrupt := 0
	for _, seq := range seqs {
		seg, err := s.loadSegment(seq, br, &corrupt)
		if errors.Is(err, errBadSegment) {
			s.moveToCorrupt(s.segPath(seq), segName(seq, segExt), "segment", err)
			continue
		}
		if err != nil {
			return err
		}
		if seg.live == 0 {
			s.deleteSegment(seg)
			continue
		}
		s.segs[seq] = seg
	}
	if corrupt > 0 {
		s.log.Warn("spool: corrupt records skipped", "count", corrupt, "entries", len(s.index))
	}
	return nil
}

// loadSegment reads segment seq and adds its live records to the index.
// The segment returned holds its file open for reading and wiping.
func (s *Spool) loadSegment(seq uint64, br *bufio.Reader, corrupt *int) (*segment, error) {
	name := segName(seq, segExt)
	f, err := os.OpenFile(s.segPath(seq), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("spool: open segment %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: open segment %s: %w", name, err)
	}
	seg := &segment{seq: seq, f: f, size: fi.Size()}
	if seg.size < int64(len(segMagic)) {
		// Created, then the process died before the first batch was
		// synced: nothing in it was ever committed.
		return seg, nil
	}
	br.Reset(f)
	var head [len(segMagic)]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: read segment %s: %w", name, err)
	}
	if string(head[:]) != segMagic {
		f.Close()
		return nil, errBadSegment
	}
	recs, end, err := scanRecords(br, seg.size, func(off int64, id string, cause error) {
		*corrupt++
		attrs := []any{"segment", name, "offset", off, "cause", cause.Error()}
		if id != "" {
			attrs = append(attrs, "qid", id)
		}
		s.log.Warn("spool: corrupt record skipped", attrs...)
	})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: scan segment %s: %w", name, err)
	}
	if end < seg.size {
		// Usually a batch whose write a crash cut short: never
		// acknowledged, so nothing is lost.
		s.log.Info("spool: segment tail ignored", "segment", name, "offset", end, "bytes", seg.size-end)
	}
	for _, r := range recs {
		if _, dup := s.index[r.id]; dup {
			s.log.Warn("spool: duplicate record skipped", "segment", name, "offset", r.off, "qid", r.id)
			continue
		}
		s.index[r.id] = loc{seg: seg, off: r.off, bodyLen: r.bodyLen, metaLen: r.metaLen}
		seg.live++
	}
	return seg, nil
}
