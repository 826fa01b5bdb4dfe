// Package relay is Leak's SMTP side: it accepts mail for the Leak domain,
// decodes each recipient, rewrites the message so nothing identifies the
// sender, signs every copy with DKIM and answers 250 only once each copy is
// durable in the spool.
//
// The data path reads top to bottom: session (this package) → address codec
// (relay/address) → anonymizer (relay/anonymize) → signer (relay/sign) →
// spool (relay/spool) → queue (relay/queue) → courier (relay/courier).
package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"leak/metrics"
	"leak/policy"
	"leak/policy/auth"
	"leak/relay/address"
	"leak/relay/anonymize"
	"leak/relay/bounce"
	"leak/relay/sign"
	"leak/relay/spool"
)

// Options configure a Server. Domain, Hostname, Keys, Spool and Queue are
// required; New fills in the defaults of the others.
type Options struct {
	Domain          string
	Hostname        string
	MaxMessageBytes int64
	MaxRecipients   int
	TLS             *tls.Config // enables STARTTLS when set
	Anonymize       anonymize.Options
	// Delay holds each copy a uniform random time in [0, Delay) before its
	// first delivery, so the moment it reaches its recipient does not tell
	// when its sender sent it. The time is stored with the copy.
	Delay time.Duration

	// Time limits. A connection that breaks one is told 421 4.4.2 and
	// closed; a message cut short is not accepted.
	//
	// IdleTimeout is the longest silence in either direction (default 5
	// minutes).
	IdleTimeout time.Duration
	// CommandTimeout is how long the client has, from each reply, to send
	// its next complete command; bytes that trickle in do not extend it
	// (default 5 minutes, RFC 5321 4.5.3.2.7). It is also the grace before
	// MinDataRate applies.
	CommandTimeout time.Duration
	// FirstCommandTimeout is how long the client has, from the greeting,
	// to send its first command (default 1 minute: a mail server sends
	// EHLO as soon as it reads the greeting).
	FirstCommandTimeout time.Duration
	// MinDataRate is the slowest a message body may arrive, in bytes per
	// second averaged since DATA, once CommandTimeout has passed (default
	// 500, as Postfix's smtpd_min_data_rate).
	MinDataRate int64
	// StressTimeout replaces CommandTimeout and FirstCommandTimeout, for
	// everyone, for a minute after the connection limit (policy
	// conn_total) was reached (default 10 seconds, as Postfix's smtpd_timeout
	// under stress). Then, too, a newcomer takes the place of an idle
	// connection: see connSet.evict.
	StressTimeout time.Duration

	// Space, when set, tells whether the spool can take a message now; an
	// error makes MAIL answer 452 4.3.1, before the client sends anything
	// (spool.CheckSpace).
	Space func() error

	// Policy, when set, decides at connect, MAIL and RCPT, and gives every
	// copy its List-Unsubscribe link (under UnsubscribeBase) and footer.
	Policy          *policy.Engine
	UnsubscribeBase string
	// ReportURL, when set, gives the one-click abuse report link of a copy,
	// by its spool id and its report source (policy.Engine.SenderSource or
	// NetworkSource). The link seals a fresh report handle for that source
	// (policy.Engine.ReportHandle), never the source: it names the copy,
	// never the sender. It is added to every copy's footer.
	ReportURL func(copyID, source string) string
	// Keep, when set, is given each clean copy once it is durable (with
	// its signatures), to be kept for abuse reports (relay/keep). Its
	// error is logged; the message goes on.
	Keep func(copyID string, r io.Reader) error
	// Scan, when set, rates one clean copy of each message before the 250
	// (scanning.go): a refusal or deferral takes every copy back.
	Scan Scanner
	// Operator receives mail for postmaster@ and abuse@ the Leak domain,
	// unchanged: that is how the world reaches the operator. Empty: those
	// addresses are refused.
	Operator string
	// OperatorAliases are the local parts at the Leak domain that reach
	// Operator, in any case; empty means DefaultOperatorAliases.
	OperatorAliases []string
	// Auth, when set and not off, authenticates each inbound message (SPF,
	// DKIM, DMARC) before it is rewritten; in enforce mode a DMARC failure
	// of a p=reject domain is refused.
	Auth *auth.Checker

	// Bounces, when set, gives every copy a signed VERP envelope sender
	// and takes the bounces that come back to it; the relay only routes
	// to it.
	Bounces *bounce.Desk

	// Domains, when set (MX delivery), checks each recipient domain at
	// RCPT time: one that cannot receive mail is refused there and then.
	Domains DomainChecker

	Keys    *sign.Keys
	Spool   *spool.Spool
	Queue   Enqueuer
	Metrics *metrics.Metrics
	// Logger receives the relay's log; every line passes through
	// redactText on the way (see redact.go).
	Logger *slog.Logger
}

