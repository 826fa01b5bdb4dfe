package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/courier"
	"leak/relay/spool"
)

const (
	testFrom = "bounce+x@leak.example"
	testRcpt = "Bob@Example.com"
)

// fakeCourier records deliveries. fail, if set, decides the result of the
// n-th call (1-based) for an id. gate, if set, holds every delivery until
// it is closed.
type fakeCourier struct {
	fail func(id string, n int) error
	gate chan struct{}

	mu          sync.Mutex
	calls       map[string]int
	bodies      map[string]string
	msgs        map[string]courier.Message
	inflight    int
	maxInflight int
}

func (f *fakeCourier) Deliver(ctx context.Context, m *courier.Message) error {
	f.mu.Lock()
	if f.calls == nil {
		f.calls, f.bodies, f.msgs = map[string]int{}, map[string]string{}, map[string]courier.Message{}
	}
	f.calls[m.ID]++
	n := f.calls[m.ID]
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()

	if f.gate != nil {
		<-f.gate
	}
	body, err := io.ReadAll(m.Body)

	f.mu.Lock()
	defer f.mu.Unlock()
	f.inflight--
	if err != nil {
		return err
	}
	if f.fail != nil {
		if err := f.fail(m.ID, n); err != nil {
			return err
		}
	}
	f.bodies[m.ID] = string(body)
	cm := *m
	cm.Body = nil
	f.msgs[m.ID] = cm
	return nil
}

func (f *fakeCourier) callCount(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

func (f *fakeCourier) totalCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

var errTemp = errors.New("connection refused")

func alwaysTemp(string, int) error { return errTemp }

// results collects OnResult calls.
type results struct {
	mu sync.Mutex
	rs []Result
}

func (r *results) add(x Result) { r.mu.Lock(); r.rs = append(r.rs, x); r.mu.Unlock() }

func (r *results) forID(id string) []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Result
	for _, x := range r.rs {
		if x.ID == id {
			out = append(out, x)
		}
	}
	return out
}

// finished reports whether every id has had its final result.
func (r *results) finished(ids ...string) bool {
	for _, id := range ids {
		rs := r.forID(id)
		if len(rs) == 0 || rs[len(rs)-1].Outcome == Deferred {
			return false
		}
	}
	return true
}

func outcomes(rs []Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%s#%d", r.Outcome, r.Attempt))
	}
	return strings.Join(s, " ")
}

func openSpool(t *testing.T) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

func commit(t *testing.T, sp *spool.Spool, body string) spool.Meta {
	t.Helper()
	w, err := sp.Create()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	io.WriteString(w, body)
	if err := w.Commit(spool.Meta{From: testFrom, Rcpt: testRcpt, Prefix: "DKIM-Signature: x\r\n"}); err != nil {
		t.Fatal(err)
	}
	return w.Meta()
}

func fastBackoff(int) time.Duration { return time.Millisecond }

// start runs q until the test ends, and returns a function that stops it
// and waits for Run to return.
func start(t *testing.T, q *Queue) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func spoolLen(t *testing.T, sp *spool.Spool) int {
	t.Helper()
	l, err := sp.List()
	if err != nil {
		t.Fatal(err)
	}
	return len(l)
}

