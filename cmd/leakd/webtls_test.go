package main

import (
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebTLS: with web.tls the public listener speaks HTTPS with the
// relay's certificate; without a certificate the setting is refused with
// the key named.
func TestWebTLS(t *testing.T) {
	cert, key := writeSelfSigned(t, t.TempDir(), "leak.example")
	d, webAddr := webDaemon(t, "  tls: true\n", "")
	b, _ := os.ReadFile(d.config)
	os.WriteFile(d.config, []byte(strings.Replace(string(b), "smtp:\n", "smtp:\n  tls_cert: "+cert+"\n  tls_key: "+key+"\n", 1)), 0o600)
	d.start()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get("https://" + webAddr + "/")
	if err != nil {
		t.Fatalf("HTTPS on the web listener: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.PeerCertificates[0].Subject.CommonName != "leak.example" && !strings.Contains(strings.Join(resp.TLS.PeerCertificates[0].DNSNames, ","), "leak.example") {
		t.Errorf("GET / over HTTPS: %d, certificate %v", resp.StatusCode, resp.TLS.PeerCertificates[0].DNSNames)
	}
	d.stop()

	bad := filepath.Join(t.TempDir(), "leak.yaml")
	os.WriteFile(bad, []byte("web:\n  listen: 127.0.0.1:0\n  operator_name: X\n  operator_contact: x@operator.example\n  tls: true\n"), 0o600)
	if _, err := loadConfig(bad); err == nil || !strings.Contains(err.Error(), "web.tls") {
		t.Errorf("web.tls without a certificate: %v, want an error naming web.tls", err)
	}
}
