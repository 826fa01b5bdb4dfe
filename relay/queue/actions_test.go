package queue

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/spool"
)

// actions counts OnAction calls.
type actions struct {
	mu sync.Mutex
	n  map[string]int
}

func (a *actions) add(action string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == nil {
		a.n = map[string]int{}
	}
	a.n[action]++
}

func (a *actions) count(action string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[action]
}

// commitFor commits a copy for rcpt, first attempt not before notBefore.
func commitFor(t *testing.T, sp *spool.Spool, rcpt string, notBefore time.Time) spool.Meta {
	t.Helper()
	w, err := sp.Create()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	io.WriteString(w, "body")
	if err := w.Commit(spool.Meta{From: testFrom, Rcpt: rcpt, NotBefore: notBefore}); err != nil {
		t.Fatal(err)
	}
	return w.Meta()
}

func stateOf(q *Queue, id string) string {
	for _, i := range q.Entries() {
		if i.ID == id {
			return i.State
		}
	}
	return "gone"
}

func counts(q *Queue) [3]int {
	a, d, h := q.Counts()
	return [3]int{a, d, h}
}

// TestHoldRelease: a held entry is not attempted, by its schedule or by
// RetryAll and RetryNow, until released; holds survive a restart through
// HoldFile; Counts follows; every action is reported to OnAction.
func TestHoldRelease(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	holdFile := filepath.Join(t.TempDir(), "held")
	ids := []string{commit(t, sp, "a").ID, commit(t, sp, "b").ID, commit(t, sp, "c").ID}
	fc := &fakeCourier{fail: alwaysTemp}
	var acts actions
	opts := Options{Workers: 1, Backoff: func(int) time.Duration { return time.Hour }, HoldFile: holdFile,
		OnAction: acts.add, Logger: slog.New(slog.DiscardHandler)}
	q := New(sp, fc, opts)
	stop := start(t, q)
	testutil.WaitFor(t, "three deferrals", func() bool { return counts(q) == [3]int{0, 3, 0} })

	if ok, err := q.Hold(ids[1]); !ok || err != nil {
		t.Fatalf("Hold = %v, %v", ok, err)
	}
	if ok, err := q.Hold(ids[1]); !ok || err != nil || acts.count("hold") != 1 {
		t.Errorf("Hold again = %v, %v; %d hold actions, want 1", ok, err, acts.count("hold"))
	}
	if ok, _ := q.Hold("unknown"); ok {
		t.Error("Hold of an unknown id = true")
	}
	if got := counts(q); got != [3]int{0, 2, 1} || stateOf(q, ids[1]) != StateHeld {
		t.Errorf("after Hold: Counts %v, state %s", got, stateOf(q, ids[1]))
	}
	if q.RetryNow(ids[1]) {
		t.Error("RetryNow of a held entry = true")
	}
	if n := q.RetryAll(); n != 2 {
		t.Errorf("RetryAll = %d, want 2 (the held one left)", n)
	}
	testutil.WaitFor(t, "the two retries", func() bool {
		return fc.callCount(ids[0]) == 2 && fc.callCount(ids[2]) == 2 && counts(q) == [3]int{0, 2, 1}
	})
	if n := fc.callCount(ids[1]); n != 1 {
		t.Errorf("held entry attempted %d times, want 1 (before the hold)", n)
	}
	if b, _ := os.ReadFile(holdFile); strings.TrimSpace(string(b)) != ids[1] {
		t.Errorf("hold file %q, want %s", b, ids[1])
	}
	stop()

	// A restart: the hold is read back.
	q = New(sp, fc, opts)
	if err := q.Load(); err != nil {
		t.Fatal(err)
	}
	if got := counts(q); got != [3]int{2, 0, 1} || stateOf(q, ids[1]) != StateHeld {
		t.Fatalf("after a restart: Counts %v, state %s; want [2 0 1], held", got, stateOf(q, ids[1]))
	}
	start(t, q)
	testutil.WaitFor(t, "the retries after the restart", func() bool { return fc.callCount(ids[0]) == 3 && fc.callCount(ids[2]) == 3 })
	if ok, err := q.Release(ids[1]); !ok || err != nil {
		t.Fatalf("Release = %v, %v", ok, err)
	}
	if ok, _ := q.Release(ids[1]); ok {
		t.Error("Release of an entry not held = true")
	}
	testutil.WaitFor(t, "the released entry's attempt", func() bool { return fc.callCount(ids[1]) == 2 })
	if b, _ := os.ReadFile(holdFile); len(b) != 0 {
		t.Errorf("hold file after release: %q", b)
	}
	if acts.count("hold") != 1 || acts.count("release") != 1 || acts.count("retry") != 2 {
		t.Errorf("actions %v, want hold 1, release 1, retry 2", acts.n)
	}
}

