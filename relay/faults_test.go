package relay

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/sign"

	dto "github.com/prometheus/client_model/go"
)

// The tests in this file reproduce what a fault-injection run found: peer
// addresses in the log, idle connections locking everyone out, go-smtp's
// panics after "Too many errors", a dropped "\r\n.\r", EOF instead of 421 at
// the end of the shutdown grace, and no early refusal when the spool is full.

// logSink collects a relay's log at debug level, for tests to read.
type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *logSink) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// peerIP is the distinctive loopback address the tests' clients dial from,
// so that any trace of it in a log is found.
const testPeerIP = "127.0.0.27"

// dialFrom connects from the local address ip (any of 127.0.0.0/8 works on
// Linux) and reads the greeting.
func dialFrom(t *testing.T, addr, ip string) *client {
	t.Helper()
	c := dialRaw(t, addr, ip)
	c.expect("220")
	return c
}

func dialRaw(t *testing.T, addr, ip string) *client {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// reset ends the connection with a TCP RST instead of a FIN.
func (c *client) reset() {
	conn := c.conn
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

func (c *client) port() string {
	return strconv.Itoa(c.conn.LocalAddr().(*net.TCPAddr).Port)
}

// stop shuts the relay down with the given grace and returns once every
// session has ended, so everything it logs is in the log.
func (tr *testRelay) stop(t *testing.T, grace time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	tr.srv.Shutdown(ctx)
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := tr.srv.wait(wctx); err != nil {
		t.Fatalf("sessions still running after shutdown: %v", err)
	}
}

// testTLS is a self-signed certificate for mx.leak.example.
func testTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.leak.example"},
		DNSNames:     []string{"mx.leak.example"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// startTLS upgrades the client's connection after a 220 to STARTTLS.
func (c *client) startTLS() {
	c.t.Helper()
	c.cmd("STARTTLS", "220")
	tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	c.conn = tc
	c.r = bufio.NewReader(tc)
}

func counterValue(t *testing.T, c interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// A: no error path puts the client's address or port in the log, not even
// inside a wrapped network error's text.
func TestLogHoldsNoPeerAddress(t *testing.T) {
	t.Parallel()
	const rcpt = "to+bob=example.com@leak.example"
	for _, tc := range []struct {
		name  string
		tweak func(*Options)
		run   func(t *testing.T, tr *testRelay, c *client)
		want  string // the log must show the path was taken
	}{
		{"reset mid-DATA", nil, func(t *testing.T, tr *testRelay, c *client) {
			c.open(rcpt)
			c.cmd("DATA", "354")
			c.send("Subject: x\r\n\r\npartial line")
			c.reset()
		}, "connection reset"},
		{"reset between commands", nil, func(t *testing.T, tr *testRelay, c *client) {
			c.cmd("EHLO client.example", "250")
			c.reset()
		}, "connection reset"},
		{"reset mid-command", nil, func(t *testing.T, tr *testRelay, c *client) {
			// go-smtp would run the partial line as a command and lose
			// the error; the connection hands it whole lines only.
			c.cmd("EHLO client.example", "250")
			c.send("MAIL FROM:<a@exa")
			c.reset()
		}, "connection reset"},
		{"reset after pipelined commands", nil, func(t *testing.T, tr *testRelay, c *client) {
			c.cmd("EHLO client.example", "250")
			c.send(strings.Repeat("NOOP\r\n", 200))
			c.reset()
		}, ""},
		{"close during DATA", nil, func(t *testing.T, tr *testRelay, c *client) {
			c.open(rcpt)
			c.cmd("DATA", "354")
			c.send("Subject: x\r\n\r\nstill sending\r\n")
			tr.stop(t, 100*time.Millisecond)
		}, "closed"},
		{"TLS handshake failure", func(o *Options) { o.TLS = testTLS(t) }, func(t *testing.T, tr *testRelay, c *client) {
			c.cmd("EHLO client.example", "250")
			c.cmd("STARTTLS", "220")
			c.send("this is not a TLS client hello\r\n")
			// go-smtp answers 550 and would go on in plaintext on a
			// stream the failed handshake left in pieces; the
			// connection ends instead.
			c.expect("550")
			if !c.closed() {
				t.Error("connection open after a failed TLS handshake")
			}
		}, ""},
		{"reset during TLS handshake", func(o *Options) { o.TLS = testTLS(t) }, func(t *testing.T, tr *testRelay, c *client) {
			c.cmd("EHLO client.example", "250")
			c.cmd("STARTTLS", "220")
			c.send("\x16\x03\x01\x00")
			c.reset()
		}, ""},
		{"reset inside TLS", func(o *Options) { o.TLS = testTLS(t) }, func(t *testing.T, tr *testRelay, c *client) {
			c.cmd("EHLO client.example", "250")
			c.startTLS()
			c.open(rcpt)
			c.cmd("DATA", "354")
			c.send("Subject: x\r\n\r\npartial")
			c.reset()
		}, ""},
		{"idle timeout", func(o *Options) { o.IdleTimeout = 200 * time.Millisecond }, func(t *testing.T, tr *testRelay, c *client) {
			c.cmd("EHLO client.example", "250")
			c.expect("421")
		}, ""},
		{"timeout in DATA", func(o *Options) { o.IdleTimeout = 200 * time.Millisecond }, func(t *testing.T, tr *testRelay, c *client) {
			c.open(rcpt)
			c.cmd("DATA", "354")
			c.send("Subject: x\r\n\r\nthen silence\r\n")
			c.expect("421")
		}, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logSink
			tr := startRelay(t, func(o *Options) {
				o.Logger = sink.logger()
				if tc.tweak != nil {
					tc.tweak(o)
				}
			})
			c := dialFrom(t, tr.addr, testPeerIP)
			port := c.port()
			tc.run(t, tr, c)
			// Let the server notice before the shutdown says goodbye.
			testutil.WaitFor(t, "the connection to close", func() bool { return len(tr.srv.conns.all()) == 0 })
			tr.stop(t, 2*time.Second)
			log := sink.String()
			if strings.Contains(log, testPeerIP) {
				t.Errorf("log holds the client's IP %s:\n%s", testPeerIP, log)
			}
			if regexp.MustCompile(`\b` + port + `\b`).MatchString(log) {
				t.Errorf("log holds the client's port %s:\n%s", port, log)
			}
			if tc.want != "" && !strings.Contains(log, tc.want) {
				t.Errorf("log lacks %q, so the path was not taken:\n%s", tc.want, log)
			}
			if testing.Verbose() {
				t.Log(log)
			}
		})
	}
}

// C: commands pipelined after go-smtp's "500 Too many errors" made it call
// a nil session (v0.25.1), one 2 KB stack in the log per command.
func TestPipelinedAfterTooManyErrors(t *testing.T) {
	t.Parallel()
	for _, useTLS := range []bool{false, true} {
		t.Run("tls="+strconv.FormatBool(useTLS), func(t *testing.T) {
			var sink logSink
			tr := startRelay(t, func(o *Options) {
				o.Logger = sink.logger()
				if useTLS {
					o.TLS = testTLS(t)
				}
			})
			c := dial(t, tr.addr)
			c.cmd("EHLO client.example", "250")
			if useTLS {
				c.startTLS()
				c.cmd("EHLO client.example", "250")
			}
			c.send("BAD1\r\nBAD2\r\nBAD3\r\nBAD4\r\n" +
				strings.Repeat("MAIL FROM:<a@example.net>\r\nRCPT TO:<to+bob=example.com@leak.example>\r\nDATA\r\n", 30))
			for range 4 {
				c.expect("500")
			}
			c.expect("500 5.5.1")
			if !c.closed() {
				t.Error("connection open after too many errors")
			}
			tr.stop(t, 2*time.Second)
			log := sink.String()
			panics := counterValue(t, tr.m.Panics)
			errLines := strings.Count(log, "level=ERROR")
			t.Logf("panics counted: %v; log: %d bytes, %d error lines", panics, len(log), errLines)
			if errLines > 1 {
				t.Errorf("%d error lines for one connection:\n%s", errLines, log)
			}
			if !useTLS && panics != 0 {
				t.Errorf("%v panics on a plaintext connection, want none", panics)
			}
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, "goroutine ") && !strings.Contains(line, "level=DEBUG") {
					t.Errorf("a stack outside a debug line: %q", line)
				}
			}
		})
	}
}

// A panic in the session is one error line and a count; its stack is only
// at debug level.
func TestPanicLoggedOnce(t *testing.T) {
	t.Parallel()
	var sink logSink
	tr := startRelay(t, func(o *Options) { o.Logger = sink.logger() })
	tr.srv.panicHook = func(step string) {
		if step == "mail" {
			panic("test panic")
		}
	}
	c := dial(t, tr.addr)
	c.cmd("EHLO client.example", "250")
	c.cmd("MAIL FROM:<a@example.net>", "421")
	tr.stop(t, 2*time.Second)
	if got := counterValue(t, tr.m.Panics); got != 1 {
		t.Errorf("leak_panics_total = %v, want 1", got)
	}
	var errLines, debugStack int
	for _, line := range strings.Split(sink.String(), "\n") {
		switch {
		case strings.Contains(line, "level=ERROR") && strings.Contains(line, "test panic"):
			errLines++
			if strings.Contains(line, "goroutine") {
				t.Errorf("stack in the error line: %q", line)
			}
		case strings.Contains(line, "level=DEBUG") && strings.Contains(line, "goroutine"):
			debugStack++
		}
	}
	if errLines != 1 || debugStack != 1 {
		t.Errorf("%d error lines and %d debug stacks, want 1 and 1:\n%s", errLines, debugStack, sink.String())
	}
}

// D: "\r\n.\r" followed by anything but LF is a bare CR, not something to
// drop silently.
func TestDotCRRefused(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	c := dial(t, tr.addr)
	c.open("to+bob=example.com@leak.example")
	c.cmd("DATA", "354")
	c.send("Subject: x\r\n\r\nfirst\r\n.\rKEEP-AFTER\r\n.\r\n")
	c.expect("554 5.6.0")
	c.cmd("NOOP", "250")
	tr.noneDelivered(t)
}

// E: a client still in DATA when the shutdown grace ends gets 421 4.3.2,
// not a bare EOF; over TLS too.
func TestShutdownGraceEndSays421(t *testing.T) {
	t.Parallel()
	for _, useTLS := range []bool{false, true} {
		t.Run("tls="+strconv.FormatBool(useTLS), func(t *testing.T) {
			tr := startRelay(t, func(o *Options) {
				if useTLS {
					o.TLS = testTLS(t)
				}
			})
			c := dial(t, tr.addr)
			if useTLS {
				c.cmd("EHLO client.example", "250")
				c.startTLS()
			}
			c.open("to+bob=example.com@leak.example")
			c.cmd("DATA", "354")
			c.send("Subject: too slow\r\n\r\nstill sending\r\n")
			testutil.WaitFor(t, "the session to be in DATA", func() bool { return tr.srv.conns.receiving() == 1 })
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if err := tr.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown = %v, want the context's deadline", err)
			}
			c.expect("421 4.3.2")
			if !c.closed() {
				t.Error("connection still open")
			}
			tr.noneDelivered(t)
		})
	}
}

