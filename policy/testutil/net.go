package testutil

import (
	"net"
	"sync"
	"testing"
)

// Listen opens a TCP listener on a loopback port the kernel picks, and
// closes it when the test ends. Hand the listener itself to an in-process
// server (srv.Serve(l)): unlike asking for a free port and listening on it
// later, nobody can take the port in between.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testutil: listen on loopback: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

var (
	reservedMu sync.Mutex
	reserved   = map[string]bool{}
)

// ReservePort returns a loopback address ("127.0.0.1:PORT") that nobody
// listened on a moment ago. Use it only where a listener cannot be handed
// over: a subprocess (leakd, redis-server, Postfix) that binds the port
// itself, or a test that needs the port closed for a while.
//
// It races: the port is closed when ReservePort returns, and another
// process may bind it before the test does. The kernel picks ephemeral
// ports at random, so this is rare, and within one test binary no address
// is handed out twice. A test that fails with "address already in use"
// should be rerun before it is believed.
func ReservePort(t testing.TB) string {
	t.Helper()
	reservedMu.Lock()
	defer reservedMu.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("testutil: listen on loopback: %v", err)
		}
		addr := l.Addr().String()
		l.Close()
		if !reserved[addr] {
			reserved[addr] = true
			return addr
		}
	}
	t.Fatal("testutil: no loopback port left that was not handed out before")
	return ""
}
