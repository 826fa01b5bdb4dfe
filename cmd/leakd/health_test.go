package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHealth: `leakd health` exits 0 while the relay is ready, and 1 when
// /readyz answers 503 or nothing listens, as the image's HEALTHCHECK needs.
func TestHealth(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{})
	d.start()
	out, err := exec.Command(leakdBin, "health", "--config", d.config).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ready" {
		t.Errorf("health of a ready relay: %v, %q", err, out)
	}
	d.stop()
	out, err = exec.Command(leakdBin, "health", "--config", d.config).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "health:") {
		t.Errorf("health with nothing listening: exit %d, %q", code, out)
	}

	// A relay that answers, but not ready: the failing checks are named.
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("policy\nspool\n"))
	}))
	defer notReady.Close()
	cfg := filepath.Join(t.TempDir(), "leak.yaml")
	os.WriteFile(cfg, []byte("http:\n  listen: "+strings.TrimPrefix(notReady.URL, "http://")+"\n"), 0o600)
	out, err = exec.Command(leakdBin, "health", "--config", cfg).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "503") || !strings.Contains(string(out), "policy spool") {
		t.Errorf("health of a relay that is not ready: exit %d, %q", code, out)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestLocalAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0.0.0.0:8025": "127.0.0.1:8025", ":8025": "127.0.0.1:8025", "[::]:8025": "[::1]:8025",
		"10.1.2.3:8025": "10.1.2.3:8025", "127.0.0.1:9": "127.0.0.1:9",
	} {
		if got := localAddr(in); got != want {
			t.Errorf("localAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDockerfileHealthcheck: the image's HEALTHCHECK runs `leakd health`
// in exec form (distroless has no shell) on the config its CMD serves.
func TestDockerfileHealthcheck(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var health, cmd []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "HEALTHCHECK "); ok {
			_, exec, _ := strings.Cut(rest, " CMD ")
			if err := json.Unmarshal([]byte(exec), &health); err != nil {
				t.Fatalf("HEALTHCHECK is not in exec form: %s", line)
			}
		}
		if rest, ok := strings.CutPrefix(line, "CMD "); ok {
			json.Unmarshal([]byte(rest), &cmd)
		}
	}
	want := append([]string{"/usr/local/bin/leakd", "health"}, cmd[1:]...)
	if len(cmd) < 3 || cmd[0] != "serve" || !slices.Equal(health, want) {
		t.Errorf("HEALTHCHECK CMD %q, want %q (CMD %q)", health, want, cmd)
	}
}
