package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"leak/metrics"
	"leak/policy/testutil"
)

// The ACME tests run a real ACME server on loopback: Pebble (Debian package
// pebble), with its mock DNS server pebble-challtestsrv answering 127.0.0.1
// for every name, so Pebble's checks of the challenges reach leakd. Nothing
// is marked valid without a check.

// pebble is a running Pebble and its DNS server.
type pebble struct {
	dirURL string         // the ACME directory
	caFile string         // CA of Pebble's own HTTPS, for tls.acme.ca_file
	roots  *x509.CertPool // the root Pebble issues under
}

// startPebble starts pebble-challtestsrv (DNS only) and Pebble, which checks
// HTTP-01 on 127.0.0.1:httpPort and TLS-ALPN-01 on 127.0.0.1:tlsPort.
func startPebble(t *testing.T, httpPort, tlsPort string) *pebble {
	t.Helper()
	pebbleBin := testutil.NeedTool(t, "pebble")
	challBin := testutil.NeedTool(t, "pebble-challtestsrv")
	dir := t.TempDir()
	logs := &testutil.SyncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble and pebble-challtestsrv:\n%s", logs.String())
		}
	})
	run := func(name string, env []string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}

	dnsAddr, challMgmt := testutil.ReservePort(t), testutil.ReservePort(t)
	run(challBin, nil, "-dns01", dnsAddr, "-management", challMgmt,
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "")
	waitPort(t, challMgmt)

	// Pebble's own HTTPS listener needs a certificate; the tests trust it
	// through tls.acme.ca_file.
	ca := makeCert(t, dir, "pebble", "localhost", time.Now().Add(24*time.Hour))
	acmeAddr, mgmtAddr := testutil.ReservePort(t), testutil.ReservePort(t)
	config := fmt.Sprintf(`{"pebble": {"listenAddress": %q, "managementListenAddress": %q,
		"certificate": %q, "privateKey": %q, "httpPort": %s, "tlsPort": %s,
		"ocspResponderURL": "", "externalAccountBindingRequired": false}}`,
		acmeAddr, mgmtAddr, filepath.Join(dir, "pebble.crt"), filepath.Join(dir, "pebble.key"), httpPort, tlsPort)
	cfgFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	// No random sleeps before checks and no random nonce refusals: the
	// test is about leakd, not about retrying.
	run(pebbleBin, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"},
		"-config", cfgFile, "-dnsserver", dnsAddr)

	trust := x509.NewCertPool()
	trust.AddCert(ca)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: trust}}}
	get := func(url string) ([]byte, error) {
		resp, err := client.Get(url)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("%s: %s", url, resp.Status)
		}
		return io.ReadAll(resp.Body)
	}
	p := &pebble{dirURL: "https://" + acmeAddr + "/dir", caFile: filepath.Join(dir, "pebble.crt"), roots: x509.NewCertPool()}
	testutil.WaitFor(t, "Pebble's directory", func() bool { _, err := get(p.dirURL); return err == nil })
	root, err := get("https://" + mgmtAddr + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	if !p.roots.AppendCertsFromPEM(root) {
		t.Fatalf("no certificate in Pebble's root:\n%s", root)
	}
	return p
}

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestACMEStartTLS: leakd with tls.acme obtains its SMTP certificate from
// Pebble over HTTP-01 (tls.acme.http_listen), a client checking the chain
// to Pebble's root and the name delivers a message over STARTTLS, the
// gauge gives the certificate's expiry, and a restart serves the same
// certificate from the cache instead of ordering another.
func TestACMEStartTLS(t *testing.T) {
	t.Parallel()
	http01 := testutil.ReservePort(t)
	// Nothing listens on Pebble's TLS-ALPN-01 port here: autocert tries that
	// challenge first, sees it fail, and orders again with HTTP-01.
	p := startPebble(t, port(t, http01), port(t, testutil.ReservePort(t)))
	d := newDaemon(t, sections{Top: "tls:\n  acme:\n    enabled: true\n    email: ops@leak.example\n" +
		"    directory_url: " + p.dirURL + "\n    ca_file: " + p.caFile + "\n    http_listen: " + http01 + "\n"})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("leakd:\n%s", d.log.String())
		}
	})
	d.start()

	expiry := `leak_tls_cert_expiry_timestamp_seconds{listener="smtp"}`
	waitCert := func() float64 {
		var v float64
		testutil.WaitFor(t, "the ACME certificate (the expiry gauge)", func() bool { v = gauge(t, d.httpAddr, expiry); return v > 0 })
		return v
	}
	got := waitCert()

	c := startTLS(t, d.smtpAddr, &tls.Config{RootCAs: p.roots, ServerName: "mx.leak.example"})
	st, _ := c.TLSConnectionState()
	leaf := st.PeerCertificates[0]
	if len(st.VerifiedChains) == 0 || !slices.Contains(leaf.DNSNames, "mx.leak.example") {
		t.Fatalf("certificate for %v, %d verified chains", leaf.DNSNames, len(st.VerifiedChains))
	}
	if got != float64(leaf.NotAfter.Unix()) {
		t.Errorf("%s = %v, want the served certificate's %d", expiry, got, leaf.NotAfter.Unix())
	}
	if err := c.Mail("sender@example.net", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("to+bob=example.com@leak.example", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "Subject: over ACME TLS\r\n\r\nMARK-acme\r\n")
	if err := w.Close(); err != nil {
		t.Fatalf("DATA: %v", err)
	}
	c.Quit()
	if b, _ := os.ReadFile(d.waitDelivered(1)[0]); !strings.Contains(string(b), "MARK-acme") {
		t.Errorf("the delivered copy is not the message sent:\n%s", b)
	}

	// A sender without SNI (Postfix's default) gets the hostname's certificate.
	raw := dialSMTP(t, d.smtpAddr)
	raw.cmd("EHLO client.example")
	if r := raw.cmd("STARTTLS"); !strings.HasPrefix(r, "220") {
		t.Fatalf("STARTTLS: %s", r)
	}
	tc := tls.Client(raw.c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake without SNI: %v", err)
	}
	if s := tc.ConnectionState().PeerCertificates[0].SerialNumber; s.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("without SNI: serial %v, want %v", s, leaf.SerialNumber)
	}
	tc.Close()

	d.stop()
	d.start()
	waitCert()
	again := startTLS(t, d.smtpAddr, &tls.Config{RootCAs: p.roots, ServerName: "mx.leak.example"})
	st, _ = again.TLSConnectionState()
	if s := st.PeerCertificates[0].SerialNumber; s.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("after a restart: serial %v, want the cached certificate's %v", s, leaf.SerialNumber)
	}
	again.Quit()
	if n := strings.Count(d.log.String(), "TLS certificate from the ACME CA in use"); n != 2 {
		t.Errorf("%d log lines about the certificate in use over two starts, want 2:\n%s", n, d.log.String())
	}
	d.stop()
}

