package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Put implements Store with one SET PX: Redis drops the key when the ttl
// runs out.
func (s *RedisStore) Put(ctx context.Context, key, value string, ttl time.Duration) error {
	if ttl < time.Millisecond {
		// PX takes milliseconds; 0 would be an error.
		return nil
	}
	if err := s.client.Set(ctx, prefixValue+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("policy: redis write value: %w", err)
	}
	return nil
}

// Get implements Store.
func (s *RedisStore) Get(ctx context.Context, key string) (string, bool, error) {
	v, err := s.client.Get(ctx, prefixValue+key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("policy: redis read value: %w", err)
	}
	return v, true, nil
}
