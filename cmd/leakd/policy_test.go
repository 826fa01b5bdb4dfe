package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"leak/policy/testutil"
)

// limitsExcept relaxes every rate limit but the ones given.
func limitsExcept(extra string) string {
	return "  rate_ip: {rate: 100000, burst: 100000, period: 1m}\n" +
		"  rate_net: {rate: 100000, burst: 100000, period: 1m}\n" +
		"  rate_sender: {rate: 100000, burst: 100000, period: 1m}\n" +
		"  rate_sender_domain: {rate: 100000, burst: 100000, period: 1m}\n" + extra
}

// send runs one whole transaction and returns the replies to RCPT and to
// the final dot ("" when RCPT was refused).
func send(t *testing.T, addr, rcpt, body string) (rcptReply, dataReply string) {
	t.Helper()
	c := dialSMTP(t, addr)
	c.cmd("EHLO client.example")
	if r := c.cmd("MAIL FROM:<sender@example.net>"); !strings.HasPrefix(r, "250") {
		t.Fatalf("MAIL: %s", r)
	}
	rcptReply = c.cmd("RCPT TO:<" + rcpt + ">")
	if !strings.HasPrefix(rcptReply, "250") {
		return rcptReply, ""
	}
	c.cmd("DATA")
	c.raw([]byte("Subject: policy test\r\n\r\n" + body + "\r\n.\r\n"))
	dataReply = c.read()
	c.cmd("QUIT")
	return rcptReply, dataReply
}

var unsubscribeRE = regexp.MustCompile(`(?m)^List-Unsubscribe: <([^>]+)>`)

// unsubscribeURL returns the one-click link of the newest delivered copy.
func (d *daemon) unsubscribeURL(n int) string {
	d.t.Helper()
	b, err := os.ReadFile(newest(d.waitDelivered(n)))
	if err != nil {
		d.t.Fatal(err)
	}
	m := unsubscribeRE.FindSubmatch(b)
	if m == nil {
		d.t.Fatalf("no List-Unsubscribe in the delivered copy:\n%s", b)
	}
	return string(m[1])
}

func TestRecipientRateLimit(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{Policy: limitsExcept("  rate_recipient: {rate: 2, burst: 2, period: 24h}\n")})
	d.start()
	for i := 0; i < 2; i++ {
		if _, r := send(t, d.smtpAddr, "to+bob=example.com@leak.example", "hello"); !strings.HasPrefix(r, "250") {
			t.Fatalf("message %d: %q", i+1, r)
		}
	}
	r, _ := send(t, d.smtpAddr, "friend+bob=example.com@leak.example", "third")
	if !strings.HasPrefix(r, "450 4.7.1") || !strings.Contains(r, "try again in") {
		t.Errorf("third message to one recipient: RCPT got %q, want 450 4.7.1 with a retry hint", r)
	}
	// Someone else is not affected.
	if r, _ := send(t, d.smtpAddr, "to+carl=example.org@leak.example", "x"); !strings.HasPrefix(r, "250") {
		t.Errorf("another recipient: %q", r)
	}
}

// One-click unsubscribe as a mail provider performs it (RFC 8058 POST),
// then the recipient is refused with a neutral text.
func TestOneClickOptOut(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{})
	d.http(t)
	d.start()
	send(t, d.smtpAddr, "to+bob=example.com@leak.example", "first")
	link := d.unsubscribeURL(1)
	if !strings.HasPrefix(link, "http://"+d.httpAddr+"/u/") {
		t.Fatalf("link %q is not under http.public_url", link)
	}
	resp, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("one-click POST: %s", resp.Status)
	}
	r, _ := send(t, d.smtpAddr, "friend+bob=example.com@leak.example", "after opt-out")
	if !strings.HasPrefix(r, "550 5.7.1") || !strings.Contains(r, "does not accept Leak messages") {
		t.Errorf("opted-out recipient: RCPT got %q", r)
	}
	if r, _ := send(t, d.smtpAddr, "to+carl=example.org@leak.example", "x"); !strings.HasPrefix(r, "250") {
		t.Errorf("another recipient refused: %q", r)
	}
	// A forged token does nothing.
	forged := link[:len(link)-4] + "AAAA"
	if resp, err := http.Post(forged, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click")); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("forged token: %s, want 404", resp.Status)
		}
	}
}

