package relay

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"leak/metrics"
	"leak/relay/scan"
)

// Scanner rates a clean copy before the 250 (relay/scan: Rspamd).
type Scanner interface {
	Check(ctx context.Context, msg io.Reader, size int64, rcpt string) (scan.Verdict, error)
}

var (
	errScanReject = reply(550, smtp.EnhancedCode{5, 7, 1},
		"Message refused: Leak's content scanner rated it as spam or abuse, and Leak does not send that under its name")
	errScanDefer = reply(451, smtp.EnhancedCode{4, 7, 1},
		"Message deferred by Leak's content scanner, try again later")
	errScanDown = reply(451, smtp.EnhancedCode{4, 3, 0},
		"Leak's content scanner is unavailable, try again later")
)

// scanned hands one durable clean copy of the message to Options.Scan and
// returns nil to accept, or the reply that refuses or defers the message.
// One copy stands for all: the copies differ only in their recipient and
// footer links. Rspamd sees the clean copy, never the message as received,
// and nothing of the sender (relay/scan). Operator copies are not scanned.
func (s *Server) scanned(ctx context.Context, id string, copies []*copyOut) error {
	var c *copyOut
	for _, cc := range copies {
		if cc.t.operator == "" {
			c = cc
			break
		}
	}
	if c == nil {
		return nil
	}
	m, err := s.opts.Spool.Open(c.meta.ID)
	if err != nil {
		return fmt.Errorf("scan: open copy: %w", err)
	}
	defer m.Close()
	start := time.Now()
	v, err := s.opts.Scan.Check(ctx, m, c.meta.Size, c.meta.Rcpt)
	s.m.ScanDuration.Observe(time.Since(start).Seconds())
	if err != nil {
		s.m.ScanResults.WithLabelValues(metrics.ScanError).Inc()
		s.log.Warn("content scan failed", "mid", id, "outcome", v.Action.String(), "err", err)
		if v.Action == scan.Accept {
			return nil
		}
		return errScanDown
	}
	s.m.ScanResults.WithLabelValues(v.Action.String()).Inc()
	if v.Action == scan.Accept {
		return nil
	}
	// The symbols tell the operator why, and name rules, not people.
	s.log.Info("content scan refused", "mid", id, "outcome", v.Action.String(),
		"score", v.Score, "symbols", strings.Join(v.Symbols, ","))
	if v.Action == scan.Reject {
		return errScanReject
	}
	return errScanDefer
}
