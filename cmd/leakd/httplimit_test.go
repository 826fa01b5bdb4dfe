package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestHTTPConnectionFlood: a thousand keep-alive connections to the HTTP
// listener of a leakd limited to 1,024 descriptors (systemd's default soft
// limit) once made the SMTP listener's accept fail with "too many open
// files". The listener now takes at most http.max_connections at once
// (the rest wait in the kernel's backlog) and closes idle keep-alive
// connections, so SMTP keeps working and the waiting clients get their turn.
func TestHTTPConnectionFlood(t *testing.T) {
	t.Parallel()
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	d := newDaemon(t, sections{HTTP: "  public_url: https://leak.example\n  idle_timeout: 2s\n"})
	d.wrap = []string{prlimit, "--nofile=1024:1024", "--"}
	d.start()

	const flood = 1009
	conns := make([]net.Conn, 0, flood)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range flood {
		c, err := net.Dial("tcp", d.httpAddr)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		conns = append(conns, c)
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: leak\r\n\r\n")
	}

	// SMTP still accepts and delivers while the flood holds its connections.
	if _, r := send(t, d.smtpAddr, "friend+bob=example.com@leak.example", "during the flood"); !strings.HasPrefix(r, "250") {
		t.Fatalf("DATA during the HTTP flood: %q", r)
	}
	d.waitDelivered(1)

	// Every flooding client is answered in turn, as idle keep-alive
	// connections are closed to make room: none waits forever.
	answered := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			answered++
		}
		c.Close() // make room for the next, as a real client would
	}
	if answered != flood {
		t.Errorf("%d of %d flooding clients answered", answered, flood)
	}
	if strings.Contains(d.log.String(), "too many open files") {
		t.Errorf("the daemon ran out of descriptors:\n%s", d.log.String())
	}
	d.stop()
}
