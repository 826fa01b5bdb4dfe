package relay

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestRedactText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"read tcp 127.0.0.1:2525->127.0.1.27:56535: read: connection reset by peer", "read tcp [addr]->[addr]: read: connection reset by peer"},
		{"dial tcp [2001:db8::1]:25: i/o timeout", "dial tcp [addr]: i/o timeout"},
		{"from 2001:db8::7 and ::1 and fe80:0:0:0:1:2:3:4", "from [addr] and [addr] and [addr]"},
		{"::ffff:192.0.2.1", "[addr]"},
		{"at 12:30:45 nothing happened", "at 12:30:45 nothing happened"},
		{"spool: 12 MiB free, need 64 MiB", "spool: 12 MiB free, need 64 MiB"},
		{"mid=0bcc025c311517ff size=<16KiB", "mid=0bcc025c311517ff size=<16KiB"},
	} {
		if got := redactText(tt.in); got != tt.want {
			t.Errorf("redactText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// scrub removes both ends' addresses and keeps what callers test for.
func TestScrub(t *testing.T) {
	t.Parallel()
	src := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 2525}
	dst := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 41234}
	err := scrub(&net.OpError{Op: "read", Net: "tcp", Source: src, Addr: dst, Err: net.ErrClosed})
	if s := err.Error(); strings.Contains(s, "192.0.2.7") || strings.Contains(s, "41234") || strings.Contains(s, "2525") {
		t.Errorf("scrubbed error still names an address: %q", s)
	}
	if !errors.Is(err, net.ErrClosed) {
		t.Error("scrubbed error lost its cause")
	}
	if _, ok := err.(*net.OpError); !ok {
		t.Errorf("scrubbed error is a %T, want *net.OpError (go-smtp type-asserts net.Error)", err)
	}
}

// Every line the relay logs is redacted, whatever logged it and however
// deeply the address is wrapped.
func TestLoggerRedacts(t *testing.T) {
	t.Parallel()
	var sink logSink
	tr := startRelay(t, func(o *Options) { o.Logger = sink.logger() })
	inner := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.ParseIP("198.51.100.9"), Port: 587}, Err: errors.New("refused")}
	tr.srv.log.Warn("test", "err", fmt.Errorf("deliver: %w", inner), "text", "peer 198.51.100.9 said no")
	tr.srv.log.With("err", inner).Info("with attrs")
	if strings.Contains(sink.String(), "198.51.100.9") {
		t.Errorf("log holds an address:\n%s", sink.String())
	}
}
