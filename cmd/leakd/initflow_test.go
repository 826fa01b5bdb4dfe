package main

import (
	"crypto/tls"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"leak/policy/testutil"
)

// TestInitEndToEnd is issue 10's "done means", run as an operator would on
// loopback: `leakd init` on a fresh directory, `leakd serve` on the config
// it wrote, a certificate from the ACME CA (Pebble) on STARTTLS, a message
// over that STARTTLS delivered to the recipient's MX with both DKIM
// signatures verified by dkimpy against the records init printed, and
// `leakd dns check` passing every check against a DNS server serving those
// records. The config is changed only where this machine differs from a
// server on the Internet: listen addresses, the ACME CA, the DNS servers
// leakd asks, the MX port, and no anonymity delay.
func TestInitEndToEnd(t *testing.T) {
	t.Parallel()
	testutil.Short(t, "init, serve, ACME and delivery end to end")
	py := debianPython(t)
	http01 := testutil.ReservePort(t)
	// Nothing answers TLS-ALPN-01: autocert falls back to HTTP-01.
	p := startPebble(t, port(t, http01), port(t, testutil.ReservePort(t)))

	dir := t.TempDir()
	etc, data := filepath.Join(dir, "etc"), filepath.Join(dir, "var")
	out, err := exec.Command(leakdBin, "init", "--domain", "leak-relay.net", "--hostname", "mx.leak-relay.net",
		"--operator", "ops@operator.example", "--dir", etc, "--data-dir", data).CombinedOutput()
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	path := filepath.Join(etc, "leak.yaml")
	records, err := exec.Command(leakdBin, "dns", "records", "--config", path).Output()
	if err != nil {
		t.Fatalf("dns records: %v", err)
	}
	// The records init printed are the ones the operator publishes.
	if !strings.Contains(string(out), string(records)) {
		t.Errorf("init printed other records than dns records:\n%s\nwant:\n%s", out, records)
	}

	// One DNS server is the Internet's DNS: the published zone (with the
	// relay's addresses and PTR records), and the recipient's domain whose
	// MX is the loopback sink.
	sink := startSink(t)
	zone := testutil.StartDNS(t)
	zone.Load(t, fullZone(string(records))+
		"example.com. 60 IN MX 10 mx.example.com.\nmx.example.com. 60 IN A 127.0.0.1\n")

	d := &daemon{t: t, dir: dir, config: path, smtpAddr: testutil.ReservePort(t), httpAddr: testutil.ReservePort(t), log: &testutil.SyncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("leakd:\n%s", d.log.String())
		}
	})
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(written)
	for _, r := range [][2]string{
		{`listen: ":25"`, "listen: " + d.smtpAddr},
		{"listen: 127.0.0.1:8025", "listen: " + d.httpAddr},
		{`http_listen: ":80"`, "http_listen: " + http01 + "\n    directory_url: " + p.dirURL + "\n    ca_file: " + p.caFile},
		{"\npolicy:\n", "\npolicy:\n  auth_resolver: " + zone.Addr + "\n"},
		{"delay: 10m", "delay: 0s"},
		{"\ndelivery:\n", "\ndelivery:\n  resolver: " + zone.Addr + "\n  mx_port: " + port(t, sink.addr) + "\n  allow_private_mx: true\n"},
	} {
		if n := strings.Count(cfg, r[0]); n != 1 {
			t.Fatalf("init's config has %q %d times, want once, to rewrite it:\n%s", r[0], n, cfg)
		}
		cfg = strings.Replace(cfg, r[0], r[1], 1)
	}
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if check, err := exec.Command(leakdBin, "config", "check", "--config", path).CombinedOutput(); err != nil {
		t.Fatalf("config check on the rewritten config: %v\n%s", err, check)
	}
	d.start()

	testutil.WaitFor(t, "a certificate chaining to Pebble's root on STARTTLS", func() bool {
		return startTLSVerifies(d.smtpAddr, "mx.leak-relay.net", p.roots) == nil
	})
	c := startTLS(t, d.smtpAddr, &tls.Config{RootCAs: p.roots, ServerName: "mx.leak-relay.net"})
	if st, ok := c.TLSConnectionState(); !ok || len(st.VerifiedChains) == 0 || !slices.Contains(st.PeerCertificates[0].DNSNames, "mx.leak-relay.net") {
		t.Fatalf("STARTTLS without a verified certificate for mx.leak-relay.net (TLS %v)", ok)
	}
	if err := c.Mail("sender@example.net", nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	if err := c.Rcpt("friend+bob=example.com@leak-relay.net", nil); err != nil {
		t.Fatalf("RCPT: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	io.WriteString(w, "From: Sender <sender@example.net>\r\nTo: friend+bob=example.com@leak-relay.net\r\n"+
		"Subject: first message\r\n\r\nMARK-init-flow\r\n")
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
	c.Quit()

	var got sunk
	testutil.WaitFor(t, "the copy at the recipient's MX", func() bool {
		var ok bool
		got, ok = sink.first()
		return ok
	})
	if !slices.Equal(got.rcpts, []string{"bob@example.com"}) || !strings.Contains(string(got.data), "MARK-init-flow") {
		t.Errorf("the MX received for %v:\n%s", got.rcpts, got.data)
	}
	if !regexp.MustCompile(`^bounce\+[a-z2-7]+@leak-relay\.net$`).MatchString(got.from) {
		t.Errorf("envelope sender %q, want a signed bounce address in leak-relay.net", got.from)
	}
	if strings.Contains(string(got.data), "sender@example.net") {
		t.Errorf("the copy names the sender:\n%s", got.data)
	}
	msg, published := filepath.Join(dir, "delivered.eml"), filepath.Join(dir, "records.zone")
	os.WriteFile(msg, got.data, 0o600)
	os.WriteFile(published, records, 0o600)
	vout, err := exec.Command(py, "testdata/dkimverify.py", published, msg).CombinedOutput()
	if err != nil {
		t.Errorf("dkimpy with the published keys: %v\n%s", err, vout)
	}
	for _, alg := range []string{"rsa-sha256", "ed25519-sha256"} {
		if !regexp.MustCompile(`signature \d ` + alg + `: pass`).Match(vout) {
			t.Errorf("no %s signature that passes:\n%s", alg, vout)
		}
	}

	check := exec.Command(leakdBin, "dns", "check", "--config", path, "--resolver", zone.Addr)
	dnsOut, err := check.Output()
	if err != nil {
		t.Fatalf("dns check: %v\n%s", err, dnsOut)
	}
	lines := strings.Split(strings.TrimSpace(string(dnsOut)), "\n")
	if last := lines[len(lines)-1]; !regexp.MustCompile(`^all \d+ checks passed$`).MatchString(last) {
		t.Errorf("dns check ends with %q:\n%s", last, dnsOut)
	}
	for _, line := range lines[:len(lines)-1] {
		if !strings.HasPrefix(line, "ok ") {
			t.Errorf("dns check: %q is not ok", line)
		}
	}
	for _, what := range []string{"A/AAAA", "PTR", "MX", "SPF", "DKIM leak-rsa", "DKIM leak-ed", "DMARC", "MTA-STS", "TLS-RPT"} {
		if !regexp.MustCompile(`(?m)^ok +` + regexp.QuoteMeta(what) + ` `).Match(dnsOut) {
			t.Errorf("dns check has no ok line for %s:\n%s", what, dnsOut)
		}
	}

	d.stop()
	if strings.Contains(d.log.String(), "sender@example.net") {
		t.Error("the log names the sender")
	}
}

// sink is the recipient's MX: an SMTP server on loopback keeping every
// message it receives, whole, with its envelope.
type sink struct {
	addr string
	mu   sync.Mutex
	got  []sunk
}

// sunk is one message the sink received.
type sunk struct {
	from  string
	rcpts []string
	data  []byte
}

func startSink(t *testing.T) *sink {
	t.Helper()
	l := testutil.Listen(t)
	s := &sink{addr: l.Addr().String()}
	srv := smtp.NewServer(s)
	srv.Domain = "mx.example.com"
	srv.ErrorLog = quietLog{}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

// first returns the first message received, if any.
func (s *sink) first() (sunk, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) == 0 {
		return sunk{}, false
	}
	return s.got[0], true
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct {
	s *sink
	m sunk
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.m = sunk{from: from}
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.m.rcpts = append(ss.m.rcpts, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.m.data = b
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, ss.m)
	ss.s.mu.Unlock()
	return nil
}

func (ss *sinkSession) Reset()        { ss.m = sunk{} }
func (ss *sinkSession) Logout() error { return nil }
