package courier

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// policyOpportunistic is the TLS policy of MX delivery: STARTTLS when
// offered, without verification, and plaintext when it fails (RFC 7435).
const policyOpportunistic = "opportunistic"

const (
	maxAddrsPerHost = 4               // addresses of one host tried in turn
	quitTimeout     = 2 * time.Second // for a polite QUIT before closing
)

// dest is one place sessions go to.
type dest struct {
	key    string // pool key: host:port/policy
	host   string // dialled (smarthost) or resolved (MX); the TLS server name
	port   string
	policy string // TLSNone, TLSStartTLS, TLSImplicit or policyOpportunistic
	verify bool   // verify the server's certificate
	auth   bool   // AUTH after TLS
	mx     bool
	addrs  []netip.Addr // MX: addresses already known; nil: resolve on connect
	// delivered, if set, is given the session of each copy delivered
	// (MX: what MTA-STS makes of it).
	delivered func(*session)
}

// mxDest returns the destination of one MX host.
func (s *SMTP) mxDest(h mxHost) *dest {
	port := strconv.Itoa(s.opts.MXPort)
	return &dest{
		key:    net.JoinHostPort(h.name, port) + "/mx",
		host:   h.name,
		port:   port,
		policy: policyOpportunistic,
		mx:     true,
		addrs:  h.addrs,
	}
}

// session is one SMTP session, in use by one delivery or idle in the pool.
type session struct {
	client    *smtp.Client
	conn      *deadlineConn
	wire      net.Conn          // what client talks through: conn, or TLS over it
	replies   *textproto.Reader // pipelined transactions' replies (pipeline.go), made at first use
	out       *bufio.Writer     // and their commands and bodies
	tls       string            // TLSNone, TLSStartTLS or TLSImplicit
	version   uint16            // the TLS version (tls.VersionTLS13, …), 0 without TLS
	verified  bool              // TLS with a trusted certificate valid for the host's name
	used      int               // transactions attempted on it, delivered or not
	opened    time.Time         // when its EHLO was answered: its capabilities date from then
	idleSince time.Time
}

// close ends the session, with a QUIT first if polite.
func (ss *session) close(polite bool) {
	if polite {
		ss.conn.setLimit(time.Now().Add(quitTimeout))
		if ss.client.Quit() == nil {
			return
		}
	}
	ss.client.Close()
}

// connect opens a session to d. When opportunistic TLS fails, it connects
// again to the same address and stays in plaintext: a broken TLS stack is
// no reason not to deliver (RFC 7435 section 1.2). rep gets the step
// reached and the address.
func (s *SMTP) connect(ctx context.Context, d *dest, rep *Report) (*session, error) {
	raw, addr, err := s.dial(ctx, d, rep)
	if err != nil {
		return nil, err
	}
	rep.Step = StepSMTP
	sess, tlsFailed, err := s.open(ctx, raw, d, true)
	if tlsFailed {
		rep.Step = StepTLS
	}
	if tlsFailed && d.policy == policyOpportunistic && ctx.Err() == nil {
		s.log.Warn("courier: smtp: TLS with an MX host failed; delivering in plaintext", "err", err.Error())
		rep.Step = StepConnect
		raw, err = s.dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, temporary("smtp: dial", netError(err))
		}
		rep.Step = StepSMTP
		sess, _, err = s.open(ctx, raw, d, false)
	}
	return sess, err
}

// dial connects to d: the smarthost by name, an MX host by trying its
// addresses in turn. It returns the address it reached, and notes the step
// and the address it tries in rep.
func (s *SMTP) dial(ctx context.Context, d *dest, rep *Report) (net.Conn, string, error) {
	rep.Step = StepConnect
	if !d.mx {
		addr := net.JoinHostPort(d.host, d.port)
		rep.Addr = addr
		c, err := s.dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, "", temporary("smtp: dial", netError(err))
		}
		return c, addr, nil
	}
	addrs := d.addrs
	if addrs == nil {
		rep.Step = StepDNS
		var err error
		if addrs, err = s.dns.lookupAddrs(ctx, d.host); err != nil {
			return nil, "", temporary("smtp: MX host address lookup", err)
		}
		rep.Step = StepConnect
	}
	var last error
	for _, a := range addrs[:min(len(addrs), maxAddrsPerHost)] {
		addr := net.JoinHostPort(a.String(), d.port)
		rep.Addr = addr
		c, err := s.dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c, addr, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", temporary("smtp: dial", netError(last))
}

