package deploy

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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

// needTool returns the path of an external tool, or skips the test when it
// is missing; with LEAK_INTEROP=1 (CI) a missing tool fails it instead.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("LEAK_INTEROP") == "1" {
		t.Fatalf("%s is not installed, and LEAK_INTEROP=1 requires it (apt-get install %s)", name, pkg)
	}
	t.Skipf("%s is not installed (apt-get install %s, or run .ci/run)", name, pkg)
	return ""
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

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
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

// TestPromtool checks the Prometheus config and rules, and runs the rules'
// unit tests (prometheus/alerts_test.yml).
func TestPromtool(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	for _, args := range [][]string{
		{"check", "config", "prometheus/prometheus.yml"},
		{"check", "rules", "prometheus/alerts.yml"},
		{"test", "rules", "prometheus/alerts_test.yml"},
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

// TestAlertRules checks what promtool does not: the rules' metrics against
// metrics/README.md, and the conventions every rule follows. That each alert
// fires is promtool's part (alerts_test.yml).
func TestAlertRules(t *testing.T) {
	defs := loadCatalogue(t)
	rf := loadRules(t)
	want := []string{"LeakQueueGrowing", "LeakQueueOldestTooOld", "LeakDeliveryFailureRatioHigh",
		"LeakNoAcceptsWhileConnections", "LeakDKIMSigningFailures", "LeakSpoolWriteErrors",
		"LeakRedisUnreachable", "LeakInstanceDown"}
	seen := map[string]bool{}
	tests, err := os.ReadFile("prometheus/alerts_test.yml")
	if err != nil {
		t.Fatal(err)
	}
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
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs summary and description annotations", r.Alert)
			}
			if !strings.Contains(r.Expr, `job="leak"`) {
				t.Errorf("%s: does not select job=\"leak\"", r.Alert)
			}
			// Each alert must be shown to fire in the unit tests.
			if !bytes.Contains(tests, []byte("alertname: "+r.Alert+"\n")) {
				t.Errorf("%s: alerts_test.yml has no test that expects it to fire", r.Alert)
			}
		}
	}
	for _, a := range want {
		if !seen[a] {
			t.Errorf("alert %s is missing", a)
		}
	}
}

// TestConfigs runs `leakd config check` on every leakd config shipped here.
func TestConfigs(t *testing.T) {
	bin := leakd(t)
	for _, f := range []string{"docker/leak.yaml", "systemd/leak.yaml", "kubernetes/leak.yaml"} {
		out, err := run(t, ".", bin, "config", "check", "--config", f)
		if err != nil {
			t.Errorf("leakd config check %s: %v\n%s", f, err, out)
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

// TestDockerfile checks the image against its config: hadolint is not
// packaged for Debian, so these are the checks that matter most here.
func TestDockerfile(t *testing.T) {
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
	if want := port(t, cfg.SMTP.Listen) + " " + port(t, cfg.HTTP.Listen); expose != want {
		t.Errorf("EXPOSE %q, want %q from docker/leak.yaml", expose, want)
	}
	if !strings.Contains(cmd, `"/etc/leak/leak.yaml"`) {
		t.Errorf("CMD %s does not use /etc/leak/leak.yaml", cmd)
	}
	// The shipped image signs with OpenSSL (README "Which build"), and its
	// builder and final stage share a Debian release, so that libcrypto
	// matches.
	for _, want := range []string{"CGO_ENABLED=1 go build -tags openssl -trimpath", "-X main.buildCommit=", "libssl-dev",
		"FROM golang:1.26-bookworm AS build", "FROM gcr.io/distroless/base-debian12:nonroot", "org.opencontainers.image.revision"} {
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
	for _, name := range []string{"leakd", "prometheus", "grafana"} {
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
	leak := readLeakConfig(t, "docker/leak.yaml")
	if mounts[leak.DataDir] == "" {
		t.Errorf("leakd's data_dir %s is not on a volume", leak.DataDir)
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
