package policy

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Opting back in. The unsubscribe link of a delivered copy only opts out
// (see unsubscribe.go): anyone who saw one copy has it. Opting back in is
// asked for with an address (relay/web serves the page, /u/resubscribe);
// Leak mails a confirmation link to that address, and only confirming on
// the link's page opts in. So only someone who reads that mailbox can
// undo its opt-out.
//
// A request never reads the opt-out state: it is answered and mailed
// alike for every address, so it tells a third party nothing, not even
// through its timing. Confirmations are rate-limited per address and in
// all, so that the page cannot be used to mail someone over and over or
// to make Leak a bulk mailer.

// ResubscribeOptions bound the confirmations of a [Resubscriber]. A zero
// TTL or limit takes its default.
type ResubscribeOptions struct {
	// TTL is how long a confirmation link works: 24 hours by default.
	TTL time.Duration
	// PerAddress bounds the confirmations mailed to one (normalised)
	// address: 3 a day by default, all at once if need be.
	PerAddress Limit
	// Global bounds the confirmations mailed in all: 300 an hour by
	// default.
	Global Limit
	// Now is the clock of the links' expiry: time.Now by default. (The
	// limits run on the store's clock.)
	Now func() time.Time
}

// Defaults of ResubscribeOptions.
const (
	defaultResubscribeTTL = 24 * time.Hour
	// maxAddress is the longest address a path can carry (RFC 5321
	// section 4.5.3.1.3: 256 octets with the angle brackets).
	maxAddress = 254
)

var (
	defaultPerAddress = Limit{Rate: 3, Period: 24 * time.Hour}
	defaultGlobal     = Limit{Rate: 300, Period: time.Hour}
)

// Kinds of keyed hash the resubscribe requests add (see key.go).
const (
	kindResub     = "resub"      // MAC of a confirmation token
	kindResubRate = "resub_rate" // per-address bucket of confirmations
	kindResubAll  = "resub_all"  // the bucket of all confirmations
	kindResubUsed = "resub_used" // marks a confirmation token used
)

// Errors of Request and Confirm, beside ErrLinkInvalid and the store's.
var (
	// ErrBadAddress: the address typed in is not one a confirmation can
	// be mailed to (see requestAddress).
	ErrBadAddress = errors.New("policy: resubscribe: address not understood")
	// ErrLinkExpired: the confirmation link's time is over; nothing
	// changed.
	ErrLinkExpired = errors.New("policy: resubscribe: link expired")
	// ErrLinkUsed: the confirmation link was used already; each works
	// once.
	ErrLinkUsed = errors.New("policy: resubscribe: link already used")
	// ErrLinkLost wraps a store failure after the link was marked used:
	// the opt-in is not recorded, and the link cannot be used again.
	ErrLinkLost = errors.New("policy: resubscribe: link used, opt-in not recorded")
)

// ResubscribeLimited is the error of a request over a limit of
// confirmations; nothing is mailed.
type ResubscribeLimited struct {
	// PerAddress tells whether the address's own limit was reached; if
	// not, the limit of all confirmations was.
	PerAddress bool
	// RetryAfter is when the limit allows the next one.
	RetryAfter time.Duration
}

func (l *ResubscribeLimited) Error() string {
	whose := "in all"
	if l.PerAddress {
		whose = "for this address"
	}
	return "policy: resubscribe: too many confirmations " + whose + ", " + l.Hint()
}

// Hint says when to try again, for a reader: "try again in 12 hours".
func (l *ResubscribeLimited) Hint() string { return retryHint(l.RetryAfter) }

// Resubscriber asks for and confirms opting back in, with its Engine's
// keys and store.
type Resubscriber struct {
	e    *Engine
	opts ResubscribeOptions
}

// Resubscriber checks opts and returns the Engine's Resubscriber.
func (e *Engine) Resubscriber(opts ResubscribeOptions) (*Resubscriber, error) {
	if opts.TTL < 0 {
		return nil, errors.New("policy: resubscribe: negative TTL")
	}
	if opts.TTL == 0 {
		opts.TTL = defaultResubscribeTTL
	}
	if opts.PerAddress.Off() {
		opts.PerAddress = defaultPerAddress
	}
	if opts.Global.Off() {
		opts.Global = defaultGlobal
	}
	if err := opts.PerAddress.validate("resubscribe per address"); err != nil {
		return nil, err
	}
	if err := opts.Global.validate("resubscribe global"); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Resubscriber{e: e, opts: opts}, nil
}