// TestACMETLSALPN: the web listener's HTTPS (TLSConfig(metrics.ListenerHTTP))
// answers Pebble's TLS-ALPN-01 checks itself, with no HTTP-01 listener, and
// serves every name in tls.acme.hostnames by SNI; a client without SNI gets
// http.public_url's host.
func TestACMETLSALPN(t *testing.T) {
	t.Parallel()
	httpsAddr := testutil.ReservePort(t)
	p := startPebble(t, port(t, testutil.ReservePort(t)), port(t, httpsAddr))
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "leak.yaml")
	yaml := "data_dir: " + dir + "\nhttp:\n  public_url: https://leak.example\n" +
		"tls:\n  acme:\n    enabled: true\n    directory_url: " + p.dirURL + "\n    ca_file: " + p.caFile + "\n"
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"mx.leak.example", "leak.example"}; !slices.Equal(cfg.TLS.ACME.Hostnames, want) {
		t.Errorf("tls.acme.hostnames = %q, want %q (hostname and public_url's host)", cfg.TLS.ACME.Hostnames, want)
	}
	m := metrics.New("test")
	logs := &testutil.SyncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", logs.String())
		}
	})
	certs, err := openCertificates(cfg, m, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer certs.Close()
	ln, err := tls.Listen("tcp", httpsAddr, certs.TLSConfig(metrics.ListenerHTTP))
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "leak") }),
		ErrorLog: log.New(io.Discard, "", 0), // the handshakes refused until a certificate is in
	}
	go hs.Serve(ln)
	defer hs.Close()

	handshake := func(sni string) (*x509.Certificate, error) {
		conf := &tls.Config{RootCAs: p.roots, ServerName: sni}
		if sni == "" {
			conf = &tls.Config{InsecureSkipVerify: true}
		}
		c, err := tls.Dial("tcp", httpsAddr, conf)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0], nil
	}
	leaves := map[string]*x509.Certificate{}
	for _, name := range cfg.TLS.ACME.Hostnames {
		testutil.WaitFor(t, "a certificate for "+name+" from Pebble", func() bool {
			leaf, err := handshake(name)
			leaves[name] = leaf
			return err == nil
		})
	}
	bare, err := handshake("")
	if err != nil {
		t.Fatal(err)
	}
	if bare.SerialNumber.Cmp(leaves["leak.example"].SerialNumber) != 0 {
		t.Errorf("without SNI: a certificate for %v, want public_url's host's", bare.DNSNames)
	}
	var g dto.Metric
	m.CertExpiry.WithLabelValues(metrics.ListenerHTTP).Write(&g)
	if got, want := g.GetGauge().GetValue(), float64(leaves["leak.example"].NotAfter.Unix()); got != want {
		t.Errorf("leak_tls_cert_expiry_timestamp_seconds{listener=\"http\"} = %v, want %v", got, want)
	}
	// The certificates are in the cache for the next start (and replicas).
	for _, name := range cfg.TLS.ACME.Hostnames {
		if _, err := os.Stat(filepath.Join(cfg.TLS.ACME.CacheDir, name)); err != nil {
			t.Errorf("not in tls.acme.cache_dir: %v", err)
		}
	}
}

