package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lazyMetrics are created only when something registers them
// (metrics/README.md: leak_policy_decisions_total gets its series when each
// policy registers its name). A query on them has no data until then.
var lazyMetrics = []string{"leak_policy_decisions_total"}

// TestLiveDashboardAndAlerts runs leakd and a real Prometheus scraping it
// every second with alerts.yml loaded, sends mail through the relay, and
// then evaluates every dashboard query and checks every alert rule through
// Prometheus's HTTP API.
func TestLiveDashboardAndAlerts(t *testing.T) {
	promBin := needTool(t, "prometheus", "prometheus")
	bin := leakd(t)
	dir := t.TempDir()

	// leakd, configured the way cmd/leakd's tests do it.
	smtpAddr, httpAddr := freePort(t), freePort(t)
	outbox := filepath.Join(dir, "outbox")
	cfg := fmt.Sprintf("domain: leak.example\nhostname: mx.leak.example\ndata_dir: %s\n"+
		// public_url points at the daemon itself, so that the delivered
		// unsubscribe links work.
		"smtp:\n  listen: %s\nhttp:\n  listen: %s\n  public_url: http://%s\ndelivery:\n  mode: dir\n  dir: %s\n"+
		// Policies stay on (their panel needs data), but the default of 5
		// messages a day per recipient would defer this test's traffic.
		"policy:\n  rate_recipient: {rate: 1000, burst: 1000, period: 1m}\n  rate_sender: {rate: 1000, burst: 1000, period: 1m}\n"+
		"  rate_ip: {rate: 1000, burst: 1000, period: 1m}\n",
		filepath.Join(dir, "data"), smtpAddr, httpAddr, httpAddr, outbox)
	leakCfg := filepath.Join(dir, "leak.yaml")
	if err := os.WriteFile(leakCfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	leak := start(t, "leakd", bin, "serve", "--config", leakCfg)
	waitFor(t, "leakd /readyz", 20*time.Second, func() error {
		return httpOK("http://" + httpAddr + "/readyz")
	})

	// Prometheus, scraping leakd as job "leak" (what the rules select).
	rules, err := filepath.Abs("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := freePort(t)
	promCfg := filepath.Join(dir, "prometheus.yml")
	pc := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"+
		"rule_files:\n  - %q\n"+
		"scrape_configs:\n  - job_name: leak\n    static_configs:\n      - targets: [%q]\n", rules, httpAddr)
	if err := os.WriteFile(promCfg, []byte(pc), 0o644); err != nil {
		t.Fatal(err)
	}
	prom := start(t, "prometheus", promBin,
		"--config.file="+promCfg,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr,
		"--log.level=warn")
	api := &promAPI{t: t, base: "http://" + promAddr}
	waitFor(t, "prometheus /-/ready", 30*time.Second, func() error {
		return httpOK(api.base + "/-/ready")
	})
	// A first scrape before any mail, so that rate() sees the counters rise.
	waitFor(t, "the first scrape", 20*time.Second, func() error {
		return api.want(`up{job="leak"} == 1`, time.Now(), 1)
	})

	// Mail: accepted, refused at RCPT, refused at the end of DATA.
	const accepted, relayDenied = 30, 3
	for i := range accepted {
		c := dialSMTP(t, smtpAddr)
		c.transaction(t, "to+bob=example.com@leak.example", message(i, "\r\n"), "250 ")
		c.close()
	}
	c := dialSMTP(t, smtpAddr)
	for range relayDenied {
		c.expect(t, "RSET", "250 ")
		c.expect(t, "MAIL FROM:<someone@example.net>", "250 ")
		c.expect(t, "RCPT TO:<bob@example.com>", "550 5.7.1")
	}
	c.expect(t, "RSET", "250 ")
	c.transaction(t, "to+bob=example.com@leak.example", message(99, "\n"), "554 5.6.0")
	c.close()
	var delivered []string
	waitFor(t, "delivery", 20*time.Second, func() error {
		delivered, _ = filepath.Glob(filepath.Join(outbox, "new", "*.eml"))
		if len(delivered) != accepted {
			return fmt.Errorf("%d delivered, want %d", len(delivered), accepted)
		}
		return nil
	})
	// Bob opts out with the one-click link of a delivered copy (RFC 8058),
	// for the opt-out panel.
	optOut(t, delivered[0])
	// Evaluate at the first moment Prometheus has seen all of it: the 15s
	// rate windows then hold samples from before and after the traffic.
	waitFor(t, "the counters in Prometheus", 20*time.Second, func() error {
		now := time.Now()
		return errorsJoin(
			api.want(fmt.Sprintf(`leak_smtp_messages_total{result="accepted"} == %d`, accepted), now, 1),
			api.want(fmt.Sprintf(`leak_delivery_attempts_total{result="delivered"} == %d`, accepted), now, 1),
			api.want(`leak_smtp_messages_total{reason="line_ending"} == 1`, now, 1),
			api.want(`leak_policy_optouts_total{action="optout"} == 1`, now, 1),
		)
	})
	at := time.Now()

	metricsBody := httpBody(t, "http://"+httpAddr+"/metrics")
	titles, exprs := dashboardExprs(t)
	values := map[string][]sample{}
	for i, expr := range exprs {
		q := grafanaVars.Replace(expr)
		res, err := api.query(q, at)
		if err != nil {
			t.Errorf("%s: %s: %v", titles[i], q, err)
			continue
		}
		values[titles[i]] = res
		if len(res) == 0 {
			if m := lazyIn(q, metricsBody); m != "" {
				t.Logf("%s: no data until a policy registers %s (metrics/README.md); the query is kept", titles[i], m)
				continue
			}
			t.Errorf("%s: no data: %s", titles[i], q)
		}
	}

	// The panels that must show this traffic, not only exist.
	positive := []struct {
		panel  string
		labels map[string]string
	}{
		{"In: accepted (msgs/s) / A", nil},
		{"Out: delivered (msgs/s) / A", nil},
		{"Throughput (msgs/s, log scale) / A", nil},
		{"Throughput (msgs/s, log scale) / B", nil},
		{"Messages by result and reason / A", map[string]string{"result": "accepted", "reason": "ok"}},
		{"Messages by result and reason / A", map[string]string{"result": "rejected", "reason": "line_ending"}},
		{"Recipients by result and reason / A", map[string]string{"result": "rejected", "reason": "relay_denied"}},
		{"SMTP connections by result / A", map[string]string{"result": "accepted"}},
		{"Delivery outcomes / A", map[string]string{"result": "delivered"}},
		{"DKIM signatures / A", map[string]string{"algorithm": "rsa-sha256", "result": "ok"}},
		{"DKIM signatures / A", map[string]string{"algorithm": "ed25519-sha256", "result": "ok"}},
		{"DKIM sign duration p99 / A", map[string]string{"algorithm": "ed25519-sha256"}},
		{"Delivery latency / C", nil},
		{"Anonymize duration / B", nil},
		{"Spool commit duration / B", nil},
		{"Spool group commit batch size / A", nil},
		{"Policy store latency / A", map[string]string{"store": "local"}},
		{"Policy store latency / B", map[string]string{"store": "local"}},
		{"Opt-outs and opt-ins (per hour) / A", map[string]string{"action": "optout"}},
		{"Inbound TLS share / A", map[string]string{"used": "no"}},
		{"Resident memory / A", nil},
		{"Build / A", nil},
	}
	for _, p := range positive {
		res, ok := values[p.panel]
		if !ok {
			t.Errorf("%s: no such panel target in the dashboard", p.panel)
			continue
		}
		found := false
		for _, s := range res {
			if s.matches(p.labels) {
				found = true
				if !(s.value > 0) || math.IsInf(s.value, 0) {
					t.Errorf("%s %v: %v, want a positive number after the traffic", p.panel, p.labels, s.value)
				}
			}
		}
		if !found {
			t.Errorf("%s: no series with %v in %v", p.panel, p.labels, res)
		}
	}

	// The instance variable's query, as the series API answers it.
	var inst []string
	api.get("/api/v1/label/instance/values?match[]=leak_build_info", &inst)
	if len(inst) != 1 || inst[0] != httpAddr {
		t.Errorf("label_values(leak_build_info, instance) = %v, want [%s]", inst, httpAddr)
	}

	// Every alert rule loaded, evaluated without error, and quiet.
	want := map[string]bool{}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			want[r.Alert] = true
		}
	}
	waitFor(t, "every rule evaluated", 20*time.Second, func() error {
		rs := api.rules()
		var errs []string
		for name := range want {
			r, ok := rs[name]
			switch {
			case !ok:
				errs = append(errs, name+": not loaded")
			case r.Health != "ok" || r.LastError != "":
				errs = append(errs, fmt.Sprintf("%s: health %q, error %q", name, r.Health, r.LastError))
			}
		}
		if len(rs) != len(want) {
			errs = append(errs, fmt.Sprintf("%d rules loaded, want %d", len(rs), len(want)))
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		return nil
	})
	for name, r := range api.rules() {
		if r.State != "inactive" {
			t.Errorf("%s: %s on a healthy relay", name, r.State)
		}
	}

	// Stop leakd: LeakInstanceDown goes pending at once (it fires after
	// its for: of 2m, longer than this test waits).
	leak.stop(t)
	waitFor(t, "LeakInstanceDown pending", 20*time.Second, func() error {
		if s := api.rules()["LeakInstanceDown"].State; s != "pending" && s != "firing" {
			return fmt.Errorf("state %q", s)
		}
		return nil
	})
	prom.stop(t)
}

