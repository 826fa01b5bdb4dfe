package policy

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
)

// kindRcptExact is the hash kind of a sub-address kept whole (BounceKey).
const kindRcptExact = "rcpt_exact"

// BounceHash records a DSN for a recipient known only by its BounceKey: a
// bounce that arrives days after delivery is matched through the relay's
// sent log, which keeps keys, never addresses. A permanent one suppresses
// the key at once (a DSN reaches only the signed envelope sender of that
// very copy, which no sender can forge); a temporary one counts toward
// SoftBounceLimit.
func (e *Engine) BounceHash(ctx context.Context, hash string, permanent bool) error {
	if b, err := hex.DecodeString(hash); err != nil || len(b) != 32 {
		return errors.New("policy: not a recipient hash")
	}
	return e.bounceKey(ctx, hash, permanent)
}

// BounceKey returns the keyed hash a recipient's bounces count against.
// For most addresses it is RecipientHash, the key Rcpt checks. For a
// sub-address (bob+tag@example.com) it is a key of the address as it is,
// tag included: a failure of bob+tag proves nothing about bob (the next
// hop may just have no sub-addressing), so it suppresses bob+tag alone.
// Opt-outs are not affected: opting out of bob+tag still opts out bob.
func (e *Engine) BounceKey(rcpt string) string {
	if !subaddressed(rcpt) {
		return e.RecipientHash(rcpt)
	}
	return e.keys.key(kindRcptExact, exactAddress(rcpt))
}

// tagSuppressed reports whether the sub-address rcpt is suppressed under
// its own BounceKey; it is false for an address without a tag.
func (e *Engine) tagSuppressed(ctx context.Context, rcpt string) (bool, error) {
	if !subaddressed(rcpt) {
		return false, nil
	}
	st, err := e.store.Recipient(ctx, e.BounceKey(rcpt))
	return st.Suppressed, err
}

// exactAddress is normAddress without the steps that merge mailboxes: the
// tag and a Gmail local part's dots are kept, so bob+a and bob+b get
// different keys, while case and the domain's spelling still do not count.
func exactAddress(addr string) string {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return lower(addr)
	}
	return lower(addr[:at]) + "@" + normDomain(addr[at+1:])
}