// TestACMEConfig: config check and serve refuse the same tls.acme configs,
// naming the key.
func TestACMEConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
	acme := "tls:\n  acme:\n    enabled: true\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"both files and ACME", "smtp:\n  tls_cert: " + notPEM + "\n  tls_key: " + notPEM + "\n" + acme,
			"tls.acme.enabled and smtp.tls_cert"},
		{"keys without enabled", "tls:\n  acme:\n    email: ops@leak.example\n", "tls.acme.email: set, but tls.acme.enabled is false"},
		{"hostname left out", acme + "    hostnames: [leak.example]\n", `tls.acme.hostnames: must include hostname "mx.leak.example"`},
		{"wildcard", acme + "    hostnames: ['*.leak.example', mx.leak.example]\n", "tls.acme.hostnames[0]: a wildcard needs the DNS-01 challenge"},
		{"IP address", acme + "    hostnames: [mx.leak.example, 192.0.2.1]\n", "tls.acme.hostnames[1]: must be a DNS name, not an IP address"},
		{"plain http CA", acme + "    directory_url: http://ca.example/dir\n", "tls.acme.directory_url: must be an https URL"},
		{"bad email", acme + "    email: ops\n", "tls.acme.email"},
		{"missing CA file", acme + "    ca_file: /nonexistent/ca.pem\n", "tls.acme.ca_file"},
		{"CA file without PEM", acme + "    ca_file: " + notPEM + "\n", "tls.acme.ca_file: " + notPEM + ": no PEM certificate"},
		{"cache is a file", acme + "    cache_dir: " + filepath.Join(dir, "file") + "\n", "tls.acme.cache_dir"},
		{"HTTP-01 on the SMTP port", "smtp:\n  listen: 127.0.0.1:2525\n" + acme + "    http_listen: 0.0.0.0:2525\n",
			"tls.acme.http_listen and smtp.listen"},
		{"bad HTTP-01 address", acme + "    http_listen: port80\n", "tls.acme.http_listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml")
			os.WriteFile(path, []byte("data_dir: "+filepath.Join(dir, "data")+"\n"+tc.yaml), 0o600)
			for _, cmd := range [][]string{{"config", "check"}, {"serve"}} {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				out, err := exec.CommandContext(ctx, leakdBin, append(cmd, "--config", path)...).CombinedOutput()
				cancel()
				if err == nil || !strings.Contains(string(out), tc.want) {
					t.Errorf("leakd %s: %v, output %q; want a refusal with %q", strings.Join(cmd, " "), err, out, tc.want)
				}
			}
		})
	}
	// A valid ACME config passes, with its defaults.
	path := filepath.Join(dir, "ok.yaml")
	os.WriteFile(path, []byte("data_dir: "+filepath.Join(dir, "data")+"\n"+acme), 0o600)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.TLS.ACME
	if a.DirectoryURL != letsEncrypt || !slices.Equal(a.Hostnames, []string{"mx.leak.example"}) || a.CacheDir != filepath.Join(dir, "data", "acme") {
		t.Errorf("defaults: directory_url %q, hostnames %q, cache_dir %q", a.DirectoryURL, a.Hostnames, a.CacheDir)
	}
}