// unsubscribeLink finds Leak's one-click link in a delivered copy.
var unsubscribeLink = regexp.MustCompile(`(?m)^List-Unsubscribe: <([^>]+)>`)

// optOut posts the one-click unsubscribe of the copy at path.
func optOut(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := unsubscribeLink.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no List-Unsubscribe in %s", path)
	}
	resp, err := http.Post(string(m[1]), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click POST %s: %s", m[1], resp.Status)
	}
}

// message is a small valid message (or, with eol "\n", one with bare LFs).
func message(i int, eol string) string {
	lines := []string{
		"From: Sender <sender@example.net>",
		"To: to+bob=example.com@leak.example",
		fmt.Sprintf("Subject: deploy test %d", i),
		"Date: Mon, 02 Mar 2026 10:00:00 +0000",
		fmt.Sprintf("Message-ID: <deploy-%d@example.net>", i),
		"",
		"Hello from the deploy tests.",
	}
	return strings.Join(lines, eol) + "\r\n"
}

// proc is a child process whose output is kept for failure messages.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done bool
}

func start(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), out: &syncBuffer{}}
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		if !p.done {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("%s exited with %v", p.name, err)
	}
	p.done = true
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls f until it returns nil or the time is up.
func waitFor(t *testing.T, what string, limit time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func errorsJoin(errs ...error) error {
	var msgs []string
	for _, e := range errs {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

func httpOK(u string) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	return nil
}

func httpBody(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lazyIn returns the lazily created metric q uses that the exposition body
// does not have yet, or "".
func lazyIn(q, body string) string {
	for _, m := range lazyMetrics {
		if strings.Contains(q, m) && !strings.Contains(body, "\n"+m+"{") {
			return m
		}
	}
	return ""
}

// smtpClient speaks just enough SMTP to control every byte sent.
type smtpClient struct {
	c net.Conn
	r *bufio.Reader
}

func dialSMTP(t *testing.T, addr string) *smtpClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := &smtpClient{c: conn, r: bufio.NewReader(conn)}
	c.expect(t, "", "220 ")
	c.expect(t, "EHLO client.example", "250 ")
	return c
}

// expect sends line (if any) and checks that the last line of the reply
// starts with want.
func (c *smtpClient) expect(t *testing.T, line, want string) {
	t.Helper()
	if line != "" {
		if _, err := io.WriteString(c.c, line+"\r\n"); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: reading the reply: %v", line, err)
		}
		if len(l) >= 4 && l[3] == '-' {
			continue
		}
		if !strings.HasPrefix(l, want) {
			t.Fatalf("%s: reply %q, want %q", line, strings.TrimSpace(l), want)
		}
		return
	}
}

// transaction sends one message to rcpt and checks the reply to DATA.
func (c *smtpClient) transaction(t *testing.T, rcpt, msg, want string) {
	t.Helper()
	c.expect(t, "MAIL FROM:<sender@example.net>", "250 ")
	c.expect(t, "RCPT TO:<"+rcpt+">", "250 ")
	c.expect(t, "DATA", "354 ")
	c.expect(t, msg+".", want)
}

func (c *smtpClient) close() {
	io.WriteString(c.c, "QUIT\r\n")
	c.r.ReadString('\n')
	c.c.Close()
}

// promAPI is a client of Prometheus's HTTP API.
type promAPI struct {
	t    *testing.T
	base string
}

type sample struct {
	labels map[string]string
	value  float64
}

func (s sample) matches(want map[string]string) bool {
	for k, v := range want {
		if s.labels[k] != v {
			return false
		}
	}
	return true
}

// query runs an instant query at ts and returns its samples; an error from
// Prometheus (a bad query) is an error.
func (a *promAPI) query(q string, ts time.Time) ([]sample, error) {
	v := url.Values{"query": {q}, "time": {strconv.FormatFloat(float64(ts.UnixMilli())/1000, 'f', 3, 64)}}
	resp, err := http.PostForm(a.base+"/api/v1/query", v)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	if r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("result type %s, want vector", r.Data.ResultType)
	}
	var out []sample
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		f, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("value %v: %v", s.Value[1], err)
		}
		out = append(out, sample{s.Metric, f})
	}
	return out, nil
}

