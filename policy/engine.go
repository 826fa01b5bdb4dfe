package policy

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"leak/metrics"
)

// Action is what a Decision tells the SMTP session to do.
type Action uint8

// The actions.
const (
	Allow  Action = iota // go on
	Defer                // temporary refusal (4xx): try again later
	Reject               // permanent refusal (5xx)
)

// String names the action as the metric result does.
func (a Action) String() string {
	switch a {
	case Allow:
		return metrics.DecisionAllow
	case Defer:
		return metrics.DecisionDefer
	case Reject:
		return metrics.DecisionReject
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Decision is the answer to one question asked of the Engine.
type Decision struct {
	Action Action
	// Policy names the policy that refused (one of the Policy* constants),
	// or is empty on Allow.
	Policy string
	// Text is one neutral line of ASCII for the sender's reply; for Defer
	// it ends with a retry hint ("try again in 5 minutes").
	Text string
	// RetryAfter is when a deferred attempt may succeed; 0 otherwise.
	RetryAfter time.Duration
}

// Names of the policies: the Policy of a Decision and the policy label of
// leak_policy_decisions_total.
const (
	PolicyConnIP           = "conn_ip"            // concurrent connections per IP (IPv6: per /64)
	PolicyConnTotal        = "conn_total"         // concurrent connections in all
	PolicyRateIP           = "rate_ip"            // transactions per client IP
	PolicyRateNet          = "rate_net"           // transactions per /24 or /64
	PolicyRateSender       = "rate_sender"        // transactions per envelope sender
	PolicyRateSenderDomain = "rate_sender_domain" // transactions per envelope sender domain
	PolicyRateAuthDomain   = "rate_auth_domain"   // messages per authenticated domain
	PolicyRateRcpt         = "rate_rcpt"          // recipients: per recipient, from anyone
	PolicyRateGlobal       = "rate_global"        // recipients: all together
	PolicyOptOut           = "optout"             // the recipient opted out
	PolicySuppressed       = "suppressed"         // the recipient bounced
	PolicyRcptDomain       = "rcpt_domain"        // recipient domain deny/allow lists
	PolicySenderDomain     = "sender_domain"      // sender (and authenticated) domain deny/allow lists
	// The store failed: Store.Name() of the store in use, which is also
	// the store label of leak_policy_store_*.
	PolicyRedis = metrics.StoreRedis
	PolicyLocal = metrics.StoreLocal
)

// Indexes of the policies in the counter table.
const (
	pConnIP = iota
	pConnTotal
	pRateIP
	pRateNet
	pRateSender
	pRateSenderDomain
	pRateAuthDomain
	pRateRcpt
	pRateGlobal
	pOptOut
	pSuppressed
	pRcptDomain
	pSenderDomain
	pReported
	// storeError is the slot of the store's own label (PolicyRedis or
	// PolicyLocal), which only ever counts errors.
	storeError
)

// policies names the policies by index.
var policies = [storeError]string{
	pConnIP:           PolicyConnIP,
	pConnTotal:        PolicyConnTotal,
	pRateIP:           PolicyRateIP,
	pRateNet:          PolicyRateNet,
	pRateSender:       PolicyRateSender,
	pRateSenderDomain: PolicyRateSenderDomain,
	pRateAuthDomain:   PolicyRateAuthDomain,
	pRateRcpt:         PolicyRateRcpt,
	pRateGlobal:       PolicyRateGlobal,
	pOptOut:           PolicyOptOut,
	pSuppressed:       PolicySuppressed,
	pRcptDomain:       PolicyRcptDomain,
	pSenderDomain:     PolicySenderDomain,
	pReported:         PolicyReported,
}

// Engine answers the SMTP session's questions. It is safe for concurrent
// use.
type Engine struct {
	opts   Options
	store  Store
	keys   *hasher
	log    *slog.Logger
	lists  atomic.Pointer[domainLists]
	listMu sync.Mutex // serialises Reload

	counts [storeError + 1][4]prometheus.Counter // [policy][Action or result error]
	// optOuts counts opt-outs ([true]) and opt-ins ([false]); suppressed
	// counts suppressions after a hard ([true]) or soft ([false]) bounce.
	// All nil without metrics.
	optOuts    map[bool]prometheus.Counter
	suppressed map[bool]prometheus.Counter

	connMu  sync.Mutex
	conns   map[[sha256.Size]byte]int
	connSum int

	lastErrLog atomic.Int64 // Unix ns of the last store error logged

	// Report handles' records on their way to the store (report.go).
	handleOnce     sync.Once
	handleQ        chan handleRec
	handlesPending atomic.Int64
}

// resultError is the counter slot of metrics.DecisionError.
const resultError = 3

// Open returns an Engine deciding by opts over store. It reads the domain
// lists and creates the policy series of opts.Metrics at zero. With
// opts.Metrics set, every call the Engine makes to store is timed and its
// failures counted (leak_policy_store_*), and store.Name() must be "local"
// or "redis". The caller keeps ownership of store and closes it after the
// Engine's last use.
func Open(opts Options, store Store) (*Engine, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, fmt.Errorf("policy: no store")
	}
	e := &Engine{
		opts:  opts,
		store: store,
		keys:  newHasher(opts.Secret),
		log:   opts.Logger,
		conns: make(map[[sha256.Size]byte]int),
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	lists, err := loadLists(&opts)
	if err != nil {
		return nil, err
	}
	e.lists.Store(lists)
	if m := opts.Metrics; m != nil {
		is, err := instrument(store, m)
		if err != nil {
			return nil, err
		}
		e.store = is
		e.optOuts = map[bool]prometheus.Counter{
			true:  m.PolicyOptOuts.WithLabelValues(metrics.OptOut),
			false: m.PolicyOptOuts.WithLabelValues(metrics.OptIn),
		}
		e.suppressed = map[bool]prometheus.Counter{
			true:  m.PolicySuppressions.WithLabelValues(metrics.SuppressHard),
			false: m.PolicySuppressions.WithLabelValues(metrics.SuppressSoft),
		}
		names := append(policies[:len(policies):len(policies)], store.Name())
		m.InitPolicy(names...)
		for i, p := range names {
			for j, r := range []string{
				metrics.DecisionAllow, metrics.DecisionDefer,
				metrics.DecisionReject, metrics.DecisionError,
			} {
				e.counts[i][j] = m.PolicyDecisions.WithLabelValues(p, r)
			}
		}
	}
	return e, nil
}

// Reload re-reads the domain lists. On error the lists in use stay as they
// were, and the error names the file.
func (e *Engine) Reload() error {
	e.listMu.Lock()
	defer e.listMu.Unlock()
	lists, err := loadLists(&e.opts)
	if err != nil {
		return err
	}
	e.lists.Store(lists)
	e.log.Info("policy: domain lists reloaded",
		"rcpt_deny", len(lists.rcptDeny), "rcpt_allow", len(lists.rcptAllow),
		"sender_deny", len(lists.senderDeny), "sender_allow", len(lists.senderAllow))
	return nil
}

// Ping reports whether the policy store can answer now: the readiness
// probe. Through the Engine the call is timed and its failure counted like
// every other store call, so a Redis that went away shows in
// leak_policy_store_errors_total even while no mail comes in.
func (e *Engine) Ping(ctx context.Context) error {
	return e.store.Ping(ctx)
}

// RecipientHash is the keyed hash of a (decoded) recipient address, hex:
// the key of its opt-out, suppression and rate limit, and what logs may
// carry as rcpt_hash.
func (e *Engine) RecipientHash(rcpt string) string {
	return e.keys.key(kindRcpt, normAddress(rcpt))
}

// count adds one to the counter of policy p and action a.
func (e *Engine) count(p int, a Action) {
	if c := e.counts[p][a]; c != nil {
		c.Inc()
	}
}

// storeFailed turns a store error into a Defer, counted as an error of the
// store's policy, and logs it (rate-limited).
func (e *Engine) storeFailed(err error) Decision {
	if c := e.counts[storeError][resultError]; c != nil {
		c.Inc()
	}
	e.logStoreError("policy: store failed, deferring", err)
	return Decision{
		Action:     Defer,
		Policy:     e.store.Name(),
		Text:       "temporary local problem, " + retryHint(time.Minute),
		RetryAfter: time.Minute,
	}
}

// logStoreError logs a store error as msg, at most once every 10 seconds:
// with Redis down every SMTP command fails the same way.
func (e *Engine) logStoreError(msg string, err error) {
	now := time.Now().UnixNano()
	if last := e.lastErrLog.Load(); now-last > int64(10*time.Second) && e.lastErrLog.CompareAndSwap(last, now) {
		e.log.Warn(msg, "store", e.store.Name(), "err", err)
	}
}

// retryHint says when to try again, rounded up to a unit a person reads:
// "try again in 1 minute", "in 12 minutes", "in 3 hours", "in 2 days".
func retryHint(d time.Duration) string {
	n, unit := 0, ""
	switch {
	case d <= 2*time.Hour:
		n, unit = int((d+time.Minute-1)/time.Minute), "minute"
	case d <= 48*time.Hour:
		n, unit = int((d+time.Hour-1)/time.Hour), "hour"
	default:
		n, unit = int((d+24*time.Hour-1)/(24*time.Hour)), "day"
	}
	n = max(n, 1)
	if n > 1 {
		unit += "s"
	}
	return "try again in " + strconv.Itoa(n) + " " + unit
}
