package bounce

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

var be = binary.BigEndian

// maxPruneShards bounds the shards one prune drops, so that a writer
// transaction stays short even after a long stop.
const maxPruneShards = 8

// A shard is a sub-bucket of "sent" named by its start and span, in Unix
// seconds, 8 bytes big-endian each: names sort by start, and each shard
// knows its own end even if the span changed between runs (a new keep).
// It holds spool id (16 bytes) → record time (8 bytes, Unix seconds) ||
// recipient hash (32 bytes).
func shardName(dst []byte, at, width int64) []byte {
	dst = be.AppendUint64(dst, uint64(at-at%width))
	return be.AppendUint64(dst, uint64(width))
}

// parseShard reads a shard name; v is the key's value in "sent", nil for a
// sub-bucket.
func parseShard(name, v []byte) (start, width int64, ok bool) {
	if v != nil || len(name) != 16 {
		return 0, 0, false
	}
	return int64(be.Uint64(name)), int64(be.Uint64(name[8:])), true
}

// flush commits the pending entries and, once a minute, drops expired
// shards. Entries stay visible to Get while they are written; if the
// write fails they are lost (and logged as a count), which costs only the
// attribution of their bounces.
func (s *Sent) flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	now := s.now()
	pruneDue := now.Sub(s.lastPrune) >= pruneEvery
	s.mu.Lock()
	batch := s.pending
	s.pending = s.spare[:0]
	s.flushing = batch
	s.mu.Unlock()
	var err error
	if len(batch) > 0 || pruneDue {
		err = s.db.Update(func(tx *bolt.Tx) error {
			if err := s.write(tx, batch); err != nil {
				return err
			}
			if pruneDue {
				_, err := s.prune(tx)
				return err
			}
			return nil
		})
	}
	if pruneDue && err == nil {
		s.lastPrune = now
	}
	s.mu.Lock()
	s.flushing = nil
	s.mu.Unlock()
	// Keep the larger buffer for the next batch, but not a huge one from
	// a burst.
	if cap(batch) <= flushAt*2 {
		s.spare = batch[:0]
	} else {
		s.spare = nil
	}
	if err != nil {
		err = fmt.Errorf("bounce: write sent log: %w", err)
		if now.Sub(s.lastErr) >= 10*time.Second {
			s.lastErr = now
			s.log.Warn("bounce: sent log write failed, entries lost", "entries", len(batch), "err", err)
		}
	}
	return err
}

// write puts batch into its shards. batch is only read: Get may be
// reading it too. Writing in order of shard then key turns random spool ids
// into an in-order insert, which bbolt does with fewer page splits; the
// sort is stable, so of two records of one id the later one is put last.
func (s *Sent) write(tx *bolt.Tx, batch []sentEntry) error {
	if len(batch) == 0 {
		return nil
	}
	parent, err := tx.CreateBucketIfNotExists(bucketSent)
	if err != nil {
		return err
	}
	w := s.width
	order := make([]int32, len(batch))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(i, j int32) int {
		a, b := &batch[i], &batch[j]
		if c := cmp.Compare(a.at-a.at%w, b.at-b.at%w); c != 0 {
			return c
		}
		return bytes.Compare(a.qid[:], b.qid[:])
	})
	// bbolt keeps values by reference until the commit: one buffer
	// holds the batch's values.
	vals := make([]byte, 0, len(batch)*(8+hashBytes))
	var name, cur []byte
	var b *bolt.Bucket
	for _, i := range order {
		e := &batch[i]
		name = shardName(name[:0], e.at, w)
		if b == nil || !bytes.Equal(name, cur) {
			if b, err = parent.CreateBucketIfNotExists(name); err != nil {
				return err
			}
			cur = append(cur[:0], name...)
		}
		n := len(vals)
		vals = be.AppendUint64(vals, uint64(e.at))
		vals = append(vals, e.hash[:]...)
		if err := b.Put(e.qid[:], vals[n:]); err != nil {
			return err
		}
	}
	return nil
}

// prune drops up to maxPruneShards shards whose every entry is older than
// the retention, and returns how many it dropped.
func (s *Sent) prune(tx *bolt.Tx) (int, error) {
	parent := tx.Bucket(bucketSent)
	if parent == nil {
		return 0, nil
	}
	cutoff := s.now().Unix() - s.keep
	var dead [][]byte
	c := parent.Cursor()
	for name, v := c.First(); name != nil && len(dead) < maxPruneShards; name, v = c.Next() {
		start, width, ok := parseShard(name, v)
		if !ok {
			continue
		}
		if start > cutoff {
			break // sorted by start: no later shard has expired
		}
		if start+width <= cutoff {
			dead = append(dead, append([]byte(nil), name...))
		}
	}
	// Deleting under a cursor is unsafe in bbolt; delete afterwards.
	for _, name := range dead {
		if err := parent.DeleteBucket(name); err != nil {
			return 0, err
		}
	}
	return len(dead), nil
}
