package main

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"leak/policy/testutil"

	"gopkg.in/yaml.v3"
)

// The configs deploy/ ships, each as an admin installs it. The test leaves
// them as they are but for what only this machine changes: where leakd
// listens and keeps its files, the DNS servers it asks, the one Redis, the
// ACME CA (Pebble when installed) and the delivery wait. The rest (the
// delivery mode, TLS, policy, keys, the operator, the domain) runs as
// shipped.
var shippedConfigs = []struct{ name, file string }{
	{"systemd", "../../deploy/systemd/leak.yaml"},
	{"kubernetes", "../../deploy/kubernetes/leak.yaml"},
	{"docker", "../../deploy/docker/leak.yaml"},
	{"compose demo", "../../deploy/docker/demo.yaml"},
}

// TestShippedConfigs starts leakd on each shipped config and sends a
// message through it to a real SMTP server on loopback: in MX mode the
// recipient's domain resolves, through the config's resolver, to that
// server; in smarthost mode it is the smarthost. The copy must arrive for
// the recipient with a signed bounce address; with ACME on, STARTTLS must
// offer a certificate the CA issued for the config's hostname.
func TestShippedConfigs(t *testing.T) {
	t.Parallel()
	for _, sc := range shippedConfigs {
		t.Run(sc.name, func(t *testing.T) {
			hop := newNextHop(t)
			hop.up(t)
			d, cfg, roots := shippedDaemon(t, sc.file, hop)
			if out, err := exec.Command(leakdBin, "config", "check", "--config", d.config).CombinedOutput(); err != nil {
				t.Fatalf("config check of the rewritten %s: %v\n%s", sc.file, err, out)
			}
			d.start()

			marker := "MARK-shipped-" + strings.ReplaceAll(sc.name, " ", "-")
			if rcpt, data := send(t, d.smtpAddr, "to+bob=example.com@"+cfg.Domain, marker); !strings.HasPrefix(data, "250") {
				t.Fatalf("RCPT %q, DATA %q\n%s", rcpt, data, d.log.String())
			}
			testutil.WaitFor(t, "the copy at the next hop", func() bool { return hop.count(marker) == 1 })
			hop.mu.Lock()
			rcpts, from := append([]string(nil), hop.rcpts...), hop.froms[len(hop.froms)-1]
			hop.mu.Unlock()
			if len(rcpts) != 1 || rcpts[0] != "bob@example.com" {
				t.Errorf("the next hop received for %v, want bob@example.com", rcpts)
			}
			if !regexp.MustCompile(`^bounce\+[a-z2-7]+@` + regexp.QuoteMeta(cfg.Domain) + `$`).MatchString(from) {
				t.Errorf("envelope sender %q, want a signed bounce address", from)
			}

			if cfg.TLS.ACME.Enabled && roots != nil {
				testutil.WaitFor(t, "a certificate from the CA on STARTTLS", func() bool {
					return startTLSVerifies(d.smtpAddr, cfg.Hostname, roots) == nil
				})
				t.Logf("STARTTLS offers a certificate for %s from the CA", cfg.Hostname)
			}
			d.stop()
			for _, l := range strings.Split(d.log.String(), "\n") {
				if !strings.Contains(l, "level=ERROR") && !strings.Contains(l, `"level":"ERROR"`) {
					continue
				}
				// Without Pebble the CA does not answer, and leakd says so.
				if cfg.TLS.ACME.Enabled && roots == nil && strings.Contains(strings.ToLower(l), "certificate") {
					continue
				}
				t.Errorf("error in the log: %s", l)
			}
		})
	}
}

