package main

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// faultIP is the loopback address the fault tests' clients dial from, so
// that any trace of it in the daemon's log is found (127.0.0.0/8 is all
// loopback on Linux).
const faultIP = "127.0.0.27"

// faultClient is a raw SMTP client from faultIP that remembers its ports.
type faultClient struct {
	*smtpConn
	raw net.Conn
}

func dialFault(t *testing.T, addr string, ports *[]string) *faultClient {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(faultIP)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	*ports = append(*ports, strconv.Itoa(c.LocalAddr().(*net.TCPAddr).Port))
	f := &faultClient{smtpConn: &smtpConn{t: t, c: c, r: bufio.NewReader(c)}, raw: c}
	if r := f.read(); !strings.HasPrefix(r, "220") {
		t.Fatalf("greeting: %q", r)
	}
	return f
}

// reset ends the connection with a TCP RST.
func (f *faultClient) reset() {
	f.raw.(*net.TCPConn).SetLinger(0)
	f.raw.Close()
}

func (f *faultClient) want(line, prefix string) {
	f.t.Helper()
	if r := f.cmd(line); !strings.HasPrefix(r, prefix) {
		f.t.Fatalf("%s: got %q, want %s", line, r, prefix)
	}
}

// closedByServer reports whether the server ends the connection.
func (f *faultClient) closedByServer() bool {
	f.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, f.r)
	return err == nil
}

func (f *faultClient) startTLS() {
	f.t.Helper()
	f.want("STARTTLS", "220")
	tc := tls.Client(f.c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		f.t.Fatal(err)
	}
	f.c, f.r = tc, bufio.NewReader(tc)
}

// TestFaultsLeaveNoAddress sends what the fault-injection run sent (resets
// in every phase, pipelined garbage, a broken TLS handshake, a client still
// in DATA at shutdown) from one distinctive address, and searches the
// daemon's whole log for that address and the client's ports.
func TestFaultsLeaveNoAddress(t *testing.T) {
	t.Parallel()
	cert, key := writeSelfSigned(t, t.TempDir(), "mx.leak.example")
	d := newDaemon(t, sections{SMTP: "  tls_cert: " + cert + "\n  tls_key: " + key + "\n  shutdown_grace: 1s\n"})
	d.start()
	const rcpt = "RCPT TO:<to+bob=example.com@leak.example>"
	var ports []string
	open := func(c *faultClient) {
		c.want("EHLO client.example", "250")
		c.want("MAIL FROM:<mallory@attacker.example>", "250")
		c.want(rcpt, "250")
	}

	t.Run("a message accepted", func(t *testing.T) {
		c := dialFault(t, d.smtpAddr, &ports)
		open(c)
		c.want("DATA", "354")
		c.raw.Write([]byte("Subject: hello\r\n\r\nbody\r\n.\r\n"))
		if r := c.read(); !strings.HasPrefix(r, "250") {
			t.Fatalf("message: %q", r)
		}
		d.waitDelivered(1)
	})
	t.Run("reset mid-DATA", func(t *testing.T) {
		c := dialFault(t, d.smtpAddr, &ports)
		open(c)
		c.want("DATA", "354")
		c.raw.Write([]byte("Subject: cut\r\n\r\nhalf a li"))
		c.reset()
	})
	t.Run("reset between commands", func(t *testing.T) {
		c := dialFault(t, d.smtpAddr, &ports)
		c.want("EHLO client.example", "250")
		c.reset()
	})
	t.Run("reset mid-command", func(t *testing.T) {
		c := dialFault(t, d.smtpAddr, &ports)
		c.want("EHLO client.example", "250")
		c.raw.Write([]byte("MAIL FROM:<mall"))
		c.reset()
	})
	t.Run("pipelined after too many errors", func(t *testing.T) {
		c := dialFault(t, d.smtpAddr, &ports)
		c.want("EHLO client.example", "250")
		c.raw.Write([]byte("X1\r\nX2\r\nX3\r\nX4\r\n" + strings.Repeat("MAIL FROM:<a@example.net>\r\n"+rcpt+"\r\n", 20)))
		if !c.closedByServer() {
			t.Error("connection open after too many errors")
		}
	})
	t.Run("dot CR", func(t *testing.T) {
		c := dialFault(t, d.smtpAddr, &ports)
		open(c)
		c.want("DATA", "354")
		c.raw.Write([]byte("Subject: x\r\n\r\nline\r\n.\rhidden\r\n.\r\n"))
		if r := c.read(); !strings.HasPrefix(r, "554 5.6.0") {
			t.Errorf("\\r\\n.\\r: got %q, want 554 5.6.0", r)
		}
	})
	t.Run("TLS handshake failure", func(t *testing.T) {
		c := dialFault(t, d.smtpAddr, &ports)
		c.want("EHLO client.example", "250")
		c.want("STARTTLS", "220")
		c.raw.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
		if !c.closedByServer() {
			t.Error("connection open after a failed handshake")
		}
	})
	t.Run("reset inside TLS", func(t *testing.T) {
		c := dialFault(t, d.smtpAddr, &ports)
		c.want("EHLO client.example", "250")
		c.startTLS()
		open(c)
		c.want("DATA", "354")
		c.c.Write([]byte("Subject: cut\r\n\r\npartial"))
		c.reset()
	})
	t.Run("in DATA at the end of the shutdown grace", func(t *testing.T) {
		c := dialFault(t, d.smtpAddr, &ports)
		open(c)
		c.want("DATA", "354")
		c.raw.Write([]byte("Subject: slow\r\n\r\nstill coming\r\n"))
		d.stop()
		if r := c.read(); !strings.HasPrefix(r, "421 4.3.2") {
			t.Errorf("at the end of the grace: %q, want 421 4.3.2", r)
		}
	})

	checkLogHasNoPeer(t, d, ports)
}

// checkLogHasNoPeer searches the daemon's whole log for faultIP and the
// client's ports, and for panics.
func checkLogHasNoPeer(t *testing.T, d *daemon, ports []string) {
	t.Helper()
	log := d.log.String()
	if strings.Contains(log, faultIP) {
		t.Errorf("the daemon's log holds the client's address %s", faultIP)
	}
	for _, p := range ports {
		if regexp.MustCompile(`\b` + p + `\b`).MatchString(log) {
			t.Errorf("the daemon's log holds the client's port %s", p)
		}
	}
	if strings.Contains(log, "panic") {
		t.Error("the daemon's log holds a panic")
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
}
