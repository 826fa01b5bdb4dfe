package main

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"leak/policy/testutil"
)

// TestScanRspamd: with scan.url set, a real Rspamd on loopback rates each
// clean copy before the 250. A plain message is delivered; one carrying
// GTUBE is refused with 550 5.7.1 over SMTP and on the web API, and
// nothing of it is delivered; Rspamd never learns the sender's address or
// IP; the outcomes are counted.
func TestScanRspamd(t *testing.T) {
	r := testutil.StartRspamd(t)
	d, webAddr := webDaemon(t, "  pow_difficulty: 1000\n", relaxedPolicy+"  operator: ops@operator.example\n")
	appendConfig(t, d, "scan:\n  url: "+r.URL+"\n  reject_score: 15\n")
	d.start()
	defer d.stop()

	if _, rep := send(t, d.smtpAddr, "friend+bob=example.com@leak.example", "KEEP-CLEAN the meeting moved to Thursday."); !strings.HasPrefix(rep, "250") {
		t.Fatalf("clean message: %q", rep)
	}
	d.waitDelivered(1)
	if _, rep := send(t, d.smtpAddr, "friend+bob=example.com@leak.example", "Buy now! "+testutil.GTUBE); !strings.HasPrefix(rep, "550 5.7.1") || !strings.Contains(rep, "content scanner") {
		t.Errorf("spam over SMTP: %q", rep)
	}
	res := postAPI(t, webAddr, apiBody("bob@example.com", "friend", "Buy now! "+testutil.GTUBE, solve(t, challenge(t, webAddr))))
	if res.status != http.StatusForbidden && res.status != http.StatusUnprocessableEntity {
		t.Errorf("spam on the web API: %d %s %q", res.status, res.code, res.msg)
	}
	if got := len(d.waitDelivered(1)); got != 1 {
		t.Errorf("%d copies delivered, want the clean one only", got)
	}

	log, err := os.ReadFile(r.Log)
	if err != nil {
		t.Fatal(err)
	}
	// Rspamd logs the address of the connection it accepted (Leak's own,
	// which is the test client's too, all on loopback), and would log the
	// client's as "ip:" and an envelope sender as "from:" had Leak sent
	// them.
	for _, secret := range []string{"sender@example.net", "client.example", "ip: ", "from: <", "user: "} {
		if strings.Contains(string(log), secret) {
			t.Errorf("rspamd's log holds %q", secret)
		}
	}
	resp, err := http.Get("http://" + d.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`leak_scan_results_total{result="accept"} 1`, `leak_scan_results_total{result="reject"} 2`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestScanDown: Rspamd not answering defers (451 4.3.0) by default, and
// accepts with scan.on_error: accept; both are counted as errors.
func TestScanDown(t *testing.T) {
	for _, c := range []struct{ onError, want string }{{"defer", "451 4.3.0"}, {"accept", "250"}} {
		t.Run(c.onError, func(t *testing.T) {
			d := newDaemon(t, sections{Top: "scan:\n  url: http://" + testutil.ReservePort(t) + "\n  timeout: 2s\n  on_error: " + c.onError + "\n"})
			d.start()
			defer d.stop()
			if _, rep := send(t, d.smtpAddr, "friend+bob=example.com@leak.example", "hello"); !strings.HasPrefix(rep, c.want) {
				t.Errorf("reply %q, want %s", rep, c.want)
			}
		})
	}
}

// appendConfig adds top-level YAML lines to d's config.
func appendConfig(t *testing.T, d *daemon, lines string) {
	t.Helper()
	f, err := os.OpenFile(d.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(lines); err != nil {
		t.Fatal(err)
	}
}
