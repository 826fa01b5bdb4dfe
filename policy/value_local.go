package policy

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Values kept by Put in the local store: bucketValue maps key → expiry
// (Unix ns, 8 bytes big-endian) || value; bucketValueExp holds expiry ||
// key with an empty value, in expiry order, so that expired values are
// found from its start, as spent proofs are (pow_local.go).
var (
	bucketValue    = []byte("value")
	bucketValueExp = []byte("value_exp")
)

// Put implements Store. Each call deletes up to proofPruneBatch expired
// values, so the file holds about as many as are alive; prune (at open
// and hourly) deletes the rest. Concurrent calls share one transaction
// and one fsync (bolt.DB.Batch).
func (s *LocalStore) Put(_ context.Context, key, value string, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return nil
	}
	now := s.now().UnixNano()
	until := binary.BigEndian.AppendUint64(nil, uint64(now+int64(ttl)))
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b, exp := tx.Bucket(bucketValue), tx.Bucket(bucketValueExp)
		if err := pruneExpired(b, exp, now, proofPruneBatch); err != nil {
			return err
		}
		// A replaced value's index entry stays until its own expiry,
		// when pruneExpired sees it no longer matches and leaves the
		// value alone.
		if err := b.Put([]byte(key), append(until[:8:8], value...)); err != nil {
			return err
		}
		return exp.Put(append(until[:8:8], key...), nil)
	})
	if err != nil {
		return fmt.Errorf("policy: write value: %w", err)
	}
	return nil
}

// Get implements Store.
func (s *LocalStore) Get(_ context.Context, key string) (string, bool, error) {
	now := s.now().UnixNano()
	var value string
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketValue).Get([]byte(key))
		if len(v) >= 8 && int64(binary.BigEndian.Uint64(v)) > now {
			value, ok = string(v[8:]), true
		}
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("policy: read value: %w", err)
	}
	return value, ok, nil
}

// pruneExpired deletes up to limit (all when limit <= 0) records of b
// that expired by now, oldest first, found through exp, the index of
// expiry || key. A record's value starts with its expiry; one whose
// expiry is not the index entry's was written again since, and stays.
func pruneExpired(b, exp *bolt.Bucket, now int64, limit int) error {
	c := exp.Cursor()
	var dead [][]byte
	for k, _ := c.First(); k != nil && (limit <= 0 || len(dead) < limit); k, _ = c.Next() {
		if len(k) < 8 || int64(binary.BigEndian.Uint64(k)) > now {
			break
		}
		dead = append(dead, bytes.Clone(k))
	}
	// Deleting while a cursor walks is unsafe in bbolt; delete afterwards.
	for _, k := range dead {
		if err := exp.Delete(k); err != nil {
			return err
		}
		if v := b.Get(k[8:]); len(v) >= 8 && bytes.Equal(v[:8], k[:8]) {
			if err := b.Delete(k[8:]); err != nil {
				return err
			}
		}
	}
	return nil
}