// F: with the spool unable to take a message, MAIL is answered 452 4.3.1
// before the client sends it.
func TestNoSpaceRefusedAtMail(t *testing.T) {
	t.Parallel()
	var full sync.Mutex
	isFull := true
	tr := startRelay(t, func(o *Options) {
		o.Space = func() error {
			full.Lock()
			defer full.Unlock()
			if isFull {
				return errors.New("spool: 12 MiB free, need 64 MiB")
			}
			return nil
		}
	})
	c := dial(t, tr.addr)
	c.cmd("EHLO client.example", "250")
	r := c.cmd("MAIL FROM:<a@example.net>", "452 4.3.1")
	if strings.Contains(r, "MiB") || strings.Contains(r, "spool") {
		t.Errorf("reply leaks internals: %q", r)
	}
	c.cmd("RCPT TO:<to+bob=example.com@leak.example>", "5") // no transaction
	full.Lock()
	isFull = false
	full.Unlock()
	c.cmd("RSET", "250")
	c.open("to+bob=example.com@leak.example")
	c.cmd("DATA", "354")
	c.send(simpleMessage + ".\r\n")
	c.expect("250")
	tr.delivered(t, 1)
}

// go-smtp v0.26 passes "RCPT TO:<Postmaster>" without a domain on (RFC
// 5321 4.1.1.3): it reaches the operator like postmaster@ the Leak domain.
func TestPostmasterWithoutDomain(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) { o.Operator = "ops@operator.example" })
	c := dial(t, tr.addr)
	c.cmd("EHLO client.example", "250")
	c.cmd("MAIL FROM:<a@example.net>", "250")
	c.cmd("RCPT TO:<Postmaster>", "250")
	c.cmd("DATA", "354")
	c.send("Subject: to the operator\r\n\r\nKEEP-POSTMASTER\r\n.\r\n")
	c.expect("250")
	msg := tr.delivered(t, 1)[0]
	if !strings.Contains(msg, "KEEP-POSTMASTER") || !strings.Contains(msg, "ops@operator.example") {
		t.Errorf("postmaster mail not delivered to the operator:\n%s", msg)
	}
}

