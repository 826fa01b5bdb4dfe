package bounce

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// reports records what a Desk passes to policy.
type reports struct {
	mu   sync.Mutex
	got  []string // key + " hard" or " soft"
	fail error
}

func (r *reports) report(_ context.Context, key string, permanent bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, key+map[bool]string{true: " hard", false: " soft"}[permanent])
	return nil
}

func (r *reports) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// testKey is a stand-in for policy's BounceKey.
func testRcptKey(rcpt string) string {
	h := sha256.Sum256([]byte("key:" + strings.ToLower(rcpt)))
	return hex.EncodeToString(h[:])
}

func newTestDesk(t *testing.T, sent SentLog, r *reports) *Desk {
	t.Helper()
	d, err := NewDesk(Options{
		Tokens: NewTokens(testKey), Domain: "leak.example", Sent: sent,
		Key: testRcptKey, Report: r.report,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func fileSent(t *testing.T) SentLog {
	t.Helper()
	s, err := OpenSent(filepath.Join(t.TempDir(), "sent.db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDeskRoundTrip: a copy's envelope sender comes back as a RCPT the
// desk accepts (whatever the case), and its DSN is reported against the
// copy's recipient key.
func TestDeskRoundTrip(t *testing.T) {
	t.Parallel()
	r := &reports{}
	d := newTestDesk(t, fileSent(t), r)
	ctx := t.Context()
	from := d.EnvelopeFrom(testQID)
	if !IsAddress(from) || !strings.HasSuffix(from, "@leak.example") {
		t.Fatalf("EnvelopeFrom = %q", from)
	}
	if _, err := d.Rcpt(ctx, from); !errors.Is(err, ErrNoSuchAddress) {
		t.Errorf("Rcpt before Record: %v, want ErrNoSuchAddress", err)
	}
	if err := d.Record(ctx, testQID, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	qid, err := d.Rcpt(ctx, strings.ToUpper(from))
	if err != nil || qid != testQID {
		t.Fatalf("Rcpt = %q, %v; want %s", qid, err, testQID)
	}
	sum, err := d.Take(ctx, bytes.NewReader(crlf(readSample(t, "postfix-failed.eml"))), []string{qid})
	if err != nil || sum.Ignored != nil || sum.Hard != 1 || sum.Soft != 0 {
		t.Fatalf("Take = %+v, %v; want one hard failure", sum, err)
	}
	if got, want := r.list(), []string{testRcptKey("bob@example.com") + " hard"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("reported %q, want %q", got, want)
	}
}

// TestDeskTakeSamples: what each kind of bounce reports.
func TestDeskTakeSamples(t *testing.T) {
	t.Parallel()
	key := testRcptKey("bob@example.com")
	for _, tt := range []struct {
		file    string
		want    string // the report, or "" for none
		ignored error
	}{
		{"postfix-failed.eml", key + " hard", nil},
		{"exim-failed.eml", key + " hard", nil},
		{"exchange-failed.eml", key + " hard", nil},
		{"postfix-expired.eml", key + " soft", nil}, // failed, but 4.4.1
		{"postfix-delayed.eml", "", nil},
		{"exim-delayed.eml", "", nil},
		{"postfix-delivered.eml", "", nil},
		{"plain-undelivered.eml", "", ErrNotDSN},
		{"qmail-plain.eml", "", ErrNotDSN},
	} {
		t.Run(tt.file, func(t *testing.T) {
			r := &reports{}
			d := newTestDesk(t, fileSent(t), r)
			if err := d.Record(t.Context(), testQID, "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			sum, err := d.Take(t.Context(), bytes.NewReader(crlf(readSample(t, tt.file))), []string{testQID})
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(sum.Ignored, tt.ignored) || (tt.ignored == nil && sum.Ignored != nil) {
				t.Errorf("Ignored = %v, want %v", sum.Ignored, tt.ignored)
			}
			got := strings.Join(r.list(), ",")
			if got != tt.want {
				t.Errorf("reported %q, want %q", got, tt.want)
			}
			if n := sum.Hard + sum.Soft; (n == 1) != (tt.want != "") {
				t.Errorf("summary %+v for report %q", sum, tt.want)
			}
		})
	}
}

// TestDeskTakeMalformed: a broken report is ignored, with the reason.
func TestDeskTakeMalformed(t *testing.T) {
	t.Parallel()
	r := &reports{}
	d := newTestDesk(t, fileSent(t), r)
	d.Record(t.Context(), testQID, "bob@example.com")
	msg := report(perMessage + "Final-Recipient: rfc822; bob@example.com\r\nStatus: 5.1.1\r\n")
	sum, err := d.Take(t.Context(), strings.NewReader(msg), []string{testQID})
	if err != nil || !errors.Is(sum.Ignored, ErrMalformed) || len(r.list()) != 0 {
		t.Errorf("Take = %+v, %v, reported %q; want ignored as malformed", sum, err, r.list())
	}
	if strings.Contains(sum.Ignored.Error(), "bob@") {
		t.Errorf("the reason quotes the message: %v", sum.Ignored)
	}
}

// TestDeskTakeReadError: a bounce cut short reports nothing, even when
// the cut comes after its delivery-status part.
func TestDeskTakeReadError(t *testing.T) {
	t.Parallel()
	r := &reports{}
	d := newTestDesk(t, fileSent(t), r)
	d.Record(t.Context(), testQID, "bob@example.com")
	boom := errors.New("connection reset")
	msg := crlf(readSample(t, "postfix-failed.eml"))
	for _, cut := range []int{400, len(msg)} {
		_, err := d.Take(t.Context(), &failingReader{data: msg[:cut], err: boom}, []string{testQID})
		if !errors.Is(err, ErrRead) || !errors.Is(err, boom) {
			t.Errorf("cut at %d: error %v, want ErrRead wrapping the read error", cut, err)
		}
	}
	if got := r.list(); len(got) != 0 {
		t.Errorf("reported %q from a cut bounce", got)
	}
}

// brokenSent is a sent log whose storage fails.
type brokenSent struct{ SentLog }

var errStorage = errors.New("storage down")

func (brokenSent) Get(context.Context, string) (string, bool, error) {
	return "", false, errStorage
}

// TestDeskErrors: a sent log or a policy that fails is an error for the
// caller (a temporary failure), never taken for an unknown address or a
// bounce dealt with.
func TestDeskErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := &reports{}
	sent := fileSent(t)
	d := newTestDesk(t, brokenSent{sent}, r)
	if err := d.Record(ctx, testQID, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	from := d.EnvelopeFrom(testQID)
	if _, err := d.Rcpt(ctx, from); !errors.Is(err, errStorage) {
		t.Errorf("Rcpt with the sent log down: %v, want the storage error", err)
	}
	dsn := crlf(readSample(t, "postfix-failed.eml"))
	if _, err := d.Take(ctx, bytes.NewReader(dsn), []string{testQID}); !errors.Is(err, errStorage) {
		t.Errorf("Take with the sent log down: %v, want the storage error", err)
	}

	r.fail = errors.New("policy store down")
	d = newTestDesk(t, fileSent(t), r)
	d.Record(ctx, testQID, "bob@example.com")
	sum, err := d.Take(ctx, bytes.NewReader(dsn), []string{testQID})
	if !errors.Is(err, r.fail) || sum.Hard != 0 {
		t.Errorf("Take with policy down = %+v, %v; want its error and nothing counted", sum, err)
	}
	if strings.Contains(err.Error(), "bob") {
		t.Errorf("error names the recipient: %v", err)
	}

	// Forged and malformed addresses.
	for _, a := range []string{
		Prefix + strings.Repeat("a", tokenLen) + "@leak.example",
		NewTokens([]byte("another key, just as long as the first one")).Address(testQID, "leak.example"),
		Prefix + testQID + "@leak.example",
		"bob@leak.example",
	} {
		if _, err := d.Rcpt(ctx, a); !errors.Is(err, ErrNoSuchAddress) {
			t.Errorf("Rcpt(%q): %v, want ErrNoSuchAddress", a, err)
		}
	}
	// Record refuses what the key function did not hash.
	d2, _ := NewDesk(Options{Tokens: NewTokens(testKey), Domain: "leak.example", Sent: fileSent(t),
		Key: func(s string) string { return s }, Report: r.report})
	defer d2.Close()
	if err := d2.Record(ctx, testQID, "bob@example.com"); err == nil || strings.Contains(err.Error(), "bob") {
		t.Errorf("Record of an unhashed address: %v", err)
	}
}

// TestDeskSharedRedis: two desks on one Redis, as two replicas: a bounce
// for a copy A sent is accepted and reported by B. With a sent log of its
// own, B refuses it, which is what the Redis log is for.
func TestDeskSharedRedis(t *testing.T) {
	t.Parallel()
	c := startRedis(t)
	ctx := t.Context()
	ra, rb := &reports{}, &reports{}
	a := newTestDesk(t, NewRedisSent(c, 0), ra)
	b := newTestDesk(t, NewRedisSent(c, 0), rb)
	alone := newTestDesk(t, fileSent(t), rb)

	if err := a.Record(ctx, testQID, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	from := a.EnvelopeFrom(testQID)
	if _, err := alone.Rcpt(ctx, from); !errors.Is(err, ErrNoSuchAddress) {
		t.Errorf("a desk with its own log: %v, want ErrNoSuchAddress", err)
	}
	qid, err := b.Rcpt(ctx, from)
	if err != nil {
		t.Fatalf("B refused A's bounce address: %v", err)
	}
	sum, err := b.Take(ctx, bytes.NewReader(crlf(readSample(t, "postfix-failed.eml"))), []string{qid})
	if err != nil || sum.Hard != 1 {
		t.Fatalf("B's Take = %+v, %v", sum, err)
	}
	if got := rb.list(); len(got) != 1 || got[0] != testRcptKey("bob@example.com")+" hard" {
		t.Errorf("B reported %q", got)
	}
}

func TestDeskResult(t *testing.T) {
	t.Parallel()
	d := newTestDesk(t, fileSent(t), &reports{})
	if err := d.Result(t.Context(), testQID, "bob@example.com", true); err != nil {
		t.Errorf("Result without Failed: %v", err)
	}
	var got []string
	fail := errors.New("store down")
	d, _ = NewDesk(Options{Tokens: NewTokens(testKey), Domain: "leak.example", Sent: fileSent(t),
		Key: testRcptKey, Report: (&reports{}).report,
		Failed: func(_ context.Context, rcpt, qid string, permanent bool) error {
			got = append(got, rcpt, qid)
			if !permanent {
				return fail
			}
			return nil
		}})
	defer d.Close()
	if err := d.Result(t.Context(), testQID, "bob@example.com", true); err != nil {
		t.Fatal(err)
	}
	if err := d.Result(t.Context(), testQID, "bob@example.com", false); !errors.Is(err, fail) || strings.Contains(err.Error(), "bob") {
		t.Errorf("Result error: %v", err)
	}
	if len(got) != 4 || got[0] != "bob@example.com" || got[1] != testQID {
		t.Errorf("Failed got %q", got)
	}
}

func TestNewDeskRequires(t *testing.T) {
	t.Parallel()
	full := Options{Tokens: NewTokens(testKey), Domain: "leak.example", Sent: fileSent(t),
		Key: testRcptKey, Report: (&reports{}).report}
	for name, change := range map[string]func(*Options){
		"tokens": func(o *Options) { o.Tokens = nil },
		"domain": func(o *Options) { o.Domain = "" },
		"sent":   func(o *Options) { o.Sent = nil },
		"key":    func(o *Options) { o.Key = nil },
		"report": func(o *Options) { o.Report = nil },
	} {
		o := full
		change(&o)
		if _, err := NewDesk(o); err == nil {
			t.Errorf("NewDesk without %s succeeded", name)
		}
	}
	full.Sent.Close()
}

func TestIsAddress(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"bounce+x@leak.example": true,
		"Bounce+@leak.example":  true,
		"BOUNCE+":               false,
		"bounce@leak.example":   false,
		"to+bounce+x@leak":      false,
		"":                      false,
	} {
		if got := IsAddress(addr); got != want {
			t.Errorf("IsAddress(%q) = %v, want %v", addr, got, want)
		}
	}
}
