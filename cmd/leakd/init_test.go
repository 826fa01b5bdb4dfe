package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"leak/policy/testutil"
)

// TestInit: `leakd init` writes a config that config check passes without
// a warning and serve starts on (its listeners moved to loopback), makes
// both DKIM keys, prints every record, and never overwrites.
func TestInit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	data := filepath.Join(dir, "var")
	args := []string{"init", "--domain", "leak-relay.net", "--hostname", "mx.leak-relay.net",
		"--operator", "ops@operator.example", "--dir", etc, "--data-dir", data}
	out, err := exec.Command(leakdBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	path := filepath.Join(etc, "leak.yaml")
	for _, re := range []string{
		"(?m)^wrote " + regexp.QuoteMeta(path) + "$",
		"(?m)^created " + regexp.QuoteMeta(filepath.Join(data, "dkim", "leak-rsa.key")) + "$",
		"(?m)^created " + regexp.QuoteMeta(filepath.Join(data, "dkim", "leak-ed.key")) + "$",
		`(?m)^leak-relay\.net\. IN MX 10 mx\.leak-relay\.net\.$`,
		`(?m)^leak-rsa\._domainkey\.leak-relay\.net\. IN TXT `,
		`(?m)^leak-ed\._domainkey\.leak-relay\.net\. IN TXT `,
		`(?m)^_dmarc\.leak-relay\.net\. IN TXT `,
		`(?m)^_mta-sts\.leak-relay\.net\. IN TXT `,
		`(?m)^_smtp\._tls\.leak-relay\.net\. IN TXT `,
	} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("init output lacks %s:\n%s", re, out)
		}
	}
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mode: mx", "operator: ops@operator.example", "public_url: https://mx.leak-relay.net", "acme:\n    enabled: true\n    email: ops@operator.example\n"} {
		if !strings.Contains(string(written), want) {
			t.Errorf("the config lacks %q:\n%s", want, written)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(etc, ".leak.yaml.tmp-*")); len(leftovers) > 0 {
		t.Errorf("init left %v behind", leftovers)
	}

	check, err := exec.Command(leakdBin, "config", "check", "--config", path).CombinedOutput()
	if err != nil || strings.Contains(string(check), "warning") {
		t.Fatalf("config check on init's config: %v\n%s", err, check)
	}

	// serve starts on it once the listeners are on loopback ports (and
	// the ACME CA is one that does not answer: no test reaches the Internet).
	d := &daemon{t: t, dir: dir, config: path, smtpAddr: testutil.ReservePort(t), httpAddr: testutil.ReservePort(t), log: &testutil.SyncBuffer{}}
	cfg := string(written)
	for _, r := range [][2]string{
		{`listen: ":25"`, "listen: " + d.smtpAddr},
		{"listen: 127.0.0.1:8025", "listen: " + d.httpAddr},
		{`http_listen: ":80"`, "http_listen: " + testutil.ReservePort(t) + "\n    directory_url: https://127.0.0.1:9/directory"},
	} {
		if !strings.Contains(cfg, r[0]) {
			t.Fatalf("the test no longer finds %q to rewrite", r[0])
		}
		cfg = strings.Replace(cfg, r[0], r[1], 1)
	}
	os.WriteFile(path, []byte(cfg), 0o644)
	d.start()
	c := dialSMTP(t, d.smtpAddr)
	if r := c.cmd("EHLO client.example"); !strings.HasPrefix(r, "250") {
		t.Errorf("EHLO: %q", r)
	}
	d.stop()
	if strings.Contains(d.log.String(), "generated a new DKIM key") {
		t.Error("serve generated keys init should have made")
	}

	records, err := exec.Command(leakdBin, "dns", "records", "--config", path).Output()
	if err != nil || !strings.Contains(string(records), "leak-rsa._domainkey.leak-relay.net. IN TXT") {
		t.Errorf("dns records on init's config: %v\n%s", err, records)
	}

	// A second init refuses and leaves the config alone.
	again, err := exec.Command(leakdBin, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(again), "exists; init never overwrites") {
		t.Errorf("second init: %v\n%s", err, again)
	}
	if now, _ := os.ReadFile(path); string(now) != cfg {
		t.Error("the second init changed the config")
	}
}

// TestInitRefuses: missing flags, and an operator mailbox in the Leak
// domain (its mail would come back to Leak), write nothing.
func TestInitRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no operator", []string{"--domain", "leak-relay.net", "--hostname", "mx.leak-relay.net"}, 2, "--operator are required"},
		{"operator in the domain", []string{"--domain", "leak-relay.net", "--hostname", "mx.leak-relay.net", "--operator", "postmaster@leak-relay.net"}, 1, "is in the Leak domain"},
		{"bad domain", []string{"--domain", "localhost", "--hostname", "mx", "--operator", "a@b.example"}, 1, "domain: must be a domain name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"init", "--dir", dir, "--data-dir", filepath.Join(dir, "data")}, tc.args...)
			code, _, errs := runLeakd(t, args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, %q; want %d with %q", code, errs, tc.code, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a refused init left %d entries in %s", len(entries), dir)
			}
		})
	}
	for _, args := range [][]string{{"init", "--help"}, {"dns", "records", "--help"}, {"dns", "check", "-h"}, {"health", "--help"}} {
		code, out, errs := runLeakd(t, args...)
		if code != 0 || errs != "" || !strings.Contains(out, describe[strings.Join(args[:len(args)-1], " ")]) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}
