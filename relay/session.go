package relay

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"

	"github.com/emersion/go-smtp"

	"leak/metrics"
	"leak/relay/address"
)

// session is one SMTP connection. It keeps the decoded recipients of the
// current transaction and nothing of the sender: the envelope sender is
// looked at (SIZE) and dropped.
type session struct {
	srv   *Server
	conn  *conn
	smtp  *smtp.Conn
	rcpts []address.Recipient
}

func (s *session) Reset() { s.rcpts = s.rcpts[:0] }

func (s *session) Logout() error {
	s.srv.m.ConnectionsOpen.Dec()
	return nil
}

// Mail implements smtp.Session. The reverse path is not kept: Leak sends
// every copy from its own bounce address and never writes back to a sender.
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.srv.hook("mail")
	s.rcpts = s.rcpts[:0]
	if s.srv.conns.draining.Load() {
		return errShutdown
	}
	if opts != nil && opts.Size > s.srv.opts.MaxMessageBytes {
		s.srv.m.Messages.WithLabelValues("rejected", metrics.ReasonSize).Inc()
		return errTooBig
	}
	return nil
}

// Rcpt implements smtp.Session: every recipient is decoded here, so a typo
// is reported to the sender while they are still connected.
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	s.srv.hook("rcpt")
	if len(s.rcpts) >= s.srv.opts.MaxRecipients {
		s.srv.m.Recipients.WithLabelValues("rejected", metrics.ReasonTooManyRcpts).Inc()
		return errTooManyRcpts
	}
	r, err := s.srv.codec.Decode(to)
	if err != nil {
		rep, reason := rcptReply(err)
		s.srv.m.Recipients.WithLabelValues("rejected", reason).Inc()
		s.srv.log.Info("recipient rejected", "reason", reason)
		return rep
	}
	for _, have := range s.rcpts {
		if strings.EqualFold(have.Address(), r.Address()) {
			// The same person twice gets one copy. RFC 5321 3.3 lets a
			// server accept duplicates; the first relationship wins.
			return nil
		}
	}
	s.rcpts = append(s.rcpts, r)
	s.srv.m.Recipients.WithLabelValues("accepted", metrics.ReasonOK).Inc()
	return nil
}

// Data implements smtp.Session. The reply is 250 only once every copy is
// fsync'd in the spool.
func (s *session) Data(r io.Reader) error {
	s.srv.hook("data")
	if _, bdat := r.(*io.PipeReader); !bdat && s.conn != nil {
		// DATA is terminated by CRLF.CRLF; BDAT chunks are counted, and
		// the connection skips them by their announced size.
		s.conn.startData()
	}
	if len(s.rcpts) == 0 {
		return errNoRcpt
	}
	id := newLogID()
	_, tls := s.smtp.TLSConnectionState()
	err := s.srv.accept(id, r, s.rcpts, tls)
	if err != nil {
		rep, reason := dataReply(err)
		s.srv.m.Messages.WithLabelValues("rejected", reason).Inc()
		if reason == metrics.ReasonInternal {
			s.srv.log.Error("message failed", "mid", id, "err", err)
		} else {
			s.srv.log.Info("message rejected", "mid", id, "reason", reason, "code", rep.Code)
		}
		return rep
	}
	s.srv.m.Messages.WithLabelValues("accepted", metrics.ReasonOK).Inc()
	return nil
}

func (s *Server) hook(step string) {
	if s.panicHook != nil {
		s.panicHook(step)
	}
}

// newLogID returns a random id that correlates the log lines of one message
// and carries nothing about it.
func newLogID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