// shippedDaemon rewrites the config at file for this machine and returns a
// daemon for it (not started), the config as leakd reads it, and the roots
// that verify its ACME certificate (nil without ACME or without Pebble).
func shippedDaemon(t *testing.T, file string, hop *nextHop) (*daemon, *Config, *x509.CertPool) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	root := t.TempDir()
	rewriteLocal(t, doc, root, "")

	set := func(path string, v any) {
		m := doc
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = v
	}
	get := func(path string) any {
		var v any = doc
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		}
		return v
	}

	// Mail leaves for the loopback next hop.
	dnsAddr := startMXDNS(t)
	switch get("delivery.mode") {
	case "mx":
		set("delivery.resolver", dnsAddr)
		mxPort, _ := strconv.Atoi(port(t, hop.addr))
		set("delivery.mx_port", mxPort)
		set("delivery.allow_private_mx", true)
	case "smarthost":
		set("delivery.smarthost", hop.addr)
	default:
		t.Fatalf("%s: delivery.mode %v: a shipped config must deliver (mx or smarthost)", file, get("delivery.mode"))
	}
	if mode, _ := get("policy.inbound_auth").(string); mode != "" && mode != "off" {
		set("policy.auth_resolver", dnsAddr)
	}
	// The content scanner: a real Rspamd on loopback.
	if u, _ := get("scan.url").(string); u != "" {
		set("scan.url", testutil.StartRspamd(t).URL)
	}
	// Delivered at once, not after up to 10 minutes.
	set("anonymity.delay", "0s")
	if r, _ := get("policy.redis").(string); r != "" {
		set("policy.redis", "redis://"+startRedis(t)+"/0")
	}
	// Keys a Secret or the admin provides.
	for _, k := range []string{"policy.secret_file", "delivery.bounce_key_file"} {
		if p, _ := get(k).(string); p != "" {
			writeKey(t, p)
		}
	}
	var roots *x509.CertPool
	if on, _ := get("tls.acme.enabled").(bool); on {
		listen, _ := get("tls.acme.http_listen").(string)
		if listen == "" {
			t.Fatalf("%s: ACME without http_listen: the test answers HTTP-01 only", file)
		}
		if _, err := exec.LookPath("pebble"); err == nil || os.Getenv("LEAK_INTEROP") == "1" {
			p := startPebble(t, port(t, listen), port(t, testutil.ReservePort(t)))
			set("tls.acme.directory_url", p.dirURL)
			set("tls.acme.ca_file", p.caFile)
			roots = p.roots
		} else {
			// A CA that does not answer: leakd starts without a
			// certificate and says so.
			t.Log("pebble is not installed: the ACME CA does not answer, STARTTLS goes unchecked")
			set("tls.acme.directory_url", "https://"+testutil.ReservePort(t)+"/directory")
		}
	}

	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, dir: root, config: filepath.Join(root, "leak.yaml"), log: &testutil.SyncBuffer{},
		smtpAddr: get("smtp.listen").(string), httpAddr: get("http.listen").(string)}
	if err := os.WriteFile(d.config, out, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := readConfig(d.config, false)
	if err != nil {
		t.Fatalf("the rewritten %s: %v\n%s", file, err, out)
	}
	return d, cfg, roots
}

// rewriteLocal moves every listener to a free loopback port and every
// absolute path under root, in place.
func rewriteLocal(t *testing.T, m map[string]any, root, prefix string) {
	for k, v := range m {
		key := strings.TrimPrefix(prefix+"."+k, ".")
		switch v := v.(type) {
		case map[string]any:
			rewriteLocal(t, v, root, key)
		case string:
			switch {
			case k == "listen" || k == "http_listen":
				m[k] = testutil.ReservePort(t)
			case strings.HasPrefix(v, "/"):
				m[k] = filepath.Join(root, v)
			}
		}
	}
}

// writeKey writes a random key at path, as a Kubernetes Secret or an admin
// (openssl rand -hex 32) would.
func writeKey(t *testing.T, path string) {
	t.Helper()
	var b [32]byte
	rand.Read(b[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b[:])+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
}

// startRedis runs a redis-server on loopback and returns its address.
func startRedis(t *testing.T) string { return testutil.StartRedis(t) }

// startTLSVerifies says EHLO, STARTTLS and checks the certificate against
// roots for name.
func startTLSVerifies(addr, name string, roots *x509.CertPool) error {
	c, err := dialQuiet(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, cmd := range []string{"EHLO client.example", "STARTTLS"} {
		fmt.Fprintf(c, "%s\r\n", cmd)
		if r, err := c.reply(); err != nil || !strings.HasPrefix(r, "2") {
			return fmt.Errorf("%s: %q %v", cmd, r, err)
		}
	}
	tc := tls.Client(c.Conn, &tls.Config{ServerName: name, RootCAs: roots})
	return tc.Handshake()
}
