package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"leak/policy/testutil"
)

// webDriver is a minimal W3C WebDriver client for chromedriver: enough to
// open a page, find an element, click it and read the page source.
type webDriver struct {
	t    *testing.T
	base string // http://127.0.0.1:port/session/<id>
}

func dialQuietTCP(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, time.Second) }

// startChromedriver starts chromedriver on a reserved port and returns its
// address once it listens. A loaded machine can be slow to start it, and
// the reserved port can be taken by another process before chromedriver
// binds it (it then exits): so it waits up to 30 s, and tries a new port
// when chromedriver exits, three times.
func startChromedriver(t *testing.T, driver string) string {
	t.Helper()
	for try := 0; ; try++ {
		addr := testutil.ReservePort(t)
		_, port, _ := net.SplitHostPort(addr)
		cmd := exec.Command(driver, "--port="+port, "--allowed-ips=127.0.0.1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-exited })
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if c, err := dialQuietTCP(addr); err == nil {
				c.Close()
				return addr
			}
			select {
			case <-exited:
				deadline = time.Time{}
			case <-time.After(50 * time.Millisecond):
			}
		}
		if try == 2 {
			t.Fatalf("chromedriver did not start listening (last on %s)", addr)
		}
	}
}

// startWebDriver starts chromedriver and a headless Chromium session;
// extra are more Chromium flags.
func startWebDriver(t *testing.T, driver, browser string, extra ...string) *webDriver {
	t.Helper()
	addr := startChromedriver(t, driver)

	// The flags keep Chromium off the network (this machine has none) and
	// out of any profile.
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": browser,
			"args": append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-quic", "--no-first-run", "--disable-background-networking",
				"--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir()}, extra...),
		},
	}}}
	var out struct {
		Value struct {
			SessionID string `json:"sessionId"`
		} `json:"value"`
	}
	wd := &webDriver{t: t, base: "http://" + addr + "/session"}
	wd.do("POST", wd.base, caps, &out)
	if out.Value.SessionID == "" {
		t.Fatal("chromedriver started no session")
	}
	wd.base += "/" + out.Value.SessionID
	t.Cleanup(func() { wd.do("DELETE", wd.base, nil, nil) })
	return wd
}

func (wd *webDriver) do(method, url string, body any, out any) {
	wd.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		wd.t.Fatalf("webdriver %s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		wd.t.Fatalf("webdriver %s %s: %s\n%s", method, url, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			wd.t.Fatalf("webdriver reply: %v", err)
		}
	}
}

func (wd *webDriver) call(method, path string, body any) {
	wd.t.Helper()
	wd.do(method, wd.base+path, body, nil)
}

// find returns the id of the first element matching a CSS selector.
func (wd *webDriver) find(css string) string {
	wd.t.Helper()
	var out struct {
		Value map[string]string `json:"value"`
	}
	wd.do("POST", wd.base+"/element", map[string]any{"using": "css selector", "value": css}, &out)
	for _, id := range out.Value {
		return id
	}
	wd.t.Fatalf("no element %q", css)
	return ""
}

func (wd *webDriver) source() string {
	wd.t.Helper()
	var out struct {
		Value string `json:"value"`
	}
	wd.do("GET", wd.base+"/source", nil, &out)
	return out.Value
}
