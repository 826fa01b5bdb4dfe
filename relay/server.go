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
	"log/slog"
	"net"
	"net/netip"
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
// required.
type Options struct {
	Domain          string
	Hostname        string
	MaxMessageBytes int64
	MaxRecipients   int
	IdleTimeout     time.Duration
	TLS             *tls.Config // enables STARTTLS when set
	Anonymize       anonymize.Options
	// Delay holds each copy a uniform random time in [0, Delay) before its
	// first delivery, so the moment it reaches its recipient does not tell
	// when its sender sent it. The time is stored with the copy.
	Delay time.Duration

	// Policy, when set, decides at connect, MAIL and RCPT, and gives every
	// copy its List-Unsubscribe link (under UnsubscribeBase) and footer.
	Policy          *policy.Engine
	UnsubscribeBase string
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
	// and takes the bounces that come back to it.
	Bounces *Bounces

	// Domains, when set (MX delivery), checks each recipient domain at
	// RCPT time: one that cannot receive mail is refused there and then.
	Domains DomainChecker

	Keys    *sign.Keys
	Spool   *spool.Spool
	Queue   Enqueuer
	Metrics *metrics.Metrics
	Logger  *slog.Logger
}

// Bounces handles Leak's own envelope senders, bounce+TOKEN@domain. The
// token is an HMAC over the spool id, so a bounce finds its copy and nobody
// can forge one; the sent log maps the id to the recipient's keyed hash for
// as long as bounces may come back.
type Bounces struct {
	Tokens *bounce.Tokens
	Sent   *bounce.Sent
	// Report records a bounce against a recipient hash (policy.BounceHash).
	Report func(ctx context.Context, rcptHash string, permanent bool) error
}

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

	// panicHook lets tests make a session panic at a named step.
	panicHook func(step string)
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
		opts.MaxMessageBytes = 25 << 20
	}
	if opts.MaxRecipients <= 0 {
		opts.MaxRecipients = 50
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
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

	s := &Server{
		opts:  opts,
		codec: codec,
		anon:  anonymize.New(ao),
		log:   opts.Logger,
		m:     opts.Metrics,
		conns: newConnSet(),
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
	srv.ErrorLog = errorLog{opts.Logger}
	s.smtp = srv
	return s, nil
}

// Serve accepts connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.smtp.Serve(&listener{Listener: l, idle: s.opts.IdleTimeout, conns: s.conns,
		count: s.countCommand, admit: s.admit})
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, says 421 to clients between
// messages, lets messages in DATA finish, and waits for every session to end
// or ctx to expire (then the remaining connections are cut: none of them has
// had a 250 for its current message, so nothing accepted is lost).
func (s *Server) Shutdown(ctx context.Context) error {
	s.conns.drain()
	err := s.smtp.Shutdown(ctx)
	if err != nil {
		s.conns.closeAll()
	}
	return err
}

// admit applies the connection limits before the greeting. The peer's
// address is used for the decision and then forgotten.
func (s *Server) admit(addr net.Addr) (string, func()) {
	if s.opts.Policy == nil {
		return "", func() {}
	}
	d, release := s.opts.Policy.Connect(context.Background(), peerIP(addr))
	if d.Action != policy.Allow {
		s.m.Connections.WithLabelValues("refused").Inc()
		release()
		return "421 4.7.0 " + d.Text, nil
	}
	return "", release
}

func peerIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

func (s *Server) countCommand(verb string, code int) {
	s.m.Commands.WithLabelValues(metrics.CommandLabel(verb), metrics.ReplyClass(code)).Inc()
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	cc, _ := c.Conn().(*conn)
	if s.conns.draining.Load() {
		s.m.Connections.WithLabelValues("refused").Inc()
		return nil, errShutdown
	}
	s.m.Connections.WithLabelValues("accepted").Inc()
	s.m.ConnectionsOpen.Inc()
	return &session{srv: s, conn: cc, smtp: c, ip: peerIP(c.Conn().RemoteAddr())}, nil
}
