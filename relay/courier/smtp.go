package courier

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"
	"golang.org/x/net/idna"

	"leak/relay/sts"
)

// Delivery modes of SMTPOptions.Mode.
const (
	ModeSmarthost = "smarthost" // every copy goes to one relay
	ModeMX        = "mx"        // every copy goes to its recipient domain's MX hosts
)

// TLS modes: SMTPOptions.SmarthostTLS takes one, OnTLS reports one.
const (
	TLSNone     = "none"
	TLSStartTLS = "starttls" // RFC 3207
	TLSImplicit = "implicit" // RFC 8314 section 3.3
)

// SMTPOptions configure an SMTP courier. Zero durations and counts take
// the defaults given beside them.
type SMTPOptions struct {
	Mode     string // ModeSmarthost or ModeMX
	Hostname string // name sent in EHLO; required

	Smarthost    string // host:port, smarthost mode
	SmarthostTLS string // TLSNone, TLSStartTLS or TLSImplicit; default TLSStartTLS
	// TLSInsecure skips certificate verification of the smarthost (tests,
	// self-signed relays). MX mode never verifies: its TLS is
	// opportunistic (RFC 7435) and falls back to plaintext.
	TLSInsecure bool

	// Username and Password, if set, authenticate to the smarthost with
	// AUTH PLAIN (LOGIN if only that is offered), and only over TLS.
	Username, Password string

	Resolver string // host:port of the DNS server for MX mode; default: the first of /etc/resolv.conf
	MXPort   int    // port of MX hosts, default 25
	// AllowPrivateMX lets MX mode deliver to loopback, private and
	// link-local addresses. Off by default: whoever controls a recipient
	// domain's DNS could otherwise point Leak at hosts on its own network.
	AllowPrivateMX bool

	MaxPerDest      int           // concurrent deliveries per destination (the smarthost; a recipient domain), default 20
	MaxMsgsPerConn  int           // transactions (delivered or not) per SMTP session before reconnecting, default 100
	IdleConnTimeout time.Duration // pooled sessions idle longer are closed, default 30s
	// MaxConnAge bounds how long one session is reused, default 5m. A
	// session knows the server's limits (SIZE, SMTPUTF8) from its EHLO:
	// under steady traffic it is never idle, and without an age limit it
	// would keep a restarted server's old limits for good.
	MaxConnAge time.Duration

	DialTimeout    time.Duration // default 30s
	CommandTimeout time.Duration // each command's reply, default 5m (RFC 5321 section 4.5.3.2)
	DataTimeout    time.Duration // sending the message and reading the final reply, default 10m

	// OnTLS, if set, is called once per delivered message with the TLS
	// mode its session used (metrics). It must be quick.
	OnTLS func(mode string)

	// MTASTS applies the recipient domains' MTA-STS policies in MX mode
	// (RFC 8461): under "enforce", a copy goes only to an MX host the
	// policy lists, over TLS verified for the host's name, or is
	// deferred; never in plaintext. Policies are kept in memory.
	MTASTS bool
	// OnSTS, if set, is called once per MX delivery attempt that got as
	// far as its MX hosts, with what MTA-STS made of it: STSNone,
	// STSTesting, STSEnforceOK or STSEnforceFailed (metrics). It must
	// be quick.
	OnSTS func(result string)

	Logger *slog.Logger // default slog.Default()
}

// SMTP delivers over SMTP, to a smarthost or to the recipient domain's MX
// hosts. It keeps idle sessions for reuse and bounds the sessions per
// destination. Its methods are safe for concurrent use.
//
// Failures are classified as RFC 5321 section 4.2.1 says: a 5xx reply to
// MAIL, RCPT or DATA is permanent; 4xx replies, network errors and
// timeouts are temporary. Replies before the transaction (greeting, EHLO,
// STARTTLS, AUTH) are about the connection, not the message: they are
// temporary whatever their code, and in MX mode the next host is tried.
// Each failure also says what it is about (see About and replyAbout): a
// 5xx at RCPT about the recipient, a 5xx at MAIL or for the content about
// the message.
type SMTP struct {
	opts SMTPOptions
	log  *slog.Logger

	smarthost *dest        // smarthost mode
	dns       *resolver    // MX mode
	domains   *domainCache // CheckDomain results
	policies  *sts.Cache   // MX mode with MTASTS

	pool  *pool
	limit *limiter

	dialer net.Dialer
	// roots, if set, replaces the system roots when verifying the
	// smarthost or an MX host under MTA-STS (tests).
	roots    *x509.CertPool
	sessions tls.ClientSessionCache
}