func TestDeliveredLeaveTheSpool(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	before := commit(t, sp, "Subject: before Run\r\n\r\nbody\r\n")
	fc := &fakeCourier{}
	var res results
	q := New(sp, fc, Options{Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)

	after := commit(t, sp, "Subject: added\r\n\r\nbody\r\n")
	q.Add(after)
	q.Add(after) // a duplicate Add is ignored

	testutil.WaitFor(t, "both delivered", func() bool { return len(res.forID(before.ID)) > 0 && len(res.forID(after.ID)) > 0 })
	testutil.WaitFor(t, "empty queue", func() bool { return q.Len() == 0 })
	if n := spoolLen(t, sp); n != 0 {
		t.Errorf("spool has %d entries after delivery", n)
	}
	for _, m := range []spool.Meta{before, after} {
		if got := outcomes(res.forID(m.ID)); got != "delivered#1" {
			t.Errorf("%s: results %q, want delivered#1", m.ID, got)
		}
		if r := res.forID(m.ID)[0]; r.Err != nil || r.Latency < 0 {
			t.Errorf("%s: result %+v", m.ID, r)
		}
		if n := fc.callCount(m.ID); n != 1 {
			t.Errorf("%s: delivered %d times", m.ID, n)
		}
		got := fc.msgs[m.ID]
		if got.From != testFrom || got.To != testRcpt || got.Size != m.Size {
			t.Errorf("%s: courier got %+v, want from %s to %s size %d", m.ID, got, testFrom, testRcpt, m.Size)
		}
		if b := fc.bodies[m.ID]; !strings.HasPrefix(b, "DKIM-Signature: x\r\nSubject: ") || int64(len(b)) != m.Size {
			t.Errorf("%s: body %q", m.ID, b)
		}
	}
}

func TestTemporaryFailuresRetry(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	fc := &fakeCourier{fail: func(_ string, n int) error {
		if n <= 3 {
			return &courier.Error{Code: 451, Text: "4.3.0 try again"}
		}
		return nil
	}}
	var res results
	q := New(sp, fc, Options{Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	testutil.WaitFor(t, "delivery", func() bool { return res.finished(m.ID) })
	want := "deferred#1 deferred#2 deferred#3 delivered#4"
	if got := outcomes(res.forID(m.ID)); got != want {
		t.Errorf("results %q, want %q", got, want)
	}
	if n := spoolLen(t, sp); n != 0 {
		t.Errorf("spool has %d entries", n)
	}
}

func TestPermanentFailureBounces(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	fc := &fakeCourier{fail: func(string, int) error {
		return &courier.Error{Permanent: true, About: courier.AboutRecipient, Code: 550, Text: "5.1.1 unknown user"}
	}}
	var res results
	q := New(sp, fc, Options{Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	testutil.WaitFor(t, "bounce", func() bool { return res.finished(m.ID) })
	rs := res.forID(m.ID)
	if outcomes(rs) != "bounced#1" || !courier.IsPermanent(rs[0].Err) || rs[0].About != courier.AboutRecipient {
		t.Errorf("results %q (%v), want bounced#1 with the courier's error", outcomes(rs), rs)
	}
	if n := spoolLen(t, sp); n != 0 {
		t.Errorf("spool has %d entries after a bounce", n)
	}
	if n := fc.callCount(m.ID); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lifetime time.Duration
		backoff  time.Duration
		created  time.Time // zero: now
		attempts func(n int) bool
	}{
		// Created long ago (a restart after an outage): one more attempt,
		// then give up.
		{"already past", 0, time.Millisecond, time.Now().Add(-200 * time.Hour), func(n int) bool { return n == 1 }},
		// The backoff would wait an hour; the last retry is pulled in to the
		// expiry instant instead.
		{"retry capped at expiry", 300 * time.Millisecond, time.Hour, time.Time{}, func(n int) bool { return n == 2 }},
		{"many retries", 200 * time.Millisecond, 5 * time.Millisecond, time.Time{}, func(n int) bool { return n >= 2 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := openSpool(t)
			m := commit(t, sp, "body")
			// Commit keeps whole seconds; these lifetimes are shorter.
			m.Created = time.Now()
			if !tc.created.IsZero() {
				m.Created = tc.created
			}
			fc := &fakeCourier{fail: alwaysTemp}
			var res results
			q := New(sp, fc, Options{
				Lifetime: tc.lifetime,
				Backoff:  func(int) time.Duration { return tc.backoff },
				OnResult: res.add,
				Logger:   slog.New(slog.DiscardHandler),
			})
			q.Add(m) // before Run: Run's List finds the same id and keeps this one
			start(t, q)
			testutil.WaitFor(t, "expiry", func() bool { return res.finished(m.ID) })
			rs := res.forID(m.ID)
			last := rs[len(rs)-1]
			if last.Outcome != Expired || !errors.Is(last.Err, errTemp) {
				t.Errorf("last result %+v, want expired with the courier's error", last)
			}
			for _, r := range rs[:len(rs)-1] {
				if r.Outcome != Deferred {
					t.Errorf("result %+v before expiry, want deferred", r)
				}
			}
			if !tc.attempts(len(rs)) {
				t.Errorf("%d attempts: %s", len(rs), outcomes(rs))
			}
			if n := spoolLen(t, sp); n != 0 {
				t.Errorf("spool has %d entries after expiry", n)
			}
		})
	}
}

func TestRestartPicksUpEverything(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, commit(t, sp, fmt.Sprintf("message %d", i)).ID)
	}
	// First run: every attempt fails and the next one is an hour away.
	down := &fakeCourier{fail: alwaysTemp}
	q1 := New(sp, down, Options{Backoff: func(int) time.Duration { return time.Hour }, Logger: slog.New(slog.DiscardHandler)})
	stop := start(t, q1)
	testutil.WaitFor(t, "first attempts", func() bool { return down.totalCalls() == len(ids) })
	stop()
	if n := spoolLen(t, sp); n != len(ids) {
		t.Fatalf("spool has %d entries after the first run, want %d", n, len(ids))
	}

	up := &fakeCourier{}
	var res results
	q2 := New(sp, up, Options{Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q2)
	testutil.WaitFor(t, "redelivery", func() bool { return res.finished(ids...) })
	for _, id := range ids {
		if got := outcomes(res.forID(id)); got != "delivered#1" {
			t.Errorf("%s: %q after restart, want delivered#1 (attempts restart from 1)", id, got)
		}
	}
	if n := spoolLen(t, sp); n != 0 {
		t.Errorf("spool has %d entries", n)
	}
}

func TestWorkersBoundConcurrency(t *testing.T) {
	t.Parallel()
	const workers, entries = 3, 12
	sp := openSpool(t)
	for i := range entries {
		commit(t, sp, fmt.Sprintf("m%d", i))
	}
	fc := &fakeCourier{gate: make(chan struct{})}
	var res results
	q := New(sp, fc, Options{Workers: workers, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	// Every worker picks an entry and blocks in the courier: the queue must
	// not start a fourth.
	testutil.WaitFor(t, "workers busy", func() bool {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		return fc.inflight == workers
	})
	close(fc.gate)
	testutil.WaitFor(t, "all delivered", func() bool {
		res.mu.Lock()
		defer res.mu.Unlock()
		return len(res.rs) == entries
	})
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.maxInflight != workers {
		t.Errorf("max %d deliveries in flight, want %d", fc.maxInflight, workers)
	}
	if len(fc.bodies) != entries {
		t.Errorf("%d delivered, want %d", len(fc.bodies), entries)
	}
}

func TestRunWaitsForInFlight(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	fc := &fakeCourier{gate: make(chan struct{})}
	var res results
	q := New(sp, fc, Options{OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	testutil.WaitFor(t, "delivery started", func() bool { return fc.callCount(m.ID) == 1 })
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned with a delivery in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(fc.gate)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := outcomes(res.forID(m.ID)); got != "delivered#1" {
		t.Errorf("in-flight delivery ended %q, want delivered#1", got)
	}
	if n := spoolLen(t, sp); n != 0 {
		t.Errorf("spool has %d entries", n)
	}
}

func TestRetryNow(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	fc := &fakeCourier{fail: func(_ string, n int) error {
		if n == 1 {
			return errTemp
		}
		return nil
	}}
	var res results
	q := New(sp, fc, Options{Backoff: func(int) time.Duration { return time.Hour }, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	if q.RetryNow(m.ID) {
		t.Error("RetryNow of an unknown id = true")
	}
	start(t, q)
	testutil.WaitFor(t, "first attempt", func() bool { return len(res.forID(m.ID)) == 1 })
	if q.Len() != 1 {
		t.Fatalf("Len = %d after a deferral, want 1", q.Len())
	}
	if !q.RetryNow(m.ID) {
		t.Fatal("RetryNow of a waiting entry = false")
	}
	testutil.WaitFor(t, "second attempt", func() bool { return res.finished(m.ID) })
	if got := outcomes(res.forID(m.ID)); got != "deferred#1 delivered#2" {
		t.Errorf("results %q, want %q", got, "deferred#1 delivered#2")
	}
}

func TestLenAndOldest(t *testing.T) {
	t.Parallel()
	q := New(openSpool(t), &fakeCourier{}, Options{})
	if q.Len() != 0 || !q.Oldest().IsZero() {
		t.Fatalf("empty queue: Len %d, Oldest %v", q.Len(), q.Oldest())
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, d := range []time.Duration{time.Hour, 0, 2 * time.Hour} {
		q.Add(spool.Meta{ID: fmt.Sprintf("%032x", i), Created: base.Add(d)})
	}
	q.Add(spool.Meta{}) // no id: ignored
	if q.Len() != 3 {
		t.Errorf("Len = %d, want 3", q.Len())
	}
	if !q.Oldest().Equal(base) {
		t.Errorf("Oldest = %v, want %v", q.Oldest(), base)
	}
}

func TestVanishedEntryIsForgotten(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	if err := sp.Remove(m.ID); err != nil {
		t.Fatal(err)
	}
	fc := &fakeCourier{}
	q := New(sp, fc, Options{Logger: slog.New(slog.DiscardHandler)})
	q.Add(m)
	start(t, q)
	testutil.WaitFor(t, "entry dropped", func() bool { return q.Len() == 0 })
	if n := fc.totalCalls(); n != 0 {
		t.Errorf("courier called %d times for a missing entry", n)
	}
}

func TestLogsCarryNoAddresses(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	var ms []spool.Meta
	for range 3 {
		ms = append(ms, commit(t, sp, "body"))
	}
	fc := &fakeCourier{fail: func(id string, n int) error {
		switch id {
		case ms[0].ID:
			return &courier.Error{Permanent: true, About: courier.AboutRecipient, Code: 550, Text: "5.1.1 <bob@example.COM>: no such user (from " + testFrom + ")"}
		case ms[1].ID:
			if n == 1 {
				return &courier.Error{Code: 450, Text: "4.2.0 <" + testRcpt + ">: greylisted"}
			}
		}
		return nil
	}}
	var buf testutil.SyncBuffer
	var res results
	q := New(sp, fc, Options{Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	start(t, q)
	testutil.WaitFor(t, "all done", func() bool { return res.finished(ms[0].ID, ms[1].ID, ms[2].ID) })

	out := buf.String()
	low := strings.ToLower(out)
	for _, addr := range []string{testRcpt, testFrom} {
		if strings.Contains(low, strings.ToLower(addr)) {
			t.Errorf("log contains %s:\n%s", addr, out)
		}
	}
	for _, want := range []string{ms[0].ID, ms[1].ID, ms[2].ID, "outcome=bounced", "outcome=deferred", "outcome=delivered", "5.1.1 <[redacted]>: no such user"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attempt int
		base    time.Duration
	}{
		{1, time.Minute}, {2, 5 * time.Minute}, {3, 15 * time.Minute}, {4, 30 * time.Minute},
		{5, time.Hour}, {50, time.Hour}, {0, time.Hour},
	}
	for _, tc := range tests {
		lo, hi := tc.base*8/10, tc.base*12/10
		seen := map[time.Duration]bool{}
		for range 100 {
			d := DefaultBackoff(tc.attempt)
			if d < lo || d >= hi {
				t.Fatalf("DefaultBackoff(%d) = %v, want in [%v, %v)", tc.attempt, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("DefaultBackoff(%d) has no jitter", tc.attempt)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text    string
		secrets []string
		want    string
	}{
		{"550 <bob@example.com> unknown", []string{"Bob@Example.COM"}, "550 <[redacted]> unknown"},
		{"a@b a@b", []string{"a@b", ""}, "[redacted] [redacted]"},
		{"from x@y to z@w", []string{"z@w", "x@y"}, "from [redacted] to [redacted]"},
		{"nothing here", []string{"a@b"}, "nothing here"},
		{"", []string{"a@b"}, ""},
	}
	for _, tc := range tests {
		if got := redact(tc.text, tc.secrets...); got != tc.want {
			t.Errorf("redact(%q, %q) = %q, want %q", tc.text, tc.secrets, got, tc.want)
		}
	}
}

func TestEntriesDeleteRetryAll(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	fc := &fakeCourier{fail: alwaysTemp}
	var res results
	q := New(sp, fc, Options{Workers: 1, Backoff: func(int) time.Duration { return time.Hour },
		OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	ids := []string{commit(t, sp, "a").ID, commit(t, sp, "b").ID, commit(t, sp, "c").ID}
	start(t, q)
	testutil.WaitFor(t, "three deferrals", func() bool {
		n := 0
		for _, i := range q.Entries() {
			if i.State == StateDeferred && i.Attempt == 1 && !i.Due.IsZero() {
				n++
			}
		}
		return n == 3
	})
	if r := res.forID(ids[0]); len(r) == 0 || r[0].Rcpt != testRcpt {
		t.Errorf("Result.Rcpt = %+v, want %s", r, testRcpt)
	}
	if ok, err := q.Delete(ids[1]); !ok || err != nil {
		t.Fatalf("Delete: %v %v", ok, err)
	}
	if ok, _ := q.Delete(ids[1]); ok {
		t.Error("deleted twice")
	}
	if _, err := sp.Open(ids[1]); err == nil {
		t.Error("deleted entry still in the spool")
	}
	if got := len(q.Entries()); got != 2 {
		t.Fatalf("%d entries after delete, want 2", got)
	}
	before := fc.totalCalls()
	if n := q.RetryAll(); n != 2 {
		t.Errorf("RetryAll = %d, want 2", n)
	}
	testutil.WaitFor(t, "two retries", func() bool { return fc.totalCalls() >= before+2 })
}

// An entry whose NotBefore is in the future waits until then, in a running
// queue and in one started over the spool after a restart; delivery then
// goes on as usual.
func TestNotBeforeSurvivesRestart(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	commitHeld := func(hold time.Duration) spool.Meta {
		w, err := sp.Create()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		io.WriteString(w, "body")
		if err := w.Commit(spool.Meta{From: testFrom, Rcpt: testRcpt, NotBefore: time.Now().Add(hold)}); err != nil {
			t.Fatal(err)
		}
		return w.Meta()
	}
	held := commitHeld(time.Hour)
	soon := commitHeld(300 * time.Millisecond)
	if got := held.NotBefore; time.Until(got) < 59*time.Minute {
		t.Fatalf("Meta.NotBefore after commit = %v, want an hour from now", got)
	}

	// A restart: a new queue loads both entries from the spool.
	fc := &fakeCourier{}
	q := New(sp, fc, Options{Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	testutil.WaitFor(t, "the entries loaded", func() bool { return q.Len() == 2 })
	for _, i := range q.Entries() {
		if i.ID == held.ID && (i.State != StateDeferred || i.Due.Sub(held.NotBefore).Abs() > time.Millisecond) {
			t.Errorf("held entry: state %s due %v; want deferred until %v", i.State, i.Due, held.NotBefore)
		}
	}
	testutil.WaitFor(t, "delivery of the entry whose time came", func() bool { return fc.totalCalls() == 1 })
	if fc.totalCalls() != 1 {
		t.Errorf("courier called %d times, want 1: the held entry went early", fc.totalCalls())
	}
	_ = soon
}

// The defaults pass Validate, New takes them for zero fields, and each
// field out of range is refused naming its configuration key.
func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		key  string
		edit func(*Options)
	}{
		{"delivery.workers", func(o *Options) { o.Workers = 0 }},
		{"delivery.lifetime", func(o *Options) { o.Lifetime = time.Second }},
		{"delivery.failure_lifetime", func(o *Options) { o.FailureLifetime = 2 * o.Lifetime }},
	} {
		o := DefaultOptions()
		c.edit(&o)
		if err := o.Validate(); err == nil || !strings.HasPrefix(err.Error(), c.key+":") {
			t.Errorf("%s: %v", c.key, err)
		}
	}
}
