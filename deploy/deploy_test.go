package deploy

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"leak/policy/testutil"

	"gopkg.in/yaml.v3"
)

// The tests run from deploy/ (go test sets the working directory to the
// package), so every path below is relative to it.

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "leak-deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	leakdOnce sync.Once
	leakdPath string
	leakdErr  error
)

// leakd builds ../cmd/leakd once per test run.
func leakd(t *testing.T) string {
	t.Helper()
	leakdOnce.Do(func() {
		leakdPath = filepath.Join(binDir, "leakd")
		cmd := exec.Command("go", "build", "-o", leakdPath, "./cmd/leakd")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			leakdErr = fmt.Errorf("building leakd: %v\n%s", err, out)
		}
	})
	if leakdErr != nil {
		t.Fatal(leakdErr)
	}
	return leakdPath
}

func run(t *testing.T, dir, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// ruleTestFiles are the unit tests of alerts.yml (promtool test rules).
var ruleTestFiles = []string{"prometheus/alerts_test.yml", "prometheus/alerts_day_test.yml"}

// TestPromtool checks the Prometheus config and rules, and runs the rules'
// unit tests.
func TestPromtool(t *testing.T) {
	t.Parallel()
	promtool := testutil.NeedTool(t, "promtool", "apt-get install prometheus")
	for _, args := range [][]string{
		{"check", "config", "prometheus/prometheus.yml"},
		{"check", "rules", "prometheus/alerts.yml"},
		append([]string{"test", "rules"}, ruleTestFiles...),
	} {
		out, err := run(t, ".", promtool, args...)
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(t *testing.T) *ruleFile {
	t.Helper()
	data, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(data, &rf); err != nil {
		t.Fatal(err)
	}
	return &rf
}

// ruleTests is the part of a promtool test file the tests read.
type ruleTests struct {
	Tests []struct {
		Name          string `yaml:"name"`
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels map[string]string `yaml:"exp_labels"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// healthyGroup is the test group where every rule stays quiet; the other
// groups must hold a near miss of each rule.
const healthyGroup = "healthy relay is quiet"

// ruleCoverage reads the promtool test files: for each alert, the
// severities some case expects it to fire with, and whether a case other
// than the healthy relay expects it to stay quiet.
func ruleCoverage(t *testing.T) (fires map[string]map[string]bool, quiet map[string]bool) {
	t.Helper()
	fires, quiet = map[string]map[string]bool{}, map[string]bool{}
	for _, f := range ruleTestFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rt ruleTests
		if err := yaml.Unmarshal(data, &rt); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range rt.Tests {
			for _, a := range g.AlertRuleTest {
				if len(a.ExpAlerts) == 0 {
					quiet[a.Alertname] = quiet[a.Alertname] || g.Name != healthyGroup
					continue
				}
				for _, e := range a.ExpAlerts {
					if fires[a.Alertname] == nil {
						fires[a.Alertname] = map[string]bool{}
					}
					fires[a.Alertname][e.ExpLabels["severity"]] = true
				}
			}
		}
	}
	return fires, quiet
}

// TestAlertRules checks what promtool does not: the rules' metrics against
// metrics/README.md, the conventions every rule follows, and that the unit
// tests make each rule fire (at each of its severities) and hold a case
// where it must not. That the rules behave as the tests say is promtool's
// part (TestPromtool).
func TestAlertRules(t *testing.T) {
	t.Parallel()
	defs := loadCatalogue(t)
	rf := loadRules(t)
	want := []string{"LeakInstanceDown", "LeakRefusingAllMail", "LeakRestartLoop", "LeakPanics",
		"LeakNothingDelivered", "LeakQueueGrowing", "LeakQueueBacklog", "LeakHardBounceRatioHigh",
		"LeakDeliveryFailures", "LeakSpoolWriteErrors", "LeakSpoolDroppedEntries", "LeakSpoolDiskLow",
		"LeakSpoolDiskFillingUp", "LeakPolicyStoreDown", "LeakPolicyStoreErrors", "LeakOptOutSpike",
		"LeakDKIMSigningFailures", "LeakHTTPServerErrors", "LeakTLSCertExpiring"}
	seen := map[string]bool{}
	fires, quiet := ruleCoverage(t)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("rule %q: only alerting rules belong in alerts.yml", r.Record)
				continue
			}
			seen[r.Alert] = true
			for _, e := range checkExpr(defs, r.Expr) {
				t.Errorf("%s: %s", r.Alert, e)
			}
			if r.For == "" {
				t.Errorf("%s: no for:", r.Alert)
			}
			sev := r.Labels["severity"]
			if sev != "critical" && sev != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, sev)
			}
			for _, a := range []string{"summary", "description", "runbook"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: needs a %s annotation", r.Alert, a)
				}
			}
			if !strings.Contains(r.Expr, `job="leak"`) {
				t.Errorf("%s: does not select job=\"leak\"", r.Alert)
			}
			if !fires[r.Alert][sev] {
				t.Errorf("%s: no unit test expects it to fire with severity %s", r.Alert, sev)
			}
			if !quiet[r.Alert] {
				t.Errorf("%s: no unit test besides %q expects it to stay quiet", r.Alert, healthyGroup)
			}
		}
	}
	for _, a := range want {
		if !seen[a] {
			t.Errorf("alert %s is missing", a)
		}
	}
}

// shippedConfigs are the leakd configs shipped here; TestShippedConfigs
// (cmd/leakd/shipped_test.go) runs each and delivers a message through it.
var shippedConfigs = []string{"docker/leak.yaml", "docker/demo.yaml", "systemd/leak.yaml", "kubernetes/leak.yaml"}

// TestConfigs runs `leakd config check` on every leakd config shipped here,
// and checks that the production ones deliver (mx) under placeholders an
// admin cannot miss: every name under .example, the operator and the
// public URL set.
func TestConfigs(t *testing.T) {
	t.Parallel()
	bin := leakd(t)
	for _, f := range shippedConfigs {
		out, err := run(t, ".", bin, "config", "check", "--config", f)
		if err != nil {
			t.Errorf("leakd config check %s: %v\n%s", f, err, out)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Domain, Hostname string
			HTTP             struct {
				PublicURL string `yaml:"public_url"`
			}
			Policy   struct{ Operator string }
			Delivery struct{ Mode string }
			TLS      struct {
				ACME struct{ Enabled bool }
			}
		}
		if err := yaml.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Policy.Operator == "" {
			t.Errorf("%s: no policy.operator: postmaster@ would be refused", f)
		}
		for _, name := range []string{c.Domain, c.Hostname, c.Policy.Operator} {
			if !strings.HasSuffix(name, ".example") {
				t.Errorf("%s: %q is not a placeholder under .example", f, name)
			}
		}
		if f == "docker/demo.yaml" {
			if c.Delivery.Mode != "smarthost" {
				t.Errorf("%s: delivery.mode %q, the demo delivers to Mailpit (smarthost)", f, c.Delivery.Mode)
			}
			continue
		}
		if c.Delivery.Mode != "mx" {
			t.Errorf("%s: delivery.mode %q, want mx", f, c.Delivery.Mode)
		}
		if !strings.HasPrefix(c.HTTP.PublicURL, "https://") {
			t.Errorf("%s: http.public_url %q: unsubscribe links need https", f, c.HTTP.PublicURL)
		}
		if !c.TLS.ACME.Enabled {
			t.Errorf("%s: no TLS: tls.acme.enabled is false", f)
		}
		for _, stale := range []string{"come later", "mode: dir", "for now"} {
			if bytes.Contains(data, []byte(stale)) {
				t.Errorf("%s: stale text %q", f, stale)
			}
		}
	}
}

// leakConfig is the part of a leakd config the cross-checks read.
type leakConfig struct {
	DataDir string `yaml:"data_dir"`
	SMTP    struct {
		Listen string `yaml:"listen"`
	} `yaml:"smtp"`
	HTTP struct {
		Listen string `yaml:"listen"`
	} `yaml:"http"`
	Policy struct {
		Redis string `yaml:"redis"`
	} `yaml:"policy"`
	Delivery struct {
		Mode      string `yaml:"mode"`
		Smarthost string `yaml:"smarthost"`
	} `yaml:"delivery"`
	TLS struct {
		ACME struct {
			HTTPListen string `yaml:"http_listen"`
		} `yaml:"acme"`
	} `yaml:"tls"`
}

func readLeakConfig(t *testing.T, path string) *leakConfig {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c leakConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &c
}

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%q: %v", addr, err)
	}
	return p
}

// pinnedImage is a base image named by tag and pinned by digest.
var pinnedImage = regexp.MustCompile(`^[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$`)

// TestDockerfile checks the image against its config: hadolint is not
// packaged for Debian, so these are the checks that matter most here.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	cfg := readLeakConfig(t, "docker/leak.yaml")
	var (
		stages                    int
		user, volume, cmd, expose string
		copies                    []string
	)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		rest := strings.Join(f[1:], " ")
		switch f[0] {
		case "FROM":
			stages++
			user = "" // USER is per stage
			if !pinnedImage.MatchString(f[1]) {
				t.Errorf("FROM %s: base images are pinned by digest (image:tag@sha256:<64 hex>; deploy/pin-images.sh)", f[1])
			}
		case "USER":
			user = rest
		case "VOLUME":
			volume = rest
		case "EXPOSE":
			expose = rest
		case "CMD":
			cmd = rest
		case "COPY":
			if !strings.Contains(rest, "--from=") {
				copies = append(copies, f[1:len(f)-1]...)
			}
		}
	}
	if stages < 2 {
		t.Errorf("%d stages, want a builder and a final stage", stages)
	}
	if user != "65532:65532" {
		t.Errorf("final stage USER %q, want 65532:65532", user)
	}
	if volume != cfg.DataDir {
		t.Errorf("VOLUME %q, docker/leak.yaml data_dir %q", volume, cfg.DataDir)
	}
	want := port(t, cfg.SMTP.Listen) + " " + port(t, cfg.HTTP.Listen)
	if cfg.TLS.ACME.HTTPListen != "" {
		want += " " + port(t, cfg.TLS.ACME.HTTPListen)
	}
	if expose != want {
		t.Errorf("EXPOSE %q, want %q from docker/leak.yaml", expose, want)
	}
	if !strings.Contains(cmd, `"/etc/leak/leak.yaml"`) {
		t.Errorf("CMD %s does not use /etc/leak/leak.yaml", cmd)
	}
	// The shipped image signs with OpenSSL (README "Which build"): cgo on,
	// and no purego tag; its final stage carries libcrypto.so.3.
	if strings.Contains(string(data), "purego") || strings.Contains(string(data), "CGO_ENABLED=0") {
		t.Error("the Dockerfile builds without cgo, so leakd would sign with Go's slower RSA")
	}
	for _, want := range []string{"CGO_ENABLED=1 go build -trimpath", "-X main.buildCommit=",
		"FROM golang:1.26-bookworm@sha256:", "FROM gcr.io/distroless/base-debian12:nonroot@sha256:", "org.opencontainers.image.revision"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	// The build context is the repository root.
	for _, src := range copies {
		if strings.HasPrefix(src, "--") {
			continue
		}
		if _, err := os.Stat(filepath.Join("..", src)); err != nil {
			t.Errorf("COPY %s: %v", src, err)
		}
	}
	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ignore), "\n!deploy/docker/leak.yaml\n") {
		t.Error("Dockerfile.dockerignore drops deploy/ without keeping deploy/docker/leak.yaml, which the image copies")
	}
}

// TestCompose checks that compose.yaml refers to files that exist and that
// the services agree with each other; there is no Docker engine or compose
// plugin on the test machines to run it.
func TestCompose(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Build *struct {
				Context    string `yaml:"context"`
				Dockerfile string `yaml:"dockerfile"`
			} `yaml:"build"`
			Image   string   `yaml:"image"`
			Ports   []string `yaml:"ports"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"leakd", "mailpit", "redis", "prometheus", "grafana"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s is missing", name)
		}
	}
	mounts := map[string]string{} // target -> source
	for name, s := range c.Services {
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("%s: build: %v", name, err)
			}
		}
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			src := parts[0]
			mounts[parts[1]] = src
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("%s: volume %s: %v", name, v, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s: named volume %s is not declared", name, src)
			}
		}
	}
	// leakd runs the demo config, whose next hop and policy store are
	// services of the stack.
	if src := mounts["/etc/leak/leak.yaml"]; src != "./docker/demo.yaml" {
		t.Errorf("leakd's /etc/leak/leak.yaml is %q, want ./docker/demo.yaml", src)
	}
	leak := readLeakConfig(t, "docker/demo.yaml")
	if mounts[leak.DataDir] == "" {
		t.Errorf("leakd's data_dir %s is not on a volume", leak.DataDir)
	}
	if leak.Delivery.Mode != "smarthost" || leak.Delivery.Smarthost != "mailpit:1025" {
		t.Errorf("leakd delivers %s to %q, want smarthost mailpit:1025 (Mailpit's SMTP port)", leak.Delivery.Mode, leak.Delivery.Smarthost)
	}
	if leak.Policy.Redis != "redis://redis:6379/0" {
		t.Errorf("policy.redis %q, want the stack's redis://redis:6379/0", leak.Policy.Redis)
	}
	for _, p := range c.Services["mailpit"].Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("mailpit publishes %q beyond the host's loopback", p)
		}
	}
	// Prometheus scrapes leakd by service name on http.listen's port.
	prom, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	if target := "leakd:" + port(t, leak.HTTP.Listen); !bytes.Contains(prom, []byte(`"`+target+`"`)) {
		t.Errorf("prometheus/prometheus.yml does not scrape %s", target)
	}
	// Grafana's dashboard provider reads the directory the dashboard is
	// mounted in.
	prov, err := os.ReadFile("grafana/provisioning/dashboards/leak.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(prov, &p); err != nil || len(p.Providers) != 1 {
		t.Fatalf("grafana dashboards provisioning: %v (%d providers)", err, len(p.Providers))
	}
	if src := mounts[p.Providers[0].Options.Path+"/leak-dashboard.json"]; src != "./grafana/leak-dashboard.json" {
		t.Errorf("the dashboard provider reads %s, where compose mounts %q", p.Providers[0].Options.Path, src)
	}
	if mounts["/etc/grafana/provisioning"] != "./grafana/provisioning" {
		t.Error("grafana/provisioning is not mounted at /etc/grafana/provisioning")
	}
}

