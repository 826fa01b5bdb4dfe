package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"strings"

	"github.com/emersion/go-smtp"

	"leak/metrics"
	"leak/policy/auth"
	"leak/relay/address"
	"leak/relay/bounce"
)

// session is one SMTP connection. It keeps the decoded recipients of the
// current transaction and nothing of the sender: the envelope sender is
// looked at (SIZE) and dropped.
type session struct {
	srv  *Server
	conn *conn
	smtp *smtp.Conn
	// ctx is cancelled when the client leaves or the shutdown grace ends;
	// policy and DNS calls made for this session run under it.
	ctx    context.Context
	cancel context.CancelFunc
	ip     netip.Addr // for policy decisions only; never logged or stored
	rcpts  []target
	auth   *auth.Message // the current transaction's authentication, from MAIL
	from   string        // the envelope sender, for the content cleaners only; never logged or stored
}

// target is one accepted recipient: an anonymous copy for a decoded Leak
// address, or the message unchanged for the operator (postmaster@, abuse@).
type target struct {
	rcpt     address.Recipient
	operator string
	bounce   string // spool id of the copy a bounce address names
}

func (t target) address() string {
	if t.bounce != "" {
		return bounce.Prefix + t.bounce
	}
	if t.operator != "" {
		return t.operator
	}
	return t.rcpt.Address()
}

func (s *session) Reset() {
	s.rcpts = s.rcpts[:0]
	s.from = ""
	s.endAuth()
	if s.conn != nil {
		s.conn.endMail()
	}
}

func (s *session) Logout() error {
	s.endAuth()
	s.cancel()
	if s.conn != nil {
		s.conn.endMail()
		// go-smtp also logs a session out on STARTTLS: until the
		// next one, there is no TLS layer to speak through.
		s.conn.setTop(nil)
	}
	s.srv.m.ConnectionsOpen.Dec()
	return nil
}

func (s *session) endAuth() {
	if s.auth != nil {
		s.auth.Abort()
		s.auth = nil
	}
}

// Mail implements smtp.Session. The reverse path is not kept: Leak sends
// every copy from its own bounce address and never writes back to a sender.
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.srv.hook("mail")
	s.rcpts = s.rcpts[:0]
	s.from = from
	if s.conn != nil && !s.conn.beginMail() {
		return errEvicted
	}
	err := s.mail(from, opts)
	if err != nil && s.conn != nil {
		// go-smtp opens no transaction after a refused MAIL.
		s.conn.endMail()
	}
	return err
}

func (s *session) mail(from string, opts *smtp.MailOptions) error {
	if s.srv.conns.draining.Load() {
		return errShutdown
	}
	if opts != nil && opts.Size > s.srv.opts.MaxMessageBytes {
		s.srv.m.Messages.WithLabelValues("rejected", metrics.ReasonSize).Inc()
		return errTooBig
	}
	if !s.srv.hasSpace() {
		s.srv.m.Messages.WithLabelValues("rejected", metrics.ReasonInternal).Inc()
		return errNoSpace
	}
	if p := s.srv.opts.Policy; p != nil {
		if rep := s.srv.refusedBy("MAIL", p.Mail(s.ctx, s.ip, from)); rep != nil {
			s.srv.m.Messages.WithLabelValues("rejected", metrics.ReasonPolicy).Inc()
			return rep
		}
	}
	s.endAuth()
	if a := s.srv.opts.Auth; a != nil && a.Mode() != auth.Off {
		// SPF starts now, while the recipients are given.
		s.auth = a.Begin(s.ctx, s.ip, s.smtp.Hostname(), from)
	}
	return nil
}

// hasSpace asks Options.Space whether the spool can take a message, and
// logs when the answer changes (not once per client).
func (s *Server) hasSpace() bool {
	if s.opts.Space == nil {
		return true
	}
	err := s.opts.Space()
	if err != nil {
		if !s.noSpace.Swap(true) {
			s.log.Warn("spool cannot take messages: MAIL is answered 452 4.3.1", "err", err)
		}
		return false
	}
	if s.noSpace.Swap(false) {
		s.log.Info("spool can take messages again")
	}
	return true
}

// Rcpt implements smtp.Session: every recipient is decoded here, so a typo
// is reported to the sender while they are still connected.
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	s.srv.hook("rcpt")
	if len(s.rcpts) >= s.srv.opts.MaxRecipients {
		s.srv.m.Recipients.WithLabelValues("rejected", metrics.ReasonTooManyRcpts).Inc()
		return errTooManyRcpts
	}
	t, rep, reason := s.srv.recipient(s.ctx, to)
	if rep != nil {
		s.srv.m.Recipients.WithLabelValues("rejected", reason).Inc()
		s.srv.log.Info("recipient rejected", "reason", reason, "code", rep.Code)
		return rep
	}
	if len(s.rcpts) > 0 && (s.rcpts[0].bounce != "") != (t.bounce != "") {
		// A bounce is read, not relayed: it travels in a transaction of its
		// own. 452 makes the client send the rest separately (RFC 5321 4.5.3.1.10).
		return reply(452, smtp.EnhancedCode{4, 5, 3}, "Send bounces and other mail in separate transactions")
	}
	for _, have := range s.rcpts {
		if strings.EqualFold(have.address(), t.address()) {
			// The same person twice gets one copy. RFC 5321 3.3 lets a
			// server accept duplicates; the first relationship wins.
			return nil
		}
	}
	s.rcpts = append(s.rcpts, t)
	s.srv.m.Recipients.WithLabelValues("accepted", metrics.ReasonOK).Inc()
	return nil
}

