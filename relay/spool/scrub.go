package spool

import (
	"cmp"
	"fmt"
)

// Removing a record is done in place, in two writes, neither fsync'd at
// once:
//
//  1. markDead turns its magic from "LREC" into "LRED": from then on a scan
//     skips it. This is the removal's durable form.
//  2. wipe overwrites its body and meta with zeros, so the recipient, the
//     DKIM prefix and the message do not outlive the delivery in the file
//     (the segment itself may live on for days for another entry's sake).
//     An open Message still reads the record: then the wipe waits for its
//     Close.
//
// The segments written to are fdatasync'd every removeSync (flushRemoves).

// zeros is the source of wipes.
var zeros [32 << 10]byte

// markDead marks the record at l removed.
func markDead(l loc) error {
	if _, err := l.seg.f.WriteAt([]byte{deadByte}, l.off+deadAt); err != nil {
		return fmt.Errorf("spool: mark record removed: %w", err)
	}
	return nil
}

// wipe zeroes the body and meta of the record at l, while the caller holds a
// reference to l.seg. A failure is logged: the record is already removed,
// only its bytes stay.
func (s *Spool) wipe(id string, l loc) {
	off := l.off + l.seg.hdrLen()
	for n := l.bodyLen + l.metaLen; n > 0; {
		k := min(n, int64(len(zeros)))
		if _, err := l.seg.f.WriteAt(zeros[:k], off); err != nil {
			s.log.Error("spool: cannot wipe a removed record", "qid", id, "err", err.Error())
			return
		}
		off += k
		n -= k
	}
}

// dirtyLocked notes that seg was written to by a removal, to be synced at
// the next flushRemoves. s.mu is held.
func (s *Spool) dirtyLocked(seg *segment) {
	if !seg.dirty {
		seg.dirty = true
		s.dirty = append(s.dirty, seg)
	}
	if !s.flushArmed && !s.closed {
		s.flushArmed = true
		s.flushTimer.Reset(removeSync)
	}
}

// timedFlush is flushRemoves on the timer, unless stopTimedFlush has
// been called.
func (s *Spool) timedFlush() {
	s.mu.Lock()
	if s.flushStopped {
		s.mu.Unlock()
		return
	}
	s.flushing.Add(1)
	s.mu.Unlock()
	defer s.flushing.Done()
	s.flushRemoves()
}

// stopTimedFlush stops the timer and waits for a flush it started. Such a
// flush holds references to segments: were it still running once the
// spool is closed (or its Open failed), it would delete the last of them
// and rewrite the manifest after Close returned, or sync files already
// closed.
func (s *Spool) stopTimedFlush() {
	s.mu.Lock()
	s.flushStopped = true
	s.flushTimer.Stop()
	s.mu.Unlock()
	s.flushing.Wait()
}

// flushRemoves fdatasyncs the segments written to by removals since the
// last flush. It runs on a timer, and once more in Close.
func (s *Spool) flushRemoves() error {
	s.mu.Lock()
	s.flushArmed = false
	segs := make([]*segment, 0, len(s.dirty))
	for _, seg := range s.dirty {
		seg.dirty = false
		if !seg.gone { // a deleted segment needs no sync
			seg.refs++ // keeps seg.f open
			segs = append(segs, seg)
		}
	}
	clear(s.dirty)
	s.dirty = s.dirty[:0]
	s.mu.Unlock()
	if len(segs) == 0 {
		return nil
	}
	defer s.unref(segs...)
	s.hook("removes-flushing")
	var first error
	for _, seg := range segs {
		if err := datasync(seg.f); err != nil {
			err = fmt.Errorf("spool: sync removals in %s: %w", seg.name(), err)
			s.log.Error("spool: removals may not survive a power loss", "err", err.Error())
			first = cmp.Or(first, err)
		}
	}
	return first
}
