package courier

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestSessionReuse(t *testing.T) {
	tests := []struct {
		name      string
		tls       string
		perConn   int
		n         int
		wantConns int64
	}{
		{"plain, one session", TLSNone, 0, 10, 1},
		{"starttls, one session", TLSStartTLS, 0, 10, 1},
		{"implicit, one session", TLSImplicit, 0, 10, 1},
		{"three per session", TLSStartTLS, 3, 10, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{tls: tc.tls})
			s, rec := newSmarthost(t, ts, tc.tls, func(o *SMTPOptions) { o.MaxMsgsPerConn = tc.perConn })
			for i := range tc.n {
				if err := s.Deliver(context.Background(), testMsg(fmt.Sprintf("u%d@example.test", i))); err != nil {
					t.Fatalf("Deliver %d: %v", i, err)
				}
			}
			if ts.total() != tc.n {
				t.Errorf("server got %d messages, want %d", ts.total(), tc.n)
			}
			if n := ts.ln.accepted.Load(); n != tc.wantConns {
				t.Errorf("%d connections, want %d", n, tc.wantConns)
			}
			if len(rec.modes) != tc.n || rec.last() != tc.tls {
				t.Errorf("OnTLS calls %v, want %d × %s", rec.modes, tc.n, tc.tls)
			}
			// Close says QUIT to the idle session.
			s.Close()
			ts.waitOpen(t, 0)
		})
	}
}

func TestMaxPerDest(t *testing.T) {
	ts := startServer(t, serverOpts{tls: TLSStartTLS, dataDelay: 20 * time.Millisecond})
	s, _ := newSmarthost(t, ts, TLSStartTLS, func(o *SMTPOptions) { o.MaxPerDest = 3 })
	const n = 24
	errs := concurrently(n, func(i int) error {
		return s.Deliver(context.Background(), testMsg(fmt.Sprintf("u%d@example.test", i)))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("Deliver %d: %v", i, err)
		}
	}
	if ts.total() != n {
		t.Errorf("server got %d messages, want %d", ts.total(), n)
	}
	if m := ts.ln.maxOpen.Load(); m > 3 {
		t.Errorf("%d connections open at once, want at most 3", m)
	}
	if a := ts.ln.accepted.Load(); a > 3 {
		t.Errorf("%d connections in all, want at most 3 (reused)", a)
	}
}

func TestServerDownThenBack(t *testing.T) {
	ts := startServer(t, serverOpts{tls: TLSStartTLS})
	s, _ := newSmarthost(t, ts, TLSStartTLS, nil)
	if err := s.Deliver(context.Background(), testMsg("a@example.test")); err != nil {
		t.Fatalf("first Deliver: %v", err)
	}
	ts.stop() // the pooled session dies with it
	err := s.Deliver(context.Background(), testMsg("b@example.test"))
	if err == nil || IsPermanent(err) {
		t.Fatalf("Deliver while down = %v, want temporary", err)
	}
	ts.listen(t)
	if err := s.Deliver(context.Background(), testMsg("c@example.test")); err != nil {
		t.Fatalf("Deliver after restart: %v", err)
	}
	if len(ts.got("c@example.test")) != 1 {
		t.Error("the restarted server got nothing")
	}
}

func TestServerClosesIdleSession(t *testing.T) {
	// The server times out idle sessions before our pool does: the stale
	// session is replaced without failing the delivery.
	ts := startServer(t, serverOpts{readTimeout: 100 * time.Millisecond})
	s, _ := newSmarthost(t, ts, TLSNone, nil)
	for i := range 2 {
		if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
			t.Fatalf("Deliver %d: %v", i, err)
		}
		ts.waitOpen(t, 0)
	}
	if n := ts.ln.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	if len(ts.got("bob@example.test")) != 2 {
		t.Error("a message was lost")
	}
}

func TestIdleTimeoutSweeps(t *testing.T) {
	ts := startServer(t, serverOpts{})
	s, _ := newSmarthost(t, ts, TLSNone, func(o *SMTPOptions) { o.IdleConnTimeout = 50 * time.Millisecond })
	if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
		t.Fatal(err)
	}
	// No delivery follows: the sweeper alone closes the session.
	ts.waitOpen(t, 0)
	if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
		t.Fatal(err)
	}
	if n := ts.ln.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestLimiterForgetsIdleKeys(t *testing.T) {
	l := newLimiter(2)
	r1, err := l.acquire(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := l.acquire(context.Background(), "a")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(ctx, "a"); err == nil {
		t.Fatal("third acquire of a 2-slot key succeeded")
	}
	r3, err := l.acquire(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	r1()
	r2()
	r3()
	if len(l.slots) != 0 {
		t.Errorf("%d keys left after every release", len(l.slots))
	}
}

func TestDeadlineConnClamp(t *testing.T) {
	now := time.Now()
	later := now.Add(time.Hour)
	tests := []struct {
		limit, set, want time.Time
		cancelled        bool
	}{
		{time.Time{}, time.Time{}, time.Time{}, false},
		{time.Time{}, later, later, false},
		{now, time.Time{}, now, false},
		{now, later, now, false},
		{later, now, now, false},
		{time.Time{}, later, past, true},
	}
	for _, tc := range tests {
		d := &deadlineConn{limit: tc.limit, cancelled: tc.cancelled}
		if got := d.clamp(tc.set); !got.Equal(tc.want) {
			t.Errorf("limit %v cancelled %v: clamp(%v) = %v, want %v", tc.limit, tc.cancelled, tc.set, got, tc.want)
		}
	}
}

func TestLimiterInUse(t *testing.T) {
	l := newLimiter(3)
	ctx := context.Background()
	r1, _ := l.acquire(ctx, "a.example")
	r2, _ := l.acquire(ctx, "a.example")
	r3, _ := l.acquire(ctx, "b.example")
	if d, b := l.inUse(); d != 2 || b != 2 {
		t.Errorf("inUse = %d, %d; want 2 destinations, busiest 2", d, b)
	}
	r1()
	r2()
	r3()
	if d, b := l.inUse(); d != 0 || b != 0 {
		t.Errorf("inUse after release = %d, %d; want 0, 0", d, b)
	}
}
