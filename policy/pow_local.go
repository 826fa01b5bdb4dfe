package policy

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Spent proofs in the local store: bucketProof maps key → expiry (Unix
// ns, 8 bytes big-endian); bucketProofExp holds expiry || key with an
// empty value, in expiry order, so expired records are found from its
// start without a scan or a clock of their own.
var (
	bucketProof    = []byte("proof")
	bucketProofExp = []byte("proof_exp")
)

// proofPruneBatch bounds the expired records one Spend (or Put) deletes:
// the work of pruning is spread over the writes that cause it.
const proofPruneBatch = 64

// Spend implements Store. Concurrent calls share one bbolt transaction and
// one fsync (bolt.DB.Batch): each web request waits for its own record to
// be durable, but does not pay for a commit of its own.
func (s *LocalStore) Spend(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := s.now().UnixNano()
	if ttl <= 0 {
		return false, nil
	}
	until := now + int64(ttl)
	var fresh bool
	// Batch may run the function again after another one in the batch
	// failed; it sets fresh from scratch each time.
	err := s.db.Batch(func(tx *bolt.Tx) error {
		fresh = false
		b, err := tx.CreateBucketIfNotExists(bucketProof)
		if err != nil {
			return err
		}
		exp, err := tx.CreateBucketIfNotExists(bucketProofExp)
		if err != nil {
			return err
		}
		if err := pruneExpired(b, exp, now, proofPruneBatch); err != nil {
			return err
		}
		if v := b.Get([]byte(key)); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > now {
			return nil
		}
		v := binary.BigEndian.AppendUint64(nil, uint64(until))
		if err := b.Put([]byte(key), v); err != nil {
			return err
		}
		if err := exp.Put(append(v, key...), nil); err != nil {
			return err
		}
		fresh = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("policy: write spent proof: %w", err)
	}
	return fresh, nil
}