// recipient decides one RCPT: the operator's mailboxes, then the codec,
// then policy (opt-out, suppression, limits), then the destination domain.
func (s *Server) recipient(ctx context.Context, to string) (target, *smtp.SMTPError, string) {
	if b := s.opts.Bounces; b != nil && bounce.IsAddress(to) {
		at := strings.LastIndexByte(to, '@')
		if at < 0 || !s.codec.IsLeakDomain(to[at+1:]) {
			return target{}, reply(550, smtp.EnhancedCode{5, 7, 1}, "Relaying denied: this server only accepts mail for its own domain"), metrics.ReasonRelay
		}
		qid, err := b.Rcpt(ctx, to)
		switch {
		case errors.Is(err, bounce.ErrNoSuchAddress):
			return target{}, reply(550, smtp.EnhancedCode{5, 1, 1}, "No such bounce address"), metrics.ReasonInvalidRcpt
		case err != nil:
			// The sent log cannot be read: the bounce may be genuine.
			s.log.Warn("bounce address not checked", "err", err)
			return target{}, errTemporary, metrics.ReasonInternal
		}
		return target{bounce: qid}, nil, ""
	}
	local, domain, ok := strings.Cut(to, "@")
	if !ok && strings.EqualFold(to, "postmaster") {
		// "RCPT TO:<Postmaster>" without a domain (RFC 5321 4.1.1.3),
		// which go-smtp passes on since v0.26.
		local, domain, ok = to, s.opts.Domain, true
	}
	if ok && s.codec.IsLeakDomain(domain) && !strings.Contains(local, "+") {
		if s.operatorAlias(local) {
			// RFC 5321 4.5.1 and RFC 2142: the operator must be reachable.
			if s.opts.Operator == "" {
				return target{}, reply(550, smtp.EnhancedCode{5, 1, 1}, "No operator mailbox is configured on this relay"), metrics.ReasonInvalidRcpt
			}
			return target{operator: s.opts.Operator}, nil, ""
		}
	}
	r, err := s.codec.Decode(to)
	if err != nil {
		rep, reason := rcptReply(err)
		return target{}, rep, reason
	}
	if p := s.opts.Policy; p != nil {
		if rep := s.refusedBy("RCPT", p.Rcpt(ctx, r.Address())); rep != nil {
			return target{}, rep, metrics.ReasonPolicy
		}
	}
	if s.opts.Domains != nil {
		if err := s.opts.Domains.CheckDomain(ctx, r.Domain); err != nil {
			// Said while the sender is still connected, so a typo in the
			// domain never disappears silently.
			return target{}, reply(550, smtp.EnhancedCode{5, 1, 2}, "The recipient's domain does not accept mail"), metrics.ReasonInvalidRcpt
		}
	}
	return target{rcpt: r}, nil, ""
}

// Data implements smtp.Session. The reply is 250 only once every copy is
// fsync'd in the spool.
func (s *session) Data(r io.Reader) error {
	s.srv.hook("data")
	if _, bdat := r.(*io.PipeReader); !bdat && s.conn != nil {
		// DATA is terminated by CRLF.CRLF; BDAT chunks are counted, and
		// the connection skips them by their announced size.
		s.conn.startData()
		r = bodyReader{r: r, c: s.conn}
	}
	if len(s.rcpts) == 0 {
		return errNoRcpt
	}
	id := newLogID()
	if s.rcpts[0].bounce != "" {
		return s.srv.takeBounce(s.ctx, id, r, s.rcpts)
	}
	_, tls := s.smtp.TLSConnectionState()
	am := s.auth
	s.auth = nil
	if s.rcpts[0].operator != "" && am != nil {
		// The operator's mail is delivered as it is, authenticated or not.
		am.Abort()
		am = nil
	}
	err := s.srv.accept(s.ctx, id, r, s.from, s.rcpts, tls, am)
	if err != nil && s.conn != nil && s.conn.lost.Load() {
		// The client reset or closed the connection, or the shutdown
		// grace ended: routine, not an internal error.
		s.srv.m.Messages.WithLabelValues("rejected", metrics.ReasonTimeout).Inc()
		s.srv.log.Info("message abandoned: connection lost", "mid", id, "err", err)
		return errLost
	}
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

// bodyReader tells the connection where a DATA body ends, and turns a bare
// CR only the connection saw into the strict reader's error.
type bodyReader struct {
	r io.Reader
	c *conn
}

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		if berr := b.c.bodyRead(); berr != nil {
			return n, berr
		}
	}
	return n, err
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
