package queue

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/courier"
)

// refusal is a permanent failure about the message, as a next hop gives
// for a rejected sender or content, quoting the envelope.
func refusal() error {
	return &courier.Error{Permanent: true, About: courier.AboutMessage, Code: 554,
		Text: "5.7.1 <" + testFrom + ">: message content rejected for <" + strings.ToLower(testRcpt) + ">"}
}

// TestMessageRefusalRetried: a next hop refusing the message (not the
// recipient) for a while, then fixed: the copy is retried and delivered,
// never bounced.
func TestMessageRefusalRetried(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	fc := &fakeCourier{fail: func(_ string, n int) error {
		if n <= 3 {
			return refusal()
		}
		return nil
	}}
	var res results
	q := New(sp, fc, Options{Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	testutil.WaitFor(t, "delivery", func() bool { return res.finished(m.ID) })
	rs := res.forID(m.ID)
	if got, want := outcomes(rs), "deferred#1 deferred#2 deferred#3 delivered#4"; got != want {
		t.Errorf("results %q, want %q", got, want)
	}
	if rs[0].About != courier.AboutMessage || rs[3].About != courier.AboutNextHop {
		t.Errorf("About %s then %s, want message then (delivered) the zero value", rs[0].About, rs[3].About)
	}
	if n := spoolLen(t, sp); n != 0 {
		t.Errorf("spool has %d entries", n)
	}
}

// TestMessageRefusalFails: refused for the message beyond FailureLifetime,
// the copy is given up as failed, never bounced; the last retry is pulled
// in to the end of FailureLifetime, as with expiry.
func TestMessageRefusalFails(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	fc := &fakeCourier{fail: func(string, int) error { return refusal() }}
	var res results
	var buf testutil.SyncBuffer
	q := New(sp, fc, Options{
		FailureLifetime: 200 * time.Millisecond,
		Backoff:         func(int) time.Duration { return time.Hour },
		OnResult:        res.add,
		Logger:          slog.New(slog.NewTextHandler(&buf, nil)),
	})
	start(t, q)
	testutil.WaitFor(t, "giving up", func() bool { return res.finished(m.ID) })
	rs := res.forID(m.ID)
	if got := outcomes(rs); got != "deferred#1 failed#2" {
		t.Errorf("results %q, want deferred#1 failed#2", got)
	}
	last := rs[len(rs)-1]
	if last.About != courier.AboutMessage || !courier.IsPermanent(last.Err) || last.Rcpt != testRcpt {
		t.Errorf("last result %+v, want the refusal about the message, for the recipient", last)
	}
	if n := spoolLen(t, sp); n != 0 {
		t.Errorf("spool has %d entries after giving up", n)
	}
	if q.Len() != 0 {
		t.Errorf("queue still holds %d entries", q.Len())
	}
	// The log says what happened and why, without the addresses the
	// server quoted.
	out := buf.String()
	for _, want := range []string{"outcome=failed", "about=message", "5.7.1 <[redacted]>: message content rejected for <[redacted]>"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	low := strings.ToLower(out)
	for _, addr := range []string{testRcpt, testFrom} {
		if strings.Contains(low, strings.ToLower(addr)) {
			t.Errorf("log contains %s:\n%s", addr, out)
		}
	}
}

// TestRefusalWindowRestarts: a temporary failure ends a run of refusals,
// so refusals spread over more than FailureLifetime, with the next hop
// down in between, do not add up.
func TestRefusalWindowRestarts(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	const window = 100 * time.Millisecond
	var mu sync.Mutex
	var first time.Time
	refusedAgain := false
	fc := &fakeCourier{fail: func(_ string, n int) error {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case n == 1:
			first = time.Now()
			return refusal()
		case time.Since(first) <= 2*window:
			return errTemp // the next hop is down for a while
		case !refusedAgain:
			// Refused again, well after the first refusal.
			refusedAgain = true
			return refusal()
		}
		return nil
	}}
	var res results
	q := New(sp, fc, Options{FailureLifetime: window, Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	testutil.WaitFor(t, "the end", func() bool { return res.finished(m.ID) })
	rs := res.forID(m.ID)
	if last := rs[len(rs)-1]; last.Outcome != Delivered {
		t.Errorf("results %s, want delivered at the end", outcomes(rs))
	}
}

// TestRecipientRefusalBounces: a permanent failure about the recipient
// bounces at once; one with no About (the zero value, the next hop) does
// not.
func TestRecipientRefusalBounces(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	rcpt, hop := commit(t, sp, "a"), commit(t, sp, "b")
	fc := &fakeCourier{fail: func(id string, n int) error {
		if id == rcpt.ID {
			return &courier.Error{Permanent: true, About: courier.AboutRecipient, Code: 550, Text: "5.1.1 unknown"}
		}
		return &courier.Error{Permanent: true, Code: 554, Text: "5.3.5 system incorrectly configured"}
	}}
	var res results
	q := New(sp, fc, Options{FailureLifetime: 50 * time.Millisecond, Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	testutil.WaitFor(t, "both done", func() bool { return res.finished(rcpt.ID, hop.ID) })
	if got := outcomes(res.forID(rcpt.ID)); got != "bounced#1" {
		t.Errorf("recipient refused: %q, want bounced#1", got)
	}
	rs := res.forID(hop.ID)
	if last := rs[len(rs)-1]; last.Outcome != Failed || last.About != courier.AboutNextHop || len(rs) < 2 {
		t.Errorf("next hop misconfigured: %s, about %s; want retries, then failed", outcomes(rs), last.About)
	}
}

// TestSpoolReadFailureIsLocal: a copy the spool cannot read is retried as
// a local failure, never bounced.
func TestSpoolReadFailureIsLocal(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	fc := &fakeCourier{fail: func(string, int) error {
		return &courier.Error{About: courier.AboutLocal, Text: "smtp: reading the message", Err: errTemp}
	}}
	var res results
	q := New(sp, fc, Options{Lifetime: 100 * time.Millisecond, Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	m.Created = time.Now()
	q.Add(m)
	start(t, q)
	testutil.WaitFor(t, "expiry", func() bool { return res.finished(m.ID) })
	rs := res.forID(m.ID)
	if last := rs[len(rs)-1]; last.Outcome != Expired || last.About != courier.AboutLocal {
		t.Errorf("results %s, about %s; want expired, local", outcomes(rs), last.About)
	}
}
