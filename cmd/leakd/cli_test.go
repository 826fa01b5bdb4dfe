package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml string
		code       int
		want       string // in the output
	}{
		{"ok", "domain: leak.example\nsmtp:\n  listen: 127.0.0.1:2525\n", 0, "ok"},
		{"example file", "", 0, "ok"},
		{"unknown key", "smtp:\n  max_mesage_bytes: 10\n", 1, `unknown key "smtp.max_mesage_bytes"`},
		{"wrong type", "smtp:\n  max_message_bytes: lots\n", 1, "smtp.max_message_bytes"},
		{"bad value", "smtp:\n  max_message_bytes: -1\n", 1, "smtp.max_message_bytes: must be positive"},
		{"bad duration", "smtp:\n  idle_timeout: forever\n", 1, "smtp.idle_timeout"},
		{"bad mode", "delivery:\n  mode: carrier-pigeon\n", 1, "delivery.mode"},
		// The courier's own Validate, named after the keys:
		{"smarthost without port", "delivery:\n  mode: smarthost\n  smarthost: relay.example\n", 1, "delivery.smarthost: must be host:port"},
		{"smarthost TLS unknown", "delivery:\n  mode: smarthost\n  smarthost: relay.example:587\n  smarthost_tls: ssl\n", 1, "delivery.smarthost_tls"},
		{"AUTH in clear", "delivery:\n  mode: smarthost\n  smarthost: relay.example:25\n  smarthost_tls: none\n  smarthost_username: u\n", 1, "delivery.smarthost_username: AUTH is only sent over TLS"},
		{"mx port out of range", "delivery:\n  mode: mx\n  mx_port: 70000\n", 1, "delivery.mx_port"},
		{"mx port zero", "delivery:\n  mode: mx\n  mx_port: 0\n", 1, "delivery.mx_port"},
		{"resolver without port", "delivery:\n  mode: mx\n  resolver: 127.0.0.1\n", 1, "delivery.resolver"},
		{"no deliveries at once", "delivery:\n  mode: mx\n  max_per_destination: 0\n", 1, "delivery.max_per_destination"},
		{"bad listen", "http:\n  listen: nowhere\n", 1, "http.listen"},
		// What serve used to refuse after config check said ok:
		{"resolver by name", "policy:\n  auth_resolver: dns.example:53\n", 1, "policy.auth_resolver"},
		{"missing TLS files", "smtp:\n  tls_cert: /nonexistent/cert.pem\n  tls_key: /nonexistent/key.pem\n", 1, "smtp.tls_cert"},
		{"missing deny list", "policy:\n  recipient_domain_deny: /nonexistent/deny.txt\n", 1, "policy.recipient_domain_deny"},
		{"missing password file", "delivery:\n  mode: smarthost\n  smarthost: 127.0.0.1:25\n  smarthost_username: u\n  smarthost_password_file: /nonexistent/pw\n", 1, "delivery.smarthost_password_file"},
		{"SMTP and HTTP on one port", "smtp:\n  listen: 127.0.0.1:8025\nhttp:\n  listen: 0.0.0.0:8025\n", 1, "smtp.listen and http.listen"},
		{"duplicate key", "smtp:\n  max_recipients: 5\n  max_recipients: 6\n", 1, "smtp.max_recipients: given twice"},
		{"bad pass type", "anonymity:\n  pass_types: [Application/PDF]\n", 1, "anonymity.pass_types[0]"},
		{"negative report threshold", "policy:\n  report_threshold: -1\n", 1, "policy.report_threshold"},
		{"report window zero", "policy:\n  report_window: 0s\n", 1, "policy.report_window"},
		{"rate too fast", "policy:\n  rate_ip: {rate: 1000, period: 1ns}\n", 1, "policy.rate_ip: rate 1000 per 1ns is too fast"},
		{"scan scores crossed", "scan:\n  url: http://127.0.0.1:11333\n  reject_score: 5\n  defer_score: 10\n", 1, "scan.reject_score"},
		{"scan on_error", "scan:\n  url: http://127.0.0.1:11333\n  on_error: reject\n", 1, "scan.on_error"},
		{"missing scan password", "scan:\n  url: http://127.0.0.1:11333\n  password_file: /nonexistent/pw\n", 1, "scan.password_file"},
		{"kept copy too long", "web:\n  report_keep_max_copy: 1073741824\n", 1, "web.report_keep_max_copy"},
		{"document budget below one document", "anonymity:\n  max_document_bytes: 1048576\n  document_budget: 1000\n", 1, "anonymity.document_budget"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".yaml")
			if tc.name == "example file" {
				path = "../../deploy/leak.example.yaml"
			} else if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := run([]string{"config", "check", "--config", path}, &out, &errb)
			all := out.String() + errb.String()
			if code != tc.code || !strings.Contains(all, tc.want) {
				t.Errorf("exit %d, output %q; want exit %d with %q", code, all, tc.code, tc.want)
			}
			if tc.code != 0 && !strings.Contains(all, path) {
				t.Errorf("error does not name the file: %q", all)
			}
		})
	}
}

