package courier

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

const (
	maxMXHosts      = 5 // as chasquid and Postfix's default: bounds one attempt's time
	dnsTimeout      = 5 * time.Second
	domainCacheSize = 10000
)

var (
	errNXDomain = errors.New("no such domain")     // NXDOMAIN
	errNoAddrs  = errors.New("no address records") // NXDOMAIN, or no A nor AAAA
	errPrivate  = errors.New("only non-public addresses")
)

// The permanent routing failures. Their texts do not name the domain: the
// queue logs them.
func errNoDomain() *Error {
	return &Error{Permanent: true, About: AboutRecipient, Code: 550, Text: "5.1.2 the recipient domain does not exist"}
}

func errNullMX() *Error {
	// RFC 7505 section 3.2 and its enhanced code X.1.10.
	return &Error{Permanent: true, About: AboutRecipient, Code: 550, Text: "5.1.10 the recipient domain accepts no mail (null MX)"}
}

func errNotMailDomain() *Error {
	return &Error{Permanent: true, About: AboutRecipient, Code: 550, Text: "5.1.2 the recipient domain has no MX and no address records"}
}

// mxHost is one host to try, with its addresses when already known.
type mxHost struct {
	name  string
	addrs []netip.Addr
}

// route returns the hosts to try for domain (A-label form), best first:
// its MX hosts, or the domain itself when it has no MX records at all
// (the implicit MX of RFC 5321 section 5.1, never used on a lookup error).
// NXDOMAIN, a null MX and a domain with neither MX nor address records
// are permanent failures; DNS trouble is temporary.
func (s *SMTP) route(ctx context.Context, domain string) ([]mxHost, error) {
	mxs, err := s.dns.query(ctx, domain, dns.TypeMX)
	switch {
	case errors.Is(err, errNXDomain):
		return nil, errNoDomain()
	case err != nil:
		return nil, temporary("smtp: MX lookup", err)
	case len(mxs) > 0:
		hosts := mxHosts(mxs)
		if len(hosts) == 0 {
			return nil, errNullMX()
		}
		return hosts, nil
	}
	addrs, err := s.dns.lookupAddrs(ctx, domain)
	switch {
	case errors.Is(err, errNoAddrs), errors.Is(err, errPrivate):
		return nil, errNotMailDomain()
	case err != nil:
		return nil, temporary("smtp: address lookup", err)
	}
	return []mxHost{{name: domain, addrs: addrs}}, nil
}

// mxHosts orders MX records by preference, at random among equals (RFC
// 5321 section 5.1), keeping at most maxMXHosts. Records pointing at "."
// are dropped: alone, that is a null MX (RFC 7505), and RFC 7505 section 3
// forbids mixing it with others.
func mxHosts(rrs []dns.RR) []mxHost {
	var mxs []*dns.MX
	for _, rr := range rrs {
		if mx, ok := rr.(*dns.MX); ok && mx.Mx != "." && mx.Mx != "" {
			mxs = append(mxs, mx)
		}
	}
	rand.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	slices.SortStableFunc(mxs, func(a, b *dns.MX) int { return int(a.Preference) - int(b.Preference) })
	hosts := make([]mxHost, 0, min(len(mxs), maxMXHosts))
	for _, mx := range mxs[:min(len(mxs), maxMXHosts)] {
		hosts = append(hosts, mxHost{name: strings.ToLower(strings.TrimSuffix(mx.Mx, "."))})
	}
	return hosts
}

// CheckDomain tells whether mail for domain can ever be delivered, for a
// reply at RCPT time. In MX mode it returns a permanent *Error (code 550)
// when the domain does not exist (NXDOMAIN), has a null MX (RFC 7505), or
// has neither MX nor address records; nil otherwise, and nil on any DNS
// trouble: a lookup hiccup must never refuse mail. Answers are cached, 10
// minutes when good, 1 minute when not. In smarthost mode it returns nil.
func (s *SMTP) CheckDomain(ctx context.Context, domain string) error {
	if s.opts.Mode != ModeMX {
		return nil
	}
	d, err := asciiDomain(domain)
	if err != nil {
		return err
	}
	if err, ok := s.domains.get(d); ok {
		return err
	}
	_, err = s.route(ctx, d)
	if err != nil && !IsPermanent(err) {
		return nil
	}
	s.domains.put(d, err)
	return err
}

// resolver asks DNS servers directly, unlike net.Resolver, so that
// NXDOMAIN, NODATA and failures stay apart.
type resolver struct {
	servers []string
	// publicOnly drops loopback, private (RFC 1918, RFC 4193), shared
	// (RFC 6598) and link-local addresses from answers.
	publicOnly bool
}

