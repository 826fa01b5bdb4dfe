package scan

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"
)

// Action is what Leak does with a scanned message.
type Action int

// The actions, from the mildest. The zero Action is none of them, so that
// an Options built without OnError fails Validate instead of silently
// accepting every message while Rspamd is down.
const (
	Accept Action = iota + 1 // send it
	Defer                    // refuse it for now (4xx): the sender may retry
	Reject                   // refuse it (550 5.7.1)
)

// String returns the action's name as the configuration spells it:
// "accept", "defer" or "reject".
func (a Action) String() string {
	switch a {
	case Accept:
		return "accept"
	case Defer:
		return "defer"
	case Reject:
		return "reject"
	case 0:
		return "unset"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// MarshalText writes the action's name.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads "accept", "defer" or "reject", so that a YAML or
// JSON configuration can name the action.
func (a *Action) UnmarshalText(b []byte) error {
	for _, c := range []Action{Accept, Defer, Reject} {
		if string(b) == c.String() {
			*a = c
			return nil
		}
	}
	return fmt.Errorf("unknown action %q: must be accept, defer or reject", b)
}

// Options configure a Scanner. Start from DefaultOptions and set URL. The
// names in Validate's errors are the configuration keys under scan:.
type Options struct {
	// URL is Rspamd's normal worker, like http://127.0.0.1:11333;
	// /checkv2 is appended to its path.
	URL string

	// Password is sent as the Password header when set. The normal
	// worker does not ask for one; a controller or a proxy in front of
	// Rspamd may.
	Password string

	// Timeout bounds one scan, from connecting to the last byte of the
	// answer. Rspamd gives up on a message itself after its task_timeout
	// (8s by default), so Timeout should be a little longer.
	Timeout time.Duration

	// RejectScore refuses a message scoring at least this much; 0 never
	// refuses.
	RejectScore float64

	// DeferScore defers a message scoring at least this much (and less
	// than RejectScore); 0 never defers. With both scores 0, messages are
	// scanned and their verdicts only logged, a way to choose thresholds
	// before enforcing them.
	DeferScore float64

	// OnError is the verdict when the scan fails: Defer (the sender
	// retries later) or Accept (the message goes out unscanned). Reject
	// is not allowed: a broken scanner must not refuse mail for good.
	OnError Action
}

// DefaultOptions returns the defaults: refuse at 15 (Rspamd's own reject
// score), never defer, defer when the scan fails, 10 s per scan. URL is
// left for the caller.
//
// Deferring is off because a score is mostly a property of the message:
// the same message retried scores the same, so a deferred sender would
// only retry for days before the bounce.
func DefaultOptions() Options {
	return Options{
		Timeout:     10 * time.Second,
		RejectScore: 15,
		OnError:     Defer,
	}
}

// Validate reports the first option out of range, naming it by its
// configuration key.
func (o Options) Validate() error {
	if o.URL == "" {
		return errors.New("scan.url: must be set, like http://127.0.0.1:11333")
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("scan.url: must be an http(s) URL like http://127.0.0.1:11333 without user, query or fragment, got %q", o.URL)
	}
	switch {
	case o.Timeout <= 0:
		return fmt.Errorf("scan.timeout: must be positive, got %v", o.Timeout)
	case !finite(o.RejectScore) || o.RejectScore < 0:
		return fmt.Errorf("scan.reject_score: must be 0 (never refuse) or positive, got %v", o.RejectScore)
	case !finite(o.DeferScore) || o.DeferScore < 0:
		return fmt.Errorf("scan.defer_score: must be 0 (never defer) or positive, got %v", o.DeferScore)
	case o.RejectScore > 0 && o.DeferScore > 0 && o.RejectScore <= o.DeferScore:
		return fmt.Errorf("scan.reject_score: must be above scan.defer_score (%v), got %v", o.DeferScore, o.RejectScore)
	case o.OnError != Defer && o.OnError != Accept:
		return fmt.Errorf("scan.on_error: must be defer or accept, got %v", o.OnError)
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
