package auth

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// resolver is the DNS client of all three checks. Every lookup gets its
// own timeout, and names are made absolute so that the resolv.conf search
// list never turns _dmarc.example.com into _dmarc.example.com.corp.example.
// It satisfies spf.DNSResolver. Errors are the *net.DNSError of
// net.Resolver, unwrapped: go-msgauth tells a temporary failure from a
// missing record by asserting net.Error on them.
type resolver struct {
	r       *net.Resolver
	timeout time.Duration
}

// newResolver queries server (an IP address and port) or, if server is
// empty, the servers of /etc/resolv.conf. Either way it is Go's own
// resolver, dialling through dial.
func newResolver(server string, timeout time.Duration) (*resolver, error) {
	r := &resolver{r: &net.Resolver{PreferGo: true, Dial: dial}, timeout: timeout}
	if server == "" {
		return r, nil
	}
	ap, err := netip.ParseAddrPort(server)
	if err != nil {
		return nil, fmt.Errorf("auth: resolver %q: want an IP address and a port: %w", server, err)
	}
	addr := ap.String()
	// Go's resolver dials UDP, and TCP for a truncated answer; both go
	// to the configured server.
	r.r.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dial(ctx, network, addr)
	}
	return r, nil
}

// dial connects to a DNS server for one exchange. Go's resolver waits for
// the answer until its deadline even when ctx is canceled (it only sets a
// deadline on the connection), so Abort would wait up to the resolv.conf
// timeout: when ctx ends, the deadline moves to now. The exchange cancels
// ctx when it returns, so the AfterFunc always runs, by then on a closed
// connection.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return c, nil
}

func fqdn(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

func (r *resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.r.LookupTXT(ctx, fqdn(name))
}

func (r *resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.r.LookupMX(ctx, fqdn(name))
}

func (r *resolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.r.LookupIPAddr(ctx, fqdn(host))
}

func (r *resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.r.LookupAddr(ctx, addr)
}
