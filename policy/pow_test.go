package policy

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testSpendContract runs the same checks of Spend on every Store.
// advance moves the store's clock (for real Redis, it sleeps).
func testSpendContract(t *testing.T, s Store, advance func(time.Duration)) {
	t.Helper()
	ctx := context.Background()
	spend := func(key string, ttl time.Duration) bool {
		t.Helper()
		fresh, err := s.Spend(ctx, key, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	if !spend("a", time.Second) {
		t.Fatal("a fresh key was not fresh")
	}
	if spend("a", time.Second) {
		t.Fatal("a key spent twice was fresh twice")
	}
	if !spend("b", time.Second) {
		t.Fatal("another key was not fresh")
	}
	if spend("c", 0) {
		t.Error("a key with no time left was fresh")
	}
	advance(1100 * time.Millisecond)
	if !spend("a", time.Second) {
		t.Error("a key whose record expired was not fresh again")
	}

	// Many concurrent spends of one key: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if fresh, err := s.Spend(ctx, "race", time.Minute); err != nil {
				t.Error(err)
			} else if fresh {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of 16 concurrent spends of one key were fresh, want 1", wins.Load())
	}
}

func TestSpendLocal(t *testing.T) {
	clk := newClock()
	s, err := openLocal(t.TempDir(), defaultMaxKeys, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	testSpendContract(t, s, clk.Advance)
}

func TestSpendRedis(t *testing.T) {
	s, err := OpenRedis(startRedis(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Redis expires keys on its own clock: letting the TTL elapse is the
	// event under test, and no hook can stand in for it.
	testSpendContract(t, s, time.Sleep)
}

// A spent proof survives a restart of the local store, and expired records
// are pruned from the file by later spends.
func TestSpendLocalDurableAndPruned(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	ctx := context.Background()
	s, err := openLocal(dir, defaultMaxKeys, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if fresh, err := s.Spend(ctx, fmt.Sprint("k", i), time.Hour); !fresh || err != nil {
			t.Fatalf("spend k%d: %v %v", i, fresh, err)
		}
	}
	s.Close()

	s, err = openLocal(dir, defaultMaxKeys, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fresh, _ := s.Spend(ctx, "k7", time.Hour); fresh {
		t.Fatal("a proof spent before a restart was fresh after it")
	}
	clk.Advance(2 * time.Hour)
	// Each spend prunes up to proofPruneBatch expired records.
	for i := range 3 {
		if fresh, _ := s.Spend(ctx, fmt.Sprint("new", i), time.Hour); !fresh {
			t.Fatal("a new key was not fresh")
		}
	}
	var n, ne int
	s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketProof).Stats().KeyN
		ne = tx.Bucket(bucketProofExp).Stats().KeyN
		return nil
	})
	if n != 3 || ne != 3 {
		t.Errorf("after pruning the file holds %d proofs and %d expiry entries, want 3 and 3", n, ne)
	}
}

func TestSpendProofEngine(t *testing.T) {
	clk := newClock()
	e, s, m := localEngine(t, offOptions(), clk)
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	if fresh, err := e.SpendProof(ctx, "challenge-1", until); !fresh || err != nil {
		t.Fatalf("first spend: %v %v", fresh, err)
	}
	if fresh, err := e.SpendProof(ctx, "challenge-1", until); fresh || err != nil {
		t.Fatalf("replay: %v %v", fresh, err)
	}
	if fresh, err := e.SpendProof(ctx, "challenge-2", time.Now().Add(-time.Second)); fresh || err != nil {
		t.Errorf("expired: %v %v", fresh, err)
	}
	if _, err := e.SpendProof(ctx, "challenge-3", time.Now().Add(48*time.Hour)); err == nil {
		t.Error("an expiry two days away was accepted")
	}
	if calls, _ := storeCalls(t, m, "local"); calls != 2 {
		t.Errorf("%d store calls timed, want 2", calls)
	}
	// The store holds a keyed hash, not the challenge.
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProof).ForEach(func(k, _ []byte) error {
			if strings.Contains(string(k), "challenge") || len(k) != 64 {
				t.Errorf("stored proof key %q is not a keyed hash", k)
			}
			return nil
		})
	})
	if a, b := e.DeriveKey("web"), e.DeriveKey("other"); len(a) != 32 || string(a) == string(b) {
		t.Error("DeriveKey does not give distinct 32-byte keys per purpose")
	}
}

func TestNetworkLimit(t *testing.T) {
	clk := newClock()
	e, _, m := localEngine(t, offOptions(), clk)
	ctx := context.Background()
	lim := Limit{Rate: 2, Burst: 2, Period: time.Hour}
	for _, ip := range []string{"192.0.2.1", "192.0.2.200"} {
		if d := e.Network(ctx, addr(ip), lim); d.Action != Allow {
			t.Fatalf("%s: %+v", ip, d)
		}
	}
	// The third from the same /24 waits; another /24 does not.
	d := e.Network(ctx, addr("192.0.2.77"), lim)
	if d.Action != Defer || !strings.Contains(d.Text, "network") || d.RetryAfter <= 0 {
		t.Errorf("third request from one /24: %+v", d)
	}
	if d := e.Network(ctx, addr("192.0.3.1"), lim); d.Action != Allow {
		t.Errorf("another /24: %+v", d)
	}
	// IPv6: one /48, whatever the /64.
	e.Network(ctx, addr("2001:db8:1:1::1"), lim)
	e.Network(ctx, addr("2001:db8:1:2::1"), lim)
	if d := e.Network(ctx, addr("2001:db8:1:ffff::1"), lim); d.Action != Defer {
		t.Errorf("third request from one /48: %+v", d)
	}
	if d := e.Network(ctx, addr("2001:db8:2::1"), lim); d.Action != Allow {
		t.Errorf("another /48: %+v", d)
	}
	// The web's budget is its own: SMTP's per-network limit is untouched.
	if d := e.Network(ctx, addr("192.0.2.1"), Limit{}); d.Action != Allow {
		t.Errorf("a zero limit refused: %+v", d)
	}
	if got := decisions(m, PolicyRateNet, "defer"); got != 2 {
		t.Errorf("rate_net defer decisions = %d, want 2", got)
	}
}
