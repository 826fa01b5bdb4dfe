package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"leak/policy/testutil"
)

// TestOperatorAliases: every default alias (postmaster, abuse, dmarc,
// tlsrpt) reaches the operator unchanged, in any case; a list of one's own
// replaces the defaults.
func TestOperatorAliases(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{Policy: relaxedPolicy + "  operator: ops@operator.example\n"})
	d.start()
	rcpts := []string{"postmaster@leak.example", "abuse@leak.example", "DMARC@leak.example", "tlsrpt@Leak.Example"}
	for i, rcpt := range rcpts {
		if r, data := send(t, d.smtpAddr, rcpt, fmt.Sprintf("KEEP-ALIAS-%d from a named person", i)); !strings.HasPrefix(data, "250") {
			t.Fatalf("%s: RCPT %q, DATA %q", rcpt, r, data)
		}
	}
	for _, f := range d.waitDelivered(len(rcpts)) {
		b, _ := os.ReadFile(f)
		if s := string(b); !strings.Contains(s, "Delivered-To: ops@operator.example") || !strings.Contains(s, "from a named person") {
			t.Errorf("operator copy changed or misdelivered:\n%s", s)
		}
	}

	own := newDaemon(t, sections{Policy: relaxedPolicy + "  operator: ops@operator.example\n  operator_aliases: [postmaster, hostmaster]\n"})
	own.start()
	if _, data := send(t, own.smtpAddr, "hostmaster@leak.example", "x"); !strings.HasPrefix(data, "250") {
		t.Errorf("hostmaster, an alias of one's own: %q", data)
	}
	if r, _ := send(t, own.smtpAddr, "dmarc@leak.example", "x"); !strings.HasPrefix(r, "550 5.1.1") {
		t.Errorf("dmarc, not in the list: %q, want 550 5.1.1", r)
	}
}

// TestRealDomainRules: for a real domain, serve and config check refuse
// the same configs (no operator; an operator in the Leak domain with MX
// delivery; an alias list without postmaster) and warn about the same
// (dir delivery, an unsubscribe URL recipients cannot reach). Reserved
// domains (leak.example) keep working without an operator.
func TestRealDomainRules(t *testing.T) {
	t.Parallel()
	base := "domain: leak-relay.net\nhostname: mx.leak-relay.net\ndata_dir: %s\nsmtp:\n  listen: %s\nhttp:\n  listen: %s\n"
	for _, tc := range []struct {
		name, extra string
		refuse      string   // serve and config check refuse, naming this
		warn        []string // both warn, naming these
	}{
		{"real domain without operator", "delivery:\n  mode: mx\n", "policy.operator: must be set for the real domain leak-relay.net", nil},
		{"operator in the Leak domain", "delivery:\n  mode: mx\npolicy:\n  operator: postmaster@leak-relay.net\n", "policy.operator: postmaster@leak-relay.net is in the Leak domain", nil},
		{"aliases without postmaster", "policy:\n  operator: ops@operator.example\n  operator_aliases: [abuse]\n", "policy.operator_aliases: must include postmaster", nil},
		{"alias with plus", "policy:\n  operator: ops@operator.example\n  operator_aliases: [postmaster, to+x]\n", "policy.operator_aliases[1]", nil},
		{"dir delivery and loopback links", "policy:\n  operator: ops@operator.example\n", "",
			[]string{"delivery.mode is dir with the real domain leak-relay.net", "http.public_url http://127.0.0.1:8025 is a loopback address"}},
		{"placeholder links", "delivery:\n  mode: mx\npolicy:\n  operator: ops@operator.example\n", "",
			[]string{"http.public_url https://leak.example is under a reserved domain"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := &daemon{t: t, dir: dir, smtpAddr: testutil.ReservePort(t), httpAddr: testutil.ReservePort(t), log: &testutil.SyncBuffer{}}
			cfg := fmt.Sprintf(base, filepath.Join(dir, "data"), d.smtpAddr, d.httpAddr) + tc.extra
			if tc.name == "placeholder links" {
				cfg = strings.Replace(cfg, "http:\n", "http:\n  public_url: https://leak.example\n", 1)
			} else if len(tc.warn) == 0 {
				cfg = strings.Replace(cfg, "http:\n", "http:\n  public_url: https://mx.leak-relay.net\n", 1)
			}
			path := filepath.Join(dir, "leak.yaml")
			os.WriteFile(path, []byte(cfg), 0o600)
			d.config = path

			code, out, errs := runLeakd(t, "config", "check", "--config", path)
			if tc.refuse != "" {
				if code != 1 || !strings.Contains(errs, tc.refuse) {
					t.Errorf("config check: exit %d, %q; want a refusal naming %q", code, errs, tc.refuse)
				}
				// serve refuses the same, before writing anything.
				serve, err := exec.Command(leakdBin, "serve", "--config", path).CombinedOutput()
				if err == nil || !strings.Contains(string(serve), tc.refuse) {
					t.Errorf("serve: %v, %q; want a refusal naming %q", err, serve, tc.refuse)
				}
				if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
					t.Errorf("serve wrote data_dir before refusing (%v)", err)
				}
				return
			}
			if code != 0 || !strings.Contains(out, "ok") {
				t.Fatalf("config check: exit %d, %q %q", code, out, errs)
			}
			if n := strings.Count(errs, "warning: "); n != len(tc.warn) {
				t.Errorf("config check printed %d warnings, want %d:\n%s", n, len(tc.warn), errs)
			}
			d.start()
			d.stop()
			for _, w := range tc.warn {
				if !strings.Contains(errs, w) {
					t.Errorf("config check does not warn %q:\n%s", w, errs)
				}
				if !strings.Contains(d.log.String(), w) {
					t.Errorf("serve does not warn %q:\n%s", w, d.log.String())
				}
			}
		})
	}

	// A reserved domain needs no operator, and gets no warnings.
	dir := t.TempDir()
	path := filepath.Join(dir, "leak.yaml")
	os.WriteFile(path, []byte("domain: leak.example\ndata_dir: "+dir+"\n"), 0o600)
	if code, _, errs := runLeakd(t, "config", "check", "--config", path); code != 0 || errs != "" {
		t.Errorf("leak.example without an operator: exit %d, %q", code, errs)
	}
}

func TestReservedDomain(t *testing.T) {
	t.Parallel()
	for d, want := range map[string]bool{
		"leak.example": true, "example": true, "a.b.test": true, "localhost": true, "x.invalid": true,
		"example.com": true, "mail.example.org.": true, "router.home.arpa": true, "LEAK.EXAMPLE": true,
		"leak-relay.net": false, "example.com.au": false, "notexample.com": false, "testing.org": false,
	} {
		if got := reservedDomain(d); got != want {
			t.Errorf("reservedDomain(%q) = %v, want %v", d, got, want)
		}
	}
}