// TestSystemdUnit runs systemd-analyze on the unit, with the built leakd in
// place of /usr/local/bin/leakd (verify wants an executable there). This is
// fails without systemd-analyze when LEAK_INTEROP=1 (.ci/run installs it).
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatal("systemd-analyze is not installed (Debian package systemd), and LEAK_INTEROP=1 requires it")
		}
		t.Skip("systemd-analyze is not installed (Debian package systemd)")
	}
	data, err := os.ReadFile("systemd/leakd.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ExecStart=/usr/local/bin/leakd serve --config /etc/leak/leak.yaml\n",
		"ExecReload=/bin/kill -HUP $MAINPID\n",
		"Restart=on-failure\n", "KillSignal=SIGTERM\n", "TimeoutStopSec=45\n",
		// leakd speaks sd_notify (cmd/leakd/notify.go, TestSystemdNotify).
		"Type=notify\n", "NotifyAccess=main\n", "WatchdogSec=30s\n",
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("leakd.service lacks %q", strings.TrimSpace(want))
		}
	}
	dir := t.TempDir()
	unit := filepath.Join(dir, "leakd.service")
	err = os.WriteFile(unit, bytes.ReplaceAll(data, []byte("/usr/local/bin/leakd"), []byte(leakd(t))), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, dir, sa, "verify", unit); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The exposure score (0 best, 10 worst), as 10 times the score: the
	// unit scores 1.5; fail above 2.0.
	if out, err := run(t, dir, sa, "security", "--offline=yes", "--threshold=20", unit); err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 (%v)\n%s", err, out)
	}
}
