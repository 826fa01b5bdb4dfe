package relay

import (
	"context"
	"errors"
	"io"

	"github.com/emersion/go-smtp"

	"leak/metrics"
	"leak/relay/bounce"
)

// takeBounce reads a bounce sent to one or more of Leak's bounce addresses,
// and reports each failed recipient's outcome to policy: a hard failure
// suppresses the recipient, soft ones count towards it. Nothing is relayed
// and nothing of the bounce is kept; the reply is 250 whatever it said, so
// a remote server has no reason to retry it.
func (s *Server) takeBounce(id string, r io.Reader, rcpts []target) error {
	sr := newStrictReader(r)
	dsn, err := bounce.ParseDSN(sr, s.opts.MaxMessageBytes)
	io.Copy(io.Discard, sr) // read to the end of DATA before replying
	if sr.err != nil {
		rep, reason := dataReply(sr.err)
		s.m.Messages.WithLabelValues("rejected", reason).Inc()
		return rep
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		s.m.Messages.WithLabelValues("rejected", metrics.ReasonSize).Inc()
		return errTooBig
	}
	b := s.opts.Bounces
	hard, soft := 0, 0
	for _, t := range rcpts {
		hash, ok := b.Sent.Lookup(t.bounce)
		if !ok {
			continue // older than the sent log keeps, or never recorded
		}
		for _, st := range dsn.Recipients {
			if st.Action != "failed" {
				continue
			}
			if err := b.Report(context.Background(), hash, st.Permanent); err != nil {
				s.log.Warn("bounce not recorded", "mid", id, "err", err)
				continue
			}
			if st.Permanent {
				hard++
			} else {
				soft++
			}
		}
	}
	s.log.Info("bounce received", "mid", id, "hard", hard, "soft", soft, "dsn", err == nil)
	s.m.Messages.WithLabelValues("accepted", metrics.ReasonOK).Inc()
	return nil
}
