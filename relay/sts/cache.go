package sts

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Resolver looks up TXT records.
type Resolver interface {
	// LookupTXT returns the TXT records at name, each one string (its
	// character-strings joined). A name that does not exist or has no
	// TXT record gives none and no error; an error means the lookup
	// failed.
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Options configure a Cache. Zero values take the defaults beside them.
type Options struct {
	Resolver Resolver // required
	// Dial connects to a policy host, "mta-sts.<domain>:443". Default: a
	// net.Dialer, which resolves with the system's resolver and reaches
	// any address.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// RootCAs verify the policy hosts' certificates; nil: the system's.
	RootCAs *x509.CertPool
	// Timeout bounds one lookup: the TXT record and the policy fetch,
	// default 30s.
	Timeout time.Duration
	// Recheck is how long a domain's TXT answer is trusted before DNS is
	// asked again, default 5m. A changed id fetches the policy anew.
	Recheck time.Duration
	// Refresh is the age at which a policy in use is fetched again even
	// though its id did not change, default 24h (RFC 8461 section 3.3
	// suggests daily), so that a policy in use does not expire.
	Refresh time.Duration
	// MaxDomains bounds the domains remembered, default 10000. When
	// full, domains without a policy go first.
	MaxDomains int
	Logger     *slog.Logger // default slog.Default()
}

// failBackoff is how long a failed fetch is not tried again for the same
// id (RFC 8461 section 3.3: five minutes or longer).
const failBackoff = 5 * time.Minute

// Cache finds and remembers the policies of recipient domains. Its
// methods are safe for concurrent use.
type Cache struct {
	o      Options
	client *http.Client
	log    *slog.Logger
	now    func() time.Time // tests move the clock

	mu sync.Mutex
	m  map[string]*entry
}

// entry is what is known of one domain.
type entry struct {
	policy   *Policy   // the policy in force; nil: none
	id       string    // the TXT id policy was fetched under
	fetched  time.Time // when policy was fetched
	expires  time.Time // fetched + its max_age
	checked  time.Time // the last TXT lookup; zero: look again
	failedID string    // a fetch for this id failed at failedAt
	failedAt time.Time
	busy     chan struct{} // a lookup runs; closed when it ends
}

// New returns a Cache.
func New(o Options) (*Cache, error) {
	if o.Resolver == nil {
		return nil, errors.New("sts: a Resolver is required")
	}
	if o.Dial == nil {
		o.Dial = (&net.Dialer{Timeout: 30 * time.Second}).DialContext
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Recheck <= 0 {
		o.Recheck = 5 * time.Minute
	}
	if o.Refresh <= 0 {
		o.Refresh = 24 * time.Hour
	}
	if o.MaxDomains <= 0 {
		o.MaxDomains = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Cache{
		o:      o,
		client: newClient(o.Dial, o.RootCAs),
		log:    o.Logger,
		now:    time.Now,
		m:      map[string]*entry{},
	}, nil
}

// Get returns the policy to apply to mail for domain (an A-label), or nil
// when there is none. It asks DNS when the domain's TXT answer is older
// than Options.Recheck, and fetches the policy when its id changed, the
// policy expired or is due for a refresh. A policy kept from before
// stays in force until its max_age when the TXT record or the policy
// cannot be had now (RFC 8461 section 3.3); with none kept, the domain
// has no policy. Concurrent calls for a domain share one lookup; a call
// whose ctx ends first returns what is known so far.
func (c *Cache) Get(ctx context.Context, domain string) *Policy {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	c.mu.Lock()
	e := c.m[domain]
	if e == nil {
		c.makeRoom()
		e = &entry{}
		c.m[domain] = e
	}
	if e.busy == nil && c.stale(e) {
		e.busy = make(chan struct{})
		go c.lookup(domain, e, *e)
	}
	busy := e.busy
	c.mu.Unlock()
	fresh := false
	if busy != nil {
		select {
		case <-busy:
			fresh = true
		case <-ctx.Done():
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if fresh {
		// Just looked up: in force even with a max_age of 0, which
		// allows no keeping but still applies to this delivery.
		return e.policy
	}
	return c.current(e)
}

// Stale makes the next Get for domain ask DNS again, whatever the age of
// its TXT answer: a copy deferred by a policy may be let through by a
// newer one, and RFC 8461 section 5 wants it looked for before giving up.
func (c *Cache) Stale(domain string) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[domain]; e != nil {
		e.checked = time.Time{}
	}
}

// current returns e's policy if it has not expired. c.mu is held.
func (c *Cache) current(e *entry) *Policy {
	if e.policy != nil && !c.now().Before(e.expires) {
		e.policy = nil
	}
	return e.policy
}

// stale reports whether e needs a lookup now. c.mu is held.
func (c *Cache) stale(e *entry) bool {
	now := c.now()
	switch {
	case e.checked.IsZero() || now.Sub(e.checked) >= c.o.Recheck:
		return true
	case e.policy == nil:
		return false
	}
	due := !now.Before(e.expires) || now.Sub(e.fetched) >= c.o.Refresh
	return due && !c.backingOff(e, e.id, now)
}

// backingOff reports whether a fetch for id failed too recently to try
// again.
func (c *Cache) backingOff(e *entry, id string, now time.Time) bool {
	return e.failedID == id && now.Sub(e.failedAt) < failBackoff
}

// lookup asks DNS for domain's TXT record and fetches its policy if
// needed, then stores what it learnt in e. old is e as it was when the
// lookup started. It runs on its own, not bound to the ctx of any one
// delivery: all those waiting share it.
func (c *Cache) lookup(domain string, e *entry, old entry) {
	ctx, cancel := context.WithTimeout(context.Background(), c.o.Timeout)
	defer cancel()
	start := c.now()
	upd := old
	upd.checked = start
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		busy := e.busy
		*e = upd
		e.busy = nil
		close(busy)
	}()

	kept := old.policy != nil && start.Before(old.expires)
	if !kept {
		upd.policy = nil
	}
	txts, err := c.o.Resolver.LookupTXT(ctx, "_mta-sts."+domain)
	if err != nil {
		if !kept {
			// Some DNS servers fail for names they do not have: not
			// worth more than a debug line when nothing depends on it.
			c.log.Debug("sts: TXT lookup failed", "err", err.Error())
			return
		}
		c.failed("sts: TXT lookup failed", err, kept, old.policy)
		return
	}
	id, err := pickRecord(txts)
	if err != nil {
		// A record taken away does not end a policy before its time: an
		// attacker could take it away too (RFC 8461 section 10.2).
		if !errors.Is(err, errNoRecord) {
			c.failed("sts: TXT record unusable", err, kept, old.policy)
		}
		return
	}
	if kept && id == old.id && start.Sub(old.fetched) < c.o.Refresh {
		return
	}
	if c.backingOff(&old, id, start) {
		return
	}
	p, err := c.fetch(ctx, domain)
	if err != nil {
		upd.failedID, upd.failedAt = id, start
		c.failed("sts: policy fetch failed", err, kept, old.policy)
		return
	}
	upd.policy, upd.id, upd.fetched = p, id, start
	upd.expires = start.Add(p.MaxAge)
	upd.failedID = ""
}

// failed logs a failed lookup: a warning when it leaves a policy that
// asks for something unrefreshed (RFC 8461 section 3.3 wants operators
// told), else for debugging. The domain is not named: copies' recipients
// stay out of the logs.
func (c *Cache) failed(msg string, err error, kept bool, p *Policy) {
	switch {
	case kept && p.Mode != None:
		c.log.Warn(msg+"; the policy seen before stays in force", "mode", string(p.Mode), "err", err.Error())
	case kept:
		c.log.Debug(msg, "err", err.Error())
	default:
		c.log.Info(msg+"; delivering as if the domain had no policy", "err", err.Error())
	}
}

// makeRoom drops domains when the cache is full: those without a policy,
// else the one whose policy expires first. c.mu is held.
func (c *Cache) makeRoom() {
	if len(c.m) < c.o.MaxDomains {
		return
	}
	var first string
	for d, e := range c.m {
		if e.busy != nil {
			continue
		}
		if e.policy == nil {
			delete(c.m, d)
			continue
		}
		if first == "" || e.expires.Before(c.m[first].expires) {
			first = d
		}
	}
	if len(c.m) >= c.o.MaxDomains && first != "" {
		delete(c.m, first)
	}
}
