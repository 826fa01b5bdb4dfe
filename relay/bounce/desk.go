package bounce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Desk is where everything about Leak's bounces happens: it gives each
// copy its envelope sender, remembers who the copy went to (as a keyed
// hash), answers RCPT for bounce addresses, reads the DSNs that come back
// and passes what they say, and the queue's own failures, to the policy
// that suppresses recipients. The SMTP server and the daemon only route
// to it. Its methods are safe for concurrent use.
type Desk struct {
	tokens *Tokens
	domain string
	sent   SentLog
	key    func(rcpt string) string
	report func(ctx context.Context, key string, permanent bool) error
	failed func(ctx context.Context, rcpt, qid string, permanent bool) error
	limit  int64
}

// Options configures a Desk. Tokens, Domain, Sent, Key and Report are
// required.
type Options struct {
	// Tokens signs and checks bounce addresses; instances that receive
	// each other's bounces need the same key.
	Tokens *Tokens
	// Domain is the Leak domain: bounce addresses are bounce+TOKEN@Domain.
	Domain string
	// Sent is the sent log: a [Sent] file for one instance, [RedisSent]
	// for several.
	Sent SentLog
	// Key returns the keyed hash a recipient's bounces count against
	// (policy's Engine.BounceKey). The address itself is never kept.
	Key func(rcpt string) string
	// Report records a bounce against such a key (policy's
	// Engine.BounceHash): permanent for a definite failure.
	Report func(ctx context.Context, key string, permanent bool) error
	// Failed, when set, records a failure the queue met itself (policy's
	// Engine.Bounce); see [Desk.Result].
	Failed func(ctx context.Context, rcpt, qid string, permanent bool) error
	// MaxBytes bounds what Take reads of a bounce before it stops looking
	// for the delivery-status part (DefaultLimit if ≤ 0).
	MaxBytes int64
}

// ErrRead is wrapped, with the reader's own error, by Take's error when
// the bounce could not be read to its end; nothing was reported then.
var ErrRead = errors.New("bounce: reading the message failed")

// ErrNoSuchAddress is returned by Rcpt for an address with the bounce
// prefix whose token is forged or mangled, or whose copy the sent log no
// longer knows: nothing could be done with its bounce.
var ErrNoSuchAddress = errors.New("bounce: no such bounce address")

// NewDesk returns a Desk; it takes ownership of o.Sent (see Close).
func NewDesk(o Options) (*Desk, error) {
	switch {
	case o.Tokens == nil:
		return nil, errors.New("bounce: desk: no tokens")
	case o.Domain == "":
		return nil, errors.New("bounce: desk: no domain")
	case o.Sent == nil:
		return nil, errors.New("bounce: desk: no sent log")
	case o.Key == nil || o.Report == nil:
		return nil, errors.New("bounce: desk: no recipient key or report function")
	}
	return &Desk{
		tokens: o.Tokens, domain: o.Domain, sent: o.Sent,
		key: o.Key, report: o.Report, failed: o.Failed, limit: o.MaxBytes,
	}, nil
}

// IsAddress reports whether addr is in the bounce addresses' name space
// (its local part starts with Prefix, in any case), genuine or not: such
// an address is the Desk's to answer, never a relay recipient.
func IsAddress(addr string) bool {
	return len(addr) > len(Prefix) && strings.EqualFold(addr[:len(Prefix)], Prefix)
}

// EnvelopeFrom returns the envelope sender of the copy with spool id qid:
// Leak's own signed address, so that SPF aligns with the From domain and
// bounces come back here, never to the anonymous sender.
func (d *Desk) EnvelopeFrom(qid string) string {
	if a := d.tokens.Address(qid, d.domain); a != "" {
		return a
	}
	// Not a spool id: no token exists for it, and Rcpt refuses the
	// address if a bounce ever comes back to it.
	return Prefix + qid + "@" + d.domain
}

// Record notes that the copy qid went to rcpt, which must be the address
// the copy is delivered to: its bounces are then reported against
// Key(rcpt). Only the hash is kept. On error the copy still goes out; its
// bounces will only be counted, not attributed.
func (d *Desk) Record(ctx context.Context, qid, rcpt string) error {
	return d.sent.Put(ctx, qid, d.key(rcpt))
}