// Defaults of the limits in Options: New takes them for zero fields, and
// leakd's config starts from them.
const (
	DefaultMaxMessageBytes     = 25 << 20
	DefaultMaxRecipients       = 50
	DefaultIdleTimeout         = 5 * time.Minute
	DefaultCommandTimeout      = 5 * time.Minute
	DefaultFirstCommandTimeout = time.Minute
	DefaultMinDataRate         = 500
	DefaultStressTimeout       = 10 * time.Second
)

// DomainChecker tells whether a domain can receive mail (courier.SMTP).
type DomainChecker interface {
	CheckDomain(ctx context.Context, domain string) error
}

// policyAuth is the policy label of inbound authentication decisions in
// leak_policy_decisions_total.
const policyAuth = "inbound_auth"

// Enqueuer takes a committed spool entry for delivery (relay/queue.Queue).
type Enqueuer interface {
	Add(m spool.Meta)
}

// Server is Leak's SMTP server.
type Server struct {
	opts  Options
	codec *address.Codec
	anon  *anonymize.Anonymizer
	log   *slog.Logger
	m     *metrics.Metrics
	smtp  *smtp.Server
	conns *connSet

	// ctx is the parent of every session's context; cancelled when the
	// shutdown grace ends.
	ctx    context.Context
	cancel context.CancelFunc
	// done is closed once every session has ended after Shutdown.
	done     chan struct{}
	shutOnce sync.Once
	// noSpace remembers that Space failed, to log only the changes.
	noSpace atomic.Bool

	// panicHook lets tests make a session panic at a named step.
	panicHook func(step string)
}

// Validate checks the session limits of options as a configuration gives
// them, every one set; the anonymizer's are Anonymize.Validate's. Its
// errors name leakd's configuration keys (smtp.*), so config check and
// serve say the same: a limit below these would refuse ordinary clients.
// New does not call it: tests run sessions on shorter deadlines.
func (o Options) Validate() error {
	switch {
	case o.MaxMessageBytes <= 0:
		return errors.New("smtp.max_message_bytes: must be positive")
	case o.MaxRecipients <= 0:
		return errors.New("smtp.max_recipients: must be positive")
	case o.IdleTimeout < time.Second:
		return errors.New("smtp.idle_timeout: must be at least 1s")
	case o.CommandTimeout < time.Second:
		return errors.New("smtp.command_timeout: must be at least 1s")
	case o.FirstCommandTimeout < time.Second:
		return errors.New("smtp.first_command_timeout: must be at least 1s")
	case o.StressTimeout < time.Second:
		return errors.New("smtp.stress_timeout: must be at least 1s")
	case o.MinDataRate < 1:
		return errors.New("smtp.min_data_rate: must be at least 1 (bytes per second)")
	}
	return nil
}

