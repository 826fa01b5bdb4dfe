package main

import (
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/net/netutil"

	"leak/metrics"
)

// HTTP limits. The pages Leak serves are small: an unsubscribe POST is one
// form field, a scrape a GET. A client that needs longer than these is
// holding a connection, not using it.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpReadTimeout       = 30 * time.Second
	httpWriteTimeout      = 60 * time.Second
	httpMaxHeaderBytes    = 16 << 10
	httpMaxBodyBytes      = 64 << 10
)

// newHTTPServer wraps h with the limits every Leak listener keeps: header,
// read, write and idle timeouts, a header and a body size limit. Keep-alive
// connections idle longer than http.idle_timeout are closed, so a client
// cannot hold descriptors by opening connections and leaving them.
func newHTTPServer(cfg *Config, h http.Handler, m *metrics.Metrics, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           instrument(http.MaxBytesHandler(h, httpMaxBodyBytes), m, logger),
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout.Duration,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		ErrorLog:          log.New(peerlessWriter{logger}, "", 0),
	}
}

// withPprof adds Go's profiles under /debug/pprof/ in front of h when
// http.pprof is on, for the private listener only: `go tool pprof
// http://127.0.0.1:8025/debug/pprof/profile?seconds=20` then shows where
// leakd spends under load. Off, h is returned as it is and the paths are
// h's (a 404).
func withPprof(cfg *Config, h http.Handler) http.Handler {
	if !cfg.HTTP.Pprof {
		return h
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}

// listenHTTP listens on addr and accepts at most max connections at once;
// the next waits in the kernel's backlog until one closes. Without a cap,
// a thousand keep-alive connections exhaust the process's descriptors and
// the SMTP listener's accept fails with them.
func listenHTTP(addr string, max int) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return netutil.LimitListener(l, max), nil
}

// hostPort matches an IPv4 or bracketed IPv6 address with a port, the way
// net/http prints a client ("http: TLS handshake error from 192.0.2.1:5678").
var hostPort = regexp.MustCompile(`(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.%a-z]+\]):\d+`)

// peerlessWriter turns net/http's own error log into slog lines at warn
// level, with every client address replaced: the server's log must not say
// who connected.
type peerlessWriter struct{ log *slog.Logger }

func (w peerlessWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(hostPort.ReplaceAllString(string(p), "[peer]"))
	w.log.Warn("http server", "err", msg)
	return len(p), nil
}

// instrument counts every request in leak_http_requests_total by page
// family and status class, and turns a handler's panic into one log line
// (the stack at debug level only) and leak_panics_total, instead of
// net/http's multi-line dump.
func instrument(h http.Handler, m *metrics.Metrics, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		family := pageFamily(r.URL.Path)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				m.Panics.Inc()
				m.HTTPRequests.WithLabelValues(family, "5xx").Inc()
				logger.Error("panic in an HTTP handler", "page", family, "panic", v)
				logger.Debug("panic stack", "stack", string(debug.Stack()))
				panic(http.ErrAbortHandler) // close the connection quietly
			}
			m.HTTPRequests.WithLabelValues(family, metrics.HTTPClass(sw.code)).Inc()
		}()
		h.ServeHTTP(sw, r)
	})
}

// pageFamily maps a request path onto the handler label.
func pageFamily(path string) string {
	switch {
	case strings.HasPrefix(path, "/u/"):
		return metrics.HandlerUnsubscribe
	case strings.HasPrefix(path, "/r/"):
		return metrics.HandlerReport
	case strings.HasPrefix(path, "/api/"):
		return metrics.HandlerAPI
	case path == "/", path == "/send", strings.HasPrefix(path, "/static/"):
		return metrics.HandlerForm
	case path == "/metrics":
		return metrics.HandlerMetrics
	case path == "/healthz", path == "/readyz":
		return metrics.HandlerHealth
	}
	return metrics.HandlerOther
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
