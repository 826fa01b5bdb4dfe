package bounce

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultKeep is how long the sent log remembers a copy when OpenSent is
// given no retention: a DSN comes back within minutes, but a delay notice
// or a late "gave up" bounce from a queue that retried for five days
// (RFC 5321 section 4.5.4.1 suggests 4-5 days) comes later.
const DefaultKeep = 7 * 24 * time.Hour

// ErrClosed is returned by Put after Close.
var ErrClosed = errors.New("bounce: sent log closed")

const (
	// flushEvery is how long an entry may wait in memory. A crash loses at
	// most this much of the log: the bounces of those copies can then not
	// be attributed, and are only counted.
	flushEvery = 100 * time.Millisecond
	// flushAt wakes the writer early when this many entries wait.
	flushAt = 4096
	// maxPending bounds the entries held in memory (56 bytes each) when
	// the disk cannot keep up; past it Put refuses.
	maxPending = 1 << 16
	// pruneEvery is how often the writer looks for expired shards.
	pruneEvery = time.Minute
	hashBytes  = 32 // policy's RecipientHash: HMAC-SHA256, 64 hex digits
)

// Sent is the sent log of one instance, in a bbolt file: for each copy
// Leak handed to a receiving MTA, the keyed hash of its recipient, for as
// long as a bounce may come back. Its methods are safe for concurrent use.
//
// Put only appends to memory; a writer goroutine commits what waits
// every 100 ms in one bbolt transaction (one fsync). After a crash the
// entries of the last 100 ms are missing: their bounces cannot be
// attributed to a recipient, which only costs a suppression.
//
// On disk, entries are sharded by time into sub-buckets of the "sent"
// bucket, each covering a fixed span (keep/64, from a minute to a day): expiry
// drops a whole shard, never scanning entries, and a lookup probes one key
// per shard.
type Sent struct {
	db    *bolt.DB
	keep  int64 // seconds
	width int64 // seconds: the span of a new shard
	now   func() time.Time
	log   *slog.Logger

	mu       sync.Mutex
	pending  []sentEntry // waiting for the next flush, oldest first
	flushing []sentEntry // being written: still visible to Get
	closed   bool

	flushMu   sync.Mutex  // serialises flushes
	spare     []sentEntry // the buffer of the last flush, for reuse
	lastPrune time.Time
	lastErr   time.Time // when a flush error was last logged

	kick     chan struct{} // wakes the writer before the tick
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// sentEntry is one recorded copy.
type sentEntry struct {
	qid  [qidBytes]byte
	hash [hashBytes]byte
	at   int64 // Unix seconds
}

// bucketSent holds the shards.
var bucketSent = []byte("sent")

// OpenSent opens (creating it if needed) the sent log at path, for example
// data_dir/sent.db, remembering entries for keep (DefaultKeep if keep ≤ 0).
// Only one process may have it open: a second one fails after a second
// instead of waiting.
func OpenSent(path string, keep time.Duration) (*Sent, error) {
	return openSent(path, keep, time.Now)
}

func openSent(path string, keep time.Duration, now func() time.Time) (*Sent, error) {
	if keep <= 0 {
		keep = DefaultKeep
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("bounce: sent log: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: time.Second,
		// Dropping shards frees many pages at once; the map freelist
		// allocates from a large freelist in constant time.
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("bounce: open sent log %s: %w", path, err)
	}
	s := &Sent{
		db:    db,
		keep:  int64((keep + time.Second - 1) / time.Second),
		width: int64(min(max(keep/64, time.Minute), 24*time.Hour) / time.Second),
		now:   now,
		log:   slog.Default(),
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketSent)
		return err
	})
	// After a long stop many shards may have expired: drop them all now,
	// each transaction still bounded.
	for n := maxPruneShards; err == nil && n == maxPruneShards; {
		err = db.Update(func(tx *bolt.Tx) error {
			var perr error
			n, perr = s.prune(tx)
			return perr
		})
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bounce: init sent log %s: %w", path, err)
	}
	s.lastPrune = now()
	go s.run()
	return s, nil
}

// Put implements SentLog. It only appends to memory. It fails, and the
// entry is not recorded, on a malformed argument, after Close, or when the
// disk has fallen 65536 entries behind.
func (s *Sent) Put(_ context.Context, qid, key string) error {
	var e sentEntry
	if !decodeQID(e.qid[:], qid) {
		return errors.New("bounce: sent log: malformed spool id")
	}
	if !decodeHash(e.hash[:], key) {
		return errors.New("bounce: sent log: malformed recipient hash")
	}
	e.at = s.now().Unix()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(s.pending) >= maxPending {
		s.mu.Unlock()
		return fmt.Errorf("bounce: sent log: %d entries wait for the disk, entry dropped", maxPending)
	}
	s.pending = append(s.pending, e)
	n := len(s.pending)
	s.mu.Unlock()
	if n >= flushAt {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Get implements SentLog. The newest entry of an id wins.
func (s *Sent) Get(_ context.Context, qid string) (rcptHash string, ok bool, err error) {
	var key [qidBytes]byte
	if !decodeQID(key[:], qid) {
		return "", false, nil
	}
	cutoff := s.now().Unix() - s.keep
	s.mu.Lock()
	for _, list := range [2][]sentEntry{s.pending, s.flushing} {
		for i := len(list) - 1; i >= 0; i-- {
			// A copy, taken under the lock: the buffers are reused by the
			// next flush as soon as it is released.
			if e := list[i]; e.qid == key && e.at >= cutoff {
				s.mu.Unlock()
				return hex.EncodeToString(e.hash[:]), true, nil
			}
		}
	}
	s.mu.Unlock()
	err = s.db.View(func(tx *bolt.Tx) error {
		parent := tx.Bucket(bucketSent)
		if parent == nil {
			return nil
		}
		c := parent.Cursor()
		// Newest shard first: a bounce usually follows its copy closely.
		for name, v := c.Last(); name != nil; name, v = c.Prev() {
			start, width, isShard := parseShard(name, v)
			if !isShard || start+width <= cutoff {
				continue
			}
			b := parent.Bucket(name)
			if b == nil {
				continue
			}
			val := b.Get(key[:])
			if len(val) != 8+hashBytes || int64(be.Uint64(val)) < cutoff {
				continue
			}
			rcptHash, ok = hex.EncodeToString(val[8:]), true
			return nil
		}
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("bounce: read sent log: %w", err)
	}
	return rcptHash, ok, nil
}

// Close writes what waits in memory and closes the file. Put fails
// afterwards; Close may be called more than once.
func (s *Sent) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.stopWriter()
	err := s.flush()
	if cerr := s.db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("bounce: close sent log: %w", cerr)
	}
	return err
}

// run is the writer goroutine.
func (s *Sent) run() {
	defer close(s.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.kick:
		}
		s.flush()
	}
}

// stopWriter ends the writer goroutine and waits for it.
func (s *Sent) stopWriter() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
}

// decodeHash decodes 64 lower-case hex digits into dst (32 bytes), the form
// policy's RecipientHash gives.
func decodeHash(dst []byte, h string) bool {
	if len(h) != 2*hashBytes {
		return false
	}
	for i := range len(h) {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	_, err := hex.Decode(dst, []byte(h))
	return err == nil
}
