package sts

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"
)

func TestGetFetches(t *testing.T) {
	e := newEnv(t, "good.test", "none.test", "empty.test")
	ctx := context.Background()
	e.publish("good.test", "id1", enforcePolicy)
	e.publish("none.test", "n1", "version: STSv1\nmode: none\nmax_age: 86400\n")

	p := e.c.Get(ctx, "good.test")
	if p == nil || p.Mode != Enforce || !p.Allows("mx1.good.test") || !p.Allows("b.mx.good.test") || p.Allows("mx2.good.test") {
		t.Fatalf("Get = %+v, want the enforce policy", p)
	}
	// Known now: no DNS query, no fetch, whatever the case of the name.
	q := e.zone.queries.Load()
	if p2 := e.c.Get(ctx, "GOOD.test."); p2 != p {
		t.Errorf("second Get = %+v, want the same policy", p2)
	}
	if n := e.zone.queries.Load() - q; n != 0 || e.host.count("good.test") != 1 {
		t.Errorf("second Get: %d DNS queries, %d fetches in all; want 0 and 1", n, e.host.count("good.test"))
	}

	if p := e.c.Get(ctx, "none.test"); p == nil || p.Mode != None {
		t.Errorf("Get(none.test) = %+v, want a policy in none mode", p)
	}
	// No TXT record: no fetch, no policy.
	e.host.set("empty.test", served{body: enforcePolicy})
	if p := e.c.Get(ctx, "empty.test"); p != nil {
		t.Errorf("Get(empty.test) = %+v, want nil", p)
	}
	if n := e.host.count("empty.test"); n != 0 {
		t.Errorf("a domain without a TXT record had its policy fetched %d times", n)
	}
}

// Policies that cannot be had are no policies: delivery goes on as if the
// domain had none.
func TestGetRefusesBadPolicies(t *testing.T) {
	tests := []struct {
		name string
		f    served
		txt  string
	}{
		{"redirect", served{status: http.StatusMovedPermanently, body: enforcePolicy}, ""},
		{"404", served{status: http.StatusNotFound, body: enforcePolicy}, ""},
		{"500", served{status: http.StatusInternalServerError, body: enforcePolicy}, ""},
		{"text/html", served{ctype: "text/html", body: enforcePolicy}, ""},
		{"no Content-Type", served{ctype: "application/octet-stream", body: enforcePolicy}, ""},
		{"over 64 KiB", served{body: enforcePolicy + "ext: " + strings.Repeat("x", maxPolicySize) + "\n"}, ""},
		{"syntax", served{body: "mode: enforce\n"}, ""},
		{"two records", served{body: enforcePolicy}, "two"},
		{"bad record", served{body: enforcePolicy}, "v=STSv1; id=no-hyphens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "good.test")
			e.publish("good.test", "id1", "")
			e.host.set("good.test", tc.f)
			switch tc.txt {
			case "":
			case "two":
				e.zone.set("good.test", "v=STSv1; id=a", "v=STSv1; id=b")
			default:
				e.zone.set("good.test", tc.txt)
			}
			if p := e.c.Get(context.Background(), "good.test"); p != nil {
				t.Errorf("Get = %+v, want nil", p)
			}
		})
	}
	// A just-under-the-limit policy is fine.
	e := newEnv(t, "good.test")
	e.publish("good.test", "id1", enforcePolicy+"ext: "+strings.Repeat("x", maxPolicySize-len(enforcePolicy)-7)+"\n")
	if p := e.c.Get(context.Background(), "good.test"); p == nil {
		t.Error("a 64 KiB policy was refused")
	}

	// Certificates: for other names, or from an authority not trusted.
	trusted, untrusted := newCA(t), newCA(t)
	for name, cert := range map[string]tls.Certificate{
		"other names": trusted.issue(t, "mta-sts.evil.test", "good.test", "*.mta-sts.good.test", "mta-sts.good.test.evil"),
		"untrusted":   untrusted.issue(t, "mta-sts.good.test"),
	} {
		t.Run(name, func(t *testing.T) {
			zone := newZone()
			zone.set("good.test", "v=STSv1; id=id1")
			h := startPolicyHost(t, cert)
			h.set("good.test", served{body: enforcePolicy})
			c, _ := New(Options{Resolver: zone, Dial: h.dial, RootCAs: trusted.pool, Logger: quiet})
			if p := c.Get(context.Background(), "good.test"); p != nil {
				t.Errorf("Get = %+v, want nil", p)
			}
			if n := h.count("good.test"); n != 0 {
				t.Errorf("the policy was requested %d times over an unverified connection", n)
			}
		})
	}
}