// New checks the options and builds a server; Serve starts it.
func New(opts Options) (*Server, error) {
	if opts.Domain == "" || opts.Hostname == "" {
		return nil, errors.New("relay: domain and hostname are required")
	}
	if opts.Keys == nil || opts.Spool == nil || opts.Queue == nil {
		return nil, errors.New("relay: keys, spool and queue are required")
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.MaxRecipients <= 0 {
		opts.MaxRecipients = DefaultMaxRecipients
	}
	setDefault(&opts.IdleTimeout, DefaultIdleTimeout)
	setDefault(&opts.CommandTimeout, DefaultCommandTimeout)
	setDefault(&opts.FirstCommandTimeout, DefaultFirstCommandTimeout)
	setDefault(&opts.MinDataRate, DefaultMinDataRate)
	setDefault(&opts.StressTimeout, DefaultStressTimeout)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Logger = slog.New(redactHandler{opts.Logger.Handler()})
	if opts.Metrics == nil {
		opts.Metrics = metrics.New("dev")
	}
	codec, err := address.NewCodec(opts.Domain)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	ao := opts.Anonymize
	ao.Domain = opts.Domain
	ao.Hostname = opts.Hostname

	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:   opts,
		codec:  codec,
		anon:   anonymize.New(ao),
		log:    opts.Logger,
		m:      opts.Metrics,
		conns:  newConnSet(),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	if opts.Auth != nil && opts.Auth.Mode() != auth.Off {
		opts.Metrics.InitPolicy(policyAuth)
	}
	srv := smtp.NewServer(s)
	srv.Domain = opts.Hostname
	srv.MaxMessageBytes = opts.MaxMessageBytes
	srv.MaxRecipients = 0 // enforced by the session with a 452
	// Lines are bounded by the connection (commands) and the strict DATA
	// reader (998 octets); go-smtp's own limit would close the connection
	// in the middle of a message instead of answering it.
	srv.MaxLineLength = 0
	srv.EnableSMTPUTF8 = true
	srv.TLSConfig = opts.TLS
	srv.ErrorLog = errorLog{log: opts.Logger, m: opts.Metrics}
	s.smtp = srv
	return s, nil
}

// setDefault replaces a zero or negative option with its default.
func setDefault[T int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Serve accepts connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	o := s.opts
	err := s.smtp.Serve(&listener{Listener: l, set: s.conns, count: s.countCommand, admit: s.admit,
		lim: limits{idle: o.IdleTimeout, command: o.CommandTimeout, first: o.FirstCommandTimeout,
			stress: o.StressTimeout, minRate: o.MinDataRate}})
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// hardStopWait bounds how long Shutdown waits, once the grace is over and
// every connection cut, for the sessions to notice and end.
const hardStopWait = 5 * time.Second

// Shutdown stops accepting connections, says 421 to clients between
// messages, lets messages in DATA finish, and waits for every session to end
// or ctx to expire. Then the clients still sending a message are told 421
// 4.3.2 and every connection is cut: none of them has had a 250 for its
// current message, so nothing accepted is lost. It returns ctx's error if
// the grace ran out.
func (s *Server) Shutdown(ctx context.Context) error {
	s.conns.drain()
	s.shutOnce.Do(func() {
		go func() {
			// go-smtp closes the listener and waits for its sessions.
			s.smtp.Shutdown(context.Background())
			close(s.done)
		}()
	})
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
	}
	s.conns.closeAll()
	s.cancel()
	t := time.NewTimer(hardStopWait)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
	}
	return ctx.Err()
}

// wait returns once every session has ended after Shutdown.
func (s *Server) wait(ctx context.Context) error {
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// admit applies the connection limits before the greeting. The peer's
// address is used for the decision and then forgotten. When the total is
// reached, an idle connection makes room (connSet.evict) and the server is
// under stress for a while: shorter command timeouts for everyone.
func (s *Server) admit(ip netip.Addr) (string, func()) {
	p := s.opts.Policy
	if p == nil {
		return "", func() {}
	}
	d, release := p.Connect(s.ctx, ip)
	if d.Action != policy.Allow && d.Policy == policy.PolicyConnTotal {
		if s.conns.stress(time.Now()) {
			s.log.Warn("connection limit reached: idle connections make room for new ones, command timeouts shortened",
				"stress_timeout", s.opts.StressTimeout.String())
		}
		if s.conns.evict(ip) {
			s.m.Connections.WithLabelValues(metrics.ResultEvicted).Inc()
			d, release = p.Connect(s.ctx, ip)
		}
	}
	if d.Action != policy.Allow {
		s.m.Connections.WithLabelValues("refused").Inc()
		release()
		return "421 4.7.0 " + d.Text, nil
	}
	return "", release
}

func (s *Server) countCommand(verb string, code int) {
	s.m.Commands.WithLabelValues(metrics.CommandLabel(verb), metrics.ReplyClass(code)).Inc()
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	// After STARTTLS go-smtp talks through a TLS layer over our conn.
	var cc *conn
	tc, isTLS := c.Conn().(*tls.Conn)
	if isTLS {
		cc, _ = tc.NetConn().(*conn)
	} else {
		cc, _ = c.Conn().(*conn)
	}
	if s.conns.draining.Load() {
		s.m.Connections.WithLabelValues("refused").Inc()
		return nil, errShutdown
	}
	s.m.Connections.WithLabelValues("accepted").Inc()
	s.m.ConnectionsOpen.Inc()
	ss := &session{srv: s, conn: cc, smtp: c}
	ss.ctx, ss.cancel = context.WithCancel(s.ctx)
	if cc != nil {
		ss.ip = cc.ip
		cc.setTop(tc)
	}
	return ss, nil
}