// NewSMTP validates opts, fills in the defaults and returns a courier. Call
// InUse reports how many destinations (the smarthost, or recipient
// domains) have deliveries running now, and the most running to any one of
// them: per-destination concurrency as bounded numbers, for metrics.
func (s *SMTP) InUse() (destinations, busiest int) { return s.limit.inUse() }

// Mode is the delivery mode: ModeSmarthost or ModeMX.
func (s *SMTP) Mode() string { return s.opts.Mode }

// Close when done with it.
func NewSMTP(opts SMTPOptions) (*SMTP, error) {
	if err := fillSMTPOptions(&opts); err != nil {
		return nil, err
	}
	s := &SMTP{
		opts:     opts,
		log:      opts.Logger,
		dialer:   net.Dialer{Timeout: opts.DialTimeout},
		limit:    newLimiter(opts.MaxPerDest),
		sessions: tls.NewLRUClientSessionCache(256),
	}
	switch opts.Mode {
	case ModeSmarthost:
		host, port, _ := net.SplitHostPort(opts.Smarthost)
		s.smarthost = &dest{
			key:    opts.Smarthost + "/" + opts.SmarthostTLS,
			host:   host,
			port:   port,
			policy: opts.SmarthostTLS,
			verify: !opts.TLSInsecure,
			auth:   opts.Username != "",
		}
	case ModeMX:
		s.dns = newResolver(opts.Resolver)
		s.dns.publicOnly = !opts.AllowPrivateMX
		s.domains = newDomainCache(domainCacheSize, 10*time.Minute, time.Minute)
		if opts.MTASTS {
			var err error
			if s.policies, err = sts.New(s.stsOptions()); err != nil {
				return nil, fmt.Errorf("courier: smtp: %w", err)
			}
		}
	}
	s.pool = newPool(opts.MaxPerDest, opts.IdleConnTimeout, opts.MaxConnAge)
	return s, nil
}

// DefaultSMTPOptions returns the defaults NewSMTP fills in for the fields
// left zero; Mode, Hostname, Smarthost and the rest are the caller's.
func DefaultSMTPOptions() SMTPOptions {
	return SMTPOptions{
		SmarthostTLS:    TLSStartTLS,
		MXPort:          25,
		MaxPerDest:      20,
		MaxMsgsPerConn:  100,
		IdleConnTimeout: 30 * time.Second,
		MaxConnAge:      5 * time.Minute,
		DialTimeout:     30 * time.Second,
		CommandTimeout:  5 * time.Minute,
		DataTimeout:     10 * time.Minute,
	}
}

