package policy

import (
	"context"
	"strings"
	"testing"
	"time"

	"leak/metrics"
)

// TestStoreMetricsCountCalls checks that every store call the Engine
// makes is timed once under the store's name, and nothing under the other.
func TestStoreMetricsCountCalls(t *testing.T) {
	ctx := context.Background()
	opts := offOptions()
	opts.IP = Limit{Rate: 10, Burst: 10, Period: time.Hour}
	opts.Recipient = Limit{Rate: 10, Burst: 10, Period: time.Hour}
	opts.SuppressFor, opts.SoftBounceLimit = time.Hour, 2
	e, _, m := localEngine(t, opts, newClock())

	steps := []struct {
		name  string
		do    func()
		calls int // store calls the step makes
	}{
		{"mail: the IP limit", func() { e.Mail(ctx, addr("192.0.2.1"), "a@example.org") }, 1},
		{"rcpt: state and limit", func() { e.Rcpt(ctx, "bob@example.com") }, 2},
		{"connect: no store", func() { e.Connect(ctx, addr("192.0.2.1")) }, 0},
		{"ping", func() { e.Ping(ctx) }, 1},
		{"hard bounce: count", func() { e.Bounce(ctx, "carol@example.com", "q1", true) }, 1},
		{"second message's hard bounce: count and suppress", func() { e.Bounce(ctx, "carol@example.com", "q2", true) }, 2},
		{"soft bounce under the limit", func() { e.Bounce(ctx, "dave@example.com", "", false) }, 1},
		{"soft bounce at the limit: count and suppress", func() { e.Bounce(ctx, "dave@example.com", "", false) }, 2},
		{"rcpt suppressed: state only", func() { e.Rcpt(ctx, "carol@example.com") }, 1},
		{"hard bounce by hash", func() { e.BounceHash(ctx, e.RecipientHash("erin@example.com"), true) }, 1},
	}
	want := 0
	for _, s := range steps {
		s.do()
		want += s.calls
		if calls, errs := storeCalls(t, m, metrics.StoreLocal); calls != want || errs != 0 {
			t.Errorf("after %s: %d calls, %d errors; want %d and 0", s.name, calls, errs, want)
		}
	}
	if calls, errs := storeCalls(t, m, metrics.StoreRedis); calls != 0 || errs != 0 {
		t.Errorf("redis series: %d calls, %d errors on a local store", calls, errs)
	}
	if h, s := counter(t, m.PolicySuppressions, metrics.SuppressHard), counter(t, m.PolicySuppressions, metrics.SuppressSoft); h != 2 || s != 1 {
		t.Errorf("suppressions hard=%d soft=%d, want 2 and 1", h, s)
	}
}

// TestStoreMetricsCountErrors checks that failed calls are counted, with
// their time, and that a call abandoned by its caller is not an error.
func TestStoreMetricsCountErrors(t *testing.T) {
	opts := offOptions()
	opts.SuppressFor, opts.SoftBounceLimit = time.Hour, 2
	e, s, m := localEngine(t, opts, newClock())
	// A closed bbolt file fails every call but Allow (limits are in
	// memory).
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()

	tests := []struct {
		name      string
		do        func() bool // reports whether the call failed as it should
		wantErrs  int         // errors counted by the step
		wantCalls int
	}{
		{"rcpt", func() bool { return e.Rcpt(ctx, "bob@example.com").Policy == PolicyLocal }, 1, 1},
		{"ping", func() bool { return e.Ping(ctx) != nil }, 1, 1},
		{"hard bounce", func() bool { return e.Bounce(ctx, "bob@example.com", "q1", true) != nil }, 1, 1},
		{"soft bounce", func() bool { return e.Bounce(ctx, "bob@example.com", "", false) != nil }, 1, 1},
		{"rcpt, caller gone", func() bool { return e.Rcpt(canceled, "bob@example.com").Policy == PolicyLocal }, 0, 1},
		{"ping, caller gone", func() bool { return e.Ping(canceled) != nil }, 0, 1},
	}
	wantCalls, wantErrs := 0, 0
	for _, tt := range tests {
		if !tt.do() {
			t.Errorf("%s: did not fail on a closed store", tt.name)
		}
		wantCalls += tt.wantCalls
		wantErrs += tt.wantErrs
		if calls, errs := storeCalls(t, m, metrics.StoreLocal); calls != wantCalls || errs != wantErrs {
			t.Errorf("after %s: %d calls, %d errors; want %d and %d", tt.name, calls, errs, wantCalls, wantErrs)
		}
	}
	// Decisions still count every deferral, abandoned or not.
	if got := decisions(m, PolicyLocal, metrics.DecisionError); got != 2 {
		t.Errorf("local decision errors = %d, want 2", got)
	}
	// A suppression that was not stored is not counted.
	if got := counter(t, m.PolicySuppressions, metrics.SuppressHard); got != 0 {
		t.Errorf("hard suppressions = %d after a failed write", got)
	}
}

// renamed is a Store under another name.
type renamed struct {
	Store
	name string
}

func (r renamed) Name() string { return r.name }

func TestOpenStoreName(t *testing.T) {
	s, err := openLocal(t.TempDir(), 16, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct {
		name    string
		metrics bool
		ok      bool
	}{
		{"local", true, true},
		{"redis", true, true},
		{"memcached", true, false}, // would be a store label nobody declared
		{"memcached", false, true}, // no metrics, no label
	} {
		opts := offOptions()
		if tt.metrics {
			opts.Metrics = metrics.New("test")
		}
		_, err := Open(opts, renamed{s, tt.name})
		if (err == nil) != tt.ok {
			t.Errorf("Open with a store named %q (metrics %v): %v", tt.name, tt.metrics, err)
		}
		if err != nil && !strings.Contains(err.Error(), tt.name) {
			t.Errorf("error %q does not name the store", err)
		}
	}
}

// TestNoMetricsNoWrapper checks that without metrics the Engine talks to
// the store itself: nothing to time, nothing to pay.
func TestNoMetricsNoWrapper(t *testing.T) {
	s, err := openLocal(t.TempDir(), 16, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := Open(offOptions(), s)
	if err != nil {
		t.Fatal(err)
	}
	if e.store != Store(s) {
		t.Errorf("store is %T, want the *LocalStore itself", e.store)
	}
	// Counting on nil counters must not fail either.
	if err := e.Bounce(context.Background(), "bob@example.com", "q1", true); err != nil {
		t.Fatal(err)
	}
}
