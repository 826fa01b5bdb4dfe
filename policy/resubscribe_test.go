package policy

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"leak/metrics"
)

// The pages of opting back in are relay/web's, tested there over HTTP;
// these tests check the requests, tokens and confirmations beneath them.

func resubscriber(t *testing.T, e *Engine, clk *clock, opts ResubscribeOptions) *Resubscriber {
	t.Helper()
	opts.Now = clk.Now
	r, err := e.Resubscriber(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func optOut(t *testing.T, e *Engine, rcpt string) {
	t.Helper()
	if err := e.Unsubscribe(context.Background(), urlToken(e.UnsubscribeURL("", rcpt))); err != nil {
		t.Fatalf("opt-out of %s: %v", rcpt, err)
	}
}

func optedOut(t *testing.T, e *Engine, rcpt string) bool {
	t.Helper()
	st, err := e.store.Recipient(context.Background(), e.RecipientHash(rcpt))
	if err != nil {
		t.Fatal(err)
	}
	return st.OptedOut
}

// request asks for a confirmation to address, which must be given.
func request(t *testing.T, r *Resubscriber, address string) Confirmation {
	t.Helper()
	c, err := r.Request(context.Background(), address)
	if err != nil {
		t.Fatalf("request for %q: %v", address, err)
	}
	return c
}

func TestResubscribe(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	e, _, m := localEngine(t, offOptions(), clk)
	r := resubscriber(t, e, clk, ResubscribeOptions{})
	if r.TTL() != 24*time.Hour {
		t.Errorf("default TTL %s", r.TTL())
	}
	optOut(t, e, "bob@example.com")

	// The confirmation goes to the address as typed, its domain
	// normalised; the token names neither; nothing changes yet.
	c := request(t, r, " Bob+news@EXAMPLE.com ")
	if c.To != "Bob+news@example.com" {
		t.Errorf("To %q", c.To)
	}
	if len(c.Token) != resubTokenLen || strings.Contains(c.Token, "bob") {
		t.Fatalf("token %q", c.Token)
	}
	if err := r.Check(c.Token); err != nil {
		t.Fatal(err)
	}
	if !optedOut(t, e, "bob@example.com") {
		t.Fatal("asking for a confirmation opted back in")
	}
	if in := counter(t, m.PolicyOptOuts, metrics.OptIn); in != 0 {
		t.Fatalf("opt-ins counted before confirming: %d", in)
	}

	if err := r.Confirm(ctx, c.Token); err != nil {
		t.Fatal(err)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != Allow {
		t.Fatalf("after confirming: %+v", d)
	}
	if in := counter(t, m.PolicyOptOuts, metrics.OptIn); in != 1 {
		t.Fatalf("opt-ins counted %d, want 1", in)
	}

	// Once only: after a new opt-out, the same token is refused.
	optOut(t, e, "bob@example.com")
	if err := r.Confirm(ctx, c.Token); !errors.Is(err, ErrLinkUsed) {
		t.Fatalf("second use: %v", err)
	}
	if !optedOut(t, e, "bob@example.com") {
		t.Fatal("a used token opted back in")
	}
	if in := counter(t, m.PolicyOptOuts, metrics.OptIn); in != 1 {
		t.Fatalf("opt-ins counted %d after a refused reuse, want 1", in)
	}
}

func TestResubscribeExpiry(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	e, _, _ := localEngine(t, offOptions(), clk)
	r := resubscriber(t, e, clk, ResubscribeOptions{TTL: time.Hour})
	optOut(t, e, "bob@example.com")

	tok := request(t, r, "bob@example.com").Token
	clk.Advance(time.Hour - time.Second)
	if err := r.Check(tok); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	clk.Advance(time.Second)
	if err := r.Check(tok); !errors.Is(err, ErrLinkExpired) {
		t.Errorf("Check at expiry: %v", err)
	}
	if err := r.Confirm(ctx, tok); !errors.Is(err, ErrLinkExpired) {
		t.Errorf("Confirm at expiry: %v", err)
	}
	if !optedOut(t, e, "bob@example.com") {
		t.Fatal("an expired token opted back in")
	}

	fresh := request(t, r, "bob@example.com").Token
	if fresh == tok {
		t.Fatal("the same token twice an hour apart")
	}
	if err := r.Confirm(ctx, fresh); err != nil || optedOut(t, e, "bob@example.com") {
		t.Fatalf("fresh token: %v", err)
	}
}

func TestResubscribeBoundToAddress(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	e, _, _ := localEngine(t, offOptions(), clk)
	r := resubscriber(t, e, clk, ResubscribeOptions{})
	optOut(t, e, "bob@example.com")
	optOut(t, e, "alice@example.com")
	aliceTok := request(t, r, "alice@example.com").Token
	bobTok := request(t, r, "bob@example.com").Token

	// Another relay's secret, the same request.
	other := offOptions()
	other.Secret = []byte("another secret, another relay!!")
	e2, _, _ := localEngine(t, other, clk)
	foreign := request(t, resubscriber(t, e2, clk, ResubscribeOptions{}), "bob@example.com").Token

	// Alice's token with bob's hash, or with its expiry moved on.
	spliced := bobTok[:40] + aliceTok[40:]
	raw, _ := resubEncoding.DecodeString(aliceTok)
	raw[sha256Size+7]++
	later := resubEncoding.EncodeToString(raw)

	for name, tok := range map[string]string{
		"spliced":           spliced,
		"expiry moved":      later,
		"other secret":      foreign,
		"unsubscribe token": urlToken(e.UnsubscribeURL("", "bob@example.com")),
		"truncated":         bobTok[:74],
		"non-canonical":     bobTok[:74] + string(nextChar(bobTok[74])),
		"empty":             "",
	} {
		if err := r.Check(tok); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s: Check %v", name, err)
		}
		if err := r.Confirm(ctx, tok); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s: Confirm %v", name, err)
		}
	}
	// A confirmation token is no unsubscribe token either.
	if err := e.CheckUnsubscribe(bobTok); !errors.Is(err, ErrLinkInvalid) {
		t.Errorf("confirmation token as unsubscribe token: %v", err)
	}
	if !optedOut(t, e, "bob@example.com") || !optedOut(t, e, "alice@example.com") {
		t.Fatal("a bad token opted someone back in")
	}

	// Alice's token opts in alice, never bob.
	if err := r.Confirm(ctx, aliceTok); err != nil {
		t.Fatal(err)
	}
	if optedOut(t, e, "alice@example.com") || !optedOut(t, e, "bob@example.com") {
		t.Fatal("alice's token did not opt in alice alone")
	}
}

// sha256Size is the length of the hash at the front of a token.
const sha256Size = 32

// nextChar is another base64url character than c that decodes to the same
// 4 leading bits: in the last position of a 75-character token, only its
// 2 unused bits differ.
func nextChar(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return alphabet[strings.IndexByte(alphabet, c)^1]
}

// TestResubscribeSameAnswer: a request for an opted-out and a
// never-opted-out address makes the same store calls, so a third party
// learns nothing of the opt-out, not even by timing.
func TestResubscribeSameAnswer(t *testing.T) {
	clk := newClock()
	e, _, m := localEngine(t, offOptions(), clk)
	r := resubscriber(t, e, clk, ResubscribeOptions{})
	optOut(t, e, "bob@example.com")

	var calls []int
	for _, a := range []string{"bob@example.com", "carol@example.com"} {
		before, _ := storeCalls(t, m, metrics.StoreLocal)
		request(t, r, a)
		after, _ := storeCalls(t, m, metrics.StoreLocal)
		calls = append(calls, after-before)
	}
	if calls[0] != calls[1] || calls[0] != 2 {
		t.Errorf("store calls %d and %d, want the two limits' each", calls[0], calls[1])
	}
}

func TestResubscribeRateLimit(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	e, _, _ := localEngine(t, offOptions(), clk)
	r := resubscriber(t, e, clk, ResubscribeOptions{
		PerAddress: Limit{Rate: 2, Period: 24 * time.Hour},
		Global:     Limit{Rate: 4, Period: time.Hour},
	})
	for range 2 {
		request(t, r, "bob@example.com")
	}
	// A variant of the address shares its bucket.
	for _, a := range []string{"bob@example.com", "Bob+again@Example.COM"} {
		_, err := r.Request(ctx, a)
		var l *ResubscribeLimited
		if !errors.As(err, &l) || !l.PerAddress || l.RetryAfter != 12*time.Hour || l.Hint() != "try again in 12 hours" {
			t.Errorf("%s over the limit: %v", a, err)
		}
	}
	// Other addresses have their own buckets, up to the global limit.
	request(t, r, "alice@example.com")
	request(t, r, "carol@example.com")
	_, err := r.Request(ctx, "dave@example.com")
	var l *ResubscribeLimited
	if !errors.As(err, &l) || l.PerAddress {
		t.Errorf("over the global limit: %v", err)
	}
	// The buckets refill with time.
	clk.Advance(12 * time.Hour)
	request(t, r, "bob@example.com")
}

func TestResubscribeBadAddress(t *testing.T) {
	clk := newClock()
	e, _, m := localEngine(t, offOptions(), clk)
	r := resubscriber(t, e, clk, ResubscribeOptions{})
	before, _ := storeCalls(t, m, metrics.StoreLocal)
	for _, a := range []string{
		"", "bob", "bob@", "@example.com", "bob@localhost", "bob@@example.com",
		"bob smith@example.com", `"bob"@example.com`, "bob..x@example.com", ".bob@example.com",
		"bob@-example.com", "bob@example..com", "bøb@example.com", "bob@example.com\r\nBcc: x@example.com",
		"Bob <bob@example.com>", "bob@example.com, carol@example.com",
		strings.Repeat("b", 65) + "@example.com", "bob@" + strings.Repeat("x", 250) + ".com",
	} {
		if _, err := r.Request(context.Background(), a); !errors.Is(err, ErrBadAddress) {
			t.Errorf("address %q: %v, want ErrBadAddress", a, err)
		}
	}
	if after, _ := storeCalls(t, m, metrics.StoreLocal); after != before {
		t.Errorf("bad addresses took %d events of the limits", after-before)
	}
	// An internationalised domain is mailed in A-labels.
	if c := request(t, r, "<bob@BÜCHER.example>"); c.To != "bob@xn--bcher-kva.example" {
		t.Errorf("IDN domain: %q", c.To)
	}
}

// TestResubscribeStoreFails: a failure to mark a token used leaves the
// token; a failure to opt in after the mark costs it (ErrLinkLost).
func TestResubscribeStoreFails(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s, err := openLocal(t.TempDir(), defaultMaxKeys, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fire := errors.New("disk on fire")
	e, err := Open(offOptions(), failingStore{Store: s, err: fire})
	if err != nil {
		t.Fatal(err)
	}
	r := resubscriber(t, e, clk, ResubscribeOptions{})
	tok := request(t, r, "bob@example.com").Token
	if err := r.Confirm(ctx, tok); !errors.Is(err, ErrLinkLost) || !errors.Is(err, fire) {
		t.Errorf("opt-in failed: %v", err)
	}
	if err := r.Confirm(ctx, tok); !errors.Is(err, ErrLinkUsed) {
		t.Errorf("after a lost link: %v", err)
	}

	e2, err := Open(offOptions(), failingStore{Store: s, err: fire, allow: true})
	if err != nil {
		t.Fatal(err)
	}
	r2 := resubscriber(t, e2, clk, ResubscribeOptions{})
	if _, err := r2.Request(ctx, "bob@example.com"); !errors.Is(err, fire) {
		t.Errorf("request, limits failing: %v", err)
	}
	if err := r2.Confirm(ctx, tok); !errors.Is(err, fire) || errors.Is(err, ErrLinkLost) {
		t.Errorf("confirm, mark failing: %v", err)
	}
}

func TestResubscriberOptions(t *testing.T) {
	e, _, _ := localEngine(t, offOptions(), newClock())
	for name, o := range map[string]ResubscribeOptions{
		"negative ttl": {TTL: -time.Hour},
		"bad global":   {Global: Limit{Rate: 1}},
		"bad address":  {PerAddress: Limit{Rate: -1, Period: time.Hour}},
	} {
		if _, err := e.Resubscriber(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzResubToken(f *testing.F) {
	s, err := openLocal(f.TempDir(), 16, newClock().Now)
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	e, err := Open(offOptions(), s)
	if err != nil {
		f.Fatal(err)
	}
	h := e.keys.sum(kindRcpt, "bob@example.com")
	good := e.resubToken(h[:], newClock().Now().Add(time.Hour))
	f.Add(good)
	f.Add(good[:74] + "B")
	f.Add(strings.Repeat("A", resubTokenLen))
	f.Add("")
	f.Add(e.UnsubscribeURL("", "bob@example.com")[len("/u/"):])
	f.Fuzz(func(t *testing.T, tok string) {
		key, exp, ok := e.parseResubToken(tok)
		if !ok {
			return
		}
		// Only the one canonical token of a hash and expiry is accepted.
		raw, err := hex.DecodeString(key)
		if err != nil {
			t.Fatal(err)
		}
		if e.resubToken(raw, exp) != tok {
			t.Fatalf("accepted %q, which is not the token of its hash and expiry", tok)
		}
	})
}

func FuzzRequestAddress(f *testing.F) {
	for _, s := range []string{"bob@example.com", "<Bob+x@BÜCHER.example>", "a@b", `"a b"@c.d`, "x@y.z\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := requestAddress(s)
		if !ok {
			return
		}
		if len(a) > maxAddress || strings.ContainsAny(a, " \t\r\n<>\",;:()[]\\") || strings.Count(a, "@") != 1 {
			t.Fatalf("%q accepted as %q", s, a)
		}
		for i := range len(a) {
			if a[i] < 0x21 || a[i] > 0x7e {
				t.Fatalf("%q accepted as %q, which is not printable ASCII", s, a)
			}
		}
		if again, ok := requestAddress(a); !ok || again != a {
			t.Fatalf("%q gives %q, which gives %q %v", s, a, again, ok)
		}
	})
}
