package policy

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"leak/metrics"
)

// testHardBounceContract checks HardBounce on a Store: distinct messages
// count, the same message counts once, Suppress clears the record, and
// the window closes. advance, when not nil, moves the store's clock.
func testHardBounceContract(t *testing.T, s Store, advance func(time.Duration)) {
	ctx := context.Background()
	count := func(key, msg string) int {
		t.Helper()
		n, err := s.HardBounce(ctx, key, msg, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, tc := range []struct {
		msg  string
		want int
	}{{"m1", 1}, {"m1", 1}, {"m2", 2}, {"m1", 2}, {"m3", 3}} {
		if n := count("h", tc.msg); n != tc.want {
			t.Fatalf("HardBounce #%d (%s) = %d, want %d", i+1, tc.msg, n, tc.want)
		}
	}
	if n := count("other", "m1"); n != 1 {
		t.Errorf("another key's first message counted %d", n)
	}
	if _, err := s.HardBounce(ctx, "h", "", time.Hour); err == nil {
		t.Error("HardBounce took an empty message key")
	}
	if err := s.Suppress(ctx, "h", time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := count("h", "m1"); n != 1 {
		t.Errorf("Suppress left the hard count at %d", n-1)
	}
	if advance == nil {
		return
	}
	advance(time.Hour + time.Second)
	if n := count("h", "m2"); n != 1 {
		t.Errorf("hard window outlived its duration: count %d", n)
	}
}

func TestHardBounceContract(t *testing.T) {
	onEveryStore(t, 64, testHardBounceContract, nil, func(t *testing.T, s *RedisStore) {
		// No clock to move: check the TTL instead, set once when the
		// window opens and not pushed back by later messages.
		ctx := context.Background()
		s.HardBounce(ctx, "ttl", "m1", time.Hour)
		s.HardBounce(ctx, "ttl", "m2", 2*time.Hour)
		if ttl := s.client.PTTL(ctx, prefixHard+"ttl").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
			t.Errorf("TTL of the hard-bounce set = %v, want about 1h", ttl)
		}
	})
}

// TestOneMessageCannotSuppress: hard bounces from delivery suppress only
// at the second distinct message within SuppressFor; a DSN still does at
// once.
func TestOneMessageCannotSuppress(t *testing.T) {
	ctx := context.Background()
	opts := offOptions()
	opts.SuppressFor = 10 * 24 * time.Hour
	clk := newClock()
	e, _, m := localEngine(t, opts, clk)
	suppressed := func(r string) bool {
		t.Helper()
		return e.Rcpt(ctx, r).Policy == PolicySuppressed
	}
	bounce := func(r, msg string) {
		t.Helper()
		if err := e.Bounce(ctx, r, msg, true); err != nil {
			t.Fatal(err)
		}
	}

	// One message, however often reported.
	for range 3 {
		bounce("bob@example.com", "q1")
	}
	if suppressed("bob@example.com") {
		t.Fatal("one message's hard bounces suppressed the recipient")
	}
	// Two messages further apart than SuppressFor never add up.
	clk.Advance(10*24*time.Hour + time.Second)
	bounce("bob@example.com", "q2")
	if suppressed("bob@example.com") {
		t.Fatal("hard bounces in two windows suppressed the recipient")
	}
	// Two within it do.
	clk.Advance(24 * time.Hour)
	bounce("Bob@Example.com", "q3")
	if !suppressed("bob@example.com") {
		t.Error("two messages' hard bounces did not suppress")
	}

	// Sub-addresses share bob's key, but a server without sub-addressing
	// refuses them while bob exists: they never count.
	for _, msg := range []string{"q4", "q5", "q6"} {
		bounce("carol+"+msg+"@example.com", msg)
	}
	if suppressed("carol@example.com") {
		t.Error("hard bounces of sub-addresses suppressed the mailbox")
	}

	// A DSN for a copy still suppresses at once.
	if err := e.BounceHash(ctx, e.RecipientHash("dave@example.com"), true); err != nil {
		t.Fatal(err)
	}
	if !suppressed("dave@example.com") {
		t.Error("a hard DSN did not suppress at once")
	}

	if err := e.Bounce(ctx, "erin@example.com", "", true); err == nil {
		t.Error("a permanent bounce without a message key was taken")
	}
	if h := counter(t, m.PolicySuppressions, metrics.SuppressHard); h != 2 {
		t.Errorf("hard suppressions = %d, want 2 (bob, dave)", h)
	}
}

func TestHardBounceLimit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		limit int
		want  int // messages that suppress
	}{{0, 2}, {1, 1}, {3, 3}} {
		opts := offOptions()
		opts.HardBounceLimit = tc.limit
		e, _, _ := localEngine(t, opts, newClock())
		for i := 1; i <= tc.want; i++ {
			if e.Rcpt(ctx, "bob@example.com").Policy == PolicySuppressed {
				t.Errorf("limit %d: suppressed after %d messages", tc.limit, i-1)
			}
			if err := e.Bounce(ctx, "bob@example.com", string(rune('a'+i)), true); err != nil {
				t.Fatal(err)
			}
		}
		if e.Rcpt(ctx, "bob@example.com").Policy != PolicySuppressed {
			t.Errorf("limit %d: not suppressed after %d messages", tc.limit, tc.want)
		}
	}
	o := offOptions()
	o.HardBounceLimit = -1
	s, err := openLocal(t.TempDir(), 16, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(o, s); err == nil {
		t.Error("Open took a negative hard_bounce_limit")
	}
}

func TestSubaddressed(t *testing.T) {
	for addr, want := range map[string]bool{
		"bob@example.com":       false,
		"bob+x@example.com":     true,
		"<Bob+x@example.com>":   true,
		"+bob@example.com":      false, // normAddress keeps it whole
		"b.o.b@gmail.com":       false,
		"bob@ex+ample.com":      false,
		"no-at-sign+x":          false,
		" <+x+y@example.com> ":  false,
		"bob+@example.com":      true,
		"\"a+b\"@example.com":   true,
		"bob+tag+more@example.": true,
	} {
		if got := subaddressed(addr); got != want {
			t.Errorf("subaddressed(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestLocalPrunesHardBounces: a closed hard-bounce window leaves the file
// at the next prune; an open one stays.
func TestLocalPrunesHardBounces(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	dir := t.TempDir()
	s, err := openLocal(dir, 64, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	s.HardBounce(ctx, "closed", "m1", time.Hour)
	s.HardBounce(ctx, "open", "m1", 48*time.Hour)
	s.Close()
	clk.Advance(2 * time.Hour)
	if s, err = openLocal(dir, 64, clk.Now); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var keys []string
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketHard).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	if len(keys) != 1 || keys[0] != "open" {
		t.Errorf("after prune: %v, want only open", keys)
	}
	if n, _ := s.HardBounce(ctx, "open", "m2", 48*time.Hour); n != 2 {
		t.Errorf("the open window lost its message: count %d, want 2", n)
	}
}

// TestHardMsgsDamaged: a damaged record decodes to what fits, never
// panics.
func TestHardMsgsDamaged(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want int
	}{
		{nil, 0},
		{[]byte{2, 'a', 'b'}, 1},
		{[]byte{2, 'a', 'b', 9, 'c'}, 1},
		{[]byte{0}, 1},
		{[]byte{255}, 0},
	} {
		if got := hardMsgs(tc.b); len(got) != tc.want {
			t.Errorf("hardMsgs(%v) = %q, want %d keys", tc.b, got, tc.want)
		}
	}
}
