package relay

import (
	"context"
	"errors"
	"io"

	"leak/metrics"
	"leak/relay/bounce"
)

// takeBounce hands a bounce sent to one or more of Leak's bounce addresses
// to the bounce desk, which reports each failed recipient to policy: a
// hard failure suppresses the recipient, soft ones count towards it.
// Nothing is relayed and nothing of the bounce is kept. The reply is 250
// whatever the bounce said, so a remote server has no reason to retry it;
// 451 if the desk could not record it, so that the server does retry.
func (s *Server) takeBounce(ctx context.Context, id string, r io.Reader, rcpts []target) error {
	qids := make([]string, len(rcpts))
	for i, t := range rcpts {
		qids[i] = t.bounce
	}
	sum, err := s.opts.Bounces.Take(ctx, newStrictReader(r), qids)
	switch {
	case errors.Is(err, bounce.ErrRead):
		// Line endings, size, or the connection: as for any message.
		rep, reason := dataReply(err)
		s.m.Messages.WithLabelValues("rejected", reason).Inc()
		return rep
	case err != nil:
		s.log.Warn("bounce not recorded", "mid", id, "hard", sum.Hard, "soft", sum.Soft, "err", err)
		s.m.Messages.WithLabelValues("rejected", metrics.ReasonInternal).Inc()
		return errTemporary
	}
	args := []any{"mid", id, "hard", sum.Hard, "soft", sum.Soft, "dsn", sum.Ignored == nil}
	if sum.Ignored != nil {
		// Its text names a limit or a structure, never the message's content.
		args = append(args, "ignored", sum.Ignored)
	}
	if sum.Unknown > 0 {
		args = append(args, "expired", sum.Unknown)
	}
	s.log.Info("bounce received", args...)
	s.m.Messages.WithLabelValues("accepted", metrics.ReasonOK).Inc()
	return nil
}
