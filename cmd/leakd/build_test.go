package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/sign"
)

// inProcessConfig writes a laptop config under dir with the given
// listeners and reads it as serve would.
func inProcessConfig(t *testing.T, dir, smtpAddr, httpAddr string) *Config {
	t.Helper()
	path := filepath.Join(dir, "leak.yaml")
	yaml := fmt.Sprintf("domain: leak.example\nhostname: mx.leak.example\ndata_dir: %s\n"+
		"smtp:\n  listen: %s\nhttp:\n  listen: %s\n  public_url: https://leak.example\n"+
		"policy:\n%sdelivery:\n  mode: dir\n  dir: %s\n",
		filepath.Join(dir, "data"), smtpAddr, httpAddr, relaxedPolicy, filepath.Join(dir, "outbox"))
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestBuildRunClose runs the daemon in-process, as serve does: a message
// in is delivered to the outbox, /readyz is 200, the end of Run's context
// drains it, and Close gives back the listeners and the data directory,
// so a second daemon can be built on the same directory and ports.
func TestBuildRunClose(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	smtpAddr, httpAddr := testutil.ReservePort(t), testutil.ReservePort(t)
	cfg := inProcessConfig(t, dir, smtpAddr, httpAddr)
	var logs testutil.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	for round := range 2 {
		d, err := Build(cfg, log)
		if err != nil {
			t.Fatalf("round %d: Build: %v", round, err)
		}
		if d.SMTPAddr() != smtpAddr || d.HTTPAddr() != httpAddr {
			t.Fatalf("bound %s and %s, want %s and %s", d.SMTPAddr(), d.HTTPAddr(), smtpAddr, httpAddr)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()

		marker := fmt.Sprintf("KEEP-in-process-%d", round)
		if _, rep := send(t, smtpAddr, "friend+bob=example.com@leak.example", marker); !strings.HasPrefix(rep, "250") {
			t.Fatalf("round %d: DATA: %q", round, rep)
		}
		testutil.WaitFor(t, "the copy in the outbox", func() bool {
			files, _ := filepath.Glob(filepath.Join(dir, "outbox", "new", "*.eml"))
			for _, f := range files {
				if b, _ := os.ReadFile(f); strings.Contains(string(b), marker) {
					return true
				}
			}
			return false
		})
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("round %d: /readyz %d", round, resp.StatusCode)
		}

		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: Run: %v", round, err)
			}
		case <-time.After(testutil.WaitTimeout):
			t.Fatalf("round %d: Run did not return after its context ended", round)
		}
		d.Close()
		d.Close() // a second Close does nothing
	}
	if !strings.Contains(logs.String(), "leakd stopped") {
		t.Errorf("no clean stop in the log:\n%s", logs.String())
	}
}

// TestBuildFailsClean: a Build that fails part-way (the private listener's
// port is taken) names the key and closes what it had opened: the SMTP
// port and the data directory are free again for the next Build.
func TestBuildFailsClean(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpAddr := testutil.ReservePort(t)
	cfg := inProcessConfig(t, dir, smtpAddr, taken.Addr().String())
	log := slog.New(slog.DiscardHandler)
	if d, err := Build(cfg, log); err == nil || !strings.Contains(err.Error(), "http.listen") {
		if d != nil {
			d.Close()
		}
		t.Fatalf("Build with a taken http.listen: %v", err)
	}
	l, err := net.Listen("tcp", smtpAddr)
	if err != nil {
		t.Fatalf("the SMTP port is still held after the failed Build: %v", err)
	}
	l.Close()
	taken.Close()
	d, err := Build(cfg, log)
	if err != nil {
		t.Fatalf("Build after the failure (data directory lock left behind?): %v", err)
	}
	d.Close()
}

// serve raises the collector's target to leakdGOGC unless GOGC is set, in
// which case the environment's value stands.
func TestGCDefaults(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	t.Setenv("GOGC", "")
	gcDefaults()
	if got := debug.SetGCPercent(100); got != leakdGOGC {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, leakdGOGC)
	}
	t.Setenv("GOGC", "50")
	gcDefaults()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50 in the environment: serve changed the GC percent to %d", got)
	}
}

// serve gives the scheduler leakdProcsPerCPU Ps per CPU when OpenSSL
// signs, unless GOMAXPROCS is set; with Go's RSA it leaves the default.
func TestProcsDefaults(t *testing.T) {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	t.Setenv("GOMAXPROCS", "")
	procsDefaults()
	want := 2
	if rsa, _ := sign.Backend(); rsa == "openssl" {
		want = 2 * leakdProcsPerCPU
	}
	if got := runtime.GOMAXPROCS(2); got != want {
		t.Errorf("GOMAXPROCS unset: %d Ps, want %d", got, want)
	}
	t.Setenv("GOMAXPROCS", "2")
	procsDefaults()
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("GOMAXPROCS=2 in the environment: serve changed it to %d", got)
	}
}
