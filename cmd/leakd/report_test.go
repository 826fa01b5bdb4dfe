package main

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
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
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(wd.source(), "Thank you") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	wd.screenshot(shots, "reported")
	if !strings.Contains(wd.source(), "Thank you") {
		t.Fatalf("report page after sending:\n%s", wd.source())
	}

	notice := readFile(t, newest(d.waitDelivered(2)))
	if !strings.Contains(notice, "ops@operator.example") || !strings.Contains(notice, "This message threatens me.") {
		t.Errorf("the operator's notice:\n%s", notice)
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
