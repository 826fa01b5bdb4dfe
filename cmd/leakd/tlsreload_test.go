package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"leak/policy/testutil"

	"github.com/emersion/go-smtp"
)

// TestTLSReloadOnSIGHUP: new certificate files and SIGHUP; the next
// STARTTLS handshake gets the new certificate, a session encrypted before
// the reload goes on to deliver its message, and the expiry gauge follows.
// A broken file on the next SIGHUP keeps the certificate in use.
func TestTLSReloadOnSIGHUP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certA := makeCert(t, dir, "a", "mx.leak.example", time.Now().Add(48*time.Hour))
	certB := makeCert(t, dir, "b", "mx.leak.example", time.Now().Add(96*time.Hour))
	live := filepath.Join(dir, "live")
	install := func(name string) {
		t.Helper()
		for _, ext := range []string{".crt", ".key"} {
			data, err := os.ReadFile(filepath.Join(dir, name+ext))
			if err != nil {
				t.Fatal(err)
			}
			// As certbot and cert-manager do: a new file renamed over the old.
			if err := os.WriteFile(live+ext+".new", data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(live+ext+".new", live+ext); err != nil {
				t.Fatal(err)
			}
		}
	}
	install("a")
	d := newDaemon(t, sections{SMTP: "  tls_cert: " + live + ".crt\n  tls_key: " + live + ".key\n"})
	d.start()

	roots := x509.NewCertPool()
	roots.AddCert(certA)
	roots.AddCert(certB)
	conf := &tls.Config{RootCAs: roots, ServerName: "mx.leak.example"}
	serial := func(c *smtp.Client) *big.Int {
		t.Helper()
		st, ok := c.TLSConnectionState()
		if !ok || len(st.PeerCertificates) == 0 {
			t.Fatal("no TLS on the session")
		}
		return st.PeerCertificates[0].SerialNumber
	}
	expiry := `leak_tls_cert_expiry_timestamp_seconds{listener="smtp"}`

	before := startTLS(t, d.smtpAddr, conf)
	if got := serial(before); got.Cmp(certA.SerialNumber) != 0 {
		t.Fatalf("first handshake: serial %v, want certificate A's %v", got, certA.SerialNumber)
	}
	if got := gauge(t, d.httpAddr, expiry); got != float64(certA.NotAfter.Unix()) {
		t.Errorf("%s = %v, want certificate A's expiry %d", expiry, got, certA.NotAfter.Unix())
	}
	if err := before.Mail("sender@example.net", nil); err != nil {
		t.Fatal(err)
	}

	install("b")
	d.cmd.Process.Signal(syscall.SIGHUP)
	testutil.WaitFor(t, "the reload in the log", func() bool {
		return strings.Contains(d.log.String(), "reloaded the TLS certificate files")
	})
	after := startTLS(t, d.smtpAddr, conf)
	if got := serial(after); got.Cmp(certB.SerialNumber) != 0 {
		t.Errorf("handshake after SIGHUP: serial %v, want certificate B's %v", got, certB.SerialNumber)
	}
	after.Quit()
	if got := gauge(t, d.httpAddr, expiry); got != float64(certB.NotAfter.Unix()) {
		t.Errorf("%s = %v after the reload, want certificate B's expiry %d", expiry, got, certB.NotAfter.Unix())
	}

	// The session opened before the reload goes on over its own TLS.
	if err := before.Rcpt("to+bob=example.com@leak.example", nil); err != nil {
		t.Fatalf("RCPT on the session opened before the reload: %v", err)
	}
	w, err := before.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "Subject: across a reload\r\n\r\nMARK-reload\r\n")
	if err := w.Close(); err != nil {
		t.Fatalf("DATA on the session opened before the reload: %v", err)
	}
	before.Quit()
	if b, _ := os.ReadFile(d.waitDelivered(1)[0]); !strings.Contains(string(b), "MARK-reload") {
		t.Errorf("the delivered copy is not the message sent across the reload:\n%s", b)
	}

	// A broken file: logged, and certificate B stays.
	if err := os.WriteFile(live+".crt", []byte("-----BEGIN CERTIFICATE-----\nnot base64\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	testutil.WaitFor(t, "the failed reload in the log", func() bool {
		return strings.Contains(d.log.String(), "certificate reload failed")
	})
	if !strings.Contains(d.log.String(), "still serving the certificate valid until") {
		t.Errorf("the error does not say which certificate stays:\n%s", d.log.String())
	}
	third := startTLS(t, d.smtpAddr, conf)
	if got := serial(third); got.Cmp(certB.SerialNumber) != 0 {
		t.Errorf("handshake after a broken reload: serial %v, want certificate B's %v", got, certB.SerialNumber)
	}
	third.Quit()
	if got := gauge(t, d.httpAddr, expiry); got != float64(certB.NotAfter.Unix()) {
		t.Errorf("%s = %v after a broken reload, want B's %d", expiry, got, certB.NotAfter.Unix())
	}
	d.stop()
}

// makeCert writes a self-signed ECDSA certificate for host, valid until
// notAfter, as dir/name.crt and dir/name.key.
func makeCert(t *testing.T, dir, name, host string, notAfter time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter.Truncate(time.Second),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	for ext, b := range map[string]*pem.Block{
		".crt": {Type: "CERTIFICATE", Bytes: der},
		".key": {Type: "PRIVATE KEY", Bytes: kder},
	} {
		if err := os.WriteFile(filepath.Join(dir, name+ext), pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert
}

// startTLS connects to addr and does STARTTLS with conf, which checks the
// server's certificate.
func startTLS(t *testing.T, addr string, conf *tls.Config) *smtp.Client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c, err := smtp.NewClientStartTLS(conn, conf.Clone())
	if err != nil {
		conn.Close()
		t.Fatalf("STARTTLS: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	// The handshake runs with the first command over TLS.
	if err := c.Hello("client.example"); err != nil {
		t.Fatalf("EHLO over TLS: %v", err)
	}
	return c
}

// gauge scrapes one series from leakd's /metrics; -1 when it is absent.
func gauge(t *testing.T, httpAddr, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", series, err)
			}
			return f
		}
	}
	return -1
}
