package policy

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/netip"
	"sync"
	"time"
)

// Abuse reports against a sending source. A recipient reports a delivered
// copy from its footer (relay/web). The source of a message is
//
//   - sent by SMTP: the keyed hash of its envelope sender, as the
//     per-sender rate limit keeps it (SenderSource);
//   - sent from the web form or API: the keyed hash of the client's
//     network, its /24 or /48, as the public listener's limit keeps it
//     (NetworkSource).
//
// A copy's report link does not carry its source: a source is the same
// for every message of one sender, and whoever holds the policy secret
// could unseal the links in kept copies and mailboxes, link them to one
// another and test a guessed address against them, or try every /24 of
// the web form. The link carries a handle instead (ReportHandle), random
// and made afresh for each copy; the store keeps, for ReportWindow, under
// the keyed hash of the handle, the source sealed with a key derived from
// the handle alone. These records tell no one which sources sent, nor
// which of them share a source: only a link opens its record. Once
// ReportWindow has passed, the record no longer opens and the link names
// no one; Redis drops it then, the local store at its next write or
// start (LocalStore.Put).
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
	kindHandle   = "handle"   // a copy's report handle
)

// handleBytes is the size of a report handle's random part: 128 bits, too
// many to guess, or to find from the keyed hash the store keeps.
const handleBytes = 16

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

// ReportHandle returns a fresh, random handle of one copy of a message
// from source (what SenderSource or NetworkSource gave), for the copy's
// report link to carry instead of the source, and keeps the source for
// ReportWindow for Report to find; the record is written in the
// background (queueHandle). It returns "" when reports are off or source
// is "". When the store fails (logged), a report of that copy counts
// against no one.
func (e *Engine) ReportHandle(ctx context.Context, source string) string {
	if !e.Reports() || source == "" {
		return ""
	}
	raw := make([]byte, handleBytes)
	rand.Read(raw) // crypto/rand.Read does not fail
	handle := base64.RawURLEncoding.EncodeToString(raw)
	id := e.keys.key(kindHandle, handle)
	sealed := handleAEAD(handle).Seal(nil, handleNonce[:], []byte(source), []byte(id))
	e.queueHandle(handleRec{id: id, sealed: string(sealed)})
	return handle
}

// handleRec is a report handle's record, waiting to be stored.
type handleRec struct{ id, sealed string }

// maxHandleBatch bounds the records stored at once (and the local store's
// transaction: bolt's own batch limit is 1000).
const maxHandleBatch = 1000

// queueHandle hands r to the writer, which stores it off the session's
// path: a Put on its own would cost a copy the local store's batching delay
// (10 ms) or a Redis round trip before its 250. A record not yet written
// when the daemon stops is lost, and a report of its copy counts against
// no one. The queue is bounded: a store slower than the mail waits.
func (e *Engine) queueHandle(r handleRec) {
	e.handleOnce.Do(func() {
		e.handleQ = make(chan handleRec, 4*maxHandleBatch)
		go e.handleWriter()
	})
	e.handlesPending.Add(1)
	e.handleQ <- r
}

// flushHandles waits until the queued records are stored (tests look at
// the store right after making a handle), a second at most.
func (e *Engine) flushHandles() {
	for i := 0; e.handlesPending.Load() > 0 && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

// handleWriter stores the queued records, all those waiting at once: the
// local store's concurrent Puts share one transaction and one fsync (bolt's
// Batch), and Redis takes them on as many connections as its pool has.
func (e *Engine) handleWriter() {
	for r := range e.handleQ {
		batch := []handleRec{r}
	gather:
		for len(batch) < maxHandleBatch {
			select {
			case r := <-e.handleQ:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		var wg sync.WaitGroup
		for _, r := range batch {
			wg.Go(func() {
				if err := e.store.Put(context.Background(), r.id, r.sealed, e.opts.ReportWindow); err != nil {
					e.logStoreError("policy: report handle not stored; a report of this copy will count against no one", err)
				}
			})
		}
		wg.Wait()
		e.handlesPending.Add(-int64(len(batch)))
	}
}

// handleNonce is the nonce of every handle's seal: each key (handleAEAD)
// seals one value, once.
var handleNonce [12]byte

// handleAEAD is the seal of handle's source: AES-256-GCM under a key
// derived from the handle alone, which the store never sees.
func handleAEAD(handle string) cipher.AEAD {
	k := sha256.Sum256([]byte("leak report handle seal:" + handle))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err) // AES has a 16-byte block
	}
	return aead
}

// reportSource returns the source ReportHandle kept for handle; ok is
// false when the handle is unknown, or its record expired.
func (e *Engine) reportSource(ctx context.Context, handle string) (source string, ok bool, err error) {
	id := e.keys.key(kindHandle, handle)
	sealed, ok, err := e.store.Get(ctx, id)
	// A report as quick as the writer (a test, a recipient's filter that
	// opens links at once) may come before its record is stored: wait
	// for the queue, a second at most, and look again.
	if err == nil && !ok && e.handlesPending.Load() > 0 {
		e.flushHandles()
		sealed, ok, err = e.store.Get(ctx, id)
	}
	if err != nil || !ok {
		return "", false, err
	}
	plain, err := handleAEAD(handle).Open(nil, handleNonce[:], []byte(sealed), []byte(id))
	if err != nil {
		// Not what ReportHandle wrote: count against no one.
		return "", false, nil
	}
	return string(plain), true, nil
}

// Report counts one abuse report of the copy copyID, whose report link
// carries handle (ReportHandle), against the copy's source, and blocks
// the source when it reaches the threshold. The same copy reported twice
// counts once. Without reports, without a handle, or with one unknown or
// older than ReportWindow (a link made before handles, or by another
// secret), it counts nothing.
func (e *Engine) Report(ctx context.Context, copyID, handle string) (Report, error) {
	if !e.Reports() || handle == "" {
		return Report{}, nil
	}
	source, ok, err := e.reportSource(ctx, handle)
	if err != nil || !ok {
		return Report{}, err
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