func TestGetIDChangeRefetches(t *testing.T) {
	e := newEnv(t, "good.test")
	ctx := context.Background()
	e.publish("good.test", "id1", enforcePolicy)
	if p := e.c.Get(ctx, "good.test"); p == nil || p.Mode != Enforce {
		t.Fatalf("Get = %+v", p)
	}
	e.host.set("good.test", served{body: strings.Replace(enforcePolicy, "enforce", "testing", 1)})

	// Same id, TXT looked at again: no fetch.
	e.clock.add(5 * time.Minute)
	if p := e.c.Get(ctx, "good.test"); p == nil || p.Mode != Enforce || e.host.count("good.test") != 1 {
		t.Fatalf("Get with the same id = %+v after %d fetches, want enforce after 1", p, e.host.count("good.test"))
	}
	// A new id, noticed once the TXT answer is old enough.
	e.zone.set("good.test", "v=STSv1; id=id2")
	if p := e.c.Get(ctx, "good.test"); p == nil || p.Mode != Enforce {
		t.Fatalf("Get before Recheck = %+v, want the policy as it was", p)
	}
	e.clock.add(5 * time.Minute)
	if p := e.c.Get(ctx, "good.test"); p == nil || p.Mode != Testing || e.host.count("good.test") != 2 {
		t.Fatalf("Get with a new id = %+v after %d fetches, want testing after 2", p, e.host.count("good.test"))
	}
	// Stale asks DNS at once.
	e.zone.set("good.test", "v=STSv1; id=id3")
	e.host.set("good.test", served{body: enforcePolicy})
	e.c.Stale("good.test")
	if p := e.c.Get(ctx, "good.test"); p == nil || p.Mode != Enforce {
		t.Fatalf("Get after Stale = %+v, want the new enforce policy", p)
	}
}

// RFC 8461 section 3.3: a policy seen before stays in force until its
// max_age when the TXT record or the policy host cannot be had, and a
// failed fetch is not retried for five minutes.
func TestGetKeepsPolicyWhenFetchFails(t *testing.T) {
	e := newEnv(t, "good.test")
	ctx := context.Background()
	e.publish("good.test", "id1", enforcePolicy)
	if p := e.c.Get(ctx, "good.test"); p == nil {
		t.Fatal("no policy")
	}

	// The policy host goes down, and a new id is published.
	e.host.srv.Close()
	e.zone.set("good.test", "v=STSv1; id=id2")
	e.clock.add(5 * time.Minute)
	if p := e.c.Get(ctx, "good.test"); p == nil || p.Mode != Enforce {
		t.Fatalf("Get with the policy host down = %+v, want the policy seen before", p)
	}
	// The TXT record goes away, or DNS fails: still in force.
	e.zone.set("good.test")
	e.clock.add(5 * time.Minute)
	if p := e.c.Get(ctx, "good.test"); p == nil || p.Mode != Enforce {
		t.Fatalf("Get without a TXT record = %+v, want the policy seen before", p)
	}
	e.zone.setFail("good.test", true)
	e.clock.add(5 * time.Minute)
	if p := e.c.Get(ctx, "good.test"); p == nil || p.Mode != Enforce {
		t.Fatalf("Get with DNS failing = %+v, want the policy seen before", p)
	}
	// Until its max_age is over.
	e.clock.add(24 * time.Hour)
	if p := e.c.Get(ctx, "good.test"); p != nil {
		t.Fatalf("Get after max_age = %+v, want nil", p)
	}
}

