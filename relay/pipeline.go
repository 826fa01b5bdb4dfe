package relay

import (
	"context"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"leak/policy"
	"leak/policy/auth"
	"leak/relay/address"
	"leak/relay/anonymize"
	"leak/relay/bounce"
	"leak/relay/sign"
	"leak/relay/spool"
)

// copyOut is one recipient's copy on its way to the spool. Operator copies
// are the message as received and are not signed (signer is nil).
type copyOut struct {
	t      target
	w      *spool.Writer
	signer *sign.Signer
	meta   spool.Meta
	// msgid is the clean copy's Message-ID, random under the Leak domain:
	// it names nothing of the sender, so the accept and delivery log lines
	// carry it, and a copy a recipient forwards to abuse@ can be matched
	// to them. Empty for operator copies, whose Message-ID is the sender's.
	msgid string
	// leaves is when the copy is to leave (after the anonymity delay) and
	// what it is dated: Date, Received, DKIM t=. Zero for operator copies.
	leaves time.Time
}

// accept runs one message through anonymizer, signers and spool. It returns
// nil only when every copy is durable and queued; on any error nothing of the
// message is left in the spool.
func (s *Server) accept(ctx context.Context, id string, r io.Reader, from string, rcpts []target, tls bool, am *auth.Message) error {
	var source string
	if p := s.opts.Policy; p != nil && s.opts.ReportURL != nil {
		source = p.SenderSource(from)
	}
	return s.acceptFrom(ctx, id, r, from, source, rcpts, tls, am)
}

// acceptFrom is accept for a message whose report source (what abuse
// reports of its copies count against, policy.Engine.Report) is source.
func (s *Server) acceptFrom(ctx context.Context, id string, r io.Reader, from, source string, rcpts []target, tls bool, am *auth.Message) (err error) {
	start := time.Now()
	sr := newStrictReader(r)
	if am != nil {
		defer am.Abort()
	}

	copies := make([]*copyOut, 0, len(rcpts))
	// Not "if err != nil": a panic in a cleaner (recovered by go-smtp with
	// a 421) must also leave no copy half-written.
	accepted := false
	defer func() {
		if !accepted {
			for _, c := range copies {
				if c.signer != nil {
					c.signer.Abort()
				}
				c.w.Abort()
			}
		}
	}()
	// The time the copies are to leave: dated from it, not from now, a
	// copy held back by the anonymity delay does not tell its recipient
	// when the sender sent it. One for the message: its copies are one
	// sending.
	leaves := time.Now()
	if d := s.opts.Delay; d > 0 {
		leaves = leaves.Add(rand.N(d))
	}
	var anon []anonymize.Copy
	var raw []io.Writer
	for _, t := range rcpts {
		w, err := s.opts.Spool.Create()
		if err != nil {
			s.m.SpoolErrors.WithLabelValues("write").Inc()
			return fmt.Errorf("spool create: %w", err)
		}
		c := &copyOut{t: t, w: w}
		copies = append(copies, c)
		if t.operator != "" {
			raw = append(raw, w)
			continue
		}
		if c.signer, err = s.opts.Keys.NewSignerAt(leaves); err != nil {
			return fmt.Errorf("signer: %w", err)
		}
		cp := s.copyFor(t.rcpt, w.ID(), source, io.MultiWriter(w, c.signer))
		c.msgid = anonymize.NewMessageID(s.opts.Domain)
		cp.MessageID = c.msgid
		c.leaves, cp.Date = leaves, leaves
		anon = append(anon, cp)
	}

	// Operator copies take the message as received, alongside the rewrite,
	// and so does the authentication check.
	if am != nil {
		raw = append(raw, am)
	}
	var src io.Reader = sr
	if len(raw) > 0 {
		src = io.TeeReader(sr, io.MultiWriter(raw...))
	}
	if len(anon) > 0 {
		err = s.anon.Rewrite(src, anon, from)
	} else {
		_, err = io.Copy(io.Discard, src)
	}
	if err != nil {
		return err
	}
	if am != nil {
		if err := s.authenticated(ctx, id, am); err != nil {
			return err
		}
	}
	s.m.AnonymizeDuration.Observe(time.Since(start).Seconds())
	s.m.ReceivedBytes.Add(float64(sr.N()))
	s.m.MessageSize.Observe(float64(sr.N()))

	// Sign and commit the copies side by side: RSA signing is the largest
	// CPU cost, and concurrent commits share one group fsync. The last
	// copy (most often the only one) is done on this goroutine, whose stack
	// has already grown to what Ed25519 signing needs: a new goroutine's
	// grows, by copying, for every message.
	errs := make([]error, len(copies))
	var wg sync.WaitGroup
	for i, c := range copies {
		if i == len(copies)-1 {
			errs[i] = s.finish(c)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A panic on this goroutine would end the daemon: it fails
			// this message instead, as one on the session's does (go-smtp
			// recovers those with a 421).
			defer func() {
				if v := recover(); v != nil {
					errs[i] = fmt.Errorf("panic while signing and committing a copy: %v", v)
				}
			}()
			errs[i] = s.finish(c)
		}()
	}
	wg.Wait()
	if s.opts.Scan != nil && !failed(errs) {
		errs = append(errs, s.scanned(ctx, id, copies))
	}
	for _, e := range errs {
		if e != nil {
			// Some copies may be durable already: take them back, so the
			// client's retry after our 451 does not deliver twice.
			for _, c := range copies {
				if c.meta.ID != "" {
					s.opts.Spool.Remove(c.meta.ID)
				}
			}
			return e
		}
	}
	qids := make([]string, len(copies))
	var msgids []string
	for i, c := range copies {
		s.opts.Queue.Add(c.meta)
		qids[i] = c.meta.ID
		if c.msgid != "" {
			msgids = append(msgids, c.msgid)
		}
	}
	if tls {
		s.m.TLS.WithLabelValues("yes").Inc()
	} else {
		s.m.TLS.WithLabelValues("no").Inc()
	}
	s.log.Info("message accepted", "mid", id, "qids", qids, "msgids", msgids, "size", sizeBucket(sr.N()),
		"ms", time.Since(start).Milliseconds())
	accepted = true
	return nil
}

