package main

import (
	"log"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"golang.org/x/net/netutil"
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
func newHTTPServer(cfg *Config, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           http.MaxBytesHandler(h, httpMaxBodyBytes),
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout.Duration,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		ErrorLog:          log.New(peerlessWriter{logger}, "", 0),
	}
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
