package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"leak/policy/testutil"
)

// The end-to-end tests run the real leakd binary on loopback ports, as an
// operator would, and talk to it with real SMTP clients.

var leakdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "leakd-bin-")
	if err != nil {
		panic(err)
	}
	leakdBin = filepath.Join(dir, "leakd")
	// LEAK_TAGS builds the daemon with build tags (e.g. purego), so the
	// end-to-end tests cover that build too.
	out, err := exec.Command("go", "build", "-tags", os.Getenv("LEAK_TAGS"), "-o", leakdBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building leakd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// debianPython is the interpreter that sees Debian's python3-dkim; a python3
// earlier on PATH (pyenv, venv) may not.
func debianPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import dkim, nacl").Run() == nil {
			return p
		}
	}
	if os.Getenv("LEAK_INTEROP") == "1" {
		t.Fatal("no python3 with the dkim module (Debian python3-dkim), and LEAK_INTEROP=1 requires it")
	}
	t.Skip("python3-dkim (dkimpy) is not installed")
	return ""
}

// daemon is one running leakd.
type daemon struct {
	t        *testing.T
	dir      string
	config   string
	smtpAddr string
	httpAddr string
	outbox   string
	cmd      *exec.Cmd
	log      *testutil.SyncBuffer
	// wrap, when set, runs leakd under this command (e.g. prlimit).
	wrap []string
}

// sections are YAML lines indented under each block of the test config.
type sections struct {
	SMTP, Policy, Delivery, HTTP, Top string
}

// relaxedPolicy lifts the default limits (5 messages a day per recipient)
// for tests that send many messages to one address.
const relaxedPolicy = "  rate_recipient: {rate: 100000, burst: 100000, period: 1m}\n" +
	"  rate_ip: {rate: 100000, burst: 100000, period: 1m}\n" +
	"  rate_net: {rate: 100000, burst: 100000, period: 1m}\n" +
	"  rate_sender: {rate: 100000, burst: 100000, period: 1m}\n" +
	"  rate_sender_domain: {rate: 100000, burst: 100000, period: 1m}\n"

// newDaemon writes a config under a fresh directory. Without a Policy
// section the limits are relaxed; without a Delivery section delivery goes
// into the outbox directory.
func newDaemon(t *testing.T, s sections) *daemon {
	t.Helper()
	d := &daemon{t: t, dir: t.TempDir(), smtpAddr: testutil.ReservePort(t), httpAddr: testutil.ReservePort(t)}
	d.outbox = filepath.Join(d.dir, "outbox")
	d.config = filepath.Join(d.dir, "leak.yaml")
	if s.Policy == "" {
		s.Policy = relaxedPolicy
	}
	if s.HTTP == "" {
		s.HTTP = "  public_url: https://leak.example\n"
	}
	if s.Delivery == "" {
		s.Delivery = "  mode: dir\n  dir: " + d.outbox + "\n"
	}
	cfg := fmt.Sprintf("domain: leak.example\nhostname: mx.leak.example\ndata_dir: %s\nlog_level: debug\n%s"+
		"smtp:\n  listen: %s\n%shttp:\n  listen: %s\n%spolicy:\n%sdelivery:\n%s",
		filepath.Join(d.dir, "data"), s.Top, d.smtpAddr, s.SMTP, d.httpAddr, s.HTTP, s.Policy, s.Delivery)
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d.log = &testutil.SyncBuffer{}
	return d
}

// start runs leakd serve and waits until /readyz answers 200.
func (d *daemon) start() {
	d.t.Helper()
	d.launch()
	d.waitReady()
}

// launch runs leakd serve without waiting for it.
func (d *daemon) launch() {
	d.t.Helper()
	args := append(append([]string{}, d.wrap...), leakdBin, "serve", "--config", d.config)
	d.cmd = exec.Command(args[0], args[1:]...)
	d.cmd.Stdout = d.log
	d.cmd.Stderr = d.log
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			d.cmd.Wait()
		}
	})
}

// waitReady waits until /readyz answers 200. Before it serves, leakd
// probes OpenSSL's RSA code in eight child processes (relay/sign/probe.go):
// on a machine busy with other tests that alone has taken 20 s, so the
// wait is generous; a relay that is ready returns at once.
func (d *daemon) waitReady() {
	d.t.Helper()
	ready := testutil.Poll(90*time.Second, func() bool {
		resp, err := http.Get("http://" + d.httpAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if !ready {
		d.t.Fatalf("leakd did not become ready; log:\n%s", d.log.String())
	}
}

func (d *daemon) kill() {
	d.cmd.Process.Signal(syscall.SIGKILL)
	d.cmd.Wait()
}

func (d *daemon) stop() {
	d.t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	if err := d.cmd.Wait(); err != nil {
		d.t.Errorf("leakd exited with %v; log:\n%s", err, d.log.String())
	}
}

// waitDelivered waits for exactly n files in the outbox.
func (d *daemon) waitDelivered(n int) []string {
	d.t.Helper()
	var files []string
	testutil.Poll(20*time.Second, func() bool {
		files, _ = filepath.Glob(filepath.Join(d.outbox, "new", "*.eml"))
		return len(files) >= n
	})
	if len(files) != n {
		d.t.Fatalf("%d messages delivered, want %d", len(files), n)
	}
	return files
}

// smtpConn is a raw client for bytes no library would send.
type smtpConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialSMTP(t *testing.T, addr string) *smtpConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := &smtpConn{t: t, c: c, r: bufio.NewReader(c)}
	s.read()
	return s
}

// read returns the last line of the next reply.
func (s *smtpConn) read() string {
	s.t.Helper()
	s.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading reply: %v", err)
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n")
		}
	}
}

func (s *smtpConn) cmd(line string) string {
	s.t.Helper()
	fmt.Fprintf(s.c, "%s\r\n", line)
	return s.read()
}

func (s *smtpConn) raw(b []byte) {
	s.t.Helper()
	if _, err := s.c.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

// quietConn is a client for goroutines, where t.Fatal is not allowed.
type quietConn struct {
	net.Conn
	r *bufio.Reader
}

func dialQuiet(addr string) (*quietConn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	q := &quietConn{Conn: c, r: bufio.NewReader(c)}
	if _, err := q.reply(); err != nil {
		c.Close()
		return nil, err
	}
	return q, nil
}

func (q *quietConn) reply() (string, error) {
	for {
		line, err := q.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n"), nil
		}
	}
}

// freePort, needTool and waitUntil are the names web_test.go uses for
// testutil.ReservePort, testutil.NeedTool and testutil.WaitFor.
func freePort(t *testing.T) string                       { return testutil.ReservePort(t) }
func needTool(t *testing.T, name string) string          { return testutil.NeedTool(t, name) }
func waitUntil(t *testing.T, what string, c func() bool) { testutil.WaitFor(t, what, c) }
