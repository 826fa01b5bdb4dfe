package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"leak/metrics"
)

// The pages of these links are relay/web's, tested there over HTTP; these
// tests check the tokens and the opt-out they stand for.

// failingStore fails Recipient and SetOptOut with err, and Allow too when
// allow is set.
type failingStore struct {
	Store
	err   error
	allow bool
}

func (f failingStore) Allow(ctx context.Context, key string, l Limit) (bool, time.Duration, error) {
	if f.allow {
		return false, 0, f.err
	}
	return f.Store.Allow(ctx, key, l)
}

func (f failingStore) Recipient(context.Context, string) (RecipientState, error) {
	return RecipientState{}, f.err
}
func (f failingStore) SetOptOut(context.Context, string, bool) error { return f.err }

func urlToken(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }

func TestUnsubscribe(t *testing.T) {
	ctx := context.Background()
	e, _, m := localEngine(t, offOptions(), newClock())

	u := e.UnsubscribeURL("https://leak.example/", "bob@example.com")
	if !strings.HasPrefix(u, "https://leak.example/u/") || strings.Contains(u, "bob") || strings.Contains(u, "example.com") {
		t.Fatalf("URL %q", u)
	}
	if got := e.UnsubscribeURL("https://leak.example", "Bob+tag@Example.com"); got != u {
		t.Errorf("variant address has another URL: %s", got)
	}
	tok := urlToken(u)
	if err := e.CheckUnsubscribe(tok); err != nil {
		t.Fatal(err)
	}

	// Reading the state changes nothing.
	if out, err := e.Unsubscribed(ctx, tok); err != nil || out {
		t.Fatalf("Unsubscribed before: %v %v", out, err)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != Allow {
		t.Fatalf("reading the state opted out: %+v", d)
	}

	if err := e.Unsubscribe(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if out, err := e.Unsubscribed(ctx, tok); err != nil || !out {
		t.Fatalf("Unsubscribed after: %v %v", out, err)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != Reject || d.Policy != PolicyOptOut || d.Text != textNoRcpt {
		t.Fatalf("after opting out: %+v", d)
	}
	if d := e.Rcpt(ctx, "Bob+news@EXAMPLE.com"); d.Policy != PolicyOptOut {
		t.Errorf("a variant of the address is not opted out: %+v", d)
	}
	if d := e.Rcpt(ctx, "alice@example.com"); d.Action != Allow {
		t.Errorf("another recipient refused: %+v", d)
	}
	// Again: nothing changes, and it counts as the click it is.
	if err := e.Unsubscribe(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if out, in := counter(t, m.PolicyOptOuts, metrics.OptOut), counter(t, m.PolicyOptOuts, metrics.OptIn); out != 2 || in != 0 {
		t.Errorf("opt-outs %d, opt-ins %d; want 2 and 0", out, in)
	}
}

func TestUnsubscribeTokens(t *testing.T) {
	ctx := context.Background()
	e, _, m := localEngine(t, offOptions(), newClock())
	tok := urlToken(e.UnsubscribeURL("", "bob@example.com"))
	if len(tok) != tokenLen {
		t.Fatalf("token length %d, want %d", len(tok), tokenLen)
	}

	// Another Engine's secret: the same recipient, a token that must not
	// work here.
	other := offOptions()
	other.Secret = []byte("another secret, another relay!!")
	e2, _, _ := localEngine(t, other, newClock())
	foreign := urlToken(e2.UnsubscribeURL("", "bob@example.com"))

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	// A token for alice, with bob's hash spliced in: the MAC no longer
	// matches.
	aliceTok := urlToken(e.UnsubscribeURL("", "alice@example.com"))
	spliced := aliceTok[:43] + tok[43:]
	h := e.keys.sum(kindRcpt, "bob@example.com")
	resub := e.resubToken(h[:], newClock().Now().Add(time.Hour))

	for name, bad := range map[string]string{
		"hash byte":          flip(tok, 3),
		"mac byte":           flip(tok, 60),
		"truncated":          tok[:63],
		"extended":           tok + "A",
		"padded":             tok + "==",
		"std alphabet":       strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+",
		"other secret":       foreign,
		"spliced":            spliced,
		"empty":              "",
		"confirmation token": resub,
	} {
		if err := e.CheckUnsubscribe(bad); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s: CheckUnsubscribe %v", name, err)
		}
		if _, err := e.Unsubscribed(ctx, bad); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s: Unsubscribed %v", name, err)
		}
		if err := e.Unsubscribe(ctx, bad); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s: Unsubscribe %v", name, err)
		}
	}
	for _, a := range []string{"bob@example.com", "alice@example.com"} {
		if d := e.Rcpt(ctx, a); d.Action != Allow {
			t.Fatalf("a bad token opted %s out: %+v", a, d)
		}
	}
	// Alice's valid token opts out alice, never bob.
	if err := e.Unsubscribe(ctx, aliceTok); err != nil {
		t.Fatal(err)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != Allow {
		t.Errorf("alice's token opted bob out: %+v", d)
	}
	if out := counter(t, m.PolicyOptOuts, metrics.OptOut); out != 1 {
		t.Errorf("opt-outs %d, want alice's 1", out)
	}
}

// TestUnsubscribeStoreFails: a store failure is an error that is not
// ErrLinkInvalid (a page answers 503, so a one-click client retries),
// counted as the decisions' store errors are, and no opt-out is counted.
func TestUnsubscribeStoreFails(t *testing.T) {
	ctx := context.Background()
	s, err := openLocal(t.TempDir(), defaultMaxKeys, newClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := metrics.New("test")
	opts := offOptions()
	opts.Metrics = m
	e, err := Open(opts, failingStore{Store: s, err: errors.New("disk on fire")})
	if err != nil {
		t.Fatal(err)
	}
	tok := urlToken(e.UnsubscribeURL("", "bob@example.com"))
	if _, err := e.Unsubscribed(ctx, tok); err == nil || errors.Is(err, ErrLinkInvalid) {
		t.Errorf("Unsubscribed: %v", err)
	}
	if err := e.Unsubscribe(ctx, tok); err == nil || errors.Is(err, ErrLinkInvalid) || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("Unsubscribe: %v", err)
	}
	if got := decisions(m, metrics.StoreLocal, metrics.DecisionError); got != 2 {
		t.Errorf("store errors counted %d, want 2", got)
	}
	if out := counter(t, m.PolicyOptOuts, metrics.OptOut); out != 0 {
		t.Errorf("a failed opt-out was counted: %d", out)
	}
}
