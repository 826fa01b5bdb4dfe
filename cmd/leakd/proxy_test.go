package main

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
)

// proxied dials leakd from the local address from (a loopback address),
// sends header first if it is not empty, and returns the connection and
// the first reply line ("" when the connection closed without one).
func proxied(t *testing.T, addr, from string, header []byte) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if len(header) > 0 {
		if _, err := c.Write(header); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil && err != io.EOF {
		t.Fatalf("reading the greeting: %v", err)
	}
	return c, r, strings.TrimRight(line, "\r\n")
}

func proxyHeader(t *testing.T, version byte, client string) []byte {
	t.Helper()
	h := proxyproto.HeaderProxyFromAddrs(version,
		&net.TCPAddr{IP: net.ParseIP(client), Port: 40123},
		&net.TCPAddr{IP: net.ParseIP("192.0.2.25"), Port: 25})
	b, err := h.Format()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestProxyProtocol: behind a trusted balancer (127.0.0.1) the per-IP
// connection limit counts the clients the PROXY headers name, v1 and v2;
// a trusted source without a header is closed; a source outside the
// trusted networks (127.0.0.2) is served under its own address and its
// header is not taken; and no client address reaches the log.
func TestProxyProtocol(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{
		SMTP:   "  proxy_protocol:\n    enabled: true\n    trusted: [127.0.0.1/32]\n",
		Policy: relaxedPolicy + "  conn_per_ip: 1\n",
	})
	d.start()

	// Two clients behind the balancer, one connection each: both served.
	_, _, first := proxied(t, d.smtpAddr, "127.0.0.1", proxyHeader(t, 1, "198.51.100.7"))
	if !strings.HasPrefix(first, "220") {
		t.Fatalf("first proxied client (v1): %q", first)
	}
	_, _, other := proxied(t, d.smtpAddr, "127.0.0.1", proxyHeader(t, 2, "198.51.100.8"))
	if !strings.HasPrefix(other, "220") {
		t.Fatalf("a second client behind the same balancer (v2): %q; the limit counts the balancer", other)
	}
	// The first client again, over v1 and over v2: its one connection is taken.
	for _, v := range []byte{1, 2} {
		_, _, again := proxied(t, d.smtpAddr, "127.0.0.1", proxyHeader(t, v, "198.51.100.7"))
		if !strings.HasPrefix(again, "421") {
			t.Errorf("the first client's second connection (v%d): %q, want 421", v, again)
		}
	}

	// The balancer must send a header: a trusted connection that starts
	// with SMTP is closed without a greeting.
	c, _, got := proxied(t, d.smtpAddr, "127.0.0.1", []byte("EHLO client.example\r\n"))
	if got != "" {
		t.Errorf("trusted source without a header: %q, want the connection closed", got)
	}
	c.Close()

	// Anyone else is served as they are. A header is not read as one:
	// 198.51.100.7 has its connection already, yet this is served, and
	// the header line is an unknown command.
	_, r, direct := proxied(t, d.smtpAddr, "127.0.0.2", proxyHeader(t, 1, "198.51.100.7"))
	if !strings.HasPrefix(direct, "220") {
		t.Fatalf("untrusted source with a header: %q, want its own greeting", direct)
	}
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "5") {
		t.Errorf("the header of an untrusted source was answered %q, want a 5xx", line)
	}
	// And it has its own per-IP slot, taken now.
	if _, _, second := proxied(t, d.smtpAddr, "127.0.0.2", nil); !strings.HasPrefix(second, "421") {
		t.Errorf("second direct connection from 127.0.0.2: %q, want 421", second)
	}

	d.stop()
	for _, ip := range []string{"198.51.100.7", "198.51.100.8", "40123", "127.0.0.2"} {
		if strings.Contains(d.log.String(), ip) {
			t.Errorf("the log names %s:\n%s", ip, d.log.String())
		}
	}
}

func TestProxyProtocolConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, smtp, want string
	}{
		{"no trusted source", "  proxy_protocol:\n    enabled: true\n", "smtp.proxy_protocol.trusted: list"},
		{"trusted while off", "  proxy_protocol:\n    trusted: [10.0.0.0/8]\n", "smtp.proxy_protocol.enabled is false"},
		{"not a network", "  proxy_protocol:\n    enabled: true\n    trusted: [10.0.0.0/33]\n", "smtp.proxy_protocol.trusted[0]"},
		{"unknown key", "  proxy_protocol:\n    enable: true\n", `unknown key "smtp.proxy_protocol.enable"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDaemon(t, sections{SMTP: tc.smtp})
			_, err := loadConfig(d.config)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
	d := newDaemon(t, sections{SMTP: "  proxy_protocol:\n    enabled: true\n    trusted: [10.0.0.0/8, 192.0.2.1, \"2001:db8::/32\"]\n"})
	if _, err := loadConfig(d.config); err != nil {
		t.Errorf("a valid proxy_protocol: %v", err)
	}
}