// newResolver uses server, or the servers of /etc/resolv.conf, or
// 127.0.0.1:53 as Go's and glibc's resolvers do when that file is missing.
func newResolver(server string) *resolver {
	if server != "" {
		return &resolver{servers: []string{server}}
	}
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(cfg.Servers) == 0 {
		return &resolver{servers: []string{"127.0.0.1:53"}}
	}
	r := &resolver{}
	for _, srv := range cfg.Servers {
		r.servers = append(r.servers, net.JoinHostPort(srv, cfg.Port))
	}
	return r
}

// query returns name's records of type qtype, asking each server in turn
// until one answers. NXDOMAIN gives errNXDomain; NODATA, no records and
// no error.
func (r *resolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	// 1232 bytes: the EDNS buffer size of DNS Flag Day 2020, which avoids
	// IP fragmentation.
	m.SetEdns0(1232, false)
	var last error
	for _, srv := range r.servers {
		in, err := exchange(ctx, m, srv)
		if err != nil {
			last = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		switch in.Rcode {
		case dns.RcodeSuccess:
			var rrs []dns.RR
			for _, rr := range in.Answer {
				// A recursive answer may lead with the CNAME chain.
				if rr.Header().Rrtype == qtype {
					rrs = append(rrs, rr)
				}
			}
			return rrs, nil
		case dns.RcodeNameError:
			return nil, errNXDomain
		}
		last = fmt.Errorf("server answered %s", dns.RcodeToString[in.Rcode])
	}
	return nil, fmt.Errorf("dns: %s query: %w", dns.TypeToString[qtype], last)
}

// exchange sends one query over UDP, and again over TCP when the answer
// is truncated (RFC 7766 section 5).
func exchange(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	c := &dns.Client{Net: "udp", Timeout: dnsTimeout}
	in, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, server)
	}
	if err != nil {
		return nil, netError(err)
	}
	return in, nil
}

// lookupAddrs returns the IPv4 then the IPv6 addresses of host. It
// returns errNoAddrs when the name does not exist or has neither.
func (r *resolver) lookupAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	var failed error
	private := 0
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, err := r.query(ctx, host, qtype)
		if errors.Is(err, errNXDomain) {
			break
		}
		if err != nil {
			failed = err
			continue
		}
		for _, rr := range rrs {
			var a netip.Addr
			switch rr := rr.(type) {
			case *dns.A:
				a, _ = netip.AddrFromSlice(rr.A.To4())
			case *dns.AAAA:
				a, _ = netip.AddrFromSlice(rr.AAAA.To16())
			}
			// 0.0.0.0 and :: would reach this very machine.
			switch {
			case !a.IsValid() || a.IsUnspecified() || a.IsMulticast():
			case r.publicOnly && !public(a):
				private++
			default:
				addrs = append(addrs, a)
			}
		}
	}
	switch {
	case len(addrs) > 0:
		return addrs, nil
	case failed != nil:
		return nil, failed
	case private > 0:
		return nil, errPrivate
	}
	return nil, errNoAddrs
}

// sharedSpace is 100.64.0.0/10, carrier-grade NAT (RFC 6598).
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// public reports whether a is an address on the public Internet.
func public(a netip.Addr) bool {
	a = a.Unmap()
	return !a.IsLoopback() && !a.IsPrivate() && !a.IsLinkLocalUnicast() && !sharedSpace.Contains(a)
}

// domainCache remembers CheckDomain answers for a while. When full, it
// drops expired entries, then arbitrary ones.
type domainCache struct {
	max            int
	posTTL, negTTL time.Duration

	mu sync.Mutex
	m  map[string]cachedDomain
}

type cachedDomain struct {
	err     *Error // nil: deliverable
	expires time.Time
}

func newDomainCache(max int, posTTL, negTTL time.Duration) *domainCache {
	return &domainCache{max: max, posTTL: posTTL, negTTL: negTTL, m: map[string]cachedDomain{}}
}

func (c *domainCache) get(domain string) (error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[domain]
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	if e.err == nil {
		return nil, true
	}
	cp := *e.err
	return &cp, true
}

func (c *domainCache) put(domain string, err error) {
	var e *Error
	ttl := c.posTTL
	if err != nil {
		e = asError(err)
		ttl = c.negTTL
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[domain]; !ok && len(c.m) >= c.max {
		now := time.Now()
		for k, v := range c.m {
			if now.After(v.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[domain] = cachedDomain{err: e, expires: time.Now().Add(ttl)}
}