// Validate checks o as NewSMTP does once the defaults are in. Its errors
// name the keys of leakd's configuration the options come from
// (hostname, delivery.*), so that `config check` and `serve` say the same.
func (o SMTPOptions) Validate() error {
	if o.Hostname == "" || strings.ContainsAny(o.Hostname, " \t\r\n\x00") {
		return fmt.Errorf("hostname: %q is unusable in EHLO", o.Hostname)
	}
	switch o.Mode {
	case ModeSmarthost:
		host, port, err := net.SplitHostPort(o.Smarthost)
		if err != nil || host == "" || port == "" {
			return fmt.Errorf("delivery.smarthost: must be host:port with delivery.mode smarthost, got %q", o.Smarthost)
		}
		switch o.SmarthostTLS {
		case TLSNone, TLSStartTLS, TLSImplicit:
		default:
			return fmt.Errorf("delivery.smarthost_tls: must be none, starttls or implicit, got %q", o.SmarthostTLS)
		}
		if o.Username != "" && o.SmarthostTLS == TLSNone {
			// The password would cross the network in clear.
			return errors.New("delivery.smarthost_username: AUTH is only sent over TLS; set delivery.smarthost_tls")
		}
	case ModeMX:
		if o.Username != "" {
			return errors.New("delivery.smarthost_username: AUTH is for a smarthost, not delivery.mode mx")
		}
	default:
		return fmt.Errorf("delivery.mode: must be smarthost or mx for SMTP delivery, got %q", o.Mode)
	}
	if o.Resolver != "" {
		if _, _, err := net.SplitHostPort(o.Resolver); err != nil {
			return fmt.Errorf("delivery.resolver: must be host:port, got %q", o.Resolver)
		}
	}
	if o.MXPort < 1 || o.MXPort > 65535 {
		return fmt.Errorf("delivery.mx_port: must be a port number, got %d", o.MXPort)
	}
	if o.MaxPerDest < 1 {
		return fmt.Errorf("delivery.max_per_destination: must be at least 1, got %d", o.MaxPerDest)
	}
	return nil
}

// fillSMTPOptions sets the defaults of the fields left zero, then checks
// opts.
func fillSMTPOptions(o *SMTPOptions) error {
	d := DefaultSMTPOptions()
	if o.SmarthostTLS == "" {
		o.SmarthostTLS = d.SmarthostTLS
	}
	for _, f := range []struct {
		v   *int
		def int
	}{{&o.MXPort, d.MXPort}, {&o.MaxPerDest, d.MaxPerDest}, {&o.MaxMsgsPerConn, d.MaxMsgsPerConn}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&o.IdleConnTimeout, d.IdleConnTimeout}, {&o.MaxConnAge, d.MaxConnAge}, {&o.DialTimeout, d.DialTimeout},
		{&o.CommandTimeout, d.CommandTimeout}, {&o.DataTimeout, d.DataTimeout}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o.Validate()
}

// Close closes the idle sessions. Sessions in use are closed when their
// delivery ends.
func (s *SMTP) Close() error {
	s.pool.close()
	return nil
}

// Deliver sends m in one SMTP transaction: to the smarthost, or to the
// first MX host of the recipient's domain that accepts it.
func (s *SMTP) Deliver(ctx context.Context, m *Message) error {
	if err := checkEnvelope(m); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return temporary("smtp: not attempted", err)
	}
	if m.Report == nil {
		// Filled all the same: it is simpler than asking at every step.
		cp := *m
		cp.Report = new(Report)
		m = &cp
	}
	b := &body{r: m.Body}
	if s.opts.Mode == ModeSmarthost {
		release, err := s.limit.acquire(ctx, s.smarthost.key)
		if err != nil {
			return temporary("smtp: waiting for a session slot", err)
		}
		defer release()
		return s.deliverTo(ctx, s.smarthost, m, b)
	}
	return s.deliverMX(ctx, m, b)
}

// checkEnvelope refuses addresses that cannot be written in MAIL or RCPT
// without changing the command.
func checkEnvelope(m *Message) error {
	bad := func(a string) bool { return strings.ContainsAny(a, "\r\n\x00<>") }
	if m.To == "" || !strings.Contains(m.To, "@") || bad(m.To) {
		return permanent(AboutRecipient, "smtp: recipient address unusable in the SMTP envelope")
	}
	if bad(m.From) {
		return permanent(AboutMessage, "smtp: sender address unusable in the SMTP envelope")
	}
	return nil
}

