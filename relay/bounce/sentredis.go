package bounce

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisSent is the sent log that several Leak instances share: one Redis
// key per copy, leak:sent:<spool id>, holding the recipient's keyed hash
// and expiring after the retention period. A bounce for a copy sent by
// one instance is then taken by whichever instance the bouncing MTA
// reaches. Its methods are safe for concurrent use.
//
// Unlike Sent, Put writes at once (one SET, one round trip): there is
// no batch to lose in a crash, and Redis' own persistence settings decide
// what survives a restart of Redis.
type RedisSent struct {
	c    redis.Cmdable
	keep time.Duration
}

// prefixSent starts the key of every entry, beside policy's leak:* keys.
const prefixSent = "leak:sent:"

// NewRedisSent returns a sent log in the Redis database of c, remembering
// entries for keep (DefaultKeep if keep ≤ 0). c stays the caller's: Close
// does not close it, so the policy store and the sent log can share one
// connection pool.
func NewRedisSent(c redis.Cmdable, keep time.Duration) *RedisSent {
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &RedisSent{c: c, keep: keep}
}

// Put implements SentLog.
func (s *RedisSent) Put(ctx context.Context, qid, key string) error {
	if err := checkEntry(qid, key); err != nil {
		return err
	}
	if err := s.c.Set(ctx, prefixSent+qid, key, s.keep).Err(); err != nil {
		return fmt.Errorf("bounce: sent log: redis: %w", err)
	}
	return nil
}

// Get implements SentLog.
func (s *RedisSent) Get(ctx context.Context, qid string) (string, bool, error) {
	var raw [qidBytes]byte
	if !decodeQID(raw[:], qid) {
		return "", false, nil
	}
	v, err := s.c.Get(ctx, prefixSent+qid).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("bounce: sent log: redis: %w", err)
	}
	var h [hashBytes]byte
	if !decodeHash(h[:], v) {
		// Not written by Put: another program's key, or damage.
		return "", false, errors.New("bounce: sent log: redis: malformed entry")
	}
	return v, true, nil
}

// Close implements SentLog; it leaves the client open.
func (s *RedisSent) Close() error { return nil }
