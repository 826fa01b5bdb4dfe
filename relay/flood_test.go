package relay

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leak/metrics"
	"leak/policy"
	"leak/policy/testutil"
)

// floodPolicy is a policy engine with the default connection limits
// (conn_per_ip 20, conn_total 1000) and rate limits out of the way, so that
// only connection admission is measured.
func floodPolicy(t testing.TB) *policy.Engine {
	t.Helper()
	store, err := policy.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	opts := policy.DefaultOptions()
	opts.Secret = []byte("flood test secret, 32 bytes long")
	high := policy.Limit{Rate: 1_000_000, Burst: 1_000_000, Period: time.Minute}
	opts.IP, opts.Net, opts.Sender, opts.SenderDomain, opts.Recipient, opts.Global = high, high, high, high, high, high
	e, err := policy.Open(opts, store)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// idler is one flooding client: it connects from ip, reads the greeting
// and says nothing more; when the server drops it, it comes back.
type idler struct {
	addr, ip string
	open     *atomic.Int64 // connections greeted and not yet dropped
	evicted  *atomic.Int64 // dropped with 421 4.4.2
}

func (d idler) run(ctx context.Context) {
	dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(d.ip)}, Timeout: 5 * time.Second}
	for ctx.Err() == nil {
		c, err := dialer.DialContext(ctx, "tcp", d.addr)
		if err == nil {
			d.hold(ctx, c)
		}
		// A real flood would come back at once; a pause keeps the test
		// from spinning on the two shared cores.
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (d idler) hold(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	r := bufio.NewReader(c)
	greeting, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(greeting, "220") {
		return
	}
	d.open.Add(1)
	defer d.open.Add(-1)
	bye, _ := r.ReadString('\n')
	if strings.HasPrefix(bye, "421 4.4.2") {
		d.evicted.Add(1)
	}
	io.Copy(io.Discard, r)
}

// sendOne sends one message from ip as a well-behaved client would.
func sendOne(addr, ip string) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	expect := func(prefix string) error {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if len(line) >= 4 && line[3] == '-' {
				continue
			}
			if !strings.HasPrefix(line, prefix) {
				return fmt.Errorf("got %q, want %s", strings.TrimSpace(line), prefix)
			}
			return nil
		}
	}
	if err := expect("220"); err != nil {
		return err
	}
	for _, step := range []struct{ send, want string }{
		{"EHLO client.example\r\n", "250"},
		{"MAIL FROM:<a@example.net>\r\n", "250"},
		{"RCPT TO:<to+bob=example.com@leak.example>\r\n", "250"},
		{"DATA\r\n", "354"},
		{simpleMessage + ".\r\n", "250"},
		{"QUIT\r\n", "221"},
	} {
		if _, err := io.WriteString(c, step.send); err != nil {
			return err
		}
		if err := expect(step.want); err != nil {
			return err
		}
	}
	return nil
}

// B: 1,000 greeted-then-idle connections from 100 addresses fill
// conn_total at the default limits; a legitimate client must still get its
// messages through, each time, while the flood comes back as fast as it is
// dropped.
func TestIdleFloodLeavesRoom(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 connections")
	}
	const addrs, perAddr, tries = 100, 10, 50
	tr := startRelay(t, func(o *Options) { o.Policy = floodPolicy(t) })

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var open, evicted atomic.Int64
	for a := range addrs {
		for range perAddr {
			wg.Add(1)
			go func() {
				defer wg.Done()
				idler{addr: tr.addr, ip: fmt.Sprintf("127.0.1.%d", a+1), open: &open, evicted: &evicted}.run(ctx)
			}()
		}
	}
	defer func() {
		stop()
		wg.Wait()
	}()
	testutil.WaitFor(t, "1,000 idle connections", func() bool { return open.Load() == addrs*perAddr })

	var failures []string
	for range tries {
		if err := sendOne(tr.addr, "127.0.0.1"); err != nil {
			failures = append(failures, err.Error())
		}
	}
	ok := tries - len(failures)
	t.Logf("legitimate client: %d/%d messages accepted (%.0f%%) with %d idle connections from %d addresses; %d idle connections evicted",
		ok, tries, 100*float64(ok)/tries, addrs*perAddr, addrs, evicted.Load())
	if len(failures) > 0 {
		t.Errorf("%d of %d messages failed, first: %s", len(failures), tries, failures[0])
	}
	if got := counterValue(t, tr.m.Connections.WithLabelValues(metrics.ResultEvicted)); got < 1 {
		t.Errorf("leak_smtp_connections_total{result=\"evicted\"} = %v after evicting idle connections", got)
	}
	tr.delivered(t, ok)
}
