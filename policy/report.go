package policy

import (
	"context"
	"errors"
	"net/netip"
)

// Abuse reports against a sending source. A recipient reports a delivered
// copy from its footer (relay/web). The copy names no sender, but its
// report link carries the copy's source, sealed with a key only Leak
// instances hold (relay/web.ReportLinks), so that no store keeps a record
// per copy:
//
//   - a message sent by SMTP: the keyed hash of its envelope sender, as
//     the per-sender rate limit keeps it (SenderSource);
//   - a message sent from the web form or API: the keyed hash of the
//     client's network, its /24 or /48, as the public listener's limit
//     keeps it (NetworkSource).
//
// A source whose copies are reported ReportThreshold times (distinct
// copies) within ReportWindow is blocked for ReportBlockFor: MAIL from
// that sender, or a web submission from that network, is refused with
// 550 5.7.1. The store holds, per reported source, the keyed hashes of
// its reported copies for ReportWindow and then the block for
// ReportBlockFor: keyed hashes only. An operator with the secret could
// test a guessed address against them, as with the rate limits; no one
// can list the senders.

// kinds of the report keys.
const (
	kindCopy     = "copy"     // a copy's spool id
	kindReported = "reported" // a source's reports and block
)

// PolicyReported names the refusal of a source blocked after reports.
const PolicyReported = "reported"

const textReported = "Messages from this sender are not accepted: recipients reported earlier ones as abusive"

// SenderSource returns the report source of a message with envelope
// sender (MAIL FROM, brackets optional), or "" for the null sender.
func (e *Engine) SenderSource(sender string) string {
	if sender == "" || sender == "<>" {
		return ""
	}
	return e.keys.key(kindSender, normAddress(sender))
}

// NetworkSource returns the report source of a message from a public
// listener's client at ip: its network, hashed.
func (e *Engine) NetworkSource(ip netip.Addr) string {
	return e.keys.key(kindPublicNet, publicNetKey(ip))
}

// Reports reports whether abuse reports count against sources: a
// threshold is set.
func (e *Engine) Reports() bool { return e.opts.ReportThreshold > 0 }

// Report is what counting one report did.
type Report struct {
	// Reports is how many distinct copies of that source were reported
	// within the window, this one included.
	Reports int
	// Blocked tells whether this report blocked the source.
	Blocked bool
}

// Report counts one abuse report of the copy copyID against source (what
// SenderSource or NetworkSource gave when the copy was accepted), and
// blocks the source when it reaches the threshold. The same copy reported
// twice counts once. Without reports, or without a source, it counts
// nothing.
func (e *Engine) Report(ctx context.Context, copyID, source string) (Report, error) {
	if !e.Reports() || source == "" {
		return Report{}, nil
	}
	key := e.keys.key(kindReported, source)
	n, err := e.store.HardBounce(ctx, key, e.keys.key(kindCopy, copyID), e.opts.ReportWindow)
	if err != nil {
		return Report{}, err
	}
	r := Report{Reports: n}
	if n >= e.opts.ReportThreshold {
		// Suppress also clears the count: a source blocked again later
		// needs the threshold's reports again.
		if err := e.store.Suppress(ctx, key, e.opts.ReportBlockFor); err != nil {
			return r, err
		}
		r.Blocked = true
	}
	return r, nil
}

// Source decides on a message from source: refused while the source is
// blocked after reports. "" and an Engine without reports allow.
func (e *Engine) Source(ctx context.Context, source string) Decision {
	if !e.Reports() || source == "" {
		return allowed
	}
	st, err := e.store.Recipient(ctx, e.keys.key(kindReported, source))
	if err != nil {
		return e.storeFailed(err)
	}
	if st.Suppressed {
		e.count(pReported, Reject)
		return Decision{Action: Reject, Policy: PolicyReported, Text: textReported}
	}
	e.count(pReported, Allow)
	return allowed
}

func (o *Options) validateReports() error {
	if o.ReportThreshold < 0 {
		return errors.New("policy.report_threshold: must be >= 0 (0: abuse reports block no one)")
	}
	if o.ReportThreshold == 0 {
		return nil
	}
	switch {
	case o.ReportWindow <= 0:
		return errors.New("policy.report_window: must be positive when policy.report_threshold is set")
	case o.ReportBlockFor <= 0:
		return errors.New("policy.report_block_for: must be positive when policy.report_threshold is set")
	}
	return nil
}
