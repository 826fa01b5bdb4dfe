package relay

import (
	"fmt"
	"io"
	"sync"
	"time"

	"leak/relay/address"
	"leak/relay/anonymize"
	"leak/relay/sign"
	"leak/relay/spool"
)

// copyOut is one recipient's copy on its way to the spool.
type copyOut struct {
	rcpt   address.Recipient
	w      *spool.Writer
	signer *sign.Signer
	meta   spool.Meta
}

// accept runs one message through anonymizer, signers and spool. It returns
// nil only when every copy is durable and queued; on any error nothing of the
// message is left in the spool.
func (s *Server) accept(id string, r io.Reader, rcpts []address.Recipient, tls bool) (err error) {
	start := time.Now()
	sr := newStrictReader(r)

	copies := make([]*copyOut, 0, len(rcpts))
	defer func() {
		if err != nil {
			for _, c := range copies {
				c.signer.Abort()
				c.w.Abort()
			}
		}
	}()
	targets := make([]anonymize.Copy, 0, len(rcpts))
	for _, rc := range rcpts {
		w, err := s.opts.Spool.Create()
		if err != nil {
			s.m.SpoolErrors.WithLabelValues("write").Inc()
			return fmt.Errorf("spool create: %w", err)
		}
		sg, err := s.opts.Keys.NewSigner()
		if err != nil {
			w.Abort()
			return fmt.Errorf("signer: %w", err)
		}
		c := &copyOut{rcpt: rc, w: w, signer: sg}
		copies = append(copies, c)
		targets = append(targets, anonymize.Copy{
			To:           rc.Address(),
			Relationship: rc.Relationship.Noun(),
			W:            io.MultiWriter(w, sg),
		})
	}

	if err := s.anon.Rewrite(sr, targets); err != nil {
		return err
	}
	s.m.AnonymizeDuration.Observe(time.Since(start).Seconds())
	s.m.ReceivedBytes.Add(float64(sr.n))
	s.m.MessageSize.Observe(float64(sr.n))

	// Sign and commit the copies side by side: RSA signing is the largest
	// CPU cost, and concurrent commits share one group fsync.
	errs := make([]error, len(copies))
	var wg sync.WaitGroup
	for i, c := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.finish(c)
		}()
	}
	wg.Wait()
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
	for i, c := range copies {
		s.opts.Queue.Add(c.meta)
		qids[i] = c.meta.ID
	}
	if tls {
		s.m.TLS.WithLabelValues("yes").Inc()
	} else {
		s.m.TLS.WithLabelValues("no").Inc()
	}
	s.log.Info("message accepted", "mid", id, "qids", qids, "bytes", sr.n,
		"ms", time.Since(start).Milliseconds())
	return nil
}

// finish closes one copy's signers and commits it to the spool.
func (s *Server) finish(c *copyOut) error {
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
	meta := spool.Meta{
		From:    s.bounceAddress(c.w.ID()),
		Rcpt:    c.rcpt.Address(),
		Created: time.Now(),
		Prefix:  c.signer.Header(),
		UTF8:    c.rcpt.NeedsSMTPUTF8(),
	}
	start := time.Now()
	if err := c.w.Commit(meta); err != nil {
		s.m.SpoolErrors.WithLabelValues("sync").Inc()
		return fmt.Errorf("spool commit: %w", err)
	}
	s.m.SpoolCommitDuration.Observe(time.Since(start).Seconds())
	c.meta = c.w.Meta()
	return nil
}

// bounceAddress is the envelope sender of an outgoing copy: Leak's own
// address, so SPF aligns with the From domain and bounces come back to Leak,
// never to the anonymous sender (whose address Leak does not keep).
func (s *Server) bounceAddress(id string) string {
	return "bounce+" + id + "@" + s.opts.Domain
}
