package queue

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"leak/relay/courier"
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
	var secrets []string
	about := courier.AboutLocal // the spool could not be read
	if err == nil {
		secrets = []string{msg.Meta.Rcpt, msg.Meta.From}
		err = q.c.Deliver(ctx, &courier.Message{
			ID:   e.id,
			From: msg.Meta.From,
			To:   msg.Meta.Rcpt,
			UTF8: msg.Meta.UTF8,
			Size: msg.Meta.Size,
			Body: msg,
		})
		msg.Close()
		about = courier.AboutOf(err)
	}

	now := time.Now()
	r := Result{ID: e.id, Attempt: e.attempt, Err: err}
	if msg != nil {
		r.Rcpt = msg.Meta.Rcpt
	}
	if err != nil {
		r.About = about
	}
	var giveUp time.Time
	r.Outcome, giveUp = q.judge(e, err, about, now)
	if r.Outcome == Delivered {
		r.Latency = now.Sub(e.created)
	}

	attrs := []any{"qid", e.id, "outcome", r.Outcome, "attempt", e.attempt}
	if err != nil {
		attrs = append(attrs, "about", r.About.String(), "err", redact(err.Error(), secrets...))
	}
	if r.Outcome == Deferred {
		// The last retry happens at the instant of giving up at the
		// latest; if it fails too, the entry expires or fails.
		due := now.Add(q.opts.Backoff(e.attempt))
		if due.After(giveUp) {
			due = giveUp
		}
		q.mu.Lock()
		q.schedule(e, due)
		q.mu.Unlock()
		attrs = append(attrs, "retry_in", due.Sub(now).Round(time.Second).String())
		q.log.Warn("queue: delivery deferred", attrs...)
	} else {
		if rerr := q.sp.Remove(e.id); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			// The entry stays on disk and will be tried again after a
			// restart; better a duplicate than a loss.
			q.log.Error("queue: cannot remove entry", "qid", e.id, "err", rerr.Error())
		}
		q.forget(e)
		level := slog.LevelWarn
		if r.Outcome == Delivered {
			level = slog.LevelInfo
			attrs = append(attrs, "latency_ms", r.Latency.Milliseconds())
		}
		q.log.Log(context.Background(), level, "queue: "+r.Outcome, attrs...)
	}
	if q.opts.OnResult != nil {
		q.opts.OnResult(r)
	}
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

// forget drops e from memory.
func (q *Queue) forget(e *entry) {
	q.mu.Lock()
	delete(q.entries, e.id)
	q.mu.Unlock()
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
