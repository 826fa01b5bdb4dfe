package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/web"
)

// webDaemon is a leakd with its public web listener on, http.public_url
// pointing at it so that unsubscribe links work. web adds lines to the web
// section; policy replaces the policy section.
func webDaemon(t *testing.T, webLines, pol string) (*daemon, string) {
	t.Helper()
	webAddr := freePort(t)
	d := newDaemon(t, sections{
		Top: "web:\n  listen: " + webAddr + "\n  operator_name: Example Operator\n" +
			"  operator_contact: abuse@operator.example\n" + webLines,
		HTTP:   "  public_url: http://" + webAddr + "\n",
		Policy: pol,
	})
	return d, webAddr
}

// apiResult is one answer of POST /api/v1/messages.
type apiResult struct {
	status int
	code   string // the error code, "" on success
	msg    string
	header http.Header
}

func challenge(t *testing.T, webAddr string) web.Challenge {
	t.Helper()
	resp, err := http.Get("http://" + webAddr + "/api/v1/challenge")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c web.Challenge
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/challenge: %s, %v", resp.Status, err)
	}
	return c
}

func solve(t *testing.T, c web.Challenge) web.Solution {
	t.Helper()
	sol, ok := web.Solve(c)
	if !ok {
		t.Fatal("the server's challenge has no solution")
	}
	return sol
}

// postAPI posts body as JSON to the API.
func postAPI(t *testing.T, webAddr string, body []byte) apiResult {
	t.Helper()
	resp, err := http.Post("http://"+webAddr+"/api/v1/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out struct {
		Status, Message string
		Error           struct{ Code, Message string }
	}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("the API answered %s with no JSON: %s", resp.Status, data)
	}
	r := apiResult{status: resp.StatusCode, code: out.Error.Code, msg: out.Error.Message, header: resp.Header}
	if r.status < 300 {
		r.msg = out.Message
	} else if r.code == "" || r.msg == "" {
		t.Errorf("error %s without a code or message: %s", resp.Status, data)
	}
	return r
}

func apiBody(to, rel, text string, pow any) []byte {
	b, _ := json.Marshal(map[string]any{"to": to, "relationship": rel, "subject": "KEEP-WEB-SUBJECT", "text": text, "pow": pow})
	return b
}

// dkimpyVerify checks every DKIM signature of files with dkimpy and the
// daemon's published keys; without python3-dkim it says so and returns.
func dkimpyVerify(t *testing.T, d *daemon, files ...string) {
	t.Helper()
	t.Run("dkimpy", func(t *testing.T) {
		py := debianPython(t)
		records := filepath.Join(d.dir, "records.txt")
		out, err := exec.Command(leakdBin, "dkim", "dns", "--config", d.config).Output()
		if err != nil {
			t.Fatalf("leakd dkim dns: %v", err)
		}
		os.WriteFile(records, out, 0o600)
		if vout, err := exec.Command(py, append([]string{"testdata/dkimverify.py", records}, files...)...).CombinedOutput(); err != nil {
			t.Errorf("dkimpy rejected a signature: %v\n%s", err, vout)
		}
	})
}

// readCopy parses a delivered copy and returns its header and decoded
// text body.
func readCopy(t *testing.T, path string) (mail.Header, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	body, _ := io.ReadAll(r)
	return m.Header, string(body)
}

