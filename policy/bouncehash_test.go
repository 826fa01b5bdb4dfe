package policy

import (
	"context"
	"testing"
	"time"
)

// TestSubaddressBounce: a bounce of bob+x@ (a DSN, or the queue's own
// failures) suppresses bob+x@ alone, in any case; bob@ and bob+y@ still
// get mail. A bounce of bob@ suppresses every tag of bob, as before.
func TestSubaddressBounce(t *testing.T) {
	ctx := context.Background()
	opts := offOptions()
	opts.SuppressFor = 10 * 24 * time.Hour
	opts.SoftBounceLimit = 3
	e, _, _ := localEngine(t, opts, newClock())
	suppressed := func(r string) bool {
		t.Helper()
		d := e.Rcpt(ctx, r)
		if d.Action != Allow && d.Policy != PolicySuppressed {
			t.Fatalf("Rcpt(%q) = %+v", r, d)
		}
		return d.Policy == PolicySuppressed
	}
	want := func(who string, rcpts map[string]bool) {
		t.Helper()
		for r, w := range rcpts {
			if got := suppressed(r); got != w {
				t.Errorf("%s: Rcpt(%q) suppressed = %v, want %v", who, r, got, w)
			}
		}
	}

	if e.BounceKey("bob@example.com") != e.RecipientHash("bob@example.com") {
		t.Fatal("an address without a tag has a bounce key of its own")
	}
	for _, k := range []string{e.BounceKey("bob+y@example.com"), e.BounceKey("bob@example.com"), e.RecipientHash("bob+x@example.com")} {
		if k == e.BounceKey("bob+x@example.com") {
			t.Fatal("bob+x shares its bounce key with another address")
		}
	}
	if e.BounceKey("<Bob+X@EXAMPLE.com.>") != e.BounceKey("bob+x@example.com") {
		t.Error("case or a trailing dot changes a sub-address's bounce key")
	}

	// A hard DSN for bob+x, as the relay's sent log reports it.
	if err := e.BounceHash(ctx, e.BounceKey("bob+x@example.com"), true); err != nil {
		t.Fatal(err)
	}
	want("DSN for bob+x", map[string]bool{
		"bob+x@example.com": true, "Bob+X@Example.COM": true,
		"bob@example.com": false, "bob+y@example.com": false,
	})

	// The queue's hard failures of carol+x, two messages: carol+x only.
	for _, msg := range []string{"q1", "q2"} {
		if err := e.Bounce(ctx, "carol+x@example.com", msg, true); err != nil {
			t.Fatal(err)
		}
	}
	// Soft failures of dave+x, up to the limit: dave+x only.
	for range 3 {
		if err := e.Bounce(ctx, "dave+x@example.com", "", false); err != nil {
			t.Fatal(err)
		}
	}
	want("queue failures", map[string]bool{
		"carol+x@example.com": true, "carol@example.com": false,
		"dave+x@example.com": true, "dave@example.com": false,
	})

	// The mailbox itself bouncing still covers all its tags.
	if err := e.BounceHash(ctx, e.BounceKey("erin@example.com"), true); err != nil {
		t.Fatal(err)
	}
	want("DSN for erin", map[string]bool{"erin@example.com": true, "erin+x@example.com": true})
}
