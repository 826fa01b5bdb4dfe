package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"leak/policy/testutil"
)

// TestPostfixDeliveryLog delivers through a real Postfix, over STARTTLS in
// MX mode, that accepts one recipient, defers another (450) and refuses a
// third (550), as its access map says. Each attempt's log line must carry
// what a postmaster needs to trace it: the next hop by name and address,
// the TLS version, the reply (Postfix's queue id for the accepted copy,
// the recipient cut out of the refusals), the DSN status and the failure
// reason, and never a recipient.
func TestPostfixDeliveryLog(t *testing.T) {
	t.Parallel()
	bin := needPostfix(t)
	pf := newPostfix(t, bin, true)
	access := filepath.Join(pf.conf, "access")
	if err := os.WriteFile(access, []byte(
		"busy@example.com 450 4.2.0 Mailbox busy, try again later\n"+
			"gone@example.com 550 5.1.1 No such user here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(pf.conf, "main.cf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// texthash: needs no postmap; smtpd reads it at start.
	if _, err := f.WriteString("smtpd_recipient_restrictions = check_recipient_access texthash:" + access + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	startPostfix(t, pf)
	resolver := startMXDNS(t)

	d := newDaemon(t, sections{Delivery: "  mode: mx\n  resolver: " + resolver + "\n  mx_port: " + pf.port + "\n  allow_private_mx: true\n"})
	d.start()
	for _, rcpt := range []string{"bob", "busy", "gone"} {
		if _, r := send(t, d.smtpAddr, "to+"+rcpt+"=example.com@leak.example", "MARK-log-"+rcpt); !strings.HasPrefix(r, "250") {
			t.Fatalf("%s: %q", rcpt, r)
		}
	}
	pf.waitMessage("MARK-log-bob", d)
	testutil.WaitFor(t, "the three attempts logged", func() bool {
		l := d.log.String()
		return strings.Contains(l, "outcome=delivered") && strings.Contains(l, "outcome=deferred") && strings.Contains(l, "outcome=bounced")
	})
	// The failure-reason metric counts each case: one 4xx (busy), one 5xx
	// (gone); the delivered copy counts nowhere.
	resp, err := http.Get("http://" + d.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scraped, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`leak_delivery_failures_total{reason="4xx"} 1`, `leak_delivery_failures_total{reason="5xx"} 1`, `leak_delivery_failures_total{reason="connect"} 0`} {
		if !strings.Contains(string(scraped), want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	d.stop()
	log := d.log.String()
	line := func(outcome string) string {
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, "outcome="+outcome) {
				return l
			}
		}
		return ""
	}

	t.Logf("the status lines:\n%s\n%s\n%s", line("delivered"), line("deferred"), line("bounced"))

	relay := "relay=mx.example.com[127.0.0.1]:" + pf.port
	tls := regexp.MustCompile(`tls=TLSv1\.[23] `)
	for _, tc := range []struct {
		outcome string
		want    []string
		reason  string
	}{
		{"delivered", []string{relay, "dsn=2.0.0", `reply="250 2.0.0 Ok: queued as `}, ""},
		{"deferred", []string{relay, "dsn=4.2.0", `reply="450 4.2.0 <[redacted]>: Recipient address rejected: Mailbox busy, try again later"`, "about=recipient", "retry_in="}, "4xx"},
		{"bounced", []string{relay, "dsn=5.1.1", `reply="550 5.1.1 <[redacted]>: Recipient address rejected: No such user here"`, "about=recipient"}, "5xx"},
	} {
		l := line(tc.outcome)
		if l == "" {
			t.Errorf("no %s line in the log:\n%s", tc.outcome, log)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(l, w) {
				t.Errorf("%s line lacks %q:\n%s", tc.outcome, w, l)
			}
		}
		if !tls.MatchString(l) {
			t.Errorf("%s line lacks the TLS version:\n%s", tc.outcome, l)
		}
		if got := regexp.MustCompile(`reason=(\S+)`).FindStringSubmatch(l); (tc.reason == "") != (got == nil) || (got != nil && got[1] != tc.reason) {
			t.Errorf("%s line: reason %v, want %q:\n%s", tc.outcome, got, tc.reason, l)
		}
	}
	// Postfix's queue id in the reply is the one in its own log: the
	// receiving postmaster and the operator speak of the same message.
	if m := regexp.MustCompile(`queued as ([0-9A-Za-z]+)`).FindStringSubmatch(line("delivered")); m == nil || !strings.Contains(pf.maillog(), m[1]) {
		t.Errorf("Postfix's queue id %v is not in its log:\n%s", m, pf.maillog())
	}
	for _, rcpt := range []string{"bob@example.com", "busy@example.com", "gone@example.com"} {
		if strings.Contains(log, rcpt) {
			t.Errorf("the log names the recipient %s", rcpt)
		}
	}
}
