package testutil

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestListenHandsOverAnOpenListener(t *testing.T) {
	l := Listen(t)
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		done <- err
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("dial the handed-over listener: %v", err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("accept: %v", err)
	}
}

// ReservePort never hands out one address twice, and the address can be
// bound right after.
func TestReservePortDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		a := ReservePort(t)
		if seen[a] {
			t.Fatalf("%s handed out twice", a)
		}
		seen[a] = true
	}
	l, err := net.Listen("tcp", ReservePort(t))
	if err != nil {
		t.Fatalf("bind a reserved port: %v", err)
	}
	l.Close()
}

// A reserved port lies below the kernel's ephemeral range and stays locked
// against every other test process (another open file description is
// refused the lock, as another process's would be).
func TestReservePortLockedAcrossProcesses(t *testing.T) {
	addr := ReservePort(t)
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	lo, hi := reservableRange()
	if port < lo || port >= hi {
		t.Fatalf("port %d outside [%d, %d)", port, lo, hi)
	}
	f, err := os.Open(filepath.Join(os.TempDir(), "leak-test-ports", p))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		t.Fatalf("the lock on %s is free while the port is reserved", p)
	}
}

func TestNeedTool(t *testing.T) {
	if testing.Short() {
		t.Skip("NeedTool skips everything under -short")
	}
	if p := NeedTool(t, "go"); p == "" {
		t.Fatal("go not found, though the test runs under it")
	}
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		t.Setenv(Interop, "")
		defer func() { skipped = t.Skipped() }()
		NeedTool(t, "leak-no-such-tool-here", "apt-get install nothing")
	})
	if !skipped {
		t.Error("a missing tool did not skip the test")
	}
}

func TestWaitFor(t *testing.T) {
	var mu sync.Mutex
	n := 0
	go func() {
		for range 3 {
			mu.Lock()
			n++
			mu.Unlock()
		}
	}()
	WaitFor(t, "three increments", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return n == 3
	})
}

// failTB records a Fatalf instead of ending the test, so WaitForErr's
// failure can be checked.
type failTB struct {
	testing.TB
	msg string
}

func (f *failTB) Helper() {}
func (f *failTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

func TestWaitForErrGivesUp(t *testing.T) {
	f := &failTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != f {
				t.Fatalf("WaitForErr did not fail the test (recovered %v)", r)
			}
		}()
		WaitForErr(f, "nothing", 10*time.Millisecond, func() error { return fmt.Errorf("still down") })
	}()
	if !strings.Contains(f.msg, "nothing") || !strings.Contains(f.msg, "still down") {
		t.Errorf("message %q does not name what was awaited and the last error", f.msg)
	}
}

// Poll reports a condition that came true, and gives up on one that never
// does instead of failing the test.
func TestPoll(t *testing.T) {
	n := 0
	if !Poll(WaitTimeout, func() bool { n++; return n == 3 }) || n != 3 {
		t.Errorf("Poll stopped after %d calls, want true after 3", n)
	}
	if Poll(5*time.Millisecond, func() bool { return false }) {
		t.Error("Poll reported a condition that never held")
	}
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { fmt.Fprint(&b, "ab") })
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("ab", 8) {
		t.Errorf("String() = %q", got)
	}
}

func query(t *testing.T, d *DNS, network, name string, qtype uint16) (*dns.Msg, error) {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 300 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	r, _, err := c.Exchange(m, d.Addr)
	return r, err
}

func TestDNS(t *testing.T) {
	d := StartDNS(t,
		"mx.example. 60 IN A 127.0.0.1",
		"example. 60 IN MX 10 mx.example.",
	)
	d.SetTXT("Big.Example", strings.Repeat("x", 600))
	d.Fail("broken.example", dns.TypeMX)
	d.Add(t, "broken.example. 60 IN A 192.0.2.1")
	d.Mute("quiet.example")

	tests := []struct {
		name    string
		qtype   uint16
		rcode   int
		answers int
	}{
		{"mx.example", dns.TypeA, dns.RcodeSuccess, 1},
		{"MX.example", dns.TypeA, dns.RcodeSuccess, 1},
		{"example", dns.TypeMX, dns.RcodeSuccess, 1},
		{"example", dns.TypeA, dns.RcodeSuccess, 0}, // NODATA
		{"nowhere.example", dns.TypeA, dns.RcodeNameError, 0},
		{"broken.example", dns.TypeMX, dns.RcodeServerFailure, 0},
		{"broken.example", dns.TypeA, dns.RcodeSuccess, 1},
		{"big.example", dns.TypeTXT, dns.RcodeSuccess, 1},
	}
	for _, tc := range tests {
		r, err := query(t, d, "tcp", tc.name, tc.qtype)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.name, dns.TypeToString[tc.qtype], err)
		}
		if r.Rcode != tc.rcode || len(r.Answer) != tc.answers {
			t.Errorf("%s %s: rcode %s with %d answers, want %s with %d", tc.name, dns.TypeToString[tc.qtype],
				dns.RcodeToString[r.Rcode], len(r.Answer), dns.RcodeToString[tc.rcode], tc.answers)
		}
	}
	r, err := query(t, d, "tcp", "big.example", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if txt := r.Answer[0].(*dns.TXT).Txt; len(txt) != 3 || strings.Join(txt, "") != strings.Repeat("x", 600) {
		t.Errorf("600-octet TXT split into %d strings", len(txt))
	}
	// Over UDP without EDNS0 the 600-octet answer does not fit.
	if r, err := query(t, d, "udp", "big.example", dns.TypeTXT); err != nil || !r.Truncated {
		t.Errorf("UDP answer over 512 octets: err %v, truncated %v", err, r != nil && r.Truncated)
	}
	if _, err := query(t, d, "udp", "quiet.example", dns.TypeA); err == nil {
		t.Error("a muted name was answered")
	}
	if n := d.Asked("quiet.example."); n != 1 {
		t.Errorf("Asked(quiet.example) = %d, want 1", n)
	}
	if d.Queries() != int64(len(tests))+3 {
		t.Errorf("Queries() = %d, want %d", d.Queries(), len(tests)+3)
	}

	d.Truncate("mx.example")
	if r, err := query(t, d, "udp", "mx.example", dns.TypeA); err != nil || !r.Truncated || len(r.Answer) != 0 {
		t.Errorf("truncated name over UDP: %v %v", r, err)
	}
	if r, err := query(t, d, "tcp", "mx.example", dns.TypeA); err != nil || len(r.Answer) != 1 {
		t.Errorf("truncated name over TCP: %v %v", r, err)
	}

	d.Remove("example")
	if r, err := query(t, d, "tcp", "example", dns.TypeMX); err != nil || r.Rcode != dns.RcodeNameError {
		t.Errorf("a removed name still exists: %v %v", r, err)
	}

	d.Load(t, "; replaced\nnew.example. 60 IN TXT \"a\" \"b\"\n")
	if r, err := query(t, d, "tcp", "mx.example", dns.TypeA); err != nil || r.Rcode != dns.RcodeNameError {
		t.Errorf("Load kept the old zone: %v %v", r, err)
	}
	if r, err := query(t, d, "tcp", "new.example", dns.TypeTXT); err != nil || len(r.Answer) != 1 {
		t.Errorf("Load: new.example: %v %v", r, err)
	}
}
