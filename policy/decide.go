package policy

import (
	"context"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

// Neutral texts. A refused recipient's text is the same whether it opted
// out, bounced or sits on a deny list: the sender learns nothing of which.
const (
	textNoRcpt   = "this recipient does not accept Leak messages"
	textNoSender = "Leak does not accept messages from this sender"
)

// allowed is the Decision of every question answered yes.
var allowed = Decision{Action: Allow}

// Connect decides on a new connection from ip, before the greeting:
// ConnTotal and ConnPerIP concurrent connections. On Allow the caller must
// call release when the connection ends; release is never nil and may be
// called more than once.
func (e *Engine) Connect(_ context.Context, ip netip.Addr) (Decision, func()) {
	perIP, total := e.opts.ConnPerIP > 0, e.opts.ConnTotal > 0
	var key [32]byte
	if perIP {
		key = e.keys.sum(kindIP, connKey(ip))
	}
	e.connMu.Lock()
	// The per-address cap first: an address already at its share is told
	// so (and, under pressure, may not evict anyone to make room), whatever
	// the total.
	if perIP && e.conns[key] >= e.opts.ConnPerIP {
		e.connMu.Unlock()
		return e.deferConn(pConnIP, "too many connections from your address, "), func() {}
	}
	if total && e.connSum >= e.opts.ConnTotal {
		e.connMu.Unlock()
		if perIP {
			e.count(pConnIP, Allow)
		}
		return e.deferConn(pConnTotal, "too many connections, "), func() {}
	}
	e.connSum++
	if perIP {
		e.conns[key]++
	}
	e.connMu.Unlock()
	if total {
		e.count(pConnTotal, Allow)
	}
	if perIP {
		e.count(pConnIP, Allow)
	}

	var done atomic.Bool
	return allowed, func() {
		if done.Swap(true) {
			return
		}
		e.connMu.Lock()
		e.connSum--
		if perIP {
			if e.conns[key]--; e.conns[key] <= 0 {
				delete(e.conns, key)
			}
		}
		e.connMu.Unlock()
	}
}

func (e *Engine) deferConn(p int, text string) Decision {
	e.count(p, Defer)
	return Decision{Action: Defer, Policy: policies[p], Text: text + retryHint(time.Minute), RetryAfter: time.Minute}
}

// Mail decides on a transaction from ip with envelope sender (as given in
// MAIL FROM, brackets optional): the sender domain lists, then the rate
// limits per IP and per network, the block of a sender reported as abusive
// (report.go), then the limits per sender and per sender domain. An empty
// sender (a bounce, RFC 5321 section 4.5.5) passes only the IP limits.
func (e *Engine) Mail(ctx context.Context, ip netip.Addr, sender string) Decision {
	var domain string
	if sender != "" && sender != "<>" {
		domain = domainOf(sender)
		if d := e.senderLists(domain); d.Action != Allow {
			return d
		}
	}
	if d := e.rate(ctx, pRateIP, e.opts.IP, kindIP, ipKey(ip),
		"too many messages from your address, "); d.Action != Allow {
		return d
	}
	if d := e.rate(ctx, pRateNet, e.opts.Net, kindNet, netKey(ip),
		"too many messages from your network, "); d.Action != Allow {
		return d
	}
	if sender == "" || sender == "<>" {
		return allowed
	}
	if d := e.Source(ctx, e.SenderSource(sender)); d.Action != Allow {
		return d
	}
	if d := e.rate(ctx, pRateSender, e.opts.Sender, kindSender, normAddress(sender),
		"too many messages from this sender, "); d.Action != Allow {
		return d
	}
	if domain != "" {
		return e.rate(ctx, pRateSenderDomain, e.opts.SenderDomain, kindSenderDomain, domain,
			"too many messages from this sender domain, ")
	}
	return allowed
}

// Rcpt decides on one decoded recipient address (bob@example.com, not the
// Leak relay address): the recipient domain lists, opt-out, suppression,
// then the per-recipient and global rate limits. A recipient counts
// against its limit when accepted here, whether or not the message then
// completes: a harasser gains nothing by dropping the connection in DATA.
func (e *Engine) Rcpt(ctx context.Context, rcpt string) Decision {
	if d := e.rcptLists(domainOf(rcpt)); d.Action != Allow {
		return d
	}
	h := e.keys.sum(kindRcpt, normAddress(rcpt))
	key := hex.EncodeToString(h[:])
	st, err := e.store.Recipient(ctx, key)
	if err != nil {
		return e.storeFailed(err)
	}
	if st.OptedOut {
		e.count(pOptOut, Reject)
		return Decision{Action: Reject, Policy: PolicyOptOut, Text: textNoRcpt}
	}
	e.count(pOptOut, Allow)
	if !st.Suppressed {
		// A sub-address may be suppressed by itself (BounceKey).
		if st.Suppressed, err = e.tagSuppressed(ctx, rcpt); err != nil {
			return e.storeFailed(err)
		}
	}
	if st.Suppressed {
		e.count(pSuppressed, Reject)
		return Decision{Action: Reject, Policy: PolicySuppressed, Text: textNoRcpt}
	}
	e.count(pSuppressed, Allow)
	if d := e.rateKey(ctx, pRateRcpt, e.opts.Recipient, key,
		"too many messages for this recipient, "); d.Action != Allow {
		return d
	}
	return e.rateKey(ctx, pRateGlobal, e.opts.Global, "global",
		"Leak is busy, ")
}

// Authenticated decides at the end of DATA on a message whose sender
// domain was authenticated (DKIM, SPF, DMARC: the caller's choice): the
// sender domain lists, which the envelope alone could dodge, then the
// per-authenticated-domain rate. An empty domain is allowed unchecked.
func (e *Engine) Authenticated(ctx context.Context, domain string) Decision {
	if domain == "" {
		return allowed
	}
	domain = normDomain(domain)
	if d := e.senderLists(domain); d.Action != Allow {
		return d
	}
	return e.rate(ctx, pRateAuthDomain, e.opts.AuthDomain, kindAuthDomain, domain,
		"too many messages from this sender domain, ")
}

// Bounce records that delivering message msg to rcpt failed because of
// the recipient: the next hop refused the recipient for good (permanent),
// or the queue gave up on a recipient that kept failing (not permanent).
// msg names the message (the queue id of the copy); it is hashed like
// every key, and is required for a permanent failure.
//
// A permanent failure suppresses the recipient for SuppressFor once
// HardBounceLimit distinct messages failed so within SuppressFor: one
// crafted message cannot get anyone blocked, and the same message
// reported twice counts once. A temporary one counts, and SoftBounceLimit
// of them within SuppressFor suppress it too. Call it once per message,
// when the queue bounces or gives up on it, not per attempt: retries of
// one message against a greylisting server are not a recipient's fault.
// Failures about the message or the next hop must not be reported at all.
//
// A failure of a sub-address (bob+tag@example.com) counts against that
// sub-address alone (BounceKey): it may only mean that the recipient's
// server has no sub-addressing, and must not block bob@example.com.
func (e *Engine) Bounce(ctx context.Context, rcpt, msg string, permanent bool) error {
	key := e.BounceKey(rcpt)
	if !permanent || e.opts.SuppressFor <= 0 {
		return e.bounceKey(ctx, key, permanent)
	}
	if msg == "" {
		return errors.New("policy: a permanent bounce needs the message's key")
	}
	n, err := e.store.HardBounce(ctx, key, e.keys.key(kindBounceMsg, msg), e.opts.SuppressFor)
	if err != nil || n < e.opts.HardBounceLimit {
		return err
	}
	return e.suppress(ctx, key, true)
}

// kindBounceMsg is the hash kind of a message key in a hard-bounce record.
const kindBounceMsg = "bounce_msg"

// subaddressed reports whether the local part of addr has a "+tag" that
// normAddress drops.
func subaddressed(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	return strings.IndexByte(strings.TrimPrefix(strings.TrimSpace(addr[:at]), "<"), '+') > 0
}

// bounceKey records a bounce of the recipient key: a permanent one (a DSN)
// suppresses it at once, a temporary one counts toward SoftBounceLimit.
func (e *Engine) bounceKey(ctx context.Context, key string, permanent bool) error {
	if e.opts.SuppressFor <= 0 {
		return nil
	}
	if !permanent {
		if e.opts.SoftBounceLimit <= 0 {
			return nil
		}
		n, err := e.store.SoftBounce(ctx, key, e.opts.SuppressFor)
		if err != nil || n < e.opts.SoftBounceLimit {
			return err
		}
	}
	return e.suppress(ctx, key, permanent)
}

// suppress suppresses key for SuppressFor and counts it, as a hard or soft
// suppression.
func (e *Engine) suppress(ctx context.Context, key string, permanent bool) error {
	if err := e.store.Suppress(ctx, key, e.opts.SuppressFor); err != nil {
		return err
	}
	// Counted once stored: a suppression that failed is a store error.
	if c := e.suppressed[permanent]; c != nil {
		c.Inc()
	}
	return nil
}

// rate hashes kind:value and checks it under lim.
func (e *Engine) rate(ctx context.Context, p int, lim Limit, kind, value, text string) Decision {
	if lim.Off() {
		return allowed
	}
	h := e.keys.sum(kind, value)
	return e.rateKey(ctx, p, lim, hex.EncodeToString(h[:]), text)
}

// rateKey checks key under lim; text is the start of the Defer text.
func (e *Engine) rateKey(ctx context.Context, p int, lim Limit, key, text string) Decision {
	if lim.Off() {
		return allowed
	}
	ok, retry, err := e.store.Allow(ctx, key, lim)
	if err != nil {
		return e.storeFailed(err)
	}
	if ok {
		e.count(p, Allow)
		return allowed
	}
	e.count(p, Defer)
	return Decision{Action: Defer, Policy: policies[p], Text: text + retryHint(retry), RetryAfter: retry}
}

// senderLists applies the sender domain lists to a normalised domain.
func (e *Engine) senderLists(domain string) Decision {
	l := e.lists.Load()
	if len(l.senderDeny) == 0 && len(l.senderAllow) == 0 {
		return allowed
	}
	if l.senderDeny.match(domain) || (len(l.senderAllow) > 0 && !l.senderAllow.match(domain)) {
		e.count(pSenderDomain, Reject)
		return Decision{Action: Reject, Policy: PolicySenderDomain, Text: textNoSender}
	}
	e.count(pSenderDomain, Allow)
	return allowed
}

// rcptLists applies the recipient domain lists to a normalised domain.
func (e *Engine) rcptLists(domain string) Decision {
	l := e.lists.Load()
	if len(l.rcptDeny) == 0 && len(l.rcptAllow) == 0 {
		return allowed
	}
	if l.rcptDeny.match(domain) || (len(l.rcptAllow) > 0 && !l.rcptAllow.match(domain)) {
		e.count(pRcptDomain, Reject)
		return Decision{Action: Reject, Policy: PolicyRcptDomain, Text: textNoRcpt}
	}
	e.count(pRcptDomain, Allow)
	return allowed
}