// http points public_url at the daemon's own listener, so links work.
func (d *daemon) http(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "  public_url: https://leak.example\n", "  public_url: http://"+d.httpAddr+"\n", 1)
	if err := os.WriteFile(d.config, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRelayRefused(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{})
	d.start()
	c := dialSMTP(t, d.smtpAddr)
	c.cmd("EHLO client.example")
	c.cmd("MAIL FROM:<sender@example.net>")
	for _, tc := range []struct{ rcpt, want string }{
		{"<bob@example.com>", "550 5.7.1"},               // foreign domain
		{"<@leak.example:bob@example.com>", "550 5.7.1"}, // source route to a foreign domain
		{"<bob%example.com@leak.example>", "550 5.1.1"},  // % hack
		{"<to+bob%evil.example=example.com@leak.example>", "550 5.1.1"},
		{"<to+bob!evil.example=example.com@leak.example>", "550 5.1.1"}, // ! path
		{`<"to+bob@evil.example"@leak.example>`, "550 5.1.1"},           // quoted local part hiding an @
		{`<"to+b ob=example.com"@leak.example>`, "550 5.1.1"},           // quoted local part with a space
		{"<to+bob=[192.0.2.1]@leak.example>", "5"},                      // IP literal destination
		{"<bob@[127.0.0.1]>", "550 5.7.1"},                              // IP literal relay
		{"<to+bob=leak.example@leak.example>", "550 5.1.1"},             // relaying to a Leak domain
		{"<to+bob=mx.leak.example@leak.example>", "550 5.1.1"},
	} {
		if r := c.cmd("RCPT TO:" + tc.rcpt); !strings.HasPrefix(r, tc.want) {
			t.Errorf("RCPT TO:%s got %q, want %s", tc.rcpt, r, tc.want)
		}
	}
}

// TestChromiumUnsubscribe opens the link of a delivered message in a real
// headless Chromium (driven through chromedriver's WebDriver API), clicks
// the button, and checks the next message to that recipient is refused.
func TestChromiumUnsubscribe(t *testing.T) {
	t.Parallel()
	driver := testutil.NeedTool(t, "chromedriver")
	browser := testutil.NeedTool(t, "chromium")
	d := newDaemon(t, sections{})
	d.http(t)
	d.start()
	send(t, d.smtpAddr, "to+bob=example.com@leak.example", "first")
	link := d.unsubscribeURL(1)

	wd := startWebDriver(t, driver, browser)
	wd.call("POST", "/url", map[string]any{"url": link})
	src := wd.source()
	if !strings.Contains(src, "anonymous") || !strings.Contains(src, "<button") {
		t.Fatalf("unsubscribe page:\n%s", src)
	}
	button := wd.find("button")
	wd.call("POST", "/element/"+button+"/click", map[string]any{})
	testutil.WaitFor(t, "the page to confirm the opt-out", func() bool {
		return strings.Contains(wd.source(), "Leak messages stopped")
	})
	if r, _ := send(t, d.smtpAddr, "to+bob=example.com@leak.example", "after click"); !strings.HasPrefix(r, "550 5.7.1") {
		t.Errorf("after clicking unsubscribe in Chromium, RCPT got %q", r)
	}
	// The link in a delivered copy cannot opt back in: the recipient asks
	// for a confirmation mailed to the address itself, and follows it.
	base := strings.TrimSuffix(link, link[strings.Index(link, "/u/"):])
	wd.call("POST", "/url", map[string]any{"url": base + "/u/resubscribe"})
	field := wd.find("input[type=email]")
	wd.call("POST", "/element/"+field+"/value", map[string]any{"text": "bob@example.com"})
	wd.call("POST", "/element/"+wd.find("button")+"/click", map[string]any{})
	confirm := resubscribeRE.FindString(readFile(t, newest(d.waitDelivered(2))))
	if confirm == "" {
		t.Fatalf("no confirmation link mailed to bob@example.com")
	}
	if r, _ := send(t, d.smtpAddr, "to+bob=example.com@leak.example", "before confirming"); !strings.HasPrefix(r, "550 5.7.1") {
		t.Errorf("asking for a confirmation opted back in already: RCPT got %q", r)
	}
	wd.call("POST", "/url", map[string]any{"url": confirm})
	wd.call("POST", "/element/"+wd.find("button")+"/click", map[string]any{})
	testutil.WaitFor(t, "the opt-in to take effect", func() bool {
		r, _ := send(t, d.smtpAddr, "to+bob=example.com@leak.example", "after opt-in")
		return strings.HasPrefix(r, "250")
	})
}