// needsUTF8 reports whether m may only cross a server offering SMTPUTF8
// (RFC 6531 section 3.2): its header says so, or an address is not ASCII.
func needsUTF8(m *Message) bool {
	return m.UTF8 || !isASCII(m.From) || !isASCII(m.To)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// deliverMX tries the MX hosts of the recipient domain in order. A
// permanent failure from one host ends the delivery; a temporary one moves
// to the next host (RFC 5321 section 5.1).
func (s *SMTP) deliverMX(ctx context.Context, m *Message, b *body) error {
	domain, err := asciiDomain(m.To[strings.LastIndexByte(m.To, '@')+1:])
	if err != nil {
		return err
	}
	release, err := s.limit.acquire(ctx, domain)
	if err != nil {
		return temporary("smtp: waiting for a session slot", err)
	}
	defer release()

	m.Report.Step = StepDNS
	hosts, err := s.route(ctx, domain)
	if err != nil {
		return err
	}
	if len(hosts) == 0 {
		return temporary("smtp: no MX host to try", nil)
	}
	chk := s.checkSTS(ctx, domain, m.Report)
	defer chk.finish()
	var last *Error
	tried, private := 0, 0
	for _, h := range hosts {
		d := chk.dest(h)
		if d == nil {
			continue // not in the domain's MTA-STS policy
		}
		if !b.rewind() {
			// The body was partly sent to the previous host and cannot
			// be read again: the queue retries later.
			break
		}
		tried++
		err := s.deliverTo(ctx, d, m, b)
		if err == nil || IsPermanent(err) {
			return err
		}
		if errors.Is(err, errPrivate) {
			private++
		}
		last = chk.failed(asError(err))
		if ctx.Err() != nil {
			break
		}
	}
	if last == nil {
		return chk.excluded(len(hosts))
	}
	if private == len(hosts) {
		// Not a passing fault: the domain points its mail at addresses
		// Leak refuses to reach (see SMTPOptions.AllowPrivateMX).
		return &Error{Permanent: true, About: AboutRecipient, Code: 550, Text: "smtp: 5.4.4 the recipient domain's MX hosts have no public address"}
	}
	return &Error{
		About: last.About,
		Code:  last.Code,
		Text:  fmt.Sprintf("smtp: %d of %d MX hosts tried, last: %s", tried, len(hosts), last.Text),
		Err:   last.Err,
	}
}

// asError returns err as an *Error, wrapping it if needed.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return temporary("smtp", err)
}

// asciiDomain returns the A-label form of a recipient domain (RFC 5890),
// which DNS and the session key need.
func asciiDomain(domain string) (string, error) {
	a, err := idna.Lookup.ToASCII(strings.TrimSuffix(domain, "."))
	if _, ok := dns.IsDomainName(a); err != nil || !ok || a == "" || strings.Contains(a, "..") {
		return "", &Error{Permanent: true, About: AboutRecipient, Code: 550, Text: "5.1.2 invalid recipient domain"}
	}
	return a, nil
}

// deliverTo delivers m to one destination, on a pooled session if there is
// one. A pooled session is replaced by a fresh one, once, when it turns out
// dead before anything of m was sent (the server timed it out, or
// restarted), or when it would refuse m from what it learnt at its EHLO:
// the server may have restarted with other limits since, and only a new
// EHLO says which.
func (s *SMTP) deliverTo(ctx context.Context, d *dest, m *Message, b *body) error {
	rep := m.Report
	for attempt := 0; ; attempt++ {
		*rep = Report{Host: d.host}
		var sess *session
		if attempt == 0 {
			sess = s.pool.take(d.key)
		}
		reused := sess != nil
		if !reused {
			var err error
			if sess, err = s.connect(ctx, d, rep); err != nil {
				rep.refused(err)
				return err
			}
		}
		rep.reached(sess)
		out := s.transact(ctx, sess, m, b)
		// Every transaction counts, delivered or not: a session that only
		// ever fails must reach its end too.
		sess.used++
		switch {
		case !out.keep:
			sess.close(false)
		case out.cached && reused:
			sess.close(true)
		case sess.used >= s.opts.MaxMsgsPerConn || time.Since(sess.opened) >= s.opts.MaxConnAge:
			sess.close(true)
		default:
			s.pool.put(d.key, sess)
		}
		if out.err == nil {
			if d.delivered != nil {
				d.delivered(sess)
			}
			rep.Code, rep.Text = 250, out.reply
			if s.opts.OnTLS != nil {
				s.opts.OnTLS(sess.tls)
			}
			return nil
		}
		if reused && out.stale && ctx.Err() == nil {
			// Its siblings in the pool likely died the same way.
			s.pool.flush(d.key)
			continue
		}
		if reused && out.cached && ctx.Err() == nil {
			// Its siblings are left alone: a copy over a limit the server
			// still has would otherwise empty the pool at every retry.
			// Each checks again the same way, and MaxConnAge bounds what
			// they may still believe.
			continue
		}
		rep.refused(out.err)
		return out.err
	}
}

