package bounce

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_736_848_931, 0)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// qidN and hashN give distinct, valid spool ids and recipient hashes.
func qidN(n int) string { return fmt.Sprintf("%032x", n) }

func hashN(n int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "rcpt %d", n))
	return hex.EncodeToString(h[:])
}

func openTestSent(t testing.TB, path string, keep time.Duration, c *clock) *Sent {
	t.Helper()
	s, err := openSent(path, keep, c.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func wantGet(t *testing.T, s SentLog, qid, want string) {
	t.Helper()
	got, ok, err := s.Get(t.Context(), qid)
	if err != nil {
		t.Fatalf("Get(%s): %v", qid, err)
	}
	if want == "" {
		if ok {
			t.Errorf("Get(%s) = %s, true; want nothing", qid, got)
		}
		return
	}
	if !ok || got != want {
		t.Errorf("Get(%s) = %q, %v; want %q", qid, got, ok, want)
	}
}

// shards returns the number of shards in the file.
func shards(t *testing.T, s *Sent) int {
	t.Helper()
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSent).ForEach(func(k, v []byte) error {
			if _, _, ok := parseShard(k, v); ok {
				n++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSentPutGet(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openTestSent(t, filepath.Join(t.TempDir(), "sent.db"), 0, c)
	if err := s.Put(t.Context(), qidN(1), hashN(1)); err != nil {
		t.Fatal(err)
	}
	// Visible before the flush, during it and after it.
	wantGet(t, s, qidN(1), hashN(1))
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	wantGet(t, s, qidN(1), hashN(1))
	wantGet(t, s, qidN(2), "")
	wantGet(t, s, "not an id", "")
	wantGet(t, s, "3F9C2A7E5B1D4C8FA0E6B2D9C7F1A354", "")

	// A later record of the same id wins, in memory and on disk.
	if err := s.Put(t.Context(), qidN(1), hashN(7)); err != nil {
		t.Fatal(err)
	}
	wantGet(t, s, qidN(1), hashN(7))
	c.add(10 * time.Minute)
	s.flush()
	wantGet(t, s, qidN(1), hashN(7))
}

func TestSentPutRejects(t *testing.T) {
	t.Parallel()
	s := openTestSent(t, filepath.Join(t.TempDir(), "sent.db"), 0, newClock())
	for _, tt := range []struct{ qid, hash string }{
		{"", hashN(1)},
		{"zz" + qidN(1)[2:], hashN(1)},
		{qidN(1), ""},
		{qidN(1), "bob@example.com"},
		{qidN(1), hashN(1)[:62]},
		{qidN(1), "AB" + hashN(1)[2:]},
	} {
		if err := s.Put(t.Context(), tt.qid, tt.hash); err == nil {
			t.Errorf("Put(%q, %q) accepted", tt.qid, tt.hash)
		}
	}
	if n := len(s.pending); n != 0 {
		t.Errorf("%d entries pending after refused records", n)
	}
	s.Close()
	if err := s.Put(t.Context(), qidN(1), hashN(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSentPrune(t *testing.T) {
	t.Parallel()
	c := newClock()
	const keep = 64 * time.Hour // shards of one hour
	s := openTestSent(t, filepath.Join(t.TempDir(), "sent.db"), keep, c)
	s.stopWriter() // this test flushes, and sets lastPrune, itself
	if s.width != 3600 {
		t.Fatalf("shard width %ds, want 3600", s.width)
	}
	// One entry per hour over 100 hours, one shard each; no prune yet.
	for i := range 100 {
		if err := s.Put(t.Context(), qidN(i), hashN(i)); err != nil {
			t.Fatal(err)
		}
		s.lastPrune = c.now()
		if err := s.flush(); err != nil {
			t.Fatal(err)
		}
		c.add(time.Hour)
	}
	if n := shards(t, s); n != 100 {
		t.Fatalf("%d shards, want 100", n)
	}
	// Now is 100 h after entry 0: entries 0..35 are older than keep, and
	// Get ignores them even while their shards are still there.
	check := func(expired int) {
		t.Helper()
		for i := range 100 {
			want := hashN(i)
			if i < expired {
				want = ""
			}
			wantGet(t, s, qidN(i), want)
		}
	}
	check(36)
	// One prune drops maxPruneShards shards, no more.
	s.lastPrune = time.Time{}
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	if n := shards(t, s); n != 100-maxPruneShards {
		t.Errorf("%d shards after one prune, want %d", n, 100-maxPruneShards)
	}
	// A prune only runs once per pruneEvery.
	s.flush()
	if n := shards(t, s); n != 100-maxPruneShards {
		t.Errorf("%d shards after a flush within pruneEvery, want %d", n, 100-maxPruneShards)
	}
	for range 10 {
		c.add(pruneEvery)
		if err := s.flush(); err != nil {
			t.Fatal(err)
		}
	}
	// Entry 36 has expired too by now, but its shard, which runs to
	// the hour after it, not yet: the shards of entries 36..99 remain.
	if n := shards(t, s); n != 64 {
		t.Errorf("%d shards after pruning, want 64", n)
	}
	check(37)
}

func TestSentReopen(t *testing.T) {
	t.Parallel()
	c := newClock()
	path := filepath.Join(t.TempDir(), "sent.db")
	s, err := openSent(path, 24*time.Hour, c.now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if err := s.Put(t.Context(), qidN(i), hashN(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Close writes what waits in memory.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestSent(t, path, 24*time.Hour, c)
	for _, i := range []int{0, 1, 500, 999} {
		wantGet(t, s, qidN(i), hashN(i))
	}
	s.Close()

	// Reopened after the retention, with a shorter keep: everything is
	// dropped at open.
	c.add(25 * time.Hour)
	s = openTestSent(t, path, time.Hour, c)
	wantGet(t, s, qidN(0), "")
	if n := shards(t, s); n != 0 {
		t.Errorf("%d shards left after reopening past the retention", n)
	}
}

func TestSentSecondOpenFails(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sent.db")
	openTestSent(t, path, 0, newClock())
	if s, err := OpenSent(path, 0); err == nil {
		s.Close()
		t.Fatal("a second open of the same file succeeded")
	}
}

func TestSentConcurrent(t *testing.T) {
	t.Parallel()
	s := openTestSent(t, filepath.Join(t.TempDir(), "sent.db"), 0, newClock())
	const writers, each = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				if err := s.Put(t.Context(), qidN(n), hashN(n)); err != nil {
					t.Error(err)
					return
				}
				if i%97 == 0 {
					// Gets run beside records and flushes.
					if got, ok, err := s.Get(t.Context(), qidN(n)); !ok || got != hashN(n) || err != nil {
						t.Errorf("Get(%d) = %q, %v, %v", n, got, ok, err)
						return
					}
				}
			}
		})
	}
	// The writer goroutine flushes on its own; flush from here too.
	stop := make(chan struct{})
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		for {
			select {
			case <-stop:
				return
			default:
				s.flush()
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-flushed
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	for n := range writers * each {
		if got, ok, err := s.Get(t.Context(), qidN(n)); !ok || got != hashN(n) || err != nil {
			t.Fatalf("Get(%d) = %q, %v, %v after all flushes", n, got, ok, err)
		}
	}
}

func TestSentBacklog(t *testing.T) {
	t.Parallel()
	s := openTestSent(t, filepath.Join(t.TempDir(), "sent.db"), 0, newClock())
	// Hold the writer off, as a stalled disk would.
	s.flushMu.Lock()
	var err error
	n := 0
	for ; n < maxPending+1 && err == nil; n++ {
		err = s.Put(t.Context(), qidN(n), hashN(n))
	}
	s.flushMu.Unlock()
	if err == nil || errors.Is(err, ErrClosed) || n != maxPending+1 {
		t.Errorf("after %d records: %v; want a backlog error at record %d", n, err, maxPending+1)
	}
}
