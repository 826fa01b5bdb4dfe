package courier

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// A receiving SMTP server for the tests: go-smtp's server with a backend
// that records what it accepts.

// serverOpts configure a test server.
type serverOpts struct {
	addr        string   // listen address, default 127.0.0.1:0
	tls         string   // TLSNone (default), TLSStartTLS, TLSImplicit, or "broken": offers STARTTLS, handshake fails
	auth        []string // mechanisms offered, over TLS: "PLAIN", "LOGIN"; MAIL then needs AUTH
	smtputf8    bool
	maxSize     int64
	readTimeout time.Duration
	dataDelay   time.Duration   // Data sleeps this long; change it under testServer.mu
	dataBlock   <-chan struct{} // Data waits for this to close
	discard     bool            // count messages, keep nothing (benchmarks)
}

// received is one accepted message.
type received struct {
	from, to string
	opts     smtp.MailOptions
	body     string
	tls      bool
	user     string
}

type testServer struct {
	addr string
	srv  *smtp.Server
	ln   *countingListener
	opts serverOpts

	mu sync.Mutex
	// replies are the refusals to give: "MAIL" at MAIL, a recipient
	// address at its RCPT, "DATA " + a recipient at the end of DATA.
	replies map[string]*smtp.SMTPError
	msgs    []received
	helos   []string
	mails   int // MAIL commands seen

	discarded atomic.Int64
}

const (
	testUser = "relay"
	testPass = "s3cret"
)

func startServer(t testing.TB, o serverOpts) *testServer {
	t.Helper()
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	ts := &testServer{opts: o, replies: map[string]*smtp.SMTPError{}}
	ts.listen(t)
	t.Cleanup(ts.stop)
	return ts
}

// listen starts serving on o.addr (again, after stop).
func (ts *testServer) listen(t testing.TB) {
	t.Helper()
	l, err := net.Listen("tcp", ts.opts.addr)
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	ts.opts.addr = ts.addr
	ts.ln = &countingListener{Listener: l}

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ts.mu.Lock()
		ts.helos = append(ts.helos, c.Hostname())
		ts.mu.Unlock()
		return &testSession{ts: ts, c: c}, nil
	}))
	srv.Domain = "mx.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.EnableSMTPUTF8 = ts.opts.smtputf8
	srv.MaxMessageBytes = ts.opts.maxSize
	srv.ReadTimeout = ts.opts.readTimeout
	var ln net.Listener = ts.ln
	switch ts.opts.tls {
	case TLSStartTLS:
		srv.TLSConfig = serverTLS()
	case TLSImplicit:
		ln = tls.NewListener(ts.ln, serverTLS())
	case "broken":
		srv.TLSConfig = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return nil, errors.New("no certificate today")
		}}
	}
	ts.srv = srv
	go srv.Serve(ln)
}

// stop closes the listener and every connection. The listener is closed
// here too: Serve, started in a goroutine, may not have registered it yet.
func (ts *testServer) stop() {
	ts.srv.Close()
	ts.ln.Close()
}

func (ts *testServer) reply(key string, code int, enh smtp.EnhancedCode, text string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.replies[key] = &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: text}
}

// accept drops the refusal set for key: the server is fixed.
func (ts *testServer) accept(key string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.replies, key)
}

// got returns the messages accepted for rcpt.
func (ts *testServer) got(rcpt string) []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var r []received
	for _, m := range ts.msgs {
		if m.to == rcpt {
			r = append(r, m)
		}
	}
	return r
}

func (ts *testServer) total() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.msgs)
}

func (ts *testServer) ehloNames() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.helos...)
}

// waitOpen waits until the server has n connections open.
func (ts *testServer) waitOpen(t testing.TB, n int64) {
	t.Helper()
	for range 500 {
		if ts.ln.open.Load() == n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("server has %d connections open, want %d", ts.ln.open.Load(), n)
}

type testSession struct {
	ts   *testServer
	c    *smtp.Conn
	user string
	cur  received
}

func (s *testSession) AuthMechanisms() []string { return s.ts.opts.auth }

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != testUser || pass != testPass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *testSession) Mail(from string, opts *smtp.MailOptions) error {
	s.ts.mu.Lock()
	s.ts.mails++
	s.ts.mu.Unlock()
	if len(s.ts.opts.auth) > 0 && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.ts.mu.Lock()
	e := s.ts.replies["MAIL"]
	s.ts.mu.Unlock()
	if e != nil {
		return e
	}
	_, isTLS := s.c.TLSConnectionState()
	s.cur = received{from: from, tls: isTLS, user: s.user}
	if opts != nil {
		s.cur.opts = *opts
	}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ts.mu.Lock()
	e := s.ts.replies[to]
	s.ts.mu.Unlock()
	if e != nil {
		return e
	}
	s.cur.to = to
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	if s.ts.opts.discard {
		_, err := io.Copy(io.Discard, r)
		s.ts.discarded.Add(1)
		return err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.ts.opts.dataBlock != nil {
		<-s.ts.opts.dataBlock
	}
	s.ts.mu.Lock()
	delay := s.ts.opts.dataDelay
	s.ts.mu.Unlock()
	time.Sleep(delay)
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	if e := s.ts.replies["DATA "+s.cur.to]; e != nil {
		return e
	}
	s.cur.body = string(b)
	s.ts.msgs = append(s.ts.msgs, s.cur)
	return nil
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		l.user = string(resp)
		return []byte("Password:"), false, nil
	case 2:
		if l.user == "" {
			l.user = string(resp)
			return []byte("Password:"), false, nil
		}
		return nil, true, l.check(l.user, string(resp))
	case 3:
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, false, errors.New("unexpected step")
}

// countingListener counts connections accepted, open, and the most open
// at once.
type countingListener struct {
	net.Listener
	accepted, open, maxOpen atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	n := l.open.Add(1)
	for {
		m := l.maxOpen.Load()
		if n <= m || l.maxOpen.CompareAndSwap(m, n) {
			break
		}
	}
	return &countingConn{Conn: c, l: l}, nil
}

type countingConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countingConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

var (
	certOnce sync.Once
	certTLS  tls.Certificate
	certPool *x509.CertPool
)

// testCert returns a self-signed certificate for 127.0.0.1, localhost and
// *.test, and a pool trusting it.
func testCert() (tls.Certificate, *x509.CertPool) {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "leak test"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			DNSNames:              []string{"localhost", "*.test"},
			IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		certTLS = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
		certPool = x509.NewCertPool()
		certPool.AddCert(cert)
	})
	return certTLS, certPool
}

func serverTLS() *tls.Config {
	c, _ := testCert()
	return &tls.Config{Certificates: []tls.Certificate{c}}
}

// testBody has a line starting with a dot, which must survive
// dot-stuffing (RFC 5321 section 4.5.2).
const testBody = "DKIM-Signature: v=1; a=ed25519-sha256\r\nSubject: hi\r\n\r\nhello\r\n.leading dot\r\n"

// testMsg returns a message for rcpt with testBody.
func testMsg(rcpt string) *Message {
	return &Message{ID: testID, From: "bounce+x@leak.test", To: rcpt, Size: int64(len(testBody)), Body: strings.NewReader(testBody)}
}

// tlsRecorder collects OnTLS calls.
type tlsRecorder struct {
	mu    sync.Mutex
	modes []string
}

func (r *tlsRecorder) record(mode string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.modes = append(r.modes, mode)
}

func (r *tlsRecorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.modes) == 0 {
		return ""
	}
	return r.modes[len(r.modes)-1]
}