// reached records the session a transaction runs on.
func (r *Report) reached(sess *session) {
	r.Step, r.TLS = StepSMTP, tlsVersion(sess.version)
	if a := sess.conn.RemoteAddr(); a != nil {
		r.Addr = a.String()
	}
}

// refused records the next hop's reply that err carries, if any.
func (r *Report) refused(err error) {
	var e *Error
	if errors.As(err, &e) && e.Code != 0 {
		r.Code, r.Text = e.Code, e.Text
	}
}

// tlsVersion names a TLS version as OpenSSL and Postfix's logs do
// ("TLSv1.3"), or TLSNone for 0.
func tlsVersion(v uint16) string {
	if v == 0 {
		return TLSNone
	}
	return strings.Replace(tls.VersionName(v), "TLS ", "TLSv", 1)
}

// outcome is the result of one transaction on a session.
type outcome struct {
	err   error
	reply string // the text of the final 250, when delivered
	keep  bool   // the session can carry another transaction
	stale bool   // the session failed before any of the message was sent
	// cached: err was decided from the capabilities the session learnt at
	// its EHLO, without asking the server.
	cached bool
}

// transact runs one mail transaction (RFC 5321 section 3.3) on sess,
// interrupted if ctx is done.
func (s *SMTP) transact(ctx context.Context, sess *session, m *Message, b *body) outcome {
	unwatch := sess.conn.watch(ctx)
	out := s.run(sess, m, b)
	if unwatch() {
		out.keep = false
		if out.err != nil {
			out.err = temporary("smtp: delivery interrupted", ctx.Err())
		}
	}
	return out
}

func (s *SMTP) run(sess *session, m *Message, b *body) outcome {
	c := sess.client
	utf8 := needsUTF8(m)
	if ok, _ := c.Extension("SMTPUTF8"); utf8 && !ok {
		// Downgrading would alter the signed message (RFC 6531 section
		// 3.4): it can only be refused.
		return outcome{err: permanent(AboutMessage, "smtp: the server does not offer SMTPUTF8, which the message needs"), keep: true, cached: true}
	}
	if max, ok := c.MaxMessageSize(); ok && max > 0 && m.Size > int64(max) {
		// RFC 1870 section 6.
		return outcome{err: permanent(AboutMessage, fmt.Sprintf("smtp: message of %d bytes over the server's SIZE limit of %d", m.Size, max)), keep: true, cached: true}
	}
	if ok, _ := c.Extension("PIPELINING"); ok {
		return s.pipelined(sess, m, b, utf8)
	}
	// go-smtp adds BODY=8BITMIME when offered (RFC 6152), and SIZE= when
	// the server offers SIZE.
	if err := c.Mail(m.From, &smtp.MailOptions{Size: m.Size, UTF8: utf8}); err != nil {
		return s.failed(sess, stageMail, err)
	}
	if err := c.Rcpt(m.To, nil); err != nil {
		return s.failed(sess, stageRcpt, err)
	}
	w, err := c.Data()
	if err != nil {
		return s.failed(sess, stageData, err)
	}
	sess.conn.setLimit(time.Now().Add(s.opts.DataTimeout))
	defer sess.conn.setLimit(time.Time{})
	if out, ok := sendBody(w, m, b); !ok {
		return out
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return s.failed(sess, stageEnd, err)
	}
	return outcome{keep: true, reply: replyText(&smtp.SMTPError{Code: 250, Message: resp.StatusText})}
}

