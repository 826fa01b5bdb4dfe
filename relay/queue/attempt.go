package queue

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"strings"
	"time"

	"leak/relay/courier"
	"leak/relay/spool"
)

// attempt delivers e once and acts on the outcome: remove the entry from
// the spool, or schedule the next attempt.
func (q *Queue) attempt(ctx context.Context, e *entry) {
	msg, err := q.sp.Open(e.id)
	if errors.Is(err, fs.ErrNotExist) {
		// Removed behind our back (an operator): nothing left to do.
		q.forget(e)
		q.log.Warn("queue: entry no longer in the spool", "qid", e.id, "attempt", e.attempt)
		return
	}
	var meta spool.Meta
	var rep courier.Report
	about := courier.AboutLocal // the spool could not be read
	if err == nil {
		meta = msg.Meta
		err = q.c.Deliver(ctx, &courier.Message{
			ID:     e.id,
			From:   meta.From,
			To:     meta.Rcpt,
			UTF8:   meta.UTF8,
			Size:   meta.Size,
			Body:   msg,
			Report: &rep,
		})
		msg.Close()
		about = courier.AboutOf(err)
	}

	if errors.Is(err, spool.ErrCorrupt) {
		q.setAside(e, meta.Rcpt, err)
		return
	}

	now := time.Now()
	r := Result{ID: e.id, Rcpt: meta.Rcpt, Attempt: e.attempt, Err: err}
	if err != nil {
		r.About = about
		r.Reason = reason(err, &rep, about)
	}
	var giveUp time.Time
	r.Outcome, giveUp = q.judge(e, err, about, now)
	delay := now.Sub(e.created)
	if r.Outcome == Delivered {
		r.Latency = delay
	}

	secrets := []string{meta.Rcpt, meta.From}
	if q.opts.LogRecipients {
		secrets = secrets[1:]
	}
	attrs := q.statusAttrs(&r, &meta, &rep, delay, secrets)
	if r.Outcome != Deferred {
		if rerr := q.sp.Remove(e.id); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			// The entry stays on disk and will be tried again after a
			// restart; better a duplicate than a loss.
			q.log.Error("queue: cannot remove entry", "qid", e.id, "err", rerr.Error())
		}
		if q.forget(e) {
			if herr := q.saveHolds(); herr != nil {
				q.log.Warn("queue: cannot save the holds", "err", herr.Error())
			}
		}
		level := slog.LevelWarn
		if r.Outcome == Delivered {
			level = slog.LevelInfo
		}
		q.log.Log(context.Background(), level, "queue: "+r.Outcome, attrs...)
		q.report(r)
		return
	}

	// The last retry happens at the instant of giving up at the latest; if
	// it fails too, the entry expires or fails.
	due := now.Add(q.opts.Backoff(e.attempt))
	if due.After(giveUp) {
		due = giveUp
	}
	attrs = append(attrs, "retry_in", due.Sub(now).Round(time.Second).String())
	q.log.Warn("queue: delivery deferred", attrs...)
	// Reported before the next attempt can start, so that results (and
	// log lines) come in the order of the attempts.
	q.report(r)
	q.mu.Lock()
	e.lastErr = redact(err.Error(), secrets...)
	if e.held {
		// Put on hold while it was being delivered.
		e.state, e.due = parked, due
	} else {
		q.schedule(e, due)
	}
	q.mu.Unlock()
}

// report passes r to OnResult, if set.
func (q *Queue) report(r Result) {
	if q.opts.OnResult != nil {
		q.opts.OnResult(r)
	}
}