// failed reports whether any of errs is not nil.
func failed(errs []error) bool {
	for _, e := range errs {
		if e != nil {
			return true
		}
	}
	return false
}

// authenticated finishes the inbound check: a refusal in enforce mode,
// then the per-domain rate limit on the authenticated identity (its
// organizational domain, so subdomains cannot multiply the allowance).
func (s *Server) authenticated(ctx context.Context, id string, am *auth.Message) error {
	res, err := am.Close()
	if err != nil {
		return fmt.Errorf("inbound auth: %w", err)
	}
	s.log.Info("inbound auth", "mid", id, "auth", res)
	if res.Reject {
		s.m.PolicyDecisions.WithLabelValues(policyAuth, "reject").Inc()
		return errDMARCReject
	}
	s.m.PolicyDecisions.WithLabelValues(policyAuth, "allow").Inc()
	if p := s.opts.Policy; p != nil && res.Identity != "" {
		if rep := s.refusedBy("DATA", p.Authenticated(ctx, auth.OrgDomain(res.Identity))); rep != nil {
			return rep
		}
	}
	return nil
}

// copyFor describes one recipient's anonymous copy: with a policy, it
// carries a one-click unsubscribe link (RFC 8058) in its header and footer,
// and with ReportURL a report link naming the copy and sealing a handle of
// its source.
func (s *Server) copyFor(r address.Recipient, id, source string, w io.Writer) anonymize.Copy {
	c := anonymize.Copy{To: r.Address(), Relationship: r.Relationship.Noun(), W: w}
	if s.opts.Policy == nil {
		return c
	}
	u := s.opts.Policy.UnsubscribeURL(s.opts.UnsubscribeBase, r.Address())
	c.Extra = []anonymize.HeaderField{
		{Key: "List-Unsubscribe", Value: "<" + u + ">"},
		{Key: "List-Unsubscribe-Post", Value: policy.ListUnsubscribePost},
	}
	c.Footer = anonymize.Footer{
		Text: "\r\n-- \r\nThis message was sent anonymously through Leak. " +
			"To receive no more Leak messages, open " + u + "\r\n",
		HTML: `<hr><p style="font-size:small;color:#666">This message was sent anonymously through Leak. ` +
			`<a href="` + html.EscapeString(u) + `">Receive no more Leak messages</a>.</p>`,
	}
	if s.opts.ReportURL != nil {
		r := s.opts.ReportURL(id, source)
		c.Footer.Text += "To report this message as abusive to the operator, open " + r + "\r\n"
		c.Footer.HTML += `<p style="font-size:small;color:#666"><a href="` + html.EscapeString(r) + `">Report this message as abusive</a>.</p>`
	}
	return c
}