// open sets up a session on raw as d's policy says: greeting, EHLO, TLS,
// AUTH. It closes raw on failure, and reports whether TLS is what failed.
func (s *SMTP) open(ctx context.Context, raw net.Conn, d *dest, tryTLS bool) (sess *session, tlsFailed bool, err error) {
	dc := &deadlineConn{Conn: raw}
	unwatch := dc.watch(ctx)
	sess, tlsFailed, err = s.setup(ctx, dc, d, tryTLS)
	if unwatch() {
		sess, tlsFailed, err = nil, false, temporary("smtp: connection setup interrupted", ctx.Err())
	}
	if err != nil {
		raw.Close()
	}
	return sess, tlsFailed, err
}

func (s *SMTP) setup(ctx context.Context, dc *deadlineConn, d *dest, tryTLS bool) (*session, bool, error) {
	var conn net.Conn = dc
	mode := TLSNone
	var version uint16
	verified := false
	if d.policy == TLSImplicit {
		tc := tls.Client(dc, s.tlsConfig(d))
		if err := s.handshake(ctx, tc); err != nil {
			return nil, true, temporary("smtp: TLS handshake", netError(err))
		}
		conn, mode, version = tc, TLSImplicit, tc.ConnectionState().Version
	}
	c := s.newClient(conn)
	if err := c.Hello(s.opts.Hostname); err != nil {
		return nil, false, setupError("greeting", err)
	}
	wire := conn
	if mode == TLSNone && tryTLS && (d.policy == TLSStartTLS || d.policy == policyOpportunistic) {
		if ok, _ := c.Extension("STARTTLS"); ok {
			tc, err := s.startTLS(ctx, dc, d)
			if err != nil {
				return nil, true, setupError("STARTTLS", err)
			}
			// RFC 3207 section 4.2: forget what was learnt before TLS
			// and greet again.
			wire = &resumed{Conn: tc, pending: []byte(resumedGreeting)}
			c = s.newClient(wire)
			if err := c.Hello(s.opts.Hostname); err != nil {
				return nil, true, setupError("EHLO after STARTTLS", err)
			}
			mode, version = TLSStartTLS, tc.ConnectionState().Version
			verified = d.verify || d.mx && s.policies != nil && s.verified(tc, d.host)
		} else if d.policy == TLSStartTLS {
			// Perhaps an attacker stripped it; the queue retries.
			return nil, false, temporary("smtp: TLS required", errNoStartTLS)
		}
	}
	if d.auth {
		if err := s.authenticate(c, mode); err != nil {
			return nil, false, err
		}
	}
	return &session{client: c, conn: dc, wire: wire, tls: mode, version: version, verified: verified, opened: time.Now()}, false, nil
}

// newClient returns a go-smtp client on conn with our timeouts.
func (s *SMTP) newClient(conn net.Conn) *smtp.Client {
	c := smtp.NewClient(conn)
	c.CommandTimeout = s.opts.CommandTimeout
	c.SubmissionTimeout = s.opts.DataTimeout
	return c
}

// setupError classifies a failure before the mail transaction: temporary
// whatever the reply code, since it says nothing about the message.
func setupError(stage string, err error) *Error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return &Error{Code: se.Code, Text: stage + ": " + replyText(se)}
	}
	return temporary("smtp: "+stage, netError(err))
}

func (s *SMTP) tlsConfig(d *dest) *tls.Config {
	c := &tls.Config{
		ServerName:         d.host,
		InsecureSkipVerify: !d.verify,
		RootCAs:            s.roots,
		MinVersion:         tls.VersionTLS12,
		ClientSessionCache: s.sessions,
	}
	if d.policy == policyOpportunistic {
		// Any encryption beats the plaintext we would fall back to (RFC
		// 7435 section 1.2), so old servers' TLS 1.0 and 1.1 are taken.
		c.MinVersion = tls.VersionTLS10
	}
	return c
}

// handshake runs the TLS handshake within the command timeout.
func (s *SMTP) handshake(ctx context.Context, tc *tls.Conn) error {
	hctx, cancel := context.WithTimeout(ctx, s.opts.CommandTimeout)
	defer cancel()
	return tc.HandshakeContext(hctx)
}

