package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pires/go-proxyproto"
)

// A load balancer that forwards TCP hides the client's address: every
// connection seems to come from the balancer, so the per-IP connection
// limit and rate limits would count the whole Internet as one client.
// With smtp.proxy_protocol the balancer says who the client is in a PROXY
// protocol header (v1 text or v2 binary, haproxy's proxy-protocol.txt)
// before the SMTP dialogue, and leakd takes the client's address from it.
//
// Only the networks in trusted may send a header, and they must: the
// specification forbids guessing whether one is there, since anyone who
// may send one can claim any address. A connection from a trusted network
// without a valid header is closed. A connection from anywhere else is
// served as it is, under its own address; a header it sends is never read
// as one (SMTP answers it as an unknown command), so it cannot borrow
// another client's limits.
//
// The address from the header is used for the limits only, like the
// socket's: nothing of the header is logged.

// ProxyProtocolConfig is smtp.proxy_protocol.
type ProxyProtocolConfig struct {
	Enabled bool     `yaml:"enabled"`
	Trusted []string `yaml:"trusted"`
}

// proxyHeaderTimeout bounds the wait for a trusted source's header. A
// balancer sends it with the connection's first bytes.
const proxyHeaderTimeout = 5 * time.Second

// validate checks smtp.proxy_protocol.
func (p *ProxyProtocolConfig) validate() error {
	nets, err := p.networks()
	if err != nil {
		return err
	}
	switch {
	case !p.Enabled && len(nets) > 0:
		return errors.New("smtp.proxy_protocol.trusted: set, but smtp.proxy_protocol.enabled is false")
	case p.Enabled && len(nets) == 0:
		return errors.New("smtp.proxy_protocol.trusted: list the load balancers' addresses or networks (10.0.0.0/8); only they may send a PROXY header")
	}
	return nil
}

// networks parses trusted: networks (10.0.0.0/8) or single addresses.
func (p *ProxyProtocolConfig) networks() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range p.Trusted {
		n, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("smtp.proxy_protocol.trusted[%d]: not an address or network like 10.0.0.0/8: %q", i, s)
			}
			n = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, n.Masked())
	}
	return out, nil
}

// listenSMTP opens smtp.listen, behind the PROXY protocol when it is on.
//
// Its connections have no TCP keep-alive: every SMTP session already ends
// at its idle and command timeouts (relay/conn.go), which find a peer that
// is gone, and Go's default would cost four setsockopt calls on each
// accepted connection, a new one per message from most senders.
func listenSMTP(cfg *Config) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	l, err := lc.Listen(context.Background(), "tcp", cfg.SMTP.Listen)
	if err != nil || !cfg.SMTP.ProxyProtocol.Enabled {
		return l, err
	}
	nets, err := cfg.SMTP.ProxyProtocol.networks()
	if err != nil {
		l.Close()
		return nil, err
	}
	return newProxyListener(l, nets, proxyHeaderTimeout), nil
}

// proxyListener hands out connections whose header, if they owe one, has
// been read. The relay's accept loop asks each connection for its address
// at once (for the per-IP limit), so a header still on its way must not be
// waited for there: each trusted connection's header is read in a
// goroutine of its own, and only a connection with a valid header reaches
// Accept.
type proxyListener struct {
	net.Listener
	trusted []netip.Prefix
	timeout time.Duration

	ready     chan net.Conn
	errs      chan error // temporary accept errors, for the server's backoff
	done      chan struct{}
	closeOnce sync.Once
	errMu     sync.Mutex
	err       error // the underlying listener's, once it fails
}

func newProxyListener(l net.Listener, trusted []netip.Prefix, timeout time.Duration) *proxyListener {
	p := &proxyListener{Listener: l, trusted: trusted, timeout: timeout,
		ready: make(chan net.Conn), errs: make(chan error), done: make(chan struct{})}
	go p.acceptLoop()
	return p
}

func (p *proxyListener) acceptLoop() {
	for {
		c, err := p.Listener.Accept()
		if err != nil {
			// A temporary error (out of descriptors) goes to the
			// server, which waits and accepts again; any other ends the
			// listener.
			var ne net.Error
			//lint:ignore SA1019 go-smtp's accept loop retries exactly these.
			if errors.As(err, &ne) && ne.Temporary() {
				select {
				case p.errs <- err:
					continue
				case <-p.done:
					return
				}
			}
			p.errMu.Lock()
			p.err = err
			p.errMu.Unlock()
			p.Close()
			return
		}
		if !p.isTrusted(c.RemoteAddr()) {
			p.handOver(c)
			continue
		}
		go p.readHeader(c)
	}
}

// readHeader reads a trusted connection's header and hands the connection
// over with the client's address, or closes it.
func (p *proxyListener) readHeader(c net.Conn) {
	pc := proxyproto.NewConn(c, proxyproto.WithPolicy(proxyproto.REQUIRE),
		proxyproto.SetReadHeaderTimeout(p.timeout))
	// ProxyHeader reads the header (once); nil means it was missing, late
	// or malformed. A LOCAL header (a balancer's health check) is valid
	// and leaves the balancer's own address.
	if pc.ProxyHeader() == nil {
		c.Close()
		return
	}
	p.handOver(pc)
}

func (p *proxyListener) handOver(c net.Conn) {
	select {
	case p.ready <- c:
	case <-p.done:
		c.Close()
	}
}

func (p *proxyListener) isTrusted(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, n := range p.trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// Accept returns the next connection ready to be served.
func (p *proxyListener) Accept() (net.Conn, error) {
	select {
	case c := <-p.ready:
		return c, nil
	case err := <-p.errs:
		return nil, err
	case <-p.done:
		p.errMu.Lock()
		defer p.errMu.Unlock()
		if p.err != nil {
			return nil, p.err
		}
		return nil, net.ErrClosed
	}
}

// Close stops accepting; connections still sending their header are
// closed when they would be handed over.
func (p *proxyListener) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.done)
		err = p.Listener.Close()
	})
	return err
}
