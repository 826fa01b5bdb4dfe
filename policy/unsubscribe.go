package policy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// One-click unsubscribe (RFC 8058). Every delivered message carries
//
//	List-Unsubscribe: <UnsubscribeURL(public_url, rcpt)>
//	List-Unsubscribe-Post: List-Unsubscribe=One-Click
//
// and both fields must be covered by the DKIM signature (RFC 8058 section
// 4). The URL holds a token, base64url(h || HMAC(secret, "unsub:" || h)[:16])
// where h is the recipient's keyed hash: the token is a capability to opt
// that one recipient out (never back in), cannot be forged or moved to
// another recipient without the secret, and says nothing about the sender
// or the message. It does not expire: an opt-out link must keep working
// in a message read months later.
//
// The pages at the URL are relay/web's; this file answers what they ask:
// whether a token is valid, whether its recipient opted out, and the
// opt-out itself. The token only ever opts out. It sits in every
// delivered copy, so whoever sees one copy (a forward, a shared mailbox,
// an archive) has it: if it could also opt back in, anyone who saw a
// single message could undo its recipient's opt-out. Opting back in takes
// a confirmation sent to the address itself (resubscribe.go).

// ListUnsubscribePost is the value of the List-Unsubscribe-Post field, and
// the body a one-click POST carries (RFC 8058 section 3.1).
const ListUnsubscribePost = "List-Unsubscribe=One-Click"

const (
	tokenMACLen = 16
	tokenRawLen = sha256.Size + tokenMACLen
	// tokenLen is the encoded length; 48 bytes encode to exactly 64
	// base64 characters, so no padding and no non-canonical spellings.
	tokenLen = tokenRawLen / 3 * 4
)

// ErrLinkInvalid is the error of a link's token that this Engine did not
// make: forged, cut short, from another relay's secret or of the other
// kind (an unsubscribe token is no confirmation token, and back).
var ErrLinkInvalid = errors.New("policy: link not valid")

// UnsubscribeURL returns the one-click unsubscribe URL of rcpt: base (the
// public URL of the HTTP listener, http.public_url) followed by
// /u/<token>.
func (e *Engine) UnsubscribeURL(base, rcpt string) string {
	h := e.keys.sum(kindRcpt, normAddress(rcpt))
	return strings.TrimSuffix(base, "/") + "/u/" + e.token(h[:])
}

// CheckUnsubscribe returns nil if token (the last path segment of an
// UnsubscribeURL) is one this Engine made, and ErrLinkInvalid if not. It
// reads no store, so a page can refuse a bad link before it reads a
// request's body.
func (e *Engine) CheckUnsubscribe(token string) error {
	if _, ok := e.parseToken(token); !ok {
		return ErrLinkInvalid
	}
	return nil
}

// Unsubscribed reports whether the recipient of an unsubscribe token has
// opted out. It changes nothing: mail scanners fetch links. A bad token
// is ErrLinkInvalid; a store failure is counted and logged as the
// decisions' are, and returned.
func (e *Engine) Unsubscribed(ctx context.Context, token string) (bool, error) {
	key, ok := e.parseToken(token)
	if !ok {
		return false, ErrLinkInvalid
	}
	st, err := e.store.Recipient(ctx, key)
	if err != nil {
		e.storeFailed(err)
		return false, fmt.Errorf("policy: read opt-out: %w", err)
	}
	return st.OptedOut, nil
}

// Unsubscribe opts the recipient of an unsubscribe token out of every
// further Leak message, and counts it in leak_policy_optouts_total. Doing
// it again changes nothing but counts again, as a click does. A bad token
// is ErrLinkInvalid; a store failure is counted and logged as the
// decisions' are, and returned: the caller answers so that a one-click
// client retries.
func (e *Engine) Unsubscribe(ctx context.Context, token string) error {
	key, ok := e.parseToken(token)
	if !ok {
		return ErrLinkInvalid
	}
	if err := e.store.SetOptOut(ctx, key, true); err != nil {
		e.storeFailed(err)
		return fmt.Errorf("policy: record opt-out: %w", err)
	}
	if c := e.optOuts[true]; c != nil {
		c.Inc()
	}
	e.log.Info("policy: a recipient opted out")
	return nil
}

func (e *Engine) token(h []byte) string {
	mac := e.keys.sumBytes(kindUnsub, h)
	raw := make([]byte, 0, tokenRawLen)
	raw = append(append(raw, h...), mac[:tokenMACLen]...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// parseToken returns the recipient key the token stands for, or false if
// it is not a token this Engine made.
func (e *Engine) parseToken(tok string) (string, bool) {
	if len(tok) != tokenLen {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != tokenRawLen {
		return "", false
	}
	h, got := raw[:sha256.Size], raw[sha256.Size:]
	want := e.keys.sumBytes(kindUnsub, h)
	if !hmac.Equal(got, want[:tokenMACLen]) {
		return "", false
	}
	return hex.EncodeToString(h), true
}
