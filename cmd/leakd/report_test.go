package main

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"leak/policy/testutil"
)

var reportRE = regexp.MustCompile(`http://[^\s"<>]+/r/[A-Za-z0-9_-]+`)

// TestChromiumReport: the report link in a delivered copy's footer, opened
// and sent in Chromium, reaches the operator as a notice and is counted in
// leak_web_reports_total; the link names the copy, never the sender.
func TestChromiumReport(t *testing.T) {
	driver := needTool(t, "chromedriver")
	browser := needTool(t, "chromium")
	d, _ := webDaemon(t, "", relaxedPolicy+"  operator: ops@operator.example\n")
	d.start()
	if _, r := send(t, d.smtpAddr, "friend+bob=example.com@leak.example", "a message to report"); !strings.HasPrefix(r, "250") {
		t.Fatalf("DATA: %q", r)
	}
	raw := readFile(t, newest(d.waitDelivered(1)))
	_, qp, _ := strings.Cut(raw, "\r\n\r\n")
	body, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(qp)))
	if err != nil {
		t.Fatalf("copy body: %v", err)
	}
	link := reportRE.FindString(string(body))
	if link == "" {
		t.Fatalf("no report link in the copy's footer:\n%s", raw)
	}

	wd := startWebDriver(t, driver, browser)
	shots := artifacts(t)
	wd.call("POST", "/url", map[string]any{"url": link})
	wd.screenshot(shots, "report")
	wd.typeInto("#note", "This message threatens me.")
	wd.call("POST", "/element/"+wd.find("form button")+"/click", map[string]any{})
	wd.waitFor("Thank you", testutil.WaitTimeout)
	wd.screenshot(shots, "reported")

	notice := readFile(t, newest(d.waitDelivered(2)))
	if !strings.Contains(notice, "ops@operator.example") || !strings.Contains(notice, "This message threatens me.") {
		t.Errorf("the operator's notice:\n%s", notice)
	}
	// The clean copy, kept in data_dir/kept, rides along, signatures and
	// all; the link in it names no sender.
	if !strings.Contains(notice, "The clean copy is attached.") || !strings.Contains(notice, `filename="reported-message.eml"`) ||
		!strings.Contains(notice, "Subject: policy test") || !strings.Contains(notice, "DKIM-Signature:") {
		t.Errorf("the notice does not carry the clean copy:\n%s", notice)
	}
	if strings.Contains(notice, "sender@example.net") || strings.Contains(link, "sender") {
		t.Error("the notice or the link names the sender")
	}
	resp, err := http.Get("http://" + d.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), "\nleak_web_reports_total 1\n") {
		t.Error("leak_web_reports_total is not 1 after one report")
	}
	d.stop()
}

// TestReportThreshold: with policy.report_threshold 2, two copies from one
// sender reported from their footers block that sender (550 5.7.1 at
// MAIL), and no one else; the operator's notices say so.
func TestReportThreshold(t *testing.T) {
	d, _ := webDaemon(t, "", relaxedPolicy+"  operator: ops@operator.example\n  report_threshold: 2\n")
	d.start()
	defer d.stop()
	mail := func(from, text string) string {
		c := dialSMTP(t, d.smtpAddr)
		defer c.c.Close()
		c.cmd("EHLO client.example")
		if r := c.cmd("MAIL FROM:<" + from + ">"); !strings.HasPrefix(r, "250") {
			return r
		}
		if r := c.cmd("RCPT TO:<friend+bob=example.com@leak.example>"); !strings.HasPrefix(r, "250") {
			t.Fatalf("RCPT: %s", r)
		}
		c.cmd("DATA")
		c.raw([]byte("Subject: to report\r\n\r\n" + text + "\r\n.\r\n"))
		return c.read()
	}
	var links []string
	for i, text := range []string{"first threat", "second threat"} {
		if r := mail("harasser@example.net", text); !strings.HasPrefix(r, "250") {
			t.Fatalf("message %d: %s", i, r)
		}
		raw := readFile(t, newest(d.waitDelivered(2*i+1)))
		_, qp, _ := strings.Cut(raw, "\r\n\r\n")
		body, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(qp)))
		link := reportRE.FindString(string(body))
		if link == "" {
			t.Fatalf("no report link in copy %d", i)
		}
		links = append(links, link)
		resp, err := http.PostForm(link, url.Values{"note": {""}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("report %d: %d", i, resp.StatusCode)
		}
		notice := readFile(t, newest(d.waitDelivered(2*i+2)))
		if want := []string{"1 reported message(s)", "2 reported messages in the report window; the source is now blocked"}[i]; !strings.Contains(notice, want) {
			t.Errorf("notice %d does not say %q:\n%s", i, want, notice)
		}
	}
	if links[0] == links[1] {
		t.Fatal("two copies share a report link")
	}
	if r := mail("Harasser@example.net", "third"); !strings.HasPrefix(r, "550 5.7.1") || !strings.Contains(r, "reported") {
		t.Errorf("blocked sender's MAIL: %q", r)
	}
	if r := mail("someone.else@example.net", "hello"); !strings.HasPrefix(r, "250") {
		t.Errorf("another sender: %q", r)
	}
	if log := d.log.String(); strings.Contains(log, "harasser") || strings.Contains(log, "Harasser") {
		t.Error("the log names the reported sender")
	}
}
