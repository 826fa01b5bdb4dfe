package policy

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestLocalDurable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := newClock()
	opts := offOptions()
	opts.SuppressFor = 24 * time.Hour
	opts.SoftBounceLimit = 2

	s, err := openLocal(dir, 64, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(opts, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetOptOut(ctx, e.RecipientHash("out@example.com"), true); err != nil {
		t.Fatal(err)
	}
	if err := e.Bounce(ctx, "hard@example.com", "q1", true); err != nil {
		t.Fatal(err)
	}
	if err := e.Bounce(ctx, "soft@example.com", "", false); err != nil {
		t.Fatal(err)
	}
	if err := e.Bounce(ctx, "hard2@example.com", "q1", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = openLocal(dir, 64, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if e, err = Open(opts, s); err != nil {
		t.Fatal(err)
	}
	// The hard-bounce record survived: a second message makes two.
	if err := e.Bounce(ctx, "hard@example.com", "q2", true); err != nil {
		t.Fatal(err)
	}
	for r, want := range map[string]string{
		"out@example.com":   PolicyOptOut,
		"hard@example.com":  PolicySuppressed,
		"hard2@example.com": "",
		"soft@example.com":  "",
	} {
		if d := e.Rcpt(ctx, r); d.Policy != want {
			t.Errorf("after reopen, Rcpt(%s) = %+v, want %q", r, d, want)
		}
	}
	// The soft-bounce count survived: one more makes two.
	if err := e.Bounce(ctx, "soft@example.com", "", false); err != nil {
		t.Fatal(err)
	}
	if d := e.Rcpt(ctx, "soft@example.com"); d.Policy != PolicySuppressed {
		t.Errorf("second soft bounce across a restart: %+v", d)
	}
	// Opt back in.
	if err := s.SetOptOut(ctx, e.RecipientHash("out@example.com"), false); err != nil {
		t.Fatal(err)
	}
	if d := e.Rcpt(ctx, "out@example.com"); d.Action != Allow {
		t.Errorf("after opt-in: %+v", d)
	}
}

// TestLocalStoresOnlyHashes checks that no address reaches the file.
func TestLocalStoresOnlyHashes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := reportOptions()
	s, err := openLocal(dir, 64, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(opts, s)
	if err != nil {
		t.Fatal(err)
	}
	e.Bounce(ctx, "victim@example.com", "q1", true)
	e.Bounce(ctx, "victim2@example.com", "", false)
	s.SetOptOut(ctx, e.RecipientHash("victim3@example.com"), true)
	e.Report(ctx, "q2", e.ReportHandle(ctx, e.SenderSource("sender@example.com")))
	e.flushHandles()
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if bytes.Equal(name, bucketValueExp) {
					k = k[min(8, len(k)):] // expiry || key
				}
				if len(k) != 64 {
					return fmt.Errorf("bucket %s: key %q is not a hex hash", name, k)
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Error(err)
	}
	s.Close()
}

func TestLocalPrune(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	dir := t.TempDir()
	s, err := openLocal(dir, 64, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	s.Suppress(ctx, "a", time.Hour)
	s.Suppress(ctx, "b", 48*time.Hour)
	s.SoftBounce(ctx, "c", time.Hour)
	s.Close()
	clk.Advance(2 * time.Hour)
	if s, err = openLocal(dir, 64, clk.Now); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var keys []string
	s.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSuppress, bucketSoft} {
			tx.Bucket(b).ForEach(func(k, v []byte) error {
				keys = append(keys, string(b)+"/"+string(k))
				return nil
			})
		}
		return nil
	})
	if len(keys) != 1 || keys[0] != "suppress/b" {
		t.Errorf("after prune: %v, want only suppress/b", keys)
	}
}

// TestGCRA checks the local limiter step by step against redis_rate's
// algorithm (see limiter).
func TestGCRA(t *testing.T) {
	clk := newClock()
	l := newLimiter(1024, clk.Now)
	lim := Limit{Rate: 4, Burst: 2, Period: time.Hour} // one per 15 minutes
	steps := []struct {
		advance time.Duration
		ok      bool
		retry   time.Duration
	}{
		{0, true, 0},
		{0, true, 0},
		{0, false, 15 * time.Minute},
		{10 * time.Minute, false, 5 * time.Minute},
		{5 * time.Minute, true, 0},
		{0, false, 15 * time.Minute},
		{time.Hour, true, 0}, // quiet: the burst is back
		{0, true, 0},
		{0, false, 15 * time.Minute},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		ok, retry := l.allow("k", lim)
		if ok != s.ok || retry != s.retry {
			t.Errorf("step %d: allow = %v, %v; want %v, %v", i, ok, retry, s.ok, s.retry)
		}
	}
	// Burst 0 means Burst = Rate.
	for i := range 4 {
		if ok, _ := l.allow("b", Limit{Rate: 4, Period: time.Hour}); !ok {
			t.Fatalf("event %d of a default burst refused", i+1)
		}
	}
	if ok, _ := l.allow("b", Limit{Rate: 4, Period: time.Hour}); ok {
		t.Error("event 5 of a default burst allowed")
	}
}

func TestLimiterBounded(t *testing.T) {
	clk := newClock()
	l := newLimiter(160, clk.Now) // 10 keys a shard
	lim := Limit{Rate: 1, Burst: 1, Period: time.Hour}
	for i := range 2000 {
		l.allow(fmt.Sprint(i), lim)
	}
	if n := l.size(); n > 160 {
		t.Errorf("%d keys held, bound is 160", n)
	}
	// Idle keys are swept when a shard is full, and every sweepEvery.
	clk.Advance(2 * time.Hour)
	for i := range 2000 {
		l.allow(fmt.Sprint("new", i), Limit{Rate: 1000, Period: time.Second})
	}
	clk.Advance(sweepEvery)
	// One new key per shard sweeps each shard.
	for shard := range uint64(limiterShards) {
		for i := 0; ; i++ {
			k := fmt.Sprint("last", i)
			if maphash.String(l.seed, k)%limiterShards == shard {
				l.allow(k, Limit{Rate: 1000, Period: time.Second})
				break
			}
		}
	}
	if n := l.size(); n != limiterShards {
		t.Errorf("%d keys held after everything went idle, want %d", n, limiterShards)
	}
}

func TestLocalSingleOpener(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := OpenLocal(dir); err == nil {
		t.Error("a second OpenLocal of the same directory succeeded")
	}
}

// The soft-bounce value layout is count then window end.
func TestLocalSoftLayout(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s, err := openLocal(t.TempDir(), 64, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 1; i <= 3; i++ {
		n, err := s.SoftBounce(ctx, "k", time.Hour)
		if err != nil || n != i {
			t.Fatalf("SoftBounce #%d = %d, %v", i, n, err)
		}
		clk.Advance(20 * time.Minute)
	}
	// The window opened at the first bounce: it is over now.
	if n, _ := s.SoftBounce(ctx, "k", time.Hour); n != 1 {
		t.Errorf("after the window: count %d, want 1", n)
	}
	s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSoft).Get([]byte("k"))
		if end := int64(binary.BigEndian.Uint64(v[8:])); end != clk.Now().Add(time.Hour).UnixNano() {
			t.Errorf("window end %d", end)
		}
		return nil
	})
}