// startTLS sends STARTTLS on dc (RFC 3207 section 4) and runs the
// handshake. go-smtp's Client has no exported StartTLS since v0.21, and
// NewClientStartTLS greets with "EHLO localhost" and needs a second
// connection when the server offers no STARTTLS. Sending this one command
// here keeps our EHLO name and a single connection.
func (s *SMTP) startTLS(ctx context.Context, dc *deadlineConn, d *dest) (*tls.Conn, error) {
	dc.SetDeadline(time.Now().Add(s.opts.CommandTimeout))
	if _, err := io.WriteString(dc, "STARTTLS\r\n"); err != nil {
		return nil, err
	}
	// This reader is dropped after the reply: anything the server (or a
	// man in the middle) sent after it in plaintext goes with it. The
	// limit bounds a server that never ends its line.
	r := textproto.NewReader(bufio.NewReader(io.LimitReader(dc, 4096)))
	if _, _, err := r.ReadResponse(220); err != nil {
		var pe *textproto.Error
		if errors.As(err, &pe) {
			return nil, &smtp.SMTPError{Code: pe.Code, Message: pe.Msg}
		}
		return nil, err
	}
	dc.SetDeadline(time.Time{})
	tc := tls.Client(dc, s.tlsConfig(d))
	if err := s.handshake(ctx, tc); err != nil {
		return nil, err
	}
	return tc, nil
}

// resumedGreeting stands in for the greeting a new go-smtp Client reads
// first: after STARTTLS the server sends none, the client speaks first.
const resumedGreeting = "220 resumed after STARTTLS\r\n"

// resumed hands a connection already past its greeting to a new go-smtp
// Client: the first reads return pending, then the connection's data.
type resumed struct {
	net.Conn
	pending []byte
}

func (r *resumed) Read(p []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		return n, nil
	}
	return r.Conn.Read(p)
}

// authenticate logs in to the smarthost (RFC 4954), never in plaintext. A
// refusal is temporary: the credentials are the operator's to fix, not a
// fault of the message.
func (s *SMTP) authenticate(c *smtp.Client, mode string) error {
	if mode == TLSNone {
		return temporary("smtp: refusing to send credentials without TLS", nil)
	}
	var a sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		a = sasl.NewPlainClient("", s.opts.Username, s.opts.Password)
	case c.SupportsAuth(sasl.Login):
		a = sasl.NewLoginClient(s.opts.Username, s.opts.Password)
	default:
		return temporary("smtp: the smarthost offers neither AUTH PLAIN nor AUTH LOGIN", nil)
	}
	if err := c.Auth(a); err != nil {
		return setupError("AUTH", err)
	}
	return nil
}

// deadlineConn lets a delivery bound and interrupt a session's I/O.
// go-smtp sets a deadline before each command and clears it after, so a
// deadline set from outside would not last: instead every deadline is
// clamped to limit here, and cancel makes all I/O fail at once. It sits
// under TLS, so it bounds the handshake and the records too.
type deadlineConn struct {
	net.Conn

	mu        sync.Mutex
	limit     time.Time // zero: none
	cancelled bool
}

// past is a deadline that has passed: I/O fails at once.
var past = time.Unix(1, 0)

func (d *deadlineConn) clamp(t time.Time) time.Time {
	switch {
	case d.cancelled:
		return past
	case d.limit.IsZero():
		return t
	case t.IsZero() || d.limit.Before(t):
		return d.limit
	}
	return t
}

func (d *deadlineConn) SetDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Conn.SetDeadline(d.clamp(t))
}

func (d *deadlineConn) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Conn.SetReadDeadline(d.clamp(t))
}

func (d *deadlineConn) SetWriteDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Conn.SetWriteDeadline(d.clamp(t))
}

// setLimit bounds all I/O to t (zero: no bound), between commands.
func (d *deadlineConn) setLimit(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.limit = t
	d.Conn.SetDeadline(d.clamp(time.Time{}))
}

// cancel makes every pending and future I/O fail.
func (d *deadlineConn) cancel() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cancelled = true
	d.Conn.SetDeadline(past)
}

// watch cancels the connection when ctx is done, until the returned
// function is called; that function reports whether ctx cancelled it,
// which leaves the session unusable.
func (d *deadlineConn) watch(ctx context.Context) (unwatch func() bool) {
	stop := context.AfterFunc(ctx, d.cancel)
	return func() bool { return !stop() }
}
