package relay

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strings"

	"leak/metrics"
)

// The client's IP and port must never reach the log (DESIGN.md, "What is
// stored"). They are kept out in two layers: at the source, the connection
// wrapper strips the addresses from every network error it returns and
// reports a placeholder as its remote address (see scrub and peerAddr); and
// every line the relay logs passes through redactText, which blanks
// anything shaped like an IP address that some wrapped error still carries.

// peerAddr is what a client connection reports as its remote address: a
// placeholder, so go-smtp's "error handling %v" and "panic serving %v"
// name nobody. It keeps the connection so the panic handler knows which
// session panicked.
type peerAddr struct{ c *conn }

func (peerAddr) Network() string { return "tcp" }
func (peerAddr) String() string  { return "[peer]" }

// scrub returns a connection error without the addresses a *net.OpError
// carries ("read tcp 192.0.2.1:25->198.51.100.7:41234: ..." becomes
// "read tcp: ..."). It stays a *net.OpError, so callers' checks for
// timeouts and net.ErrClosed still work.
func scrub(err error) error {
	if oe, ok := err.(*net.OpError); ok && (oe.Source != nil || oe.Addr != nil) {
		c := *oe
		c.Source, c.Addr = nil, nil
		return &c
	}
	return err
}

// addrRun matches the runs of characters an IP address, with brackets, a
// zone and a port, is written with; redactText keeps those that parse as
// one. "12:30:45", "0bcc025c" or "3.4" are not addresses.
var addrRun = regexp.MustCompile(`[0-9A-Fa-f:.\[\]%]{2,}`)

// redactText blanks every IP address (and its port) in s: "192.0.2.1",
// "192.0.2.1:25", "[2001:db8::1]:25", "2001:db8::1". It is the one function
// that error text passes through on its way to the log.
func redactText(s string) string {
	if !strings.ContainsAny(s, ".:") {
		return s
	}
	return addrRun.ReplaceAllStringFunc(s, func(run string) string {
		// Punctuation that ends a sentence or an error prefix.
		core := strings.TrimRight(run, ":.")
		if isAddr(core) {
			return "[addr]" + run[len(core):]
		}
		return run
	})
}

// isAddr reports whether s is an IP address, possibly bracketed, with a
// zone or a port.
func isAddr(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || port == "" || strings.Trim(port, "0123456789") != "" {
		return false
	}
	_, err = netip.ParseAddr(host)
	return err == nil
}

// redactHandler passes every string and error attribute of a log record
// through redactText, so no caller has to remember to.
type redactHandler struct{ h slog.Handler }

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, redactText(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactHandler{r.h.WithAttrs(red)}
}

func (r redactHandler) WithGroup(name string) slog.Handler { return redactHandler{r.h.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redactText(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, x := range g {
			red[i] = redactAttr(x)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok && err != nil {
			return slog.String(a.Key, redactText(err.Error()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// errorLog adapts go-smtp's logger. go-smtp formats the peer's address into
// its messages; with peerAddr that is a placeholder, and the text goes
// through the redacting logger all the same. A recovered panic becomes one
// error line and a count, its stack a debug line: a client that makes
// go-smtp panic over and over must not be able to fill the disk.
type errorLog struct {
	log *slog.Logger
	m   *metrics.Metrics
}

// The formats go-smtp (v0.26) logs with.
const (
	fmtPanic    = "panic serving %v: %v\n%s"
	fmtConnErr  = "error handling %v: %s"
	panicPrefix = "panic serving"
)

func (l errorLog) Printf(format string, v ...any) {
	switch {
	case format == fmtPanic && len(v) == 3:
		l.panicked(v[0], v[1], v[2])
	case strings.HasPrefix(format, panicPrefix):
		// A format this code does not know yet: still a panic.
		l.m.Panics.Inc()
		l.log.Error("smtp session panic", "panic", firstLine(fmt.Sprintf(format, v...)))
	case format == fmtConnErr:
		// A client that goes away mid-command is routine.
		l.log.Info("smtp connection error", "err", fmt.Sprintf(format, v...))
	default:
		l.log.Warn("smtp server", "err", fmt.Sprintf(format, v...))
	}
}

func (l errorLog) Println(v ...any) {
	l.log.Warn("smtp server", "err", strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

// panicked logs a panic go-smtp recovered. go-smtp answers 421 and closes
// the connection, but goes on with the commands it had already read (the
// next ones panic again on the session it has just dropped): only the
// first panic of a connection gets an error line.
func (l errorLog) panicked(addr, val, stack any) {
	l.m.Panics.Inc()
	if p, ok := addr.(peerAddr); ok && p.c.panicked.Swap(true) {
		l.log.Debug("smtp session panic again on a closed session", "panic", fmt.Sprint(val))
		return
	}
	l.log.Error("smtp session panic", "panic", fmt.Sprint(val))
	l.log.Debug("smtp session panic stack", "stack", fmt.Sprintf("%s", stack))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