// TestHoldWhileDelivering: an entry held during its attempt is parked when
// the attempt defers it, not scheduled; deleting a held entry drops it from
// the hold file.
func TestHoldWhileDelivering(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	holdFile := filepath.Join(t.TempDir(), "held")
	m := commit(t, sp, "a")
	fc := &fakeCourier{fail: alwaysTemp, gate: make(chan struct{})}
	var res results
	var acts actions
	q := New(sp, fc, Options{Backoff: fastBackoff, HoldFile: holdFile, OnResult: res.add, OnAction: acts.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	testutil.WaitFor(t, "the attempt to start", func() bool { return fc.callCount(m.ID) == 1 })
	if i := q.Entries(); len(i) != 1 || !i[0].Delivering || i[0].State != StateActive {
		t.Errorf("during delivery: %+v", i)
	}
	if ok, err := q.Hold(m.ID); !ok || err != nil {
		t.Fatalf("Hold = %v, %v", ok, err)
	}
	close(fc.gate)
	testutil.WaitFor(t, "the attempt to end", func() bool { return len(res.forID(m.ID)) == 1 })
	testutil.WaitFor(t, "the entry parked", func() bool { return counts(q) == [3]int{0, 0, 1} })
	if n := fc.callCount(m.ID); n != 1 {
		t.Errorf("%d attempts, want 1: a 1 ms backoff must not bring a held entry back", n)
	}
	if ok, err := q.Delete(m.ID); !ok || err != nil {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
	if b, _ := os.ReadFile(holdFile); len(b) != 0 {
		t.Errorf("hold file after delete: %q", b)
	}
	if acts.count("delete") != 1 {
		t.Errorf("delete actions: %d", acts.count("delete"))
	}
}

// TestRetryDomain: only deferred entries for the domain are made due,
// whatever the case or form of its name; a copy still waiting for its
// first attempt (the anonymity delay) is left alone, by RetryAll too.
func TestRetryDomain(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	later := time.Now().Add(time.Hour)
	a := commitFor(t, sp, "a@example.com", time.Time{})
	b := commitFor(t, sp, "b@EXAMPLE.COM.", time.Time{})
	other := commitFor(t, sp, "c@other.example", time.Time{})
	idn := commitFor(t, sp, "d@bücher.example", time.Time{})
	delayed := commitFor(t, sp, "e@example.com", later)
	fc := &fakeCourier{fail: alwaysTemp}
	var acts actions
	q := New(sp, fc, Options{Workers: 1, Backoff: func(int) time.Duration { return time.Hour }, OnAction: acts.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	testutil.WaitFor(t, "four deferrals", func() bool { return fc.totalCalls() == 4 && counts(q) == [3]int{0, 5, 0} })

	if n := q.RetryDomain("Example.COM"); n != 2 {
		t.Errorf("RetryDomain(Example.COM) = %d, want 2", n)
	}
	testutil.WaitFor(t, "the two retries", func() bool { return fc.callCount(a.ID) == 2 && fc.callCount(b.ID) == 2 })
	if n := q.RetryDomain("xn--bcher-kva.example"); n != 1 {
		t.Errorf("RetryDomain(xn--bcher-kva.example) = %d, want 1", n)
	}
	testutil.WaitFor(t, "the IDN retry", func() bool { return fc.callCount(idn.ID) == 2 })
	if n := q.RetryAll(); n != 4 {
		t.Errorf("RetryAll = %d, want 4 (not the delayed copy)", n)
	}
	testutil.WaitFor(t, "the retries", func() bool { return fc.callCount(other.ID) == 2 })
	if n := fc.callCount(delayed.ID); n != 0 {
		t.Errorf("the delayed copy was attempted %d times before its time", n)
	}
	for _, i := range q.Entries() {
		if i.ID == delayed.ID && (i.State != StateDeferred || i.Domain != "example.com") {
			t.Errorf("delayed copy: %+v", i)
		}
	}
	if n := acts.count("retry"); n != 7 {
		t.Errorf("%d retry actions, want 7 (2 + 1 + 4)", n)
	}
}

func TestDomain(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a@Example.COM":         "example.com",
		"example.com.":          "example.com",
		"u@bücher.example":      "xn--bcher-kva.example",
		"BÜCHER.example":        "xn--bcher-kva.example",
		"xn--bcher-kva.example": "xn--bcher-kva.example",
		"@":                     "",
	} {
		if got := Domain(in); got != want {
			t.Errorf("Domain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHoldsFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "held")
	if h, err := ReadHolds(path); err != nil || len(h) != 0 {
		t.Fatalf("missing file: %v, %v", h, err)
	}
	ids := []string{"0123456789abcdef0123456789abcdef", "ffffffffffffffffffffffffffffffff"}
	if err := WriteHolds(path, ids); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHolds(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for id := range h {
		got = append(got, id)
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("read back %v, want %v", got, ids)
	}
	if _, err := os.Stat(path + ".tmp"); err == nil {
		t.Error("temporary file left behind")
	}
	if err := WriteHolds(filepath.Join(path, "x"), ids); err == nil {
		t.Error("writing under a file: no error")
	}
}
