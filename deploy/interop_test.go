package deploy

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"leak/policy/testutil"
)

// lazyMetrics are created only when something registers them
// (metrics/README.md: leak_policy_decisions_total gets its series when each
// policy registers its name). A query on them has no data until then.
var lazyMetrics = []string{"leak_policy_decisions_total"}

// emptyOnHealthyRelay are the dashboard targets that rightly have no data
// after this test's traffic, with the reason.
var emptyOnHealthyRelay = map[string]string{
	"Alerts firing / A":                "no alert fires on a healthy relay",
	"Alerts now / A":                   "no alert fires or is pending on a healthy relay",
	"Outbound TLS share / A":           "delivery.mode dir sends nothing over SMTP, and the share is left empty rather than NaN",
	"Content scan time (p50, p99) / A": "scan.url is off here: no scans, and the quantiles are left empty rather than NaN",
	"Content scan time (p50, p99) / B": "scan.url is off here: no scans, and the quantiles are left empty rather than NaN",
}

// certLifetime is how long the SMTP certificate the test makes is valid.
const certLifetime = 365 * 24 * time.Hour

// TestLiveDashboardAndAlerts runs leakd (with a real Redis as its policy
// store and a certificate on its SMTP listener) and a real Prometheus
// scraping it every second with alerts.yml loaded. It sends mail through
// the relay, evaluates every dashboard query and checks every alert rule
// through Prometheus's HTTP API; then it stops Redis and waits for
// LeakPolicyStoreDown to fire with no other traffic, brings Redis back, and
// restarts leakd for the dashboard's start annotation.
func TestLiveDashboardAndAlerts(t *testing.T) {
	t.Parallel()
	promBin := testutil.NeedTool(t, "prometheus", "apt-get install prometheus")
	redisBin := testutil.NeedTool(t, "redis-server", "apt-get install redis-server")
	bin := leakd(t)
	dir := t.TempDir()

	redisAddr := testutil.ReservePort(t)
	redis := startRedis(t, redisBin, redisAddr)

	// leakd, configured the way cmd/leakd's tests do it.
	smtpAddr, httpAddr := testutil.ReservePort(t), testutil.ReservePort(t)
	outbox := filepath.Join(dir, "outbox")
	certFile, keyFile := writeCert(t, dir, "mx.leak.example", certLifetime)
	cfg := fmt.Sprintf("domain: leak.example\nhostname: mx.leak.example\ndata_dir: %s\n"+
		// public_url points at the daemon itself, so that the delivered
		// unsubscribe links work.
		"smtp:\n  listen: %s\n  tls_cert: %s\n  tls_key: %s\n"+
		"http:\n  listen: %s\n  public_url: http://%s\ndelivery:\n  mode: dir\n  dir: %s\n"+
		// Policies stay on (their panel needs data), but the default of 5
		// messages a day per recipient would defer this test's traffic.
		"policy:\n  redis: redis://%s/0\n"+
		"  rate_recipient: {rate: 1000, burst: 1000, period: 1m}\n  rate_sender: {rate: 1000, burst: 1000, period: 1m}\n"+
		"  rate_ip: {rate: 1000, burst: 1000, period: 1m}\n",
		filepath.Join(dir, "data"), smtpAddr, certFile, keyFile, httpAddr, httpAddr, outbox, redisAddr)
	leakCfg := filepath.Join(dir, "leak.yaml")
	if err := os.WriteFile(leakCfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	leak := start(t, "leakd", bin, "serve", "--config", leakCfg)
	testutil.WaitForErr(t, "leakd /readyz", 20*time.Second, func() error {
		return httpOK("http://" + httpAddr + "/readyz")
	})

	// Prometheus, scraping leakd as job "leak" (what the rules select).
	rules, err := filepath.Abs("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := testutil.ReservePort(t)
	promCfg := filepath.Join(dir, "prometheus.yml")
	// Scrapes every 2 s, each allowed 2 s: on a loaded machine a scrape
	// of a race-built leakd that times out leaves the series stale for
	// a moment, and an alert waiting out its for: starts again.
	pc := fmt.Sprintf("global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n  evaluation_interval: 1s\n"+
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
	testutil.WaitForErr(t, "prometheus /-/ready", 30*time.Second, func() error {
		return httpOK(api.base + "/-/ready")
	})
	// A first scrape before any mail, so that rate() sees the counters rise.
	testutil.WaitForErr(t, "the first scrape", 20*time.Second, func() error {
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
	testutil.WaitForErr(t, "delivery", 20*time.Second, func() error {
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
	testutil.WaitForErr(t, "the counters in Prometheus", 20*time.Second, func() error {
		now := time.Now()
		return errorsJoin(
			api.want(fmt.Sprintf(`leak_smtp_messages_total{result="accepted"} == %d`, accepted), now, 1),
			api.want(fmt.Sprintf(`leak_delivery_attempts_total{result="delivered"} == %d`, accepted), now, 1),
			api.want(`leak_smtp_messages_total{reason="line_ending"} == 1`, now, 1),
			api.want(`leak_policy_optouts_total{action="optout"} == 1`, now, 1),
			api.want(`leak_http_requests_total{handler="unsubscribe",class="2xx"} >= 1`, now, 1),
		)
	})
	at := time.Now()

	values := evalDashboard(t, api, "http://"+httpAddr+"/metrics", at)

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
		{"Spool disk / A", nil},
		{"Spool disk / B", nil},
		{"Policy store latency / A", map[string]string{"store": "redis"}},
		{"Policy store latency / B", map[string]string{"store": "redis"}},
		{"Policy store up / A", nil},
		{"Opt-outs and opt-ins (per hour) / A", map[string]string{"action": "optout"}},
		{"HTTP requests / A", map[string]string{"handler": "unsubscribe", "class": "2xx"}},
		{"HTTP requests / A", map[string]string{"handler": "metrics", "class": "2xx"}},
		{"TLS certificate expires in / A", map[string]string{"listener": "smtp"}},
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
	// The store not in use (local: leakd runs on Redis) draws nothing
	// rather than a NaN quantile.
	for _, ref := range []string{"A", "B"} {
		for _, s := range values["Policy store latency / "+ref] {
			if s.labels["store"] != "redis" {
				t.Errorf("Policy store latency / %s: a series for the unused store %v", ref, s.labels)
			}
		}
	}
	// The certificate's remaining life, as leakd read it from the file.
	for _, s := range values["TLS certificate expires in / A"] {
		if left := time.Duration(s.value) * time.Second; left > certLifetime || left < certLifetime-time.Hour {
			t.Errorf("TLS certificate expires in: %v, want just under %v", left, certLifetime)
		}
	}

	// The variables' queries, as the series API answers them.
	for _, v := range []struct{ label, want string }{{"job", "leak"}, {"instance", httpAddr}} {
		var got []string
		api.get("/api/v1/label/"+v.label+"/values?match[]="+url.QueryEscape(grafanaVars.Replace(`leak_build_info{namespace=~"$namespace",job=~"$job"}`)), &got)
		if len(got) != 1 || got[0] != v.want {
			t.Errorf("label_values(leak_build_info, %s) = %v, want [%s]", v.label, got, v.want)
		}
	}
	firstStart, err := startAnnotation(t, api)
	if err != nil {
		t.Fatal(err)
	}

	// Every alert rule loaded, evaluated without error, and quiet.
	nRules := 0
	for _, g := range loadRules(t).Groups {
		nRules += len(g.Rules)
	}
	testutil.WaitForErr(t, "every rule evaluated", 20*time.Second, func() error {
		rs := api.rules()
		var errs []string
		for _, r := range rs {
			if r.Health != "ok" || r.LastError != "" {
				errs = append(errs, fmt.Sprintf("%s: health %q, error %q", r.Name, r.Health, r.LastError))
			}
		}
		if len(rs) != nRules {
			errs = append(errs, fmt.Sprintf("%d rules loaded, want %d", len(rs), nRules))
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		return nil
	})
	for _, r := range api.rules() {
		if r.State != "inactive" {
			t.Errorf("%s (%s): %s on a healthy relay", r.Name, r.Labels["severity"], r.State)
		}
	}

	redis = redisOutage(t, api, redis, redisBin, redisAddr)

	// Stop leakd: LeakInstanceDown goes pending at once (it fires after
	// its for: of 2m, longer than this test waits).
	leak.stop(t)
	testutil.WaitForErr(t, "LeakInstanceDown pending", 20*time.Second, func() error {
		if s := api.state("LeakInstanceDown"); s != "pending" && s != "firing" {
			return fmt.Errorf("state %q", s)
		}
		return nil
	})

	// Start it again: the start annotation moves to the new start time.
	leak = start(t, "leakd", bin, "serve", "--config", leakCfg)
	testutil.WaitForErr(t, "leakd /readyz after the restart", 20*time.Second, func() error {
		return httpOK("http://" + httpAddr + "/readyz")
	})
	testutil.WaitForErr(t, "the restarted leakd in Prometheus", 20*time.Second, func() error {
		s, err := startAnnotation(t, api)
		if err == nil && !s.After(firstStart) {
			err = fmt.Errorf("the start annotation says %v, the first start was %v", s, firstStart)
		}
		return err
	})
	if s := api.state("LeakRestartLoop"); s != "inactive" {
		t.Errorf("LeakRestartLoop %s after one restart", s)
	}
	leak.stop(t)
	redis.stop(t)
	prom.stop(t)
}

// evalDashboard runs every dashboard query at ts and returns the samples by
// panel title and refId. A query that fails, returns NaN, or has no data
// without a reason (lazy metrics, emptyOnHealthyRelay) is an error.
func evalDashboard(t *testing.T, api *promAPI, metricsURL string, ts time.Time) map[string][]sample {
	t.Helper()
	metricsBody := httpBody(t, metricsURL)
	titles, exprs := dashboardExprs(t)
	values := map[string][]sample{}
	for i, expr := range exprs {
		q := grafanaVars.Replace(expr)
		res, err := api.query(q, ts)
		if err != nil {
			t.Errorf("%s: %s: %v", titles[i], q, err)
			continue
		}
		values[titles[i]] = res
		for _, s := range res {
			if math.IsNaN(s.value) {
				t.Errorf("%s: NaN for %v: %s", titles[i], s.labels, q)
			}
		}
		if len(res) == 0 {
			if m := lazyIn(q, metricsBody); m != "" {
				t.Logf("%s: no data until a policy registers %s (metrics/README.md); the query is kept", titles[i], m)
				continue
			}
			if why := emptyOnHealthyRelay[titles[i]]; why != "" {
				t.Logf("%s: no data: %s", titles[i], why)
				continue
			}
			t.Errorf("%s: no data: %s", titles[i], q)
		}
	}
	return values
}

// startAnnotation evaluates the dashboard's start annotation now and
// returns the start time it marks; it must carry the running version.
func startAnnotation(t *testing.T, api *promAPI) (time.Time, error) {
	t.Helper()
	var expr string
	for _, a := range loadDashboard(t).Annotations.List {
		if strings.Contains(a.Expr, "process_start_time_seconds") {
			expr = grafanaVars.Replace(a.Expr)
		}
	}
	res, err := api.query(expr, time.Now())
	if err != nil || len(res) != 1 || res[0].labels["version"] == "" {
		return time.Time{}, fmt.Errorf("start annotation %s: %v %v, want one series with a version", expr, res, err)
	}
	return time.UnixMilli(int64(res[0].value)), nil
}

// redisOutage stops Redis with no traffic at all and waits for
// LeakPolicyStoreDown to fire within its for: (plus leakd's 5 s check, a
// scrape and an evaluation), with no other alert going off; then starts
// Redis again, waits for the alert to resolve and returns the new Redis.
func redisOutage(t *testing.T, api *promAPI, redis *proc, redisBin, redisAddr string) *proc {
	t.Helper()
	var forDur time.Duration
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "LeakPolicyStoreDown" {
				d, err := time.ParseDuration(r.For)
				if err != nil {
					t.Fatalf("LeakPolicyStoreDown: for: %q: %v", r.For, err)
				}
				forDur = d
			}
		}
	}
	errsBefore, _ := api.query(`leak_policy_store_errors_total{store="redis"}`, time.Now())

	redis.stop(t)
	stopped := time.Now()
	testutil.WaitForErr(t, "leak_policy_store_up 0 in Prometheus", 15*time.Second, func() error {
		return api.want(`leak_policy_store_up{job="leak"} == 0`, time.Now(), 1)
	})
	testutil.WaitForErr(t, "LeakPolicyStoreDown firing", forDur+30*time.Second, func() error {
		if s := api.state("LeakPolicyStoreDown"); s != "firing" {
			return fmt.Errorf("state %q", s)
		}
		return nil
	})
	t.Logf("LeakPolicyStoreDown fired %v after Redis stopped (for: %v)", time.Since(stopped).Round(time.Second), forDur)
	for _, r := range api.rules() {
		if r.Name == "LeakPolicyStoreDown" {
			if r.Labels["severity"] != "critical" {
				t.Errorf("LeakPolicyStoreDown: severity %q, want critical", r.Labels["severity"])
			}
			continue
		}
		if r.State != "inactive" {
			t.Errorf("%s (%s): %s while only Redis is down, with no traffic", r.Name, r.Labels["severity"], r.State)
		}
	}
	// The dashboard's alert panels show it.
	for _, title := range []string{"Alerts firing / A", "Alerts now / A"} {
		titles, exprs := dashboardExprs(t)
		for i := range titles {
			if titles[i] != title {
				continue
			}
			res, err := api.query(grafanaVars.Replace(exprs[i]), time.Now())
			if err != nil || len(res) != 1 || res[0].labels["alertname"] != "LeakPolicyStoreDown" || res[0].labels["severity"] != "critical" {
				t.Errorf("%s: %v %v, want LeakPolicyStoreDown (critical) alone", title, res, err)
			}
		}
	}
	errsAfter, _ := api.query(`leak_policy_store_errors_total{store="redis"}`, time.Now())
	t.Logf("leak_policy_store_errors_total{store=\"redis\"} during the outage: %v -> %v", errsBefore, errsAfter)

	redis = startRedis(t, redisBin, redisAddr)
	testutil.WaitForErr(t, "LeakPolicyStoreDown resolved", 30*time.Second, func() error {
		if s := api.state("LeakPolicyStoreDown"); s != "inactive" {
			return fmt.Errorf("state %q", s)
		}
		return nil
	})
	return redis
}

// startRedis runs a Redis without persistence on addr (loopback) and waits
// until it answers PING.
func startRedis(t *testing.T, bin, addr string) *proc {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, "redis-server", bin, "--port", port, "--bind", host, "--save", "", "--appendonly", "no")
	testutil.WaitForErr(t, "redis PING", 10*time.Second, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := io.WriteString(c, "PING\r\n"); err != nil {
			return err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "+PONG\r\n" {
			return fmt.Errorf("PING: %q %v", line, err)
		}
		return nil
	})
	return p
}

// writeCert writes a self-signed certificate for host, valid from now for
// lifetime, and its key; it returns their paths.
func writeCert(t *testing.T, dir, host string, lifetime time.Duration) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(lifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
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
	out  *testutil.SyncBuffer
	done bool
}

func start(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), out: &testutil.SyncBuffer{}}
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

// alertRule is one alerting rule as Prometheus reports it.
type alertRule struct {
	Name      string            `json:"name"`
	State     string            `json:"state"`
	Health    string            `json:"health"`
	LastError string            `json:"lastError"`
	Labels    map[string]string `json:"labels"`
}

// rules returns the alerting rules Prometheus has loaded. A name may come
// more than once (LeakTLSCertExpiring has a warning and a critical rule).
func (a *promAPI) rules() []alertRule {
	a.t.Helper()
	var d struct {
		Groups []struct {
			Rules []alertRule `json:"rules"`
		} `json:"groups"`
	}
	a.get("/api/v1/rules?type=alert", &d)
	var out []alertRule
	for _, g := range d.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// state returns the state of the alert called name: firing if one of its
// rules fires, else pending if one is pending, else inactive ("" when no
// rule has that name).
func (a *promAPI) state(name string) string {
	rank := map[string]int{"": 0, "inactive": 1, "pending": 2, "firing": 3}
	best := ""
	for _, r := range a.rules() {
		if r.Name == name && rank[r.State] > rank[best] {
			best = r.State
		}
	}
	return best
}