func TestGetBacksOffFailedFetch(t *testing.T) {
	e := newEnv(t, "good.test")
	ctx := context.Background()
	e.publish("good.test", "id1", "")
	e.host.set("good.test", served{status: http.StatusServiceUnavailable})
	if p := e.c.Get(ctx, "good.test"); p != nil {
		t.Fatalf("Get = %+v, want nil", p)
	}
	e.host.set("good.test", served{body: enforcePolicy})
	e.clock.add(4 * time.Minute)
	e.c.Stale("good.test")
	if p := e.c.Get(ctx, "good.test"); p != nil || e.host.count("good.test") != 1 {
		t.Fatalf("Get within 5 minutes of a failed fetch = %+v after %d fetches, want nil after 1", p, e.host.count("good.test"))
	}
	e.clock.add(time.Minute)
	e.c.Stale("good.test")
	if p := e.c.Get(ctx, "good.test"); p == nil || e.host.count("good.test") != 2 {
		t.Fatalf("Get 5 minutes after a failed fetch = %+v after %d fetches, want the policy after 2", p, e.host.count("good.test"))
	}
}

func TestGetMaxAge(t *testing.T) {
	e := newEnv(t, "good.test", "zero.test")
	ctx := context.Background()
	e.publish("good.test", "id1", strings.Replace(enforcePolicy, "86400", "3600", 1))
	if p := e.c.Get(ctx, "good.test"); p == nil {
		t.Fatal("no policy")
	}
	// Expired with the same id: fetched again.
	e.clock.add(time.Hour)
	if p := e.c.Get(ctx, "good.test"); p == nil || e.host.count("good.test") != 2 {
		t.Fatalf("Get after max_age, same id = %+v after %d fetches, want the policy after 2", p, e.host.count("good.test"))
	}
	// A policy in use is refreshed daily, same id or not.
	e.publish("good.test", "id1", enforcePolicy)
	for range 30 {
		e.clock.add(59 * time.Minute)
		if p := e.c.Get(ctx, "good.test"); p == nil {
			t.Fatal("a policy in use expired")
		}
	}
	if n := e.host.count("good.test"); n != 4 {
		t.Errorf("%d fetches, want 4: the last a refresh a day after the third", n)
	}

	// max_age 0: applies to the delivery that fetched it, and is not kept.
	e.publish("zero.test", "z1", strings.Replace(enforcePolicy, "86400", "0", 1))
	if p := e.c.Get(ctx, "zero.test"); p == nil || p.Mode != Enforce {
		t.Fatalf("Get(zero.test) = %+v, want the policy", p)
	}
	e.host.srv.Close()
	if p := e.c.Get(ctx, "zero.test"); p != nil {
		t.Errorf("a policy with max_age 0 was kept: %+v", p)
	}
}

// Concurrent deliveries to a domain share one lookup; one whose context
// ends first does not wait for it, nor cut it short for the others.
func TestGetShared(t *testing.T) {
	e := newEnv(t, "good.test")
	e.publish("good.test", "id1", enforcePolicy)
	hold := make(chan struct{})
	e.host.mu.Lock()
	e.host.hold = hold
	e.host.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan *Policy)
	go func() { cancelled <- e.c.Get(ctx, "good.test") }()
	testutil.WaitFor(t, "the lookup to reach the policy host", func() bool { return e.host.count("good.test") > 0 })
	cancel()
	if p := <-cancelled; p != nil {
		t.Errorf("Get with a cancelled context = %+v, want nil (nothing known yet)", p)
	}

	var wg sync.WaitGroup
	got := make([]*Policy, 8)
	for i := range got {
		wg.Go(func() { got[i] = e.c.Get(context.Background(), "good.test") })
	}
	close(hold)
	wg.Wait()
	for i, p := range got {
		if p == nil || p.Mode != Enforce {
			t.Errorf("Get %d = %+v, want the policy", i, p)
		}
	}
	if n := e.host.count("good.test"); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

func TestCacheBounded(t *testing.T) {
	e := newEnv(t, "good.test")
	e.publish("good.test", "id1", enforcePolicy)
	c, _ := New(Options{Resolver: e.zone, Dial: e.host.dial, RootCAs: e.c.o.RootCAs, MaxDomains: 3, Logger: quiet})
	ctx := context.Background()
	if c.Get(ctx, "good.test") == nil {
		t.Fatal("no policy")
	}
	for i := range 10 {
		c.Get(ctx, fmt.Sprintf("d%d.test", i))
	}
	c.mu.Lock()
	n, kept := len(c.m), c.m["good.test"] != nil
	c.mu.Unlock()
	if n > 3 || !kept {
		t.Errorf("cache holds %d domains, the one with a policy kept: %v; want at most 3, true", n, kept)
	}
}
