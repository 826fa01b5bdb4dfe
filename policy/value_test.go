package policy

import (
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testValueContract runs the same checks of Put and Get on every Store.
// advance moves the store's clock (for real Redis, it sleeps).
func testValueContract(t *testing.T, s Store, advance func(time.Duration)) {
	t.Helper()
	ctx := context.Background()
	get := func(key string) (string, bool) {
		t.Helper()
		v, ok, err := s.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return v, ok
	}
	put := func(key, value string, ttl time.Duration) {
		t.Helper()
		if err := s.Put(ctx, key, value, ttl); err != nil {
			t.Fatal(err)
		}
	}
	if v, ok := get("k"); ok || v != "" {
		t.Fatalf("a key never put: %q, %v", v, ok)
	}
	put("k", "first", time.Second)
	put("k", "v\x00\xff binary", time.Second)
	if v, ok := get("k"); !ok || v != "v\x00\xff binary" {
		t.Fatalf("after Put: %q, %v", v, ok)
	}
	put("long", "stays", time.Hour)
	put("none", "x", 0)
	if _, ok := get("none"); ok {
		t.Error("a value put with no ttl is kept")
	}
	advance(1100 * time.Millisecond)
	if v, ok := get("k"); ok {
		t.Errorf("a value outlived its ttl: %q", v)
	}
	if v, ok := get("long"); !ok || v != "stays" {
		t.Errorf("a value within its ttl: %q, %v", v, ok)
	}
	put("k", "again", time.Second)
	if v, ok := get("k"); !ok || v != "again" {
		t.Errorf("put again after expiry: %q, %v", v, ok)
	}
}

func TestValueContract(t *testing.T) {
	// Redis expires keys on its own clock: letting the TTL elapse is
	// the event under test, and no hook can stand in for it.
	onEveryStore(t, defaultMaxKeys, testValueContract, time.Sleep, func(t *testing.T, s *RedisStore) {
		ctx := context.Background()
		if err := s.Put(ctx, "ttl", "v", time.Hour); err != nil {
			t.Fatal(err)
		}
		if ttl := s.client.PTTL(ctx, prefixValue+"ttl").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
			t.Errorf("TTL of a value = %v, want about 1h", ttl)
		}
	})
}

// Values survive a restart of the local store until their ttl, and are
// then erased from the file: by the next Put, or at the next open.
func TestValueLocalDurableAndErased(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	ctx := context.Background()
	s, err := openLocal(dir, defaultMaxKeys, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := s.Put(ctx, fmt.Sprint("k", i), "v", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = openLocal(dir, defaultMaxKeys, clk.Now); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get(ctx, "k7"); !ok || v != "v" || err != nil {
		t.Fatalf("a value put before a restart: %q, %v, %v", v, ok, err)
	}
	counts := func() (n, ne int) {
		s.db.View(func(tx *bolt.Tx) error {
			n = tx.Bucket(bucketValue).Stats().KeyN
			ne = tx.Bucket(bucketValueExp).Stats().KeyN
			return nil
		})
		return n, ne
	}
	clk.Advance(2 * time.Hour)
	if err := s.Put(ctx, "new", "v", time.Hour); err != nil {
		t.Fatal(err)
	}
	if n, ne := counts(); n != 1 || ne != 1 {
		t.Errorf("after a Put the file holds %d values and %d expiry entries, want 1 and 1", n, ne)
	}
	s.Close()

	clk.Advance(2 * time.Hour)
	if s, err = openLocal(dir, defaultMaxKeys, clk.Now); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, ne := counts(); n != 0 || ne != 0 {
		t.Errorf("after a restart past every ttl the file holds %d values and %d expiry entries, want none", n, ne)
	}
}
