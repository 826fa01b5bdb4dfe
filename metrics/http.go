package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports whether one dependency of Leak (the spool directory, redis,
// ...) is usable. It must return when ctx is done.
type Check func(ctx context.Context) error

// checkTimeout bounds each readiness check, so that a probe answers before a
// typical orchestrator probe timeout even if a dependency hangs.
const checkTimeout = 2 * time.Second

// Handler serves the monitoring endpoints:
//
//   - GET /metrics: the Registry of m in the Prometheus exposition formats.
//   - GET /healthz: 200 "ok"; the process is up and serving HTTP.
//   - GET /readyz: runs every check of ready concurrently, each with a 2 s
//     timeout; 200 "ready", or 503 with the names of the failing checks, one
//     per line, sorted. The checks' errors go to the log only, since they
//     may hold file paths or hostnames.
//
// Bodies are text/plain and end with a newline. Other methods get 405, other
// paths 404. The handler is meant for a listener reachable only by the
// monitoring system.
func Handler(m *Metrics, ready map[string]Check) http.Handler {
	// Copy so that a caller changing its map later cannot race a probe.
	checks := maps.Clone(ready)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		ErrorLog: slogLogger{},
		// A collector failing (say, /proc unreadable) should cost its own
		// series, not the whole scrape.
		ErrorHandling: promhttp.ContinueOnError,
		// Scrapes are rare and cheap; more than a few at once is a
		// misconfiguration or abuse, not monitoring.
		MaxRequestsInFlight: 4,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		failed := runChecks(r.Context(), checks)
		if len(failed) == 0 {
			writeText(w, http.StatusOK, "ready\n")
			return
		}
		writeText(w, http.StatusServiceUnavailable, strings.Join(failed, "\n")+"\n")
	})
	return mux
}

// runChecks runs every check concurrently and returns the sorted names of
// those that failed. A check that does not return within checkTimeout is
// counted as failed and left to finish on its own.
func runChecks(ctx context.Context, checks map[string]Check) []string {
	type result struct {
		name string
		err  error
	}
	// Buffered so that a check finishing after its timeout does not block
	// its goroutine forever.
	results := make(chan result, len(checks))
	for name, c := range checks {
		go func() {
			results <- result{name, runCheck(ctx, c)}
		}()
	}

	var failed []string
	for range checks {
		res := <-results
		if res.err != nil {
			slog.Warn("metrics: readiness check failed", "check", res.name, "err", res.err)
			failed = append(failed, res.name)
		}
	}
	slices.Sort(failed)
	return failed
}

// runCheck runs one check under checkTimeout, returning when the deadline
// passes even if the check ignores its context.
func runCheck(parent context.Context, c Check) error {
	if c == nil {
		return errors.New("nil check")
	}
	ctx, cancel := context.WithTimeout(parent, checkTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer within %s: %w", checkTimeout, ctx.Err())
	}
}

func writeText(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A failed write means the prober went away; there is no one to tell.
	_, _ = w.Write([]byte(body))
}

// slogLogger routes promhttp's errors (gathering, encoding) to slog.
type slogLogger struct{}

// Println implements promhttp.Logger.
func (slogLogger) Println(v ...any) {
	slog.Error("metrics: serving /metrics", "err", fmt.Sprint(v...))
}

var _ promhttp.Logger = slogLogger{}