// TestWebAPI drives the JSON API of a real leakd over real HTTP: a good
// request is delivered and verifies with dkimpy; every refusal has its
// status and a clear message, and sends nothing.
func TestWebAPI(t *testing.T) {
	d, webAddr := webDaemon(t, "  pow_ttl: 5s\n", limitsExcept("  rate_recipient: {rate: 2, burst: 2, period: 24h}\n"))
	d.start()
	delivered := 0

	sol := solve(t, challenge(t, webAddr))
	r := postAPI(t, webAddr, apiBody("bob@example.com", "friend", "KEEP-WEB-TEXT first", sol))
	if r.status != 202 {
		t.Fatalf("good request: %d %s %s\n%s", r.status, r.code, r.msg, d.log.String())
	}
	delivered++
	// The same proof again, as ALTCHA's base64 string, at once: it is
	// used, and not yet expired however slow the machine.
	if r := postAPI(t, webAddr, apiBody("carl@example.org", "to", "replay", sol.Encode())); r.status != 409 || r.code != "proof_used" {
		t.Errorf("replayed proof: %d %s", r.status, r.code)
	}
	files := d.waitDelivered(delivered)
	hdr, body := readCopy(t, files[0])
	if !strings.Contains(hdr.Get("From"), "A friend, anonymously") || hdr.Get("Delivered-To") != "bob@example.com" ||
		hdr.Get("Subject") != "KEEP-WEB-SUBJECT" || !strings.Contains(body, "KEEP-WEB-TEXT first") {
		t.Errorf("delivered copy: From %q, Delivered-To %q, Subject %q, body %q", hdr.Get("From"), hdr.Get("Delivered-To"), hdr.Get("Subject"), body)
	}
	dkimpyVerify(t, d, files[0])

	// The recipient opts out with the one-click link of the copy, served
	// by the web listener; then the API says so in the policy's words.
	link := d.unsubscribeURL(delivered)
	if !strings.HasPrefix(link, "http://"+webAddr+"/u/") {
		t.Fatalf("unsubscribe link %q is not on the web listener", link)
	}
	resp, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe on the web listener: %s", resp.Status)
	}

	expired := solve(t, challenge(t, webAddr))
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		code   string
		says   string
	}{
		{"opted-out recipient", apiBody("Bob@example.com", "to", "x", solve(t, challenge(t, webAddr))), 403, "refused", "does not accept Leak messages"},
		{"bad address", apiBody("bob@[192.0.2.1]", "to", "x", solve(t, challenge(t, webAddr))), 422, "invalid_address", "address"},
		{"no proof", apiBody("carl@example.org", "to", "x", nil), 400, "proof_required", "/api/v1/challenge"},
		{"forged proof", apiBody("carl@example.org", "to", "x", web.Solution{Algorithm: "SHA-256", Challenge: strings.Repeat("0", 64), Salt: "00?expires=4102444800", Signature: strings.Repeat("0", 64)}), 403, "proof_invalid", "proof of work"},
		{"malformed JSON", []byte(`{"to": "carl@example.org", "text": `), 400, "malformed_json", "JSON"},
		{"oversize", apiBody("carl@example.org", "to", strings.Repeat("KEEP-WEB-TEXT ", 6000), nil), 413, "too_large", "too long"},
	} {
		if r := postAPI(t, webAddr, tc.body); r.status != tc.status || r.code != tc.code || !strings.Contains(r.msg, tc.says) {
			t.Errorf("%s: %d %s %q, want %d %s saying %q", tc.name, r.status, r.code, r.msg, tc.status, tc.code, tc.says)
		}
	}

	// Over the per-recipient limit (2 a day): the third waits, with a
	// retry hint in words and in Retry-After.
	for i := range 2 {
		if r := postAPI(t, webAddr, apiBody("dave@example.net", "coworker", fmt.Sprint("KEEP-WEB-TEXT dave ", i), solve(t, challenge(t, webAddr)))); r.status != 202 {
			t.Fatalf("message %d to dave: %d %s", i+1, r.status, r.code)
		}
		delivered++
	}
	r = postAPI(t, webAddr, apiBody("dave@example.net", "to", "third", solve(t, challenge(t, webAddr))))
	if r.status != 429 || r.code != "rate_limited" || !strings.Contains(r.msg, "try again in") || r.header.Get("Retry-After") == "" {
		t.Errorf("over the per-recipient limit: %d %s %q Retry-After %q", r.status, r.code, r.msg, r.header.Get("Retry-After"))
	}

	// A proof used after its challenge expired (pow_ttl 5s).
	var secs int64
	fmt.Sscanf(expired.Salt[strings.Index(expired.Salt, "=")+1:], "%d", &secs)
	for time.Now().Unix() <= secs {
		time.Sleep(100 * time.Millisecond) // the expiry passing is what is tested
	}
	if r := postAPI(t, webAddr, apiBody("carl@example.org", "to", "late", expired)); r.status != 403 || r.code != "proof_expired" {
		t.Errorf("expired proof: %d %s", r.status, r.code)
	}

	// Nothing half-sent: exactly the accepted messages were delivered,
	// and nothing is left in the spool.
	d.waitDelivered(delivered)
	waitUntil(t, "an empty queue", func() bool { return queued(d.queue("list")) <= 0 })
	d.stop()
	for _, secret := range []string{"KEEP-WEB-TEXT", "KEEP-WEB-SUBJECT", "bob@example.com", "dave@example.net", "carl@example.org"} {
		if strings.Contains(d.log.String(), secret) {
			t.Errorf("the daemon's log holds %q", secret)
		}
	}
}

