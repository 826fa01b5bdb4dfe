package policy

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Proofs of work. The web form and its API (relay/web) ask each sender to
// solve a challenge the server signed; a solution is accepted once. The
// web spends it here before it takes the message, and the Store keeps the
// spent challenge until the challenge would have expired anyway, so a
// replay is refused by every instance that shares the store (Redis).

// kindProof is the hash kind of a spent challenge.
const kindProof = "proof"

// maxProofTTL bounds how long a spent challenge is kept: a challenge that
// claims to live longer is refused by the web before it gets here, and a
// bug there must not fill the store with records that never expire.
const maxProofTTL = 24 * time.Hour

// SpendProof records the solved challenge named id as spent until until,
// and reports whether it was fresh. false means the same challenge was
// spent before (a replay), or until has passed: the caller must refuse the
// request. id is whatever names the challenge uniquely (relay/web uses the
// challenge hash); it is stored as a keyed hash like every other key. A
// store error is returned as is: the caller defers, as MAIL and RCPT do.
func (e *Engine) SpendProof(ctx context.Context, id string, until time.Time) (bool, error) {
	if id == "" {
		return false, errors.New("policy: spend proof: empty id")
	}
	ttl := time.Until(until)
	if ttl <= 0 {
		return false, nil
	}
	if ttl > maxProofTTL {
		return false, fmt.Errorf("policy: spend proof: expiry %s away, more than %s", ttl.Round(time.Second), maxProofTTL)
	}
	return e.store.Spend(ctx, e.keys.key(kindProof, id), ttl)
}

// DeriveKey returns a key for purpose derived from the policy secret:
// HMAC-SHA256(secret, purpose). Every instance configured with the same
// policy.secret_file derives the same key, so a challenge one instance
// signed verifies on another; the secret itself never leaves the Engine.
func (e *Engine) DeriveKey(purpose string) []byte {
	k := e.keys.sum("derive", purpose)
	return k[:]
}

// Spend implements Store.
func (i *instrumentedStore) Spend(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	start := time.Now()
	fresh, err := i.s.Spend(ctx, key, ttl)
	i.done(ctx, start, err)
	return fresh, err
}
