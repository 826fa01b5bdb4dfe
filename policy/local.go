package policy

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// LocalStore is the single-instance Store: rate limits in memory (lost on
// restart, which only forgives), opt-outs, suppressions, bounce counters,
// spent proofs and values with a TTL (Put) in a bbolt file, durable once
// each write returns.
type LocalStore struct {
	db        *bolt.DB
	limits    *limiter
	now       func() time.Time
	lastPrune atomic.Int64
}

var (
	bucketOptOut   = []byte("optout")
	bucketSuppress = []byte("suppress") // key → until, Unix ns, 8 bytes big-endian
	bucketSoft     = []byte("soft")     // key → count, window end (Unix ns), 8+8 bytes
	// key → window end (Unix ns, 8 bytes), then each message that
	// hard-bounced: its length (1 byte) and the message key.
	bucketHard = []byte("hard")
)

// maxHardMsgs bounds the messages one hard-bounce record keeps. The Engine
// suppresses (and so clears the record) long before; the bound only keeps
// a misconfigured threshold from growing a value without end.
const maxHardMsgs = 64

// pruneEvery is how often writes also drop expired suppressions and
// soft-bounce windows from the file.
const pruneEvery = time.Hour

// OpenLocal opens (creating it if needed) dataDir/policy.db. Only one
// process may have it open: a second one fails after a second instead of
// waiting.
func OpenLocal(dataDir string) (*LocalStore, error) {
	return openLocal(dataDir, defaultMaxKeys, time.Now)
}

func openLocal(dataDir string, maxKeys int, now func() time.Time) (*LocalStore, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("policy: create %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, "policy.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("policy: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketOptOut, bucketSuppress, bucketSoft, bucketHard, bucketValue, bucketValueExp} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("policy: init %s: %w", path, err)
	}
	s := &LocalStore{db: db, limits: newLimiter(maxKeys, now), now: now}
	if err := s.db.Update(s.prune); err != nil {
		db.Close()
		return nil, fmt.Errorf("policy: prune %s: %w", path, err)
	}
	s.lastPrune.Store(now().UnixNano())
	return s, nil
}

// Name implements Store.
func (s *LocalStore) Name() string { return "local" }

// Ping implements Store: the database is open.
func (s *LocalStore) Ping(context.Context) error {
	return s.db.View(func(*bolt.Tx) error { return nil })
}

// Allow implements Store, in memory.
func (s *LocalStore) Allow(_ context.Context, key string, l Limit) (bool, time.Duration, error) {
	ok, retry := s.limits.allow(key, l)
	return ok, retry, nil
}

// Recipient implements Store.
func (s *LocalStore) Recipient(_ context.Context, key string) (RecipientState, error) {
	var st RecipientState
	now := s.now().UnixNano()
	err := s.db.View(func(tx *bolt.Tx) error {
		k := []byte(key)
		st.OptedOut = tx.Bucket(bucketOptOut).Get(k) != nil
		if v := tx.Bucket(bucketSuppress).Get(k); len(v) == 8 {
			st.Suppressed = int64(binary.BigEndian.Uint64(v)) > now
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("policy: read recipient: %w", err)
	}
	return st, nil
}

// SetOptOut implements Store.
func (s *LocalStore) SetOptOut(_ context.Context, key string, out bool) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOptOut)
		if out {
			return b.Put([]byte(key), []byte{1})
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("policy: write opt-out: %w", err)
	}
	return nil
}

// Suppress implements Store.
func (s *LocalStore) Suppress(_ context.Context, key string, d time.Duration) error {
	until := s.now().Add(d).UnixNano()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := s.maybePrune(tx); err != nil {
			return err
		}
		v := binary.BigEndian.AppendUint64(nil, uint64(until))
		if err := tx.Bucket(bucketSuppress).Put([]byte(key), v); err != nil {
			return err
		}
		if err := tx.Bucket(bucketHard).Delete([]byte(key)); err != nil {
			return err
		}
		return tx.Bucket(bucketSoft).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("policy: write suppression: %w", err)
	}
	return nil
}