var resubscribeRE = regexp.MustCompile(`http://[^\s/]+/u/resubscribe/[A-Za-z0-9_-]+`)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRedisSharedState runs two daemons on one real redis-server: they
// enforce one per-recipient limit exactly, and an opt-out made through one
// daemon's page is refused by the other at once.
func TestRedisSharedState(t *testing.T) {
	t.Parallel()
	redisBin := testutil.NeedTool(t, "redis-server")
	redisAddr := testutil.ReservePort(t)
	_, port, _ := strings.Cut(redisAddr, ":")
	rd := exec.Command(redisBin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := rd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Process.Kill(); rd.Wait() })
	waitPort(t, redisAddr)

	secret := filepath.Join(t.TempDir(), "shared.secret")
	os.WriteFile(secret, []byte("a shared secret of enough length for both\n"), 0o600)
	pol := limitsExcept(fmt.Sprintf("  redis: redis://%s/0\n  secret_file: %s\n  rate_recipient: {rate: 3, burst: 3, period: 24h}\n", redisAddr, secret))
	a := newDaemon(t, sections{Policy: pol})
	a.http(t)
	a.start()
	b := newDaemon(t, sections{Policy: pol})
	b.start()

	got := 0
	for i, d := range []*daemon{a, b, a, b, a} {
		if r, _ := send(t, d.smtpAddr, "to+bob=example.com@leak.example", fmt.Sprint("n", i)); strings.HasPrefix(r, "250") {
			got++
		} else if !strings.HasPrefix(r, "450 4.7.1") {
			t.Errorf("message %d: RCPT %q", i, r)
		}
	}
	if got != 3 {
		t.Errorf("%d messages to one recipient accepted across two daemons, want exactly 3", got)
	}

	send(t, a.smtpAddr, "to+carl=example.org@leak.example", "for carl")
	link := a.unsubscribeURL(3)
	resp, err := http.PostForm(link, url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r, _ := send(t, b.smtpAddr, "to+carl=example.org@leak.example", "via b"); !strings.HasPrefix(r, "550 5.7.1") {
		t.Errorf("opt-out through daemon A, RCPT at daemon B got %q", r)
	}
}

func waitPort(t *testing.T, addr string) {
	t.Helper()
	testutil.WaitFor(t, "a listener on "+addr, func() bool {
		c, err := dialQuietTCP(addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// TestDenyListReloadedOnSIGHUP: a recipient domain added to the deny list
// file is refused after SIGHUP, and the daemon keeps serving.
func TestDenyListReloadedOnSIGHUP(t *testing.T) {
	t.Parallel()
	deny := filepath.Join(t.TempDir(), "deny.txt")
	os.WriteFile(deny, []byte("# nobody yet\n"), 0o600)
	d := newDaemon(t, sections{Policy: relaxedPolicy + "  recipient_domain_deny: " + deny + "\n"})
	d.start()
	if r, _ := send(t, d.smtpAddr, "to+bob=blocked.example@leak.example", "before"); !strings.HasPrefix(r, "250") {
		t.Fatalf("before the reload: %q", r)
	}
	os.WriteFile(deny, []byte("blocked.example\n"), 0o600)
	d.cmd.Process.Signal(syscall.SIGHUP)
	testutil.WaitFor(t, "the reload", func() bool { return strings.Contains(d.log.String(), "reloaded domain lists") })
	if r, _ := send(t, d.smtpAddr, "to+bob=blocked.example@leak.example", "after"); !strings.HasPrefix(r, "550 5.7.1") {
		t.Errorf("after SIGHUP: %q, want 550 5.7.1", r)
	}
	if r, _ := send(t, d.smtpAddr, "to+bob=example.com@leak.example", "other"); !strings.HasPrefix(r, "250") {
		t.Errorf("another domain after SIGHUP: %q", r)
	}
}

// TestOperatorMailboxes: postmaster@ and abuse@ the Leak domain reach the
// operator unchanged (they are how the world reaches the operator); without
// an operator they are refused.
func TestOperatorMailboxes(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{Policy: relaxedPolicy + "  operator: ops@operator.example\n"})
	d.start()
	for i, rcpt := range []string{"postmaster@leak.example", "Abuse@leak.example"} {
		if _, r := send(t, d.smtpAddr, rcpt, fmt.Sprintf("KEEP-OPERATOR-%d from a named person", i)); !strings.HasPrefix(r, "250") {
			t.Fatalf("%s: %q", rcpt, r)
		}
	}
	for _, f := range d.waitDelivered(2) {
		b, _ := os.ReadFile(f)
		s := string(b)
		if !strings.Contains(s, "Delivered-To: ops@operator.example") || !strings.Contains(s, "from a named person") || !strings.Contains(s, "Subject: policy test") {
			t.Errorf("operator copy changed or misdelivered:\n%s", s)
		}
	}
	plain := newDaemon(t, sections{})
	plain.start()
	if r, _ := send(t, plain.smtpAddr, "postmaster@leak.example", "x"); !strings.HasPrefix(r, "550 5.1.1") {
		t.Errorf("postmaster without an operator: %q", r)
	}
}
