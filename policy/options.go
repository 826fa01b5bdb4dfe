package policy

import (
	"fmt"
	"log/slog"
	"time"

	"leak/metrics"
)

// Options configures an Engine. Start from DefaultOptions.
type Options struct {
	// Secret keys every hash (see the package comment); at least 16
	// bytes. LoadSecret reads or creates one.
	Secret []byte

	// ConnPerIP and ConnTotal bound concurrent connections (0 = no
	// limit). They are counted per Engine, that is per instance, even
	// with Redis: a connection is a local resource.
	ConnPerIP, ConnTotal int

	// Rate limits. IP, Net, Sender and SenderDomain count transactions
	// (MAIL); Recipient and Global count recipients (RCPT); AuthDomain
	// counts messages at the end of DATA.
	IP, Net, Sender, SenderDomain, AuthDomain, Recipient, Global Limit

	// SuppressFor is how long a recipient is suppressed once it bounced:
	// HardBounceLimit distinct messages refused for it within SuppressFor,
	// a DSN, or SoftBounceLimit soft bounces within SuppressFor. 0 turns
	// suppression off. SoftBounceLimit 0 never suppresses on soft bounces.
	SuppressFor     time.Duration
	SoftBounceLimit int
	// HardBounceLimit is how many distinct messages must fail permanently
	// for a recipient before it is suppressed, so that no one message can
	// get anyone blocked. 0 means the default, 2; 1 suppresses at the
	// first.
	HardBounceLimit int

	// Abuse reports (report.go): ReportThreshold distinct copies of one
	// source reported within ReportWindow block the source for
	// ReportBlockFor. 0 counts reports against no one, and remembers no
	// copy's source.
	ReportThreshold int
	ReportWindow    time.Duration
	ReportBlockFor  time.Duration

	// Domain list files: one domain per line, '#' comments; an entry
	// covers its subdomains. A non-empty allow list admits only its
	// domains. Re-read by Engine.Reload.
	RecipientDomainDeny, RecipientDomainAllow string
	SenderDomainDeny, SenderDomainAllow       string

	// Metrics, if set, counts every decision.
	Metrics *metrics.Metrics
	// Logger, if set, receives reloads and store errors (never an
	// address or IP).
	Logger *slog.Logger
}

// DefaultOptions returns Leak's defaults: the limits every instance starts
// with unless configured otherwise. The per-recipient limit is the
// anti-harassment one: three anonymous messages at once, five a day.
func DefaultOptions() Options {
	return Options{
		ConnPerIP:       20,
		ConnTotal:       1000,
		IP:              Limit{Rate: 60, Burst: 30, Period: time.Minute},
		Net:             Limit{Rate: 300, Period: time.Minute},
		Sender:          Limit{Rate: 30, Burst: 10, Period: time.Hour},
		SenderDomain:    Limit{Rate: 300, Period: time.Hour},
		AuthDomain:      Limit{Rate: 300, Period: time.Hour},
		Recipient:       Limit{Rate: 5, Burst: 3, Period: 24 * time.Hour},
		Global:          Limit{Rate: 20000, Period: time.Minute},
		SuppressFor:     30 * 24 * time.Hour,
		SoftBounceLimit: 5,
		HardBounceLimit: 2,
		ReportThreshold: 3,
		ReportWindow:    30 * 24 * time.Hour,
		ReportBlockFor:  30 * 24 * time.Hour,
	}
}

// Validate checks every option but Secret (which Open checks, since the
// secret file may not exist before the first start). Its errors name the
// configuration keys under policy: (rate_ip, suppress_for, …), so leakd's
// config check and serve report them the same way.
func (o Options) Validate() error {
	if o.ConnPerIP < 0 || o.ConnTotal < 0 {
		return fmt.Errorf("policy.conn_per_ip, policy.conn_total: must be >= 0")
	}
	switch {
	case o.SuppressFor < 0:
		return fmt.Errorf("policy.suppress_for: must not be negative")
	case o.SoftBounceLimit < 0:
		return fmt.Errorf("policy.soft_bounce_limit: must be >= 0 (0: soft bounces never suppress)")
	case o.HardBounceLimit < 0:
		return fmt.Errorf("policy.hard_bounce_limit: must be at least 1 (2 or more, so that one crafted message cannot block a recipient)")
	}
	for _, l := range []struct {
		name string
		l    Limit
	}{
		{"rate_ip", o.IP}, {"rate_net", o.Net}, {"rate_sender", o.Sender},
		{"rate_sender_domain", o.SenderDomain}, {"rate_auth_domain", o.AuthDomain},
		{"rate_recipient", o.Recipient}, {"rate_global", o.Global},
	} {
		if err := l.l.validate("policy." + l.name); err != nil {
			return err
		}
	}
	return o.validateReports()
}

func (o *Options) validate() error {
	if len(o.Secret) < minSecret {
		return fmt.Errorf("policy: secret: need at least %d bytes, have %d", minSecret, len(o.Secret))
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if o.HardBounceLimit == 0 {
		o.HardBounceLimit = 2
	}
	return nil
}
