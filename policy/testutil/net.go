package testutil

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	// locks holds the lock file of every port this process reserved. They
	// are never closed: the kernel drops the locks when the process exits.
	locks []*os.File
)

// ReservePort returns a loopback address ("127.0.0.1:PORT") that nothing
// listens on and that no other test process will be handed. Use it only
// where a listener cannot be handed over: a subprocess (leakd,
// redis-server, Postfix) that binds the port itself, or a test that needs
// the port closed for a while.
//
// Asking the kernel for a free port and closing it is not enough when
// `go test ./...` runs several test binaries at once: the kernel hands out
// the same ephemeral ports to outgoing connections and to other
// processes' port-0 listeners, and one leakd's SMTP listener once took
// another test's HTTP port that way. So the port comes from below the
// kernel's ephemeral range (net.ipv4.ip_local_port_range), which the
// kernel never picks by itself, and each is claimed with an flock(2) on a
// file under $TMPDIR/leak-test-ports that every test process honours and
// the kernel releases when the process exits.
func ReservePort(t testing.TB) string {
	t.Helper()
	reservedMu.Lock()
	defer reservedMu.Unlock()
	lo, hi := reservableRange()
	dir := filepath.Join(os.TempDir(), "leak-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("testutil: port locks: %v", err)
	}
	for range 1000 {
		port := lo + rand.IntN(hi-lo)
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			t.Fatalf("testutil: port locks: %v", err)
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close() // another test process holds it
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			// Something outside the tests listens there; keep the lock so
			// this process does not try the port again.
			locks = append(locks, f)
			continue
		}
		l.Close()
		locks = append(locks, f)
		return addr
	}
	t.Fatalf("testutil: no free loopback port in [%d, %d)", lo, hi)
	return ""
}

// reservableRange is the 12,000 ports just below the kernel's ephemeral
// range (on Linux's default 32768–60999: 20768–32767).
func reservableRange() (lo, hi int) {
	hi = 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var l, h int
		if n, _ := fmt.Sscan(strings.TrimSpace(string(b)), &l, &h); n == 2 && l > 12000+1024 {
			hi = l
		}
	}
	return hi - 12000, hi
}
