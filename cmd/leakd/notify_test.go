package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// notifySocket is a fake systemd notify socket: the datagrams leakd sends
// to NOTIFY_SOCKET arrive on states.
type notifySocket struct {
	path   string
	states chan string
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	// A short path: sun_path holds 108 bytes, and t.TempDir() can be long.
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	n := &notifySocket{path: filepath.Join(dir, "notify"), states: make(chan string, 100)}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				close(n.states)
				return
			}
			n.states <- string(buf[:k])
		}
	}()
	return n
}

// want waits for a datagram that contains state, and returns what came
// before it.
func (n *notifySocket) want(t *testing.T, state string) []string {
	t.Helper()
	var before []string
	timeout := time.After(20 * time.Second)
	for {
		select {
		case s, ok := <-n.states:
			if !ok {
				t.Fatalf("notify socket closed before %s", state)
			}
			for _, line := range strings.Split(s, "\n") {
				if line == state {
					return before
				}
			}
			before = append(before, s)
		case <-timeout:
			t.Fatalf("no %s on the notify socket; got %q", state, before)
		}
	}
}

// TestSystemdNotify runs leakd as systemd's Type=notify would: READY=1
// comes once SMTP answers, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1
// and READY=1 around SIGHUP, and STOPPING=1 at SIGTERM, from which moment
// /readyz answers 503 while a session in DATA finishes.
func TestSystemdNotify(t *testing.T) {
	t.Parallel()
	ns := listenNotify(t)
	d := newDaemon(t, sections{SMTP: "  shutdown_grace: 20s\n"})
	cmd := exec.Command(leakdBin, "serve", "--config", d.config)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+ns.path, "WATCHDOG_USEC=200000")
	cmd.Stdout, cmd.Stderr = d.log, d.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	if before := ns.want(t, "READY=1"); len(before) > 0 {
		t.Errorf("sent %q before READY=1", before)
	}
	// Ready means listening: no retry, no wait.
	c := dialSMTP(t, d.smtpAddr)
	if r := readyz(t, d.httpAddr); r != http.StatusOK {
		t.Fatalf("/readyz %d after READY=1", r)
	}
	// 200 ms: a ping every 100 ms.
	ns.want(t, "WATCHDOG=1")
	ns.want(t, "WATCHDOG=1")

	cmd.Process.Signal(syscall.SIGHUP)
	ns.want(t, "RELOADING=1")
	ns.want(t, "READY=1")

	// A message in DATA keeps the drain going.
	c.cmd("EHLO client.example")
	c.cmd("MAIL FROM:<s@example.net>")
	c.cmd("RCPT TO:<to+bob=example.com@leak.example>")
	if r := c.cmd("DATA"); !strings.HasPrefix(r, "354") {
		t.Fatalf("DATA: %q", r)
	}
	c.raw([]byte("Subject: drain\r\n\r\nbegun\r\n"))
	cmd.Process.Signal(syscall.SIGTERM)
	ns.want(t, "STOPPING=1")
	if r := readyz(t, d.httpAddr); r != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d while draining, want 503", r)
	}
	c.raw([]byte("ended\r\n.\r\n"))
	if r := c.read(); !strings.HasPrefix(r, "250") {
		t.Errorf("the message in DATA during the drain: %q", r)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("leakd: %v\n%s", err, d.log.String())
	}
	if strings.Contains(d.log.String(), "systemd notify failed") {
		t.Errorf("a notification failed:\n%s", d.log.String())
	}
}

func readyz(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