// A drain says 421 to an idle client over TLS inside TLS, not in plaintext
// across the encrypted stream.
func TestDrainOverTLS(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) { o.TLS = testTLS(t) })
	c := dial(t, tr.addr)
	c.cmd("EHLO client.example", "250")
	c.startTLS()
	c.cmd("EHLO client.example", "250")
	go tr.srv.Shutdown(context.Background())
	c.expect("421 4.3.2")
}

// blockingDomains holds every RCPT until its context ends.
type blockingDomains struct{ called, done chan struct{} }

func (b blockingDomains) CheckDomain(ctx context.Context, domain string) error {
	close(b.called)
	<-ctx.Done()
	close(b.done)
	return ctx.Err()
}

// Policy and DNS calls run under the session's context, which the end of
// the shutdown grace cancels: a stuck lookup does not hold the shutdown.
func TestSessionContextEndsWithGrace(t *testing.T) {
	t.Parallel()
	b := blockingDomains{called: make(chan struct{}), done: make(chan struct{})}
	tr := startRelay(t, func(o *Options) { o.Domains = b })
	c := dial(t, tr.addr)
	c.cmd("EHLO client.example", "250")
	c.cmd("MAIL FROM:<a@example.net>", "250")
	c.send("RCPT TO:<to+bob=example.com@leak.example>\r\n")
	<-b.called
	tr.stop(t, 100*time.Millisecond)
	select {
	case <-b.done:
	default:
		t.Error("the session's context was not cancelled at the end of the grace")
	}
}