// SoftBounce implements Store.
func (s *LocalStore) SoftBounce(_ context.Context, key string, window time.Duration) (int, error) {
	now := s.now().UnixNano()
	var n uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := s.maybePrune(tx); err != nil {
			return err
		}
		b := tx.Bucket(bucketSoft)
		end := now + int64(window)
		if v := b.Get([]byte(key)); len(v) == 16 {
			if e := int64(binary.BigEndian.Uint64(v[8:])); e > now {
				n, end = binary.BigEndian.Uint64(v), e
			}
		}
		n++
		v := binary.BigEndian.AppendUint64(nil, n)
		v = binary.BigEndian.AppendUint64(v, uint64(end))
		return b.Put([]byte(key), v)
	})
	if err != nil {
		return 0, fmt.Errorf("policy: write soft bounce: %w", err)
	}
	return int(n), nil
}

// HardBounce implements Store.
func (s *LocalStore) HardBounce(_ context.Context, key, msg string, window time.Duration) (int, error) {
	if msg == "" || len(msg) > 255 {
		return 0, fmt.Errorf("policy: hard bounce: message key of %d bytes, want 1 to 255", len(msg))
	}
	now := s.now().UnixNano()
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := s.maybePrune(tx); err != nil {
			return err
		}
		b := tx.Bucket(bucketHard)
		end := now + int64(window)
		var msgs []string
		if v := b.Get([]byte(key)); len(v) >= 8 {
			if e := int64(binary.BigEndian.Uint64(v)); e > now {
				end, msgs = e, hardMsgs(v[8:])
			}
		}
		if !slices.Contains(msgs, msg) && len(msgs) < maxHardMsgs {
			msgs = append(msgs, msg)
		}
		n = len(msgs)
		v := binary.BigEndian.AppendUint64(nil, uint64(end))
		for _, m := range msgs {
			v = append(append(v, byte(len(m))), m...)
		}
		return b.Put([]byte(key), v)
	})
	if err != nil {
		return 0, fmt.Errorf("policy: write hard bounce: %w", err)
	}
	return n, nil
}

// hardMsgs decodes the message keys of a hard-bounce record, stopping at
// the first that does not fit.
func hardMsgs(b []byte) []string {
	var msgs []string
	for len(b) > 0 && int(b[0]) < len(b) {
		msgs = append(msgs, string(b[1:1+b[0]]))
		b = b[1+b[0]:]
	}
	return msgs
}

// Close implements Store.
func (s *LocalStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("policy: close: %w", err)
	}
	return nil
}

// maybePrune prunes within a write transaction at most every pruneEvery.
func (s *LocalStore) maybePrune(tx *bolt.Tx) error {
	now := s.now().UnixNano()
	last := s.lastPrune.Load()
	if now-last < int64(pruneEvery) || !s.lastPrune.CompareAndSwap(last, now) {
		return nil
	}
	return s.prune(tx)
}

// prune deletes expired suppressions, closed bounce windows and expired
// values (Put), so that the file holds no more than what still changes a
// decision.
func (s *LocalStore) prune(tx *bolt.Tx) error {
	now := s.now().UnixNano()
	var dead [][]byte
	collect := func(b *bolt.Bucket, expired func(v []byte) bool) error {
		dead = dead[:0]
		err := b.ForEach(func(k, v []byte) error {
			if expired(v) {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Deleting inside ForEach is unsafe in bbolt; delete afterwards.
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	}
	err := collect(tx.Bucket(bucketSuppress), func(v []byte) bool {
		return len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= now
	})
	if err != nil {
		return err
	}
	err = collect(tx.Bucket(bucketSoft), func(v []byte) bool {
		return len(v) != 16 || int64(binary.BigEndian.Uint64(v[8:])) <= now
	})
	if err != nil {
		return err
	}
	err = collect(tx.Bucket(bucketHard), func(v []byte) bool {
		return len(v) < 8 || int64(binary.BigEndian.Uint64(v)) <= now
	})
	if err != nil {
		return err
	}
	return pruneExpired(tx.Bucket(bucketValue), tx.Bucket(bucketValueExp), now, 0)
}
