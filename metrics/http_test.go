package metrics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// secret stands for what a check's error may hold: a path, a host.
const secret = "/var/lib/leak/spool/q: permission denied"

func get(t *testing.T, h http.Handler, method, path string) (int, string, http.Header) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, string(body), rec.Result().Header
}

func TestMetricsEndpoint(t *testing.T) {
	m := New("v1.0.0")
	m.Commands.WithLabelValues(CommandLabel("ehlo"), ReplyClass(250)).Inc()
	m.Messages.WithLabelValues(ResultRejected, ReasonLineEnding).Add(2)
	h := Handler(m, nil)

	code, body, hdr := get(t, h, http.MethodGet, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text exposition format", ct)
	}
	for _, want := range []string{
		`leak_build_info{goversion="` + runtime.Version() + `",rsa="",version="v1.0.0"} 1`,
		`leak_smtp_commands_total{class="2xx",command="EHLO"} 1`,
		`leak_smtp_commands_total{class="5xx",command="OTHER"} 0`,
		`leak_smtp_messages_total{reason="line_ending",result="rejected"} 2`,
		`leak_queue_depth_messages 0`,
		`# TYPE leak_smtp_message_size_bytes histogram`,
		`leak_smtp_message_size_bytes_bucket{le="6.7108864e+07"} 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestHealthz(t *testing.T) {
	// Readiness checks have no bearing on liveness.
	h := Handler(New("test"), map[string]Check{
		"spool": func(context.Context) error { return errors.New(secret) },
	})
	code, body, hdr := get(t, h, http.MethodGet, "/healthz")
	if code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", code, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestReadyz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	fail := func(context.Context) error { return errors.New(secret) }
	tests := []struct {
		name     string
		checks   map[string]Check
		wantCode int
		wantBody string
	}{
		{"no checks", nil, http.StatusOK, "ready\n"},
		{"all pass", map[string]Check{"spool": ok, "redis": ok}, http.StatusOK, "ready\n"},
		{"one fails", map[string]Check{"spool": fail, "redis": ok}, http.StatusServiceUnavailable, "spool\n"},
		{
			"several fail, sorted",
			map[string]Check{"spool": fail, "redis": fail, "dkim": ok, "dns": fail},
			http.StatusServiceUnavailable, "dns\nredis\nspool\n",
		},
		{"nil check fails", map[string]Check{"spool": nil}, http.StatusServiceUnavailable, "spool\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := captureLog(t)
			code, body, _ := get(t, Handler(New("test"), tt.checks), http.MethodGet, "/readyz")
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("GET /readyz = %d %q, want %d %q", code, body, tt.wantCode, tt.wantBody)
			}
			if strings.Contains(body, "permission") || strings.Contains(body, "/var/") {
				t.Errorf("check error text in body %q", body)
			}
			if tt.wantCode != http.StatusOK && tt.checks["spool"] != nil && !strings.Contains(logs.String(), secret) {
				t.Errorf("check error not logged; log:\n%s", logs)
			}
		})
	}
}

// TestReadyzTimeout checks that a check gets a deadline, and that one which
// ignores it still cannot hold the probe past that deadline.
func TestReadyzTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var (
		mu          sync.Mutex
		hasDeadline bool
		left        time.Duration
		ran         = make(chan struct{})
	)
	checks := map[string]Check{
		"obeys": func(ctx context.Context) error {
			d, ok := ctx.Deadline()
			mu.Lock()
			hasDeadline, left = ok, time.Until(d)
			mu.Unlock()
			close(ran)
			<-ctx.Done()
			return ctx.Err()
		},
		"deaf": func(context.Context) error {
			<-release
			return nil
		},
	}
	captureLog(t)
	// A request context already past its deadline stands in for the 2 s
	// timeout, so the test does not wait on the clock.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	Handler(New("test"), checks).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "deaf\nobeys\n" {
		t.Errorf("GET /readyz = %d %q, want 503 \"deaf\\nobeys\\n\"", rec.Code, rec.Body.String())
	}
	// The probe may answer before the check even started; wait for it.
	<-ran
	mu.Lock()
	defer mu.Unlock()
	if !hasDeadline || left > checkTimeout {
		t.Errorf("check deadline: set %v, %v away; want at most %v", hasDeadline, left, checkTimeout)
	}
}

func TestRoutes(t *testing.T) {
	h := Handler(New("test"), nil)
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/metrics", http.StatusOK},
		{http.MethodHead, "/healthz", http.StatusOK},
		{http.MethodPost, "/metrics", http.StatusMethodNotAllowed},
		{http.MethodPost, "/readyz", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/healthz", http.StatusMethodNotAllowed},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodGet, "/debug/pprof/", http.StatusNotFound},
	}
	for _, tt := range tests {
		if code, _, _ := get(t, h, tt.method, tt.path); code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, code, tt.want)
		}
	}
}

// TestHandlerCopiesChecks checks that changing the caller's map after
// Handler returns changes nothing.
func TestHandlerCopiesChecks(t *testing.T) {
	checks := map[string]Check{}
	h := Handler(New("test"), checks)
	checks["late"] = func(context.Context) error { return errors.New("x") }
	if code, _, _ := get(t, h, http.MethodGet, "/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz = %d after the caller's map changed, want 200", code)
	}
}

// logBuffer is a log sink safe for concurrent writers. (metrics sits below
// policy, where the shared test helpers live, so it keeps its own.)
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// captureLog sends slog's default logger to a buffer for the test.
func captureLog(t *testing.T) *logBuffer {
	t.Helper()
	buf := &logBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return buf
}