// panicSigner panics when it signs, as a bug in a cleaner or a signer
// would.
type panicSigner struct{ crypto.Signer }

func (panicSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	panic("signer bug")
}

// A panic while a message is being accepted (go-smtp recovers it and
// answers 421) leaves nothing behind: no copy spooled, none half-written in
// spool/tmp, where a copy too large for a segment streams.
func TestPanicLeavesNoCopy(t *testing.T) {
	tr := startRelay(t, func(o *Options) {
		keys := make([]sign.Key, len(o.Keys.Keys))
		for i, k := range o.Keys.Keys {
			keys[i] = sign.Key{Selector: k.Selector, Algorithm: k.Algorithm, Signer: panicSigner{k.Signer}}
		}
		o.Keys = &sign.Keys{Domain: o.Keys.Domain, Keys: keys}
	})
	c := dial(t, tr.addr)
	c.open("to+bob=example.com@leak.example")
	c.cmd("DATA", "354")
	big := strings.Repeat("A line of the body, long enough to fill the spool's segments.\r\n", 6000)
	c.send(simpleMessage + big + ".\r\n")
	c.expect("421")
	tr.noneDelivered(t)
	left, err := os.ReadDir(filepath.Join(tr.dir, "spool", "tmp"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d files left in spool/tmp after the panic", len(left))
	}
}

// A copy held back by the anonymity delay is dated when it is to leave,
// not when it came: its Date and both signatures' t= are its NotBefore, so
// the date does not tell the recipient when the sender sent it.
func TestDelayedCopyDatedWhenItLeaves(t *testing.T) {
	tr := startRelay(t, func(o *Options) { o.Delay = time.Hour })
	c := dial(t, tr.addr)
	c.open("to+bob=example.com@leak.example")
	c.cmd("DATA", "354")
	c.send(simpleMessage + ".\r\n")
	c.expect("250")
	metas, err := tr.spool.List()
	if err != nil || len(metas) != 1 {
		t.Fatalf("spool: %d entries, %v", len(metas), err)
	}
	leaves := metas[0].NotBefore
	if leaves.IsZero() {
		t.Fatal("the copy is not held back")
	}
	m, err := tr.spool.Open(metas[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(m)
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(m.Meta.Prefix + string(body)))
	if err != nil {
		t.Fatal(err)
	}
	date, err := msg.Header.Date()
	if err != nil {
		t.Fatal(err)
	}
	if want := leaves.Truncate(time.Second); !date.Equal(want) {
		t.Errorf("Date %v, want the time it leaves, %v", date, want)
	}
	ts := regexp.MustCompile(`[;\s]t=(\d+);`).FindAllStringSubmatch(m.Meta.Prefix, -1)
	if len(ts) != 2 {
		t.Fatalf("%d t= tags in %q", len(ts), m.Meta.Prefix)
	}
	for _, s := range ts {
		if s[1] != strconv.FormatInt(leaves.Unix(), 10) {
			t.Errorf("t=%s, want the time it leaves, %d", s[1], leaves.Unix())
		}
	}
}