// want checks that q has n samples at ts.
func (a *promAPI) want(q string, ts time.Time, n int) error {
	res, err := a.query(q, ts)
	if err != nil {
		return fmt.Errorf("%s: %v", q, err)
	}
	if len(res) != n {
		return fmt.Errorf("%s: %d samples, want %d", q, len(res), n)
	}
	return nil
}

// get decodes the data of a GET answer into v.
func (a *promAPI) get(path string, v any) {
	a.t.Helper()
	resp, err := http.Get(a.base + path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		a.t.Fatalf("%s: %v", path, err)
	}
	if r.Status != "success" {
		a.t.Fatalf("%s: %s", path, r.Error)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		a.t.Fatalf("%s: %v", path, err)
	}
}

type ruleState struct {
	State     string `json:"state"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

// rules returns the alerting rules Prometheus has loaded, by name.
func (a *promAPI) rules() map[string]ruleState {
	a.t.Helper()
	var d struct {
		Groups []struct {
			Rules []struct {
				ruleState
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"rules"`
		} `json:"groups"`
	}
	a.get("/api/v1/rules?type=alert", &d)
	out := map[string]ruleState{}
	for _, g := range d.Groups {
		for _, r := range g.Rules {
			out[r.Name] = r.ruleState
		}
	}
	return out
}