// failed classifies a failed command at st: permanent or not, and what it
// is about (replyAbout). A 4xx or 5xx reply leaves a usable session once
// the transaction is reset; anything else, and 421 (the server is closing
// the channel, RFC 5321 section 3.8), does not.
func (s *SMTP) failed(sess *session, st stage, err error) outcome {
	if e := refusal(st, err); e != nil {
		if e.Code == 421 {
			e.About = AboutNextHop
			return outcome{err: e, stale: st.beforeBody()}
		}
		// go-smtp's Reset forgets the EHLO; greet again at once so that the
		// extensions are known before the next transaction.
		keep := sess.client.Reset() == nil && sess.client.Hello(s.opts.Hostname) == nil
		return outcome{err: e, keep: keep}
	}
	return outcome{err: temporary("smtp: "+st.String(), netError(err)), stale: st.beforeBody()}
}

// refusal is the *Error of a 4xx or 5xx reply to the command at st, or nil
// if err is not one.
func refusal(st stage, err error) *Error {
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code/100 != 4 && se.Code/100 != 5 {
		return nil
	}
	return &Error{Permanent: se.Code/100 == 5, About: replyAbout(st, se.EnhancedCode), Code: se.Code, Text: replyText(se)}
}

// sendBody copies the spooled message to w, the body of a DATA command.
// If that fails it returns the outcome and false: the caller drops the
// connection, since ending DATA now would deliver a truncated message and
// dropping it makes the server discard it (RFC 5321 section 4.1.1.4).
func sendBody(w io.Writer, m *Message, b *body) (outcome, bool) {
	buf := copyBufs.Get().(*[]byte)
	n, err := io.CopyBuffer(w, b, *buf)
	copyBufs.Put(buf)
	if err == nil && m.Size > 0 && n != m.Size {
		// The spooled copy is not what its entry says.
		b.err = fmt.Errorf("body is %d bytes, expected %d", n, m.Size)
		err = b.err
	}
	switch {
	case err == nil:
		return outcome{}, true
	case b.err != nil:
		return outcome{err: localFailure("smtp: reading the message", b.err)}, false
	default:
		return outcome{err: temporary("smtp: sending the message", netError(err))}, false
	}
}

// replyText renders a reply's enhanced code (RFC 3463) and text as one
// line of at most maxReplyText bytes, without control characters: the
// text comes from a remote server and ends up in logs.
func replyText(se *smtp.SMTPError) string {
	msg := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, se.Message)), " ")
	ec := se.EnhancedCode
	if ec != smtp.NoEnhancedCode && ec != smtp.EnhancedCodeNotSet {
		msg = fmt.Sprintf("%d.%d.%d %s", ec[0], ec[1], ec[2], msg)
	}
	if len(msg) > maxReplyText {
		cut := maxReplyText
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

const maxReplyText = 512

// netError strips the addresses a *net.OpError carries. In MX mode they
// are the recipient's mail servers, which identify the recipient's domain
// in the logs as surely as the address would.
func netError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// copyBufs hold the buffers that carry bodies to the DATA writer, which
// would otherwise cost io.Copy's 32 KiB per message.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, 16<<10)
	return &b
}}

// body reads a message body, remembering how much was read and the first
// read error (to tell a local failure from a network one).
type body struct {
	r   io.Reader
	n   int64
	err error
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// rewind makes the body readable from the start again, if it can be.
func (b *body) rewind() bool {
	if b.n == 0 && b.err == nil {
		return true
	}
	sk, ok := b.r.(io.Seeker)
	if !ok {
		return false
	}
	if _, err := sk.Seek(0, io.SeekStart); err != nil {
		return false
	}
	b.n, b.err = 0, nil
	return true
}