// TTL is how long a confirmation link works.
func (r *Resubscriber) TTL() time.Duration { return r.opts.TTL }

// Confirmation is one confirmation to mail.
type Confirmation struct {
	// To is the address to mail it to, as typed but for surrounding space
	// and brackets, its domain lower-cased and in A-labels.
	To string
	// Token is the last path segment of the link: base/u/resubscribe/Token.
	Token string
}

// Request asks for a confirmation to address, an address as a person
// typed it. It counts against the per-address and the global limit
// (*ResubscribeLimited when one is reached) and returns what to mail.
// A malformed address is ErrBadAddress; a store failure is counted and
// logged as the decisions' are, and returned. It never reads whether the
// address opted out.
func (r *Resubscriber) Request(ctx context.Context, address string) (Confirmation, error) {
	rcpt, ok := requestAddress(address)
	if !ok {
		return Confirmation{}, ErrBadAddress
	}
	e := r.e
	norm := normAddress(rcpt)
	for _, l := range []struct {
		key        string
		lim        Limit
		perAddress bool
	}{
		{e.keys.key(kindResubRate, norm), r.opts.PerAddress, true},
		{e.keys.key(kindResubAll, ""), r.opts.Global, false},
	} {
		ok, retry, err := e.store.Allow(ctx, l.key, l.lim)
		if err != nil {
			e.storeFailed(err)
			return Confirmation{}, fmt.Errorf("policy: resubscribe limit: %w", err)
		}
		if !ok {
			return Confirmation{}, &ResubscribeLimited{PerAddress: l.perAddress, RetryAfter: retry}
		}
	}
	h := e.keys.sum(kindRcpt, norm)
	return Confirmation{To: rcpt, Token: e.resubToken(h[:], r.opts.Now().Add(r.opts.TTL))}, nil
}

// Check returns nil if token is a confirmation token this Engine made
// that has not expired, ErrLinkInvalid or ErrLinkExpired if not. It reads
// no store, and does not tell whether the link was used.
func (r *Resubscriber) Check(token string) error {
	_, _, err := r.parse(token)
	return err
}

func (r *Resubscriber) parse(token string) (key string, exp time.Time, err error) {
	key, exp, ok := r.e.parseResubToken(token)
	if !ok {
		return "", time.Time{}, ErrLinkInvalid
	}
	if !r.opts.Now().Before(exp) {
		return "", time.Time{}, ErrLinkExpired
	}
	return key, exp, nil
}

// Confirm opts the recipient of a confirmation token back in, once, before
// the link expires, and counts it in leak_policy_optouts_total. Besides
// ErrLinkInvalid and ErrLinkExpired, a link used before is ErrLinkUsed; a
// store failure is counted and logged as the decisions' are, and
// returned, wrapped in ErrLinkLost if it cost the link.
func (r *Resubscriber) Confirm(ctx context.Context, token string) error {
	key, exp, err := r.parse(token)
	if err != nil {
		return err
	}
	e := r.e
	// A link works once: its first use takes the one event of a bucket
	// that refills only after the link has expired. The mark is taken
	// before the opt-in, so two concurrent confirmations cannot both
	// pass; a store failure after it costs the link, not a second
	// opt-in. The local store keeps these marks in memory: after a
	// restart a link still within its TTL works once more.
	used := e.keys.key(kindResubUsed, token)
	fresh, _, err := e.store.Allow(ctx, used, Limit{Rate: 1, Burst: 1, Period: exp.Sub(r.opts.Now()) + time.Second})
	if err != nil {
		e.storeFailed(err)
		return fmt.Errorf("policy: resubscribe: mark the link used: %w", err)
	}
	if !fresh {
		return ErrLinkUsed
	}
	if err := e.store.SetOptOut(ctx, key, false); err != nil {
		e.storeFailed(err)
		return fmt.Errorf("%w: %w", ErrLinkLost, err)
	}
	if c := e.optOuts[false]; c != nil {
		c.Inc()
	}
	e.log.Info("policy: a recipient confirmed opting back in")
	return nil
}
