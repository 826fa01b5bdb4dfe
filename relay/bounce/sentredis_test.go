package bounce

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"leak/policy/testutil"

	"github.com/redis/go-redis/v9"
)

// startRedis runs a real redis-server for the test (testutil.StartRedis)
// and returns a client of database 0.
func startRedis(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: testutil.StartRedis(t), MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSentLogs runs the same checks on both sent logs.
func TestSentLogs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		open func(t *testing.T) SentLog
	}{
		{"file", func(t *testing.T) SentLog {
			return openTestSent(t, filepath.Join(t.TempDir(), "sent.db"), 0, newClock())
		}},
		{"redis", func(t *testing.T) SentLog { return NewRedisSent(startRedis(t), 0) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.open(t)
			ctx := t.Context()
			if err := s.Put(ctx, qidN(1), hashN(1)); err != nil {
				t.Fatal(err)
			}
			wantGet(t, s, qidN(1), hashN(1))
			wantGet(t, s, qidN(2), "")
			wantGet(t, s, "not an id", "")
			wantGet(t, s, "3F9C2A7E5B1D4C8FA0E6B2D9C7F1A354", "")
			if err := s.Put(ctx, qidN(1), hashN(7)); err != nil {
				t.Fatal(err)
			}
			wantGet(t, s, qidN(1), hashN(7))
			for _, bad := range []struct{ qid, key string }{
				{"", hashN(1)},
				{qidN(3), "bob@example.com"},
				{qidN(3), hashN(1)[:62]},
				{"../" + qidN(3)[3:], hashN(1)},
			} {
				if err := s.Put(ctx, bad.qid, bad.key); err == nil {
					t.Errorf("Put(%q, %q) accepted", bad.qid, bad.key)
				}
			}
		})
	}
}

// TestRedisSent: what Redis holds (one key per copy, the hash only, with
// the retention as TTL), instances sharing it, and a Redis that is gone
// being an error rather than "unknown copy".
func TestRedisSent(t *testing.T) {
	t.Parallel()
	c := startRedis(t)
	ctx := t.Context()
	const keep = 72 * time.Hour
	a, b := NewRedisSent(c, keep), NewRedisSent(c, keep)
	if err := a.Put(ctx, qidN(1), hashN(1)); err != nil {
		t.Fatal(err)
	}
	wantGet(t, b, qidN(1), hashN(1))

	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "leak:sent:"+qidN(1) {
		t.Errorf("keys %q, want only leak:sent:%s", keys, qidN(1))
	}
	if v := c.Get(ctx, "leak:sent:"+qidN(1)).Val(); v != hashN(1) {
		t.Errorf("stored value %q, want the hash alone", v)
	}
	if ttl := c.PTTL(ctx, "leak:sent:"+qidN(1)).Val(); ttl <= keep-time.Minute || ttl > keep {
		t.Errorf("TTL %v, want about %v", ttl, keep)
	}
	// An entry gone from Redis (expired) is an unknown copy.
	c.Del(ctx, "leak:sent:"+qidN(1))
	wantGet(t, b, qidN(1), "")
	// A value Put never wrote is an error, not a hash.
	c.Set(ctx, "leak:sent:"+qidN(2), "bob@example.com", time.Minute)
	if _, ok, err := b.Get(ctx, qidN(2)); ok || err == nil {
		t.Errorf("Get of a foreign value = %v, %v; want an error", ok, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("Close closed the caller's client: %v", err)
	}

	// Redis down: Put and Get fail, and Get does not claim the copy is
	// unknown.
	c.ShutdownNoSave(ctx)
	if err := a.Put(ctx, qidN(3), hashN(3)); err == nil {
		t.Error("Put with Redis down succeeded")
	}
	if _, ok, err := a.Get(ctx, qidN(3)); ok || err == nil || errors.Is(err, redis.Nil) {
		t.Errorf("Get with Redis down = %v, %v; want an error", ok, err)
	}
}