// TestWebListeners: the public listener serves nothing of the private
// one, and the private one no public page.
func TestWebListeners(t *testing.T) {
	d, webAddr := webDaemon(t, "", "")
	d.start()
	get := func(addr, method, path string) int {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		addr, method, path string
		want               int
	}{
		{webAddr, "GET", "/", 200},
		{webAddr, "GET", "/api/v1/challenge", 200},
		{webAddr, "GET", "/static/pow.js", 200},
		{webAddr, "GET", "/metrics", 404},
		{webAddr, "GET", "/healthz", 404},
		{webAddr, "GET", "/readyz", 404},
		{d.httpAddr, "GET", "/metrics", 200},
		{d.httpAddr, "GET", "/readyz", 200},
		{d.httpAddr, "GET", "/", 404},
		{d.httpAddr, "POST", "/send", 404},
		{d.httpAddr, "POST", "/api/v1/messages", 404},
		{d.httpAddr, "GET", "/api/v1/challenge", 404},
		{d.httpAddr, "GET", "/static/pow.js", 404},
		{d.httpAddr, "GET", "/u/resubscribe", 404},
	} {
		if got := get(tc.addr, tc.method, tc.path); got != tc.want {
			where := "web"
			if tc.addr == d.httpAddr {
				where = "private"
			}
			t.Errorf("%s %s on the %s listener: %d, want %d", tc.method, tc.path, where, got, tc.want)
		}
	}
}

func TestWebConfig(t *testing.T) {
	for _, tc := range []struct{ web, want string }{
		{"  listen: 127.0.0.1:8026\n", "web.operator_name and web.operator_contact"},
		{"  listen: nowhere\n  operator_name: a\n  operator_contact: b\n", "web.listen: not a host:port"},
		{"  listen: 127.0.0.1:2525\n  operator_name: a\n  operator_contact: b\n", "web.listen and smtp.listen"},
		{"  pow_difficulty: 0\n", "web.pow_difficulty"},
		{"  pow_ttl: 0s\n", "web.pow_ttl"},
		{"  trusted_proxies: [10.0.0.0/33]\n", "web.trusted_proxies[0]"},
		{"  rate_net: {rate: -1}\n", "web.rate_net"},
		{"  colour: blue\n", `unknown key "web.colour"`},
	} {
		path := filepath.Join(t.TempDir(), "leak.yaml")
		os.WriteFile(path, []byte("data_dir: "+t.TempDir()+"\nweb:\n"+tc.web), 0o600)
		if _, err := loadConfig(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("web:\n%s: %v, want an error naming %q", tc.web, err, tc.want)
		}
	}
}

// artifacts is where the browser tests keep their screenshots:
// $LEAK_ARTIFACTS/<test> when set (CI keeps it), else the test's temporary
// directory.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if a := os.Getenv("LEAK_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// screenshot saves the browser's viewport as name.png under dir.
func (wd *webDriver) screenshot(dir, name string) {
	wd.t.Helper()
	var out struct {
		Value string `json:"value"`
	}
	wd.do("GET", wd.base+"/screenshot", nil, &out)
	png, err := base64.StdEncoding.DecodeString(out.Value)
	if err != nil || len(png) < 100 {
		wd.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		wd.t.Fatal(err)
	}
	wd.t.Logf("screenshot: %s", path)
}

// typeInto types text into the element matching css.
func (wd *webDriver) typeInto(css, text string) {
	wd.t.Helper()
	wd.call("POST", "/element/"+wd.find(css)+"/value", map[string]any{"text": text})
}

func (wd *webDriver) click(css string) {
	wd.t.Helper()
	wd.call("POST", "/element/"+wd.find(css)+"/click", map[string]any{})
}

// waitFor polls the page until its source contains want.
func (wd *webDriver) waitFor(want string, within time.Duration) string {
	wd.t.Helper()
	var src string
	if !testutil.Poll(within, func() bool { src = wd.source(); return strings.Contains(src, want) }) {
		wd.t.Fatalf("the page never showed %q:\n%s", want, src)
	}
	return src
}

