package main

import (
	"context"
	"io"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"leak/policy"
	"leak/relay"
	"leak/relay/web"
)

// recorder is the relay behind the web handler: it keeps what it is given,
// or refuses with err.
type recorder struct {
	mu   sync.Mutex
	subs []relay.Submission
	err  error
}

func (r *recorder) Submit(_ context.Context, s relay.Submission) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.subs = append(r.subs, s)
	return nil
}

// webServer is relay/web on a real policy engine, with rec as the relay.
func webServer(t *testing.T, rec *recorder) string {
	t.Helper()
	store, err := policy.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	po := policy.DefaultOptions()
	po.Secret = []byte("load test secret of enough bytes")
	engine, err := policy.Open(po, store)
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Options{Domain: "leak.example", Submitter: rec, Policy: engine,
		ProofKey: engine.DeriveKey("web"), Difficulty: 1000, OperatorName: "o", OperatorContact: "c"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestFormRun(t *testing.T) {
	for _, form := range []bool{false, true} {
		rec := &recorder{}
		url := webServer(t, rec)
		res, err := formRun(context.Background(), formOptions{URL: url, N: 20, C: 4, Size: 300, Rcpts: 5,
			Domain: "example.com", Form: form, Presolve: form, Duration: time.Minute, Progress: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if res.Sent != 20 || res.Attempted != 20 || len(res.Errors) != 0 || res.PerSecond <= 0 {
			t.Errorf("form %v: %+v", form, res)
		}
		seen := map[string]int{}
		for _, s := range rec.subs {
			seen[s.To]++
			if len(s.Text) != 300 {
				t.Errorf("text of %d octets, want 300", len(s.Text))
			}
		}
		if len(seen) != 5 || seen["load-0@example.com"] != 4 {
			t.Errorf("form %v: recipients %v, want 5 used 4 times each", form, seen)
		}
	}
}

// Refusals are counted by status and code, never as sent.
func TestFormRunRefused(t *testing.T) {
	rec := &recorder{err: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "this recipient does not accept Leak messages"}}
	url := webServer(t, rec)
	res, err := formRun(context.Background(), formOptions{URL: url, N: 6, C: 2, Size: 10, Rcpts: 1,
		Domain: "example.com", Duration: time.Minute, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 0 || res.Errors["403 refused"] != 6 {
		t.Errorf("%+v", res)
	}
}

func TestSolveChallengeRefusesGarbage(t *testing.T) {
	for _, c := range []challenge{{Algorithm: "SHA-1", Challenge: "00"}, {Algorithm: "SHA-256", Challenge: "zz"},
		{Algorithm: "SHA-256", Challenge: "0000000000000000000000000000000000000000000000000000000000000000", MaxNumber: 10, Salt: "x"}} {
		if err := solveChallenge(&c); err == nil {
			t.Errorf("%+v solved", c)
		}
	}
}