// finish closes one copy's signers and commits it to the spool.
func (s *Server) finish(c *copyOut) error {
	if c.signer == nil {
		return s.commit(c, "")
	}
	if err := c.signer.Close(); err != nil {
		for alg := range c.signer.Durations() {
			s.m.Signatures.WithLabelValues(alg, "error").Inc()
		}
		return fmt.Errorf("dkim sign: %w", err)
	}
	for alg, d := range c.signer.Durations() {
		s.m.Signatures.WithLabelValues(alg, "ok").Inc()
		s.m.SignDuration.WithLabelValues(alg).Observe(d.Seconds())
	}
	return s.commit(c, c.signer.Header())
}

func (s *Server) commit(c *copyOut, prefix string) error {
	now := time.Now()
	meta := spool.Meta{
		From:      s.bounceAddress(c.w.ID()),
		Rcpt:      c.t.address(),
		Created:   now,
		Prefix:    prefix,
		UTF8:      c.t.operator == "" && c.t.rcpt.NeedsSMTPUTF8(),
		MessageID: c.msgid,
	}
	if s.opts.Delay > 0 && c.t.operator == "" {
		meta.NotBefore = c.leaves
	}
	start := time.Now()
	if err := c.w.Commit(meta); err != nil {
		s.m.SpoolErrors.WithLabelValues("sync").Inc()
		return fmt.Errorf("spool commit: %w", err)
	}
	s.m.SpoolCommitDuration.Observe(time.Since(start).Seconds())
	c.meta = c.w.Meta()
	if b := s.opts.Bounces; b != nil && c.t.operator == "" {
		// Not the session's context: the copy goes out whether or not the
		// client stays, so its entry must be written too.
		if err := b.Record(context.Background(), c.meta.ID, c.t.rcpt.Address()); err != nil {
			s.log.Warn("sent log: bounce attribution lost for one copy", "qid", c.meta.ID, "err", err)
		}
	}
	if s.opts.Keep != nil && c.t.operator == "" {
		s.keep(c.meta.ID)
	}
	return nil
}

// keep hands the durable copy id to Options.Keep, read back from the
// spool (the page cache, just written) with its signatures.
func (s *Server) keep(id string) {
	m, err := s.opts.Spool.Open(id)
	if err == nil {
		err = s.opts.Keep(id, m)
		m.Close()
	}
	if err != nil {
		s.log.Warn("report copy not kept", "qid", id, "err", err)
	}
}

// bounceAddress is the envelope sender of an outgoing copy: Leak's own
// address, so SPF aligns with the From domain and bounces come back to Leak,
// never to the anonymous sender (whose address Leak does not keep).
func (s *Server) bounceAddress(id string) string {
	if b := s.opts.Bounces; b != nil {
		return b.EnvelopeFrom(id)
	}
	return bounce.Prefix + id + "@" + s.opts.Domain
}

// sizeBucket is what the log says of a message's size: its order of
// magnitude, not the exact count, which could match the copy the sender
// kept in their sent folder.
func sizeBucket(n int64) string {
	switch {
	case n < 16<<10:
		return "<16KiB"
	case n < 256<<10:
		return "<256KiB"
	case n < 4<<20:
		return "<4MiB"
	case n < 32<<20:
		return "<32MiB"
	}
	return ">=32MiB"
}
