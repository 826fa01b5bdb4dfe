package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// Defaults of the Options.
const (
	DefaultTimeout        = 5 * time.Second
	DefaultMaxSignatures  = 5
	DefaultMaxHeaderBytes = 64 << 10
)

// Options configure a Checker. Zero values take the defaults.
type Options struct {
	Mode Mode
	// Resolver is the DNS server to ask, "IP:port" (a validating local
	// resolver is best: DKIM keys and DMARC records are only as good as
	// DNS); empty means the nameservers of /etc/resolv.conf.
	Resolver string
	// Timeout bounds each DNS lookup (default 5s). SPF as a whole gets
	// four times as long.
	Timeout time.Duration
	// MaxSignatures is how many DKIM signatures are verified, from the
	// top of the header (default 5); the rest are ignored.
	MaxSignatures int
	// MaxHeaderBytes bounds the header block kept for the From field and
	// the DKIM header hash, counting the empty line that ends it (default
	// 64 KiB, as the anonymizer's). Over it, DKIM and DMARC are not
	// evaluated: the anonymizer refuses such a message anyway.
	MaxHeaderBytes int
	// Logger receives one debug line per message, with results only.
	Logger *slog.Logger
}

// Checker authenticates messages. It is safe for concurrent use; each
// message gets its own [Message].
type Checker struct {
	opts Options
	dns  *resolver
	log  *slog.Logger
}

// New returns a Checker configured by opts.
func New(opts Options) (*Checker, error) {
	switch {
	case opts.Mode > Enforce:
		return nil, fmt.Errorf("auth: unknown mode %d", opts.Mode)
	case opts.Timeout < 0:
		return nil, fmt.Errorf("auth: negative timeout %v", opts.Timeout)
	case opts.MaxSignatures < 0:
		return nil, fmt.Errorf("auth: negative max signatures %d", opts.MaxSignatures)
	case opts.MaxHeaderBytes < 0:
		return nil, fmt.Errorf("auth: negative max header bytes %d", opts.MaxHeaderBytes)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxSignatures == 0 {
		opts.MaxSignatures = DefaultMaxSignatures
	}
	if opts.MaxHeaderBytes == 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	c := &Checker{opts: opts, log: opts.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if opts.Mode != Off {
		var err error
		if c.dns, err = newResolver(opts.Resolver, opts.Timeout); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Mode is the mode the Checker was made with.
func (c *Checker) Mode() Mode { return c.opts.Mode }

// Begin starts checking one message from a client at ip that said helo
// and gave mailFrom as envelope sender (without angle brackets; empty for
// a bounce). The SPF check starts at once, in the background. ctx bounds
// every lookup of the message. The caller must end the Message with Close
// or Abort.
func (c *Checker) Begin(ctx context.Context, ip netip.Addr, helo, mailFrom string) *Message {
	if c.opts.Mode == Off {
		return &Message{off: true}
	}
	m := &Message{c: c, head: newHeaderBlock(c.opts.MaxHeaderBytes)}
	m.ctx, m.cancel = context.WithCancel(ctx)
	m.startSPF(ip.Unmap(), helo, mailFrom)
	return m
}
