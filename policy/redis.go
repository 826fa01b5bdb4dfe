package policy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// RedisStore is the Store that several Leak instances share: rate limits
// (redis_rate's GCRA, one Lua script per check, so two instances never
// both spend the last token), opt-outs, suppressions (keys with a TTL),
// soft-bounce counters and hard-bounce sets all live in one Redis
// database.
//
// When Redis does not answer, every method returns an error and the Engine
// defers (see the package comment): mail waits, it is never let through
// unchecked.
type RedisStore struct {
	client  *redis.Client
	limiter *redis_rate.Limiter
}

// Timeouts used when the URL sets none (go-redis's own defaults are 5 s
// to dial, 3 s to read, 5 dial attempts 100 ms apart and 3 retries): an
// SMTP command should not hang for seconds on a dead Redis before it is
// deferred.
const (
	redisDialTimeout = 2 * time.Second
	redisIOTimeout   = time.Second
)

// OpenRedis returns a store on the Redis database named by rawURL
// (redis://[user:password@]host:port/db, rediss:// for TLS; go-redis query
// options such as dial_timeout apply). It does not connect: an unreachable
// Redis shows as errors, and so deferrals, when the store is used.
func OpenRedis(rawURL string) (*RedisStore, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		// url.Error repeats the URL, password included: keep only the
		// cause.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("policy: redis URL: %w", err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = redisDialTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = redisIOTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = redisIOTimeout
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 1
	}
	opts.DialerRetries = 1
	c := redis.NewClient(opts)
	return &RedisStore{client: c, limiter: redis_rate.NewLimiter(c)}, nil
}

// Name implements Store.
func (s *RedisStore) Name() string { return "redis" }

// Client returns the store's Redis client, for data that instances share
// beside the policy's (the relay's bounce sent log); it stays the store's
// to close.
func (s *RedisStore) Client() *redis.Client { return s.client }

// Ping implements Store: the server answers PING.
func (s *RedisStore) Ping(ctx context.Context) error { return s.client.Ping(ctx).Err() }

// Allow implements Store.
func (s *RedisStore) Allow(ctx context.Context, key string, l Limit) (bool, time.Duration, error) {
	res, err := s.limiter.Allow(ctx, prefixRate+key, redis_rate.Limit{
		Rate: l.Rate, Burst: l.burst(), Period: l.Period,
	})
	if err != nil {
		return false, 0, fmt.Errorf("policy: redis rate: %w", err)
	}
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, max(res.RetryAfter, 0), nil
}

// Recipient implements Store: one round trip for both flags.
func (s *RedisStore) Recipient(ctx context.Context, key string) (RecipientState, error) {
	vals, err := s.client.MGet(ctx, prefixOptOut+key, prefixSuppress+key).Result()
	if err != nil {
		return RecipientState{}, fmt.Errorf("policy: redis read recipient: %w", err)
	}
	return RecipientState{OptedOut: vals[0] != nil, Suppressed: vals[1] != nil}, nil
}

// SetOptOut implements Store.
func (s *RedisStore) SetOptOut(ctx context.Context, key string, out bool) error {
	var err error
	if out {
		err = s.client.Set(ctx, prefixOptOut+key, "1", 0).Err()
	} else {
		err = s.client.Del(ctx, prefixOptOut+key).Err()
	}
	if err != nil {
		return fmt.Errorf("policy: redis write opt-out: %w", err)
	}
	return nil
}

// Suppress implements Store.
func (s *RedisStore) Suppress(ctx context.Context, key string, d time.Duration) error {
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, prefixSuppress+key, "1", d)
		p.Del(ctx, prefixSoft+key, prefixHard+key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("policy: redis write suppression: %w", err)
	}
	return nil
}

// softBounce increments a counter and starts its window (TTL) on the
// first increment, atomically: a separate INCR and PEXPIRE could leave a
// counter without TTL if the second never ran.
var softBounce = redis.NewScript(`
local n = redis.call("INCR", KEYS[1])
if n == 1 then
  redis.call("PEXPIRE", KEYS[1], ARGV[1])
end
return n
`)

// SoftBounce implements Store.
func (s *RedisStore) SoftBounce(ctx context.Context, key string, window time.Duration) (int, error) {
	n, err := softBounce.Run(ctx, s.client, []string{prefixSoft + key}, window.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("policy: redis soft bounce: %w", err)
	}
	return n, nil
}

// hardBounce adds a message to a key's set and starts its window (TTL)
// when the set is new, atomically, and returns the set's size. Two
// instances recording the same message count it once.
var hardBounce = redis.NewScript(`
redis.call("SADD", KEYS[1], ARGV[1])
if redis.call("PTTL", KEYS[1]) < 0 then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return redis.call("SCARD", KEYS[1])
`)

// HardBounce implements Store.
func (s *RedisStore) HardBounce(ctx context.Context, key, msg string, window time.Duration) (int, error) {
	if msg == "" {
		return 0, errors.New("policy: redis hard bounce: empty message key")
	}
	n, err := hardBounce.Run(ctx, s.client, []string{prefixHard + key}, msg, window.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("policy: redis hard bounce: %w", err)
	}
	return n, nil
}

// Close implements Store.
func (s *RedisStore) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("policy: redis close: %w", err)
	}
	return nil
}
