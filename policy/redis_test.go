package policy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leak/metrics"
	"leak/policy/testutil"
)

// testStoreContract runs the same checks on every Store. advance, when
// not nil, moves the store's clock; real Redis has none to move.
func testStoreContract(t *testing.T, s Store, advance func(time.Duration)) {
	ctx := context.Background()
	lim := Limit{Rate: 1, Burst: 3, Period: time.Hour}
	for i := range 3 {
		if ok, _, err := s.Allow(ctx, "rate", lim); !ok || err != nil {
			t.Fatalf("Allow #%d = %v, %v", i+1, ok, err)
		}
	}
	ok, retry, err := s.Allow(ctx, "rate", lim)
	if ok || err != nil || retry <= 59*time.Minute || retry > time.Hour {
		t.Errorf("Allow #4 = %v, %v, %v; want refused, retry about 1h", ok, retry, err)
	}
	if ok, _, _ := s.Allow(ctx, "other", lim); !ok {
		t.Error("another key refused")
	}

	state := func(key string) RecipientState {
		t.Helper()
		st, err := s.Recipient(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := state("r"); st.OptedOut || st.Suppressed {
		t.Fatalf("fresh recipient: %+v", st)
	}
	if err := s.SetOptOut(ctx, "r", true); err != nil {
		t.Fatal(err)
	}
	if st := state("r"); !st.OptedOut || st.Suppressed {
		t.Errorf("after opt-out: %+v", st)
	}
	if err := s.SetOptOut(ctx, "r", false); err != nil {
		t.Fatal(err)
	}
	if st := state("r"); st.OptedOut {
		t.Errorf("after opt-in: %+v", st)
	}

	for i := 1; i <= 3; i++ {
		if n, err := s.SoftBounce(ctx, "b", time.Hour); n != i || err != nil {
			t.Fatalf("SoftBounce #%d = %d, %v", i, n, err)
		}
	}
	if err := s.Suppress(ctx, "b", time.Hour); err != nil {
		t.Fatal(err)
	}
	if st := state("b"); !st.Suppressed || st.OptedOut {
		t.Errorf("after Suppress: %+v", st)
	}
	if n, _ := s.SoftBounce(ctx, "b", time.Hour); n != 1 {
		t.Errorf("Suppress left the soft count at %d", n-1)
	}
	if advance == nil {
		return
	}
	advance(time.Hour + time.Second)
	if st := state("b"); st.Suppressed {
		t.Error("suppression outlived its duration")
	}
	if n, _ := s.SoftBounce(ctx, "b", time.Hour); n != 1 {
		t.Errorf("soft window outlived its duration: count %d", n)
	}
}

func TestStoreContract(t *testing.T) {
	onEveryStore(t, 64, testStoreContract, nil, func(t *testing.T, s *RedisStore) {
		// No clock to move: check the TTLs instead.
		ctx := context.Background()
		if err := s.Suppress(ctx, "ttl", time.Hour); err != nil {
			t.Fatal(err)
		}
		s.SoftBounce(ctx, "ttl2", time.Hour)
		for _, k := range []string{prefixSuppress + "ttl", prefixSoft + "ttl2"} {
			if ttl := s.client.PTTL(ctx, k).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
				t.Errorf("TTL of %s = %v, want about 1h", k, ttl)
			}
		}
		if n := s.client.Exists(ctx, prefixOptOut+"r").Val(); n != 0 {
			t.Error("opt-in left the opt-out key behind")
		}
	})
}

// redisEngine opens an Engine with opts on the Redis at url.
func redisEngine(t *testing.T, url string, opts Options) (*Engine, *metrics.Metrics) {
	t.Helper()
	s, err := OpenRedis(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	m := metrics.New("test")
	opts.Metrics = m
	e, err := Open(opts, s)
	if err != nil {
		t.Fatal(err)
	}
	return e, m
}

func TestRedisSharedByTwoEngines(t *testing.T) {
	ctx := context.Background()
	url := startRedis(t)
	opts := offOptions()
	opts.Recipient = DefaultOptions().Recipient // 5 a day, burst 3
	opts.IP = Limit{Rate: 10, Burst: 7, Period: time.Hour}
	e1, m1 := redisEngine(t, url, opts)
	e2, m2 := redisEngine(t, url, opts)
	engines := []*Engine{e1, e2}

	// Concurrent RCPTs for one recipient through both instances: exactly
	// the burst gets through.
	var allowedRcpt, allowedMail atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			e := engines[i%2]
			if d := e.Rcpt(ctx, []string{"bob@example.com", "BOB+x@example.com"}[i%2]); d.Action == Allow {
				allowedRcpt.Add(1)
			} else if d.Policy != PolicyRateRcpt {
				t.Errorf("Rcpt refused by %+v", d)
			}
			if d := e.Mail(ctx, addr("192.0.2.7"), ""); d.Action == Allow {
				allowedMail.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowedRcpt.Load(); n != 3 {
		t.Errorf("%d RCPTs allowed across two instances, want exactly 3", n)
	}
	if n := allowedMail.Load(); n != 7 {
		t.Errorf("%d MAILs allowed across two instances, want exactly 7", n)
	}
	if a := decisions(m1, PolicyRateRcpt, "allow") + decisions(m2, PolicyRateRcpt, "allow"); a != 3 {
		t.Errorf("rate_rcpt allows counted %d, want 3", a)
	}
	d := e2.Rcpt(ctx, "bob@example.com")
	if d.Action != Defer || d.RetryAfter < 4*time.Hour || !strings.Contains(d.Text, "try again in 5 hours") {
		t.Errorf("deferred RCPT: %+v, want a retry of ~4.8h", d)
	}

	// An opt-out through one instance is refused by the other at once,
	// and the other's unsubscribe link knows it.
	carol := urlToken(e1.UnsubscribeURL("", "carol@example.com"))
	if err := e1.Unsubscribe(ctx, carol); err != nil {
		t.Fatalf("opt-out: %v", err)
	}
	if d := e2.Rcpt(ctx, "carol@example.com"); d.Action != Reject || d.Policy != PolicyOptOut {
		t.Errorf("other instance after opt-out: %+v", d)
	}
	if out, err := e2.Unsubscribed(ctx, urlToken(e2.UnsubscribeURL("", "carol@example.com"))); err != nil || !out {
		t.Errorf("other instance does not know the opt-out: %v %v", out, err)
	}

	// Hard bounces of two messages, one recorded by each instance,
	// suppress on both.
	if err := e2.Bounce(ctx, "dave@example.com", "q1", true); err != nil {
		t.Fatal(err)
	}
	if err := e1.Bounce(ctx, "dave@example.com", "q2", true); err != nil {
		t.Fatal(err)
	}
	if d := e2.Rcpt(ctx, "dave@example.com"); d.Policy != PolicySuppressed {
		t.Errorf("other instance after two messages' hard bounces: %+v", d)
	}
	// Each instance counts what it did itself.
	if a, b := counter(t, m1.PolicyOptOuts, metrics.OptOut), counter(t, m2.PolicyOptOuts, metrics.OptOut); a != 1 || b != 0 {
		t.Errorf("opt-outs counted %d and %d, want 1 on the first instance only", a, b)
	}
	if a, b := counter(t, m1.PolicySuppressions, metrics.SuppressHard), counter(t, m2.PolicySuppressions, metrics.SuppressHard); a != 1 || b != 0 {
		t.Errorf("suppressions counted %d and %d, want 1 on the first instance only", a, b)
	}
	for i, m := range []*metrics.Metrics{m1, m2} {
		if calls, errs := storeCalls(t, m, metrics.StoreRedis); calls == 0 || errs != 0 {
			t.Errorf("instance %d: %d Redis calls, %d errors; want some and none", i+1, calls, errs)
		}
	}
}

func TestRedisUnreachable(t *testing.T) {
	ctx := context.Background()
	opts := DefaultOptions()
	opts.Secret = testSecret
	e, m := redisEngine(t, "redis://"+testutil.ReservePort(t)+"/0", opts)

	for name, d := range map[string]Decision{
		"mail":   e.Mail(ctx, addr("192.0.2.1"), "a@example.org"),
		"bounce": e.Mail(ctx, addr("192.0.2.1"), ""),
		"rcpt":   e.Rcpt(ctx, "bob@example.com"),
		"auth":   e.Authenticated(ctx, "example.org"),
	} {
		if d.Action != Defer || d.Policy != PolicyRedis || d.RetryAfter <= 0 || !strings.Contains(d.Text, "try again in") {
			t.Errorf("%s with Redis down: %+v, want Defer by redis", name, d)
		}
	}
	if got := decisions(m, PolicyRedis, "error"); got != 4 {
		t.Errorf("redis errors counted %d, want 4", got)
	}
	for _, p := range policies {
		if got := decisions(m, p, "allow"); got != 0 && p != PolicyConnIP && p != PolicyConnTotal {
			t.Errorf("%s allowed %d times with Redis down", p, got)
		}
	}
	if err := e.Bounce(ctx, "bob@example.com", "q1", true); err == nil {
		t.Error("Bounce with Redis down succeeded")
	}
	// Connection limits are per instance and work on.
	if d, release := e.Connect(ctx, addr("192.0.2.1")); d.Action != Allow {
		t.Errorf("Connect with Redis down: %+v", d)
	} else {
		release()
	}
	tok := urlToken(e.UnsubscribeURL("", "bob@example.com"))
	if _, err := e.Unsubscribed(ctx, tok); err == nil || errors.Is(err, ErrLinkInvalid) {
		t.Errorf("Unsubscribed with Redis down: %v", err)
	}
	if err := e.Unsubscribe(ctx, tok); err == nil || errors.Is(err, ErrLinkInvalid) {
		t.Errorf("Unsubscribe with Redis down: %v", err)
	}
	if err := e.Ping(ctx); err == nil {
		t.Error("Ping with Redis down succeeded")
	}
	// Four decisions, the bounce, the opt-out's read and write and the
	// ping: one call each, each failed and timed. Nothing was opted out or suppressed.
	if calls, errs := storeCalls(t, m, metrics.StoreRedis); calls != 8 || errs != 8 {
		t.Errorf("redis store: %d calls, %d errors; want 8 and 8", calls, errs)
	}
	if calls, _ := storeCalls(t, m, metrics.StoreLocal); calls != 0 {
		t.Errorf("local store: %d calls on a Redis engine", calls)
	}
	if out, hard := counter(t, m.PolicyOptOuts, metrics.OptOut), counter(t, m.PolicySuppressions, metrics.SuppressHard); out != 0 || hard != 0 {
		t.Errorf("opt-outs %d, suppressions %d counted with Redis down", out, hard)
	}
}

func TestOpenRedisURL(t *testing.T) {
	for _, u := range []string{"http://example.com", "redis://user:hunter2@[::1", "redis://h:1/notanumber"} {
		_, err := OpenRedis(u)
		if err == nil {
			t.Errorf("OpenRedis(%q) succeeded", u)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error repeats the password: %v", err)
		}
	}
}