// TestWebChromium sends a message through the real form in headless
// Chromium at the default proof-of-work difficulty: the browser solves
// the challenge with WebCrypto under the page's strict CSP, the copy is
// delivered clean and dual-signed (dkimpy verifies), the recipient opts
// out from the copy's link, and the form then says plainly that this
// recipient takes no Leak messages. Screenshots of each page are kept.
func TestWebChromium(t *testing.T) {
	driver := needTool(t, "chromedriver")
	browser := needTool(t, "chromium")
	d, webAddr := webDaemon(t, "", "")
	d.start()
	shots := artifacts(t)
	wd := startWebDriver(t, driver, browser)
	// A phone's viewport.
	wd.call("POST", "/window/rect", map[string]any{"width": 412, "height": 1100})

	wd.call("POST", "/url", map[string]any{"url": "http://" + webAddr + "/"})
	wd.waitFor(`id="send-button"`, 10*time.Second)
	wd.screenshot(shots, "form")
	wd.typeInto("#to", "bob@example.com")
	wd.click("#rel-friend")
	wd.typeInto("#subject", "KEEP-CHROMIUM-SUBJECT")
	wd.typeInto("#text", "Hello Bob,\nKEEP-CHROMIUM-BODY\n\nSent from my iPhone")
	wd.click("#send-button")
	wd.waitFor("<h1>Sent</h1>", 90*time.Second)
	wd.screenshot(shots, "sent")

	files := d.waitDelivered(1)
	hdr, body := readCopy(t, files[0])
	if !strings.Contains(hdr.Get("From"), "A friend, anonymously") || hdr.Get("Subject") != "KEEP-CHROMIUM-SUBJECT" ||
		!strings.Contains(body, "KEEP-CHROMIUM-BODY") || strings.Contains(body, "iPhone") {
		t.Errorf("delivered copy: From %q Subject %q body %q", hdr.Get("From"), hdr.Get("Subject"), body)
	}
	raw, _ := os.ReadFile(files[0])
	// The footer is quoted-printable: decode it, so that a link split by a
	// soft line break is seen whole. The unsubscribe and report links name
	// the web listener, on loopback here.
	head, qp, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	text, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(qp)))
	if err != nil {
		t.Fatalf("copy body: %v", err)
	}
	raw = bytes.ReplaceAll(append(head, text...), []byte("http://"+webAddr+"/"), nil)
	for _, secret := range []string{"Chrome", "HeadlessChrome", "Mozilla", "127.0.0.1"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the delivered copy holds %q", secret)
		}
	}
	dkimpyVerify(t, d, files[0])

	// The recipient opens the copy's unsubscribe link and stops Leak.
	wd.call("POST", "/url", map[string]any{"url": d.unsubscribeURL(1)})
	wd.waitFor("<button", 10*time.Second)
	wd.screenshot(shots, "unsubscribe")
	wd.click("button")
	wd.waitFor("stopped", 10*time.Second)

	// Writing to them again: the form says so, keeps what was written,
	// and sends nothing.
	wd.call("POST", "/url", map[string]any{"url": "http://" + webAddr + "/"})
	wd.typeInto("#to", "bob@example.com")
	wd.typeInto("#text", "KEEP-CHROMIUM-SECOND")
	wd.click("#send-button")
	src := wd.waitFor(`role="alert"`, 90*time.Second)
	if !strings.Contains(src, "This recipient does not accept Leak messages.") || !strings.Contains(src, "KEEP-CHROMIUM-SECOND") {
		t.Errorf("error page:\n%s", src)
	}
	wd.screenshot(shots, "error")
	if n := len(outbox(d)); n != 1 {
		t.Errorf("%d copies delivered, want 1", n)
	}
	d.stop()
	for _, secret := range []string{"KEEP-CHROMIUM", "bob@example.com", "HeadlessChrome"} {
		if strings.Contains(d.log.String(), secret) {
			t.Errorf("the daemon's log holds %q", secret)
		}
	}
}

// TestWebChromiumNoScript: with JavaScript off, the form still reads, its
// button is off, and the page says plainly that sending needs JavaScript
// and that email works too.
func TestWebChromiumNoScript(t *testing.T) {
	driver := needTool(t, "chromedriver")
	browser := needTool(t, "chromium")
	d, webAddr := webDaemon(t, "", "")
	d.start()
	wd := startWebDriver(t, driver, browser, "--blink-settings=scriptEnabled=false")
	wd.call("POST", "/window/rect", map[string]any{"width": 412, "height": 1400})
	wd.call("POST", "/url", map[string]any{"url": "http://" + webAddr + "/"})
	var out struct {
		Value bool `json:"value"`
	}
	wd.do("GET", wd.base+"/element/"+wd.find("#send-button")+"/enabled", nil, &out)
	if out.Value {
		t.Error("the Send button is enabled without JavaScript")
	}
	var text struct {
		Value string `json:"value"`
	}
	wd.do("GET", wd.base+"/element/"+wd.find("main")+"/text", nil, &text)
	if !strings.Contains(text.Value, "needs JavaScript") || !strings.Contains(text.Value, "friend+name=example.com@leak.example") {
		t.Errorf("without JavaScript the page reads:\n%s", text.Value)
	}
	wd.screenshot(artifacts(t), "nojs")
}