// statusAttrs are the attributes of an attempt's log line, in the order of
// Postfix's "status=" line: which copy, where it went and how, what the
// next hop said, and why it failed. Replies and errors are cut of secrets.
func (q *Queue) statusAttrs(r *Result, m *spool.Meta, rep *courier.Report, delay time.Duration, secrets []string) []any {
	attrs := []any{"qid", r.ID}
	if m.MessageID != "" {
		attrs = append(attrs, "msgid", m.MessageID)
	}
	if q.opts.LogRecipients && m.Rcpt != "" {
		attrs = append(attrs, "to", m.Rcpt)
	}
	attrs = append(attrs, "outcome", r.Outcome, "attempt", r.Attempt)
	if relay := relayName(rep); relay != "" {
		attrs = append(attrs, "relay", relay)
	}
	if rep.TLS != "" {
		attrs = append(attrs, "tls", rep.TLS)
	}
	// Seconds to the millisecond, which is what Created keeps.
	attrs = append(attrs, "delay", math.Round(delay.Seconds()*1000)/1000,
		"dsn", dsnStatus(r.Err, rep, r.Reason))
	if rep.Code != 0 {
		attrs = append(attrs, "reply", redact(fmt.Sprintf("%d %s", rep.Code, rep.Text), secrets...))
	}
	if r.Err != nil {
		attrs = append(attrs, "reason", r.Reason, "about", r.About.String(), "err", redact(r.Err.Error(), secrets...))
	}
	return attrs
}

// relayName writes the next hop as Postfix does: "mx.example.com[192.0.2.1]:25";
// "relay.example:587" for a smarthost whose address is not known, or the
// name alone when no address was tried.
func relayName(rep *courier.Report) string {
	host, port, err := net.SplitHostPort(rep.Addr)
	switch {
	case rep.Addr == "" || err != nil:
		return rep.Host
	case net.ParseIP(host) == nil:
		return rep.Addr
	}
	return rep.Host + "[" + host + "]:" + port
}

// judge decides the outcome of an attempt of e that ended with err (about
// what it is about) at now, and when to give up on e if it is deferred.
func (q *Queue) judge(e *entry, err error, about courier.About, now time.Time) (outcome string, giveUp time.Time) {
	giveUp = e.created.Add(q.opts.Lifetime)
	switch {
	case err == nil:
		return Delivered, giveUp
	case courier.IsPermanent(err) && about == courier.AboutRecipient:
		return Bounced, giveUp
	case courier.IsPermanent(err):
		// Refused for the message or by the next hop: retried until such
		// refusals have lasted FailureLifetime (or Lifetime is over).
		if e.refused.IsZero() {
			e.refused = now
		}
		if f := e.refused.Add(q.opts.FailureLifetime); f.Before(giveUp) {
			giveUp = f
		}
		if !now.Before(giveUp) {
			return Failed, giveUp
		}
		return Deferred, giveUp
	}
	// A temporary failure ends a run of refusals: the next hop is not in
	// the state that refused.
	e.refused = time.Time{}
	if !now.Before(giveUp) {
		return Expired, giveUp
	}
	return Deferred, giveUp
}

// setAside ends an entry the spool found damaged: the spool has already
// moved its bytes to corrupt/ and counted it (leak_spool_dropped_entries_
// total), so there is nothing to remove and nothing a retry could do but
// fail again or deliver damage. It is reported as Failed, about Leak's
// own storage, so it never counts against the recipient.
func (q *Queue) setAside(e *entry, rcpt string, err error) {
	if q.forget(e) {
		if herr := q.saveHolds(); herr != nil {
			q.log.Warn("queue: cannot save the holds", "err", herr.Error())
		}
	}
	q.log.Error("queue: copy damaged in the spool, set aside in corrupt/ and not delivered", "qid", e.id, "attempt", e.attempt)
	q.report(Result{ID: e.id, Rcpt: rcpt, Attempt: e.attempt, Err: err, Outcome: Failed, About: courier.AboutLocal, Reason: ReasonLocal})
}

// forget drops e from memory. It reports whether e was held, and so is
// in HoldFile.
func (q *Queue) forget(e *entry) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.entries, e.id)
	return e.held
}

// redact replaces every occurrence of the secrets in text, ignoring ASCII
// case, so that a remote server quoting the recipient ("550 5.1.1
// <bob@example.com>: unknown") does not put the address in the log.
func redact(text string, secrets ...string) string {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		var b strings.Builder
		for i := 0; i < len(text); {
			if i+len(s) <= len(text) && strings.EqualFold(text[i:i+len(s)], s) {
				b.WriteString("[redacted]")
				i += len(s)
				continue
			}
			b.WriteByte(text[i])
			i++
		}
		text = b.String()
	}
	return text
}
