package policy

import (
	"context"
	"time"
)

// Store keeps the state of the policies: rate-limit buckets, opt-outs,
// suppressions, and the hard- and soft-bounce counters. Every key it is
// given is a keyed hash (hex); a Store never sees an address.
// Implementations are safe for concurrent use. [OpenLocal] keeps limits in
// memory and the rest on disk; [OpenRedis] shares everything between
// instances.
type Store interface {
	// Name is "local" or "redis": the policy label of the store's errors
	// in leak_policy_decisions_total and the store label of
	// leak_policy_store_*.
	Name() string
	// Allow takes one event from key's bucket under l (GCRA, see [Limit])
	// and reports whether it is allowed and, if not, when it would be.
	Allow(ctx context.Context, key string, l Limit) (ok bool, retryAfter time.Duration, err error)
	// Recipient reports whether key is opted out or suppressed.
	Recipient(ctx context.Context, key string) (RecipientState, error)
	// SetOptOut records (out) or removes (!out) key's opt-out. Opt-outs do
	// not expire.
	SetOptOut(ctx context.Context, key string, out bool) error
	// Suppress suppresses key for d from now and clears its soft- and
	// hard-bounce counts.
	Suppress(ctx context.Context, key string, d time.Duration) error
	// SoftBounce counts one soft bounce of key and returns the count in
	// the current window: the window opens at the first soft bounce and
	// lasts window.
	SoftBounce(ctx context.Context, key string, window time.Duration) (int, error)
	// HardBounce records that message msg (a keyed hash too) failed
	// permanently for key, and returns how many distinct messages did in
	// the current window: the window opens at the first and lasts window.
	// The same msg recorded again counts once.
	HardBounce(ctx context.Context, key, msg string, window time.Duration) (int, error)
	// Spend records key as spent for ttl from now and reports whether it
	// was fresh (not spent before, or its earlier record expired). Two
	// concurrent calls for one key: exactly one is told fresh. It keeps
	// each proof of work accepted once (pow.go).
	Spend(ctx context.Context, key string, ttl time.Duration) (fresh bool, err error)
	// Put keeps value under key for ttl from now, replacing what key held;
	// a ttl under a millisecond keeps nothing. It keeps each report
	// handle's sealed source for the report window (report.go).
	Put(ctx context.Context, key, value string, ttl time.Duration) error
	// Get returns what Put kept under key; ok is false when nothing was,
	// or its ttl has passed.
	Get(ctx context.Context, key string) (value string, ok bool, err error)
	// Ping reports whether the store can answer now (readiness probes).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// RecipientState is what a Store knows of one recipient.
type RecipientState struct {
	OptedOut   bool
	Suppressed bool
}

// Key prefixes in stores that share one namespace (Redis).
const (
	prefixRate     = "leak:"          // redis_rate adds its own "rate:" before it
	prefixOptOut   = "leak:optout:"   // opt-out of a recipient
	prefixSuppress = "leak:suppress:" // suppression of a recipient, with a TTL
	prefixSoft     = "leak:soft:"     // soft-bounce counter, with a TTL
	prefixHard     = "leak:hard:"     // set of messages that hard-bounced, with a TTL
	prefixValue    = "leak:value:"    // a value kept by Put, with a TTL
)