// The example config documents every key: loading it must give the
// defaults, so the two cannot drift apart.
func TestExampleConfigIsDefaults(t *testing.T) {
	t.Parallel()
	c, err := loadConfig("../../deploy/leak.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def, _ := loadConfig("")
	if c.Anonymity.PassTypes == nil || len(c.Anonymity.PassTypes) > 0 {
		t.Errorf("anonymity.pass_types = %v, want the empty list", c.Anonymity.PassTypes)
	}
	c.Anonymity.PassTypes = nil
	if !reflect.DeepEqual(c, def) {
		t.Errorf("deploy/leak.example.yaml differs from the defaults:\n%+v\n%+v", c, def)
	}
}

// A rate limit given in the file replaces the default limit whole: with no
// burst, the burst is the rate, not the default limit's burst.
func TestLimitReplacesDefault(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "leak.yaml")
	os.WriteFile(path, []byte("policy:\n  rate_ip: {rate: 100, period: 1m}\n"), 0o600)
	c, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Policy.RateIP; got.Rate != 100 || got.Burst != 0 || got.Period.Duration != time.Minute {
		t.Errorf("policy.rate_ip = %+v, want rate 100, burst 0 (= rate), period 1m", got)
	}
}

// config check refuses before serve writes anything: a config serve would
// refuse leaves no DKIM keys behind.
func TestServeRefusesBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leak.yaml")
	os.WriteFile(path, []byte("data_dir: "+dir+"/data\nsmtp:\n  tls_cert: /nonexistent/c\n  tls_key: /nonexistent/k\n"), 0o600)
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--config", path}, &out, &errb); code == 0 {
		t.Fatal("serve started with missing TLS files")
	}
	if !strings.Contains(errb.String(), "smtp.tls_cert") {
		t.Errorf("serve's error does not name the key: %q", errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("serve wrote %s before refusing the config (err %v)", filepath.Join(dir, "data"), err)
	}
}

func TestDKIMCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "leak.yaml")
	os.WriteFile(cfg, []byte("data_dir: "+dir+"\n"), 0o600)

	var out, errb bytes.Buffer
	if code := run([]string{"dkim", "dns", "--config", cfg}, &out, &errb); code == 0 {
		t.Errorf("dkim dns without keys succeeded: %q", out.String())
	}
	out.Reset()
	if code := run([]string{"dkim", "keygen", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("keygen: %s", errb.String())
	}
	if strings.Count(out.String(), "created") != 2 {
		t.Errorf("keygen output %q, want two created keys", out.String())
	}
	for _, f := range []string{"leak-rsa.key", "leak-ed.key"} {
		st, err := os.Stat(filepath.Join(dir, "dkim", f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	out.Reset()
	if code := run([]string{"dkim", "dns", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("dkim dns: %s", errb.String())
	}
	rsa := regexp.MustCompile(`(?m)^leak-rsa\._domainkey\.leak\.example\. IN TXT "v=DKIM1; k=rsa; ".*"p=`)
	ed := regexp.MustCompile(`(?m)^leak-ed\._domainkey\.leak\.example\. IN TXT "v=DKIM1; k=ed25519; " "p=[A-Za-z0-9+/=]{44}"$`)
	if !rsa.MatchString(out.String()) || !ed.MatchString(out.String()) {
		t.Errorf("dkim dns output:\n%s", out.String())
	}
}

// Help is asked for, so it goes to stdout with exit 0, for the whole
// binary and for each subcommand; an unknown command is named.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--help"}, {"help"}, {"serve", "--help"}, {"config", "check", "-h"},
		{"dkim", "keygen", "--help"}, {"dkim", "dns", "--help"}, {"queue", "list", "--help"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		if code != 0 || out.Len() == 0 || errb.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 with help on stdout", args, code, out.String(), errb.String())
		}
		if len(args) > 1 && !strings.Contains(out.String(), describe[strings.Join(args[:len(args)-1], " ")]) {
			t.Errorf("%v: help lacks the description: %q", args, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errb.String())
	}
	// A group's --help lists its commands, each with its description; the
	// group alone asks which one, on stderr, exit 2.
	for group := range groupCommands {
		var out, errb bytes.Buffer
		if code := run([]string{group, "--help"}, &out, &errb); code != 0 || errb.Len() != 0 {
			t.Errorf("%s --help: exit %d, stderr %q", group, code, errb.String())
		}
		n := 0
		for name, d := range describe {
			if sub, ok := strings.CutPrefix(name, group+" "); ok {
				n++
				if !strings.Contains(out.String(), sub) || !strings.Contains(out.String(), d) {
					t.Errorf("%s --help lacks %s: %q", group, name, out.String())
				}
			}
		}
		if n == 0 {
			t.Errorf("group %s has no described commands", group)
		}
		out.Reset()
		errb.Reset()
		if code := run([]string{group}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "which one?") || out.Len() != 0 {
			t.Errorf("%s alone: exit %d, stdout %q, stderr %q", group, code, out.String(), errb.String())
		}
	}
	out.Reset()
	if code := run([]string{"version", "--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "usage: leakd version") {
		t.Errorf("version --help: exit %d, %q", code, out.String())
	}
}

func TestTakeID(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"ID", "--config", "F"}, {"--config", "F", "ID"}, {"--config=F", "ID"}, {"-config", "F", "ID"},
	} {
		id, rest := takeID(args)
		if id != "ID" || len(rest) != len(args)-1 {
			t.Errorf("takeID(%q) = %q, %q", args, id, rest)
		}
	}
	if id, rest := takeID([]string{"ID", "extra"}); id != "ID" || len(rest) != 1 {
		t.Errorf("a second positional argument is left for the flag parser to refuse: %q %q", id, rest)
	}
}
