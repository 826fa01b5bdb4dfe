package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// dnsResolver is the DNS client of `leakd dns check`. It asks DNS servers
// directly, as a sending server would: /etc/hosts plays no part (a mail
// host often lists its own name there), and a name without records stays
// apart from a lookup that failed.
type dnsResolver struct {
	servers []string
	timeout time.Duration
}

// errNoRecords is a name that does not exist or has no records of the
// type asked (NXDOMAIN or NODATA).
var errNoRecords = errors.New("no such record")

// newDNSResolver asks server (host:port), or the servers of
// /etc/resolv.conf when server is empty.
func newDNSResolver(server string) (*dnsResolver, error) {
	r := &dnsResolver{timeout: 5 * time.Second}
	if server != "" {
		if _, _, err := net.SplitHostPort(server); err != nil {
			return nil, fmt.Errorf("resolver %q: want host:port, like 127.0.0.1:53", server)
		}
		r.servers = []string{server}
		return r, nil
	}
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(cfg.Servers) == 0 {
		// What Go's and glibc's resolvers do without the file.
		r.servers = []string{"127.0.0.1:53"}
		return r, nil
	}
	for _, s := range cfg.Servers {
		r.servers = append(r.servers, net.JoinHostPort(s, cfg.Port))
	}
	return r, nil
}

// query returns name's records of type qtype, asking each server in turn
// until one answers; errNoRecords when there are none.
func (r *dnsResolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(1232, false) // DNS Flag Day 2020: no IP fragmentation
	var last error
	for _, srv := range r.servers {
		in, err := r.exchange(ctx, m, srv)
		if err != nil {
			last = err
			continue
		}
		switch in.Rcode {
		case dns.RcodeSuccess:
			var rrs []dns.RR
			for _, rr := range in.Answer {
				// A recursive answer may lead with a CNAME chain.
				if rr.Header().Rrtype == qtype {
					rrs = append(rrs, rr)
				}
			}
			if len(rrs) == 0 {
				return nil, errNoRecords
			}
			return rrs, nil
		case dns.RcodeNameError:
			return nil, errNoRecords
		}
		last = fmt.Errorf("%s answered %s", srv, dns.RcodeToString[in.Rcode])
	}
	return nil, fmt.Errorf("%s %s: %w", dns.TypeToString[qtype], name, last)
}

// exchange sends one query over UDP, and again over TCP when the answer is
// truncated (RFC 7766 section 5).
func (r *dnsResolver) exchange(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	c := &dns.Client{Net: "udp", Timeout: r.timeout}
	in, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, server)
	}
	return in, err
}

// txt returns name's TXT records, each one's strings joined.
func (r *dnsResolver) txt(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.query(ctx, name, dns.TypeTXT)
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	return out, err
}

// mx returns name's MX records, their hosts lower case and without the
// trailing dot.
func (r *dnsResolver) mx(ctx context.Context, name string) ([]*net.MX, error) {
	rrs, err := r.query(ctx, name, dns.TypeMX)
	var out []*net.MX
	for _, rr := range rrs {
		mx := rr.(*dns.MX)
		out = append(out, &net.MX{Host: fqdn(mx.Mx), Pref: mx.Preference})
	}
	return out, err
}

// addrs returns host's IPv4 then IPv6 addresses; errNoRecords when it
// has neither.
func (r *dnsResolver) addrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, err := r.query(ctx, host, qtype)
		if err != nil && !errors.Is(err, errNoRecords) {
			return nil, err
		}
		for _, rr := range rrs {
			var a netip.Addr
			switch rr := rr.(type) {
			case *dns.A:
				a, _ = netip.AddrFromSlice(rr.A.To4())
			case *dns.AAAA:
				a, _ = netip.AddrFromSlice(rr.AAAA.To16())
			}
			if a.IsValid() {
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 {
		return nil, errNoRecords
	}
	return out, nil
}

// ptr returns the names addr's PTR records point at, lower case, without
// the trailing dot.
func (r *dnsResolver) ptr(ctx context.Context, addr netip.Addr) ([]string, error) {
	rev, err := dns.ReverseAddr(addr.String())
	if err != nil {
		return nil, err
	}
	rrs, err := r.query(ctx, rev, dns.TypePTR)
	var out []string
	for _, rr := range rrs {
		out = append(out, fqdn(rr.(*dns.PTR).Ptr))
	}
	return out, err
}

// spfResolver lets blitiri.com.ar/go/spf evaluate a record through the
// same servers. It tells a missing record from a failure by
// net.DNSError.IsNotFound, as net.Resolver's errors do.
type spfResolver struct{ r *dnsResolver }

func dnsErr(name string, err error) error {
	if errors.Is(err, errNoRecords) {
		return &net.DNSError{Err: "no such record", Name: name, IsNotFound: true}
	}
	return &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true}
}

func (s spfResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	v, err := s.r.txt(ctx, name)
	if err != nil {
		return nil, dnsErr(name, err)
	}
	return v, nil
}

func (s spfResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	v, err := s.r.mx(ctx, name)
	if err != nil {
		return nil, dnsErr(name, err)
	}
	return v, nil
}

func (s spfResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, err := s.r.addrs(ctx, host)
	if err != nil {
		return nil, dnsErr(host, err)
	}
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: a.AsSlice()}
	}
	return out, nil
}

func (s spfResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: "not an IP address", Name: addr}
	}
	names, err := s.r.ptr(ctx, a)
	if err != nil {
		return nil, dnsErr(addr, err)
	}
	for i, n := range names {
		names[i] = n + "."
	}
	return names, nil
}