// Rcpt decides RCPT TO for a bounce address (see IsAddress) and returns
// the spool id it names. The error is ErrNoSuchAddress for a bad token or
// an unknown copy, or the sent log's own error, when it cannot be read and
// the answer is unknown (a temporary failure). Whether the domain is a
// Leak domain is the caller's question, as for any recipient.
func (d *Desk) Rcpt(ctx context.Context, addr string) (qid string, err error) {
	qid, ok := d.tokens.Parse(addr)
	if !ok {
		return "", ErrNoSuchAddress
	}
	_, ok, err = d.sent.Get(ctx, qid)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "", ErrNoSuchAddress
	}
	return qid, nil
}

// Summary is what Take made of one bounce. It names no address.
type Summary struct {
	// Ignored says why the message was not acted on: ErrNotDSN (a
	// plain-text notice, a vacation reply), or an error wrapping
	// ErrMalformed. It is nil for a DSN.
	Ignored error
	// Hard and Soft count the copies whose recipient a permanent or a
	// temporary failure was reported against.
	Hard, Soft int
	// Unknown counts the copies the sent log forgot between RCPT and
	// DATA.
	Unknown int
}

// Take reads a bounce sent to the bounce addresses of the copies qids
// (from Rcpt) and, if it is a DSN saying delivery failed, reports the
// failure against each copy's recipient: permanent if any recipient block
// says so, temporary otherwise. A DSN may have several blocks (an alias
// expanded by the next hop), but each copy had one recipient, so each
// copy is reported once.
//
// Take reads r to its end before it reports anything, so that nothing is
// acted on unless the whole message arrived. An error from r is returned
// wrapped with ErrRead, and nothing is reported. Otherwise the error joins
// the failures of the sent log and of Report; the copies that failed may
// be retried by taking the bounce again (a 4xx reply does that).
func (d *Desk) Take(ctx context.Context, r io.Reader, qids []string) (Summary, error) {
	er := &errReader{r: r}
	dsn, perr := ParseDSN(er, d.limit)
	if er.err == nil {
		io.Copy(io.Discard, er) // the rest, usually the returned message
	}
	if er.err != nil {
		return Summary{}, fmt.Errorf("%w: %w", ErrRead, er.err)
	}
	if perr != nil {
		return Summary{Ignored: perr}, nil
	}
	var sum Summary
	failed, permanent := verdict(dsn.Recipients)
	if !failed {
		return sum, nil
	}
	var errs []error
	for _, qid := range qids {
		key, ok, err := d.sent.Get(ctx, qid)
		if err != nil {
			errs = append(errs, fmt.Errorf("bounce: copy %s: %w", qid, err))
			continue
		}
		if !ok {
			sum.Unknown++
			continue
		}
		if err := d.report(ctx, key, permanent); err != nil {
			errs = append(errs, fmt.Errorf("bounce: copy %s: report: %w", qid, err))
			continue
		}
		if permanent {
			sum.Hard++
		} else {
			sum.Soft++
		}
	}
	return sum, errors.Join(errs...)
}

// verdict sums up the blocks of a DSN: whether delivery failed, and
// whether for good (RecipientStatus.Permanent).
func verdict(rs []RecipientStatus) (failed, permanent bool) {
	for _, st := range rs {
		if st.Action == "failed" {
			failed = true
			permanent = permanent || st.Permanent
		}
	}
	return failed, permanent
}

// Result takes the queue's final word on a copy that failed because of its
// recipient: the next hop refused the recipient (permanent), or the copy
// could not be delivered within its lifetime (not permanent). It reports
// to Options.Failed, which applies its own limits; failures about the
// message or the next hop must not be passed here. Without Failed it does
// nothing.
func (d *Desk) Result(ctx context.Context, qid, rcpt string, permanent bool) error {
	if d.failed == nil {
		return nil
	}
	if err := d.failed(ctx, rcpt, qid, permanent); err != nil {
		return fmt.Errorf("bounce: copy %s: report delivery failure: %w", qid, err)
	}
	return nil
}

// Close closes the sent log.
func (d *Desk) Close() error { return d.sent.Close() }

// errReader remembers the first error of r other than io.EOF: ParseDSN
// folds r's errors into ErrMalformed, and the caller must tell a bounce it
// could not read from one it could not understand.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
