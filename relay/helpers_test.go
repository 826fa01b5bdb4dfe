package relay

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"leak/metrics"
	"leak/policy/testutil"
	"leak/relay/courier"
	"leak/relay/queue"
	"leak/relay/sign"
	"leak/relay/spool"
)

// testKeys are generated once: RSA key generation is slow.
var testKeyDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "leak-relay-keys-")
	if err != nil {
		panic(err)
	}
	testKeyDir = dir
	if _, _, err := sign.Ensure(dir, "leak.example"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testRelay is a real relay on a loopback port with a real spool, queue and
// dir courier under a temporary directory.
type testRelay struct {
	srv    *Server
	dir    string
	addr   string
	outbox string
	spool  *spool.Spool
	m      *metrics.Metrics
	cancel context.CancelFunc
	done   chan struct{}
}

func startRelay(t testing.TB, tweak func(*Options)) *testRelay {
	t.Helper()
	dir := t.TempDir()
	keys, err := sign.Load(testKeyDir, "leak.example")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := filepath.Join(dir, "outbox")
	cour, err := courier.NewDir(outbox)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	q := queue.New(sp, cour, queue.Options{Workers: 2, Logger: log})
	m := metrics.New("test")
	opts := Options{
		Domain:   "leak.example",
		Hostname: "mx.leak.example",
		Keys:     keys,
		Spool:    sp,
		Queue:    q,
		Metrics:  m,
		Logger:   log,
	}
	if tweak != nil {
		tweak(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr := &testRelay{srv: srv, dir: dir, addr: l.Addr().String(), outbox: outbox, spool: sp, m: m, cancel: cancel, done: make(chan struct{})}
	go func() {
		q.Run(ctx)
		close(tr.done)
	}()
	go srv.Serve(l)
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		defer c()
		srv.Shutdown(sctx)
		cancel()
		<-tr.done
		sp.Close()
	})
	return tr
}

// delivered waits until n messages are in the outbox and returns them.
func (tr *testRelay) delivered(t *testing.T, n int) []string {
	t.Helper()
	var files []string
	testutil.Poll(10*time.Second, func() bool {
		files, _ = filepath.Glob(filepath.Join(tr.outbox, "new", "*"))
		return len(files) >= n
	})
	if len(files) != n {
		t.Fatalf("delivered %d messages, want %d", len(files), n)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// noneDelivered checks that nothing was accepted: the spool holds no copy
// and the outbox none. Call it once the client had its reply. The queue
// writes a copy to the outbox before it removes it from the spool, so
// looking at the spool first, then the outbox, misses no copy on its way.
func (tr *testRelay) noneDelivered(t *testing.T) {
	t.Helper()
	metas, err := tr.spool.List()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(tr.outbox, "new", "*"))
	if len(metas)+len(files) != 0 {
		t.Fatalf("%d copies spooled and %d delivered, want none", len(metas), len(files))
	}
}

// client is a raw SMTP client: tests must send bytes no library would.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl := &client{t: t, conn: c, r: bufio.NewReader(c)}
	cl.expect("220")
	return cl
}

// reply reads one (possibly multi-line) reply and returns it whole.
func (c *client) reply() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var all []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading reply: %v (so far %q)", err, all)
		}
		all = append(all, strings.TrimRight(line, "\r\n"))
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(all, "\n")
		}
	}
}

func (c *client) expect(prefix string) string {
	c.t.Helper()
	r := c.reply()
	last := r[strings.LastIndex(r, "\n")+1:]
	if !strings.HasPrefix(last, prefix) {
		c.t.Fatalf("got reply %q, want %q", r, prefix)
	}
	return r
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatal(err)
	}
}

// cmd sends one command line and checks the reply's prefix.
func (c *client) cmd(line, want string) string {
	c.t.Helper()
	c.send(line + "\r\n")
	return c.expect(want)
}

// open runs EHLO, MAIL and the RCPTs, all expected to succeed.
func (c *client) open(rcpts ...string) {
	c.t.Helper()
	c.cmd("EHLO client.example", "250")
	c.cmd("MAIL FROM:<sender@example.net>", "250")
	for _, r := range rcpts {
		c.cmd("RCPT TO:<"+r+">", "250")
	}
}

// closed reports whether the server closed the connection.
func (c *client) closed() bool {
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.r.ReadByte()
	return err != nil
}

const simpleMessage = "From: Sender Person <sender@example.net>\r\n" +
	"To: to+bob=example.com@leak.example\r\n" +
	"Subject: hello there\r\n" +
	"Message-ID: <secret-id-1234@example.net>\r\n" +
	"\r\n" +
	"Body line KEEP-BODY.\r\n"

func testutilValue(t *testing.T, tr *testRelay, verb, class string) float64 {
	t.Helper()
	var m dto.Metric
	if err := tr.m.Commands.WithLabelValues(verb, class).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
