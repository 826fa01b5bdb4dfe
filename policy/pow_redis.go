package policy

import (
	"context"
	"fmt"
	"time"
)

// prefixProof is the Redis key prefix of a spent proof of work, kept with
// a TTL until the challenge expires.
const prefixProof = "leak:proof:"

// Spend implements Store with one SET NX PX: of two instances spending the
// same key at once, exactly one is told it was fresh.
func (s *RedisStore) Spend(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl < time.Millisecond {
		// PX takes milliseconds; 0 would be an error and is spent anyway.
		return false, nil
	}
	fresh, err := s.client.SetNX(ctx, prefixProof+key, "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("policy: redis spend proof: %w", err)
	}
	return fresh, nil
}
