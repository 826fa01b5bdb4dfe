package courier

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/miekg/dns"

	"leak/relay/sts"
)

// The results OnSTS reports: what MTA-STS (RFC 8461) made of one MX
// delivery attempt.
const (
	STSNone    = "none"    // no policy, or one in none mode: opportunistic TLS
	STSTesting = "testing" // a policy in testing mode: delivered as without one, failures logged
	// STSEnforceOK: a policy in enforce mode was met by every MX host
	// tried; the copy was delivered, or refused or deferred for another
	// reason.
	STSEnforceOK = "enforce_ok"
	// STSEnforceFailed: a policy in enforce mode kept the copy from at
	// least one MX host (not listed, or no verified TLS) and no host took
	// it: deferred.
	STSEnforceFailed = "enforce_failed"
)

// errNoStartTLS: a next hop that must be reached over TLS does not offer
// STARTTLS.
var errNoStartTLS = errors.New("the next hop does not offer STARTTLS")

// stsCheck applies a recipient domain's MTA-STS policy to one delivery
// attempt, and counts what came of it.
type stsCheck struct {
	s      *SMTP
	domain string
	rep    *Report
	policy *sts.Policy // nil: none

	refused   int    // MX hosts the policy kept the copy from
	delivered bool   // a host took the copy
	unmet     string // testing mode: why enforce would have refused the host that took it
}

// checkSTS looks up domain's policy, if MTA-STS is on. A policy that
// cannot be found is no policy: the lookup never fails a delivery.
func (s *SMTP) checkSTS(ctx context.Context, domain string, rep *Report) *stsCheck {
	c := &stsCheck{s: s, domain: domain, rep: rep}
	if s.policies != nil {
		rep.Step = StepSTS
		c.policy = s.policies.Get(ctx, domain)
	}
	return c
}

func (c *stsCheck) mode() sts.Mode {
	if c.policy == nil {
		return sts.None
	}
	return c.policy.Mode
}

// dest returns the destination of MX host h as the policy wants it, or
// nil when an enforced policy does not list h (RFC 8461 section 4.1).
// Under enforce, the session needs STARTTLS and a certificate valid for
// h's name (section 4.2), and never falls back to plaintext; such
// sessions are pooled apart from opportunistic ones.
func (c *stsCheck) dest(h mxHost) *dest {
	d := c.s.mxDest(h)
	if c.s.policies == nil {
		return d
	}
	allowed := c.policy == nil || c.policy.Allows(h.name)
	if c.mode() == sts.Enforce {
		if !allowed {
			c.refused++
			return nil
		}
		d.key += "-sts"
		d.policy, d.verify = TLSStartTLS, true
	}
	d.delivered = func(sess *session) {
		c.delivered = true
		switch {
		case !allowed:
			c.unmet = "the MX host is not in the policy"
		case sess.tls == TLSNone:
			c.unmet = "no TLS"
		case !sess.verified:
			c.unmet = "the MX host's certificate does not verify"
		}
	}
	return d
}

// failed returns e, the failure of one MX host, without the host names a
// certificate error quotes, and marked as the policy's doing when an
// enforced policy wanted TLS the host did not give.
func (c *stsCheck) failed(e *Error) *Error {
	if problem, ok := sts.TLSProblem(e); ok {
		e = &Error{About: e.About, Code: e.Code, Text: e.Text, Err: errors.New(problem)}
	}
	if c.mode() == sts.Enforce && (c.rep.Step == StepTLS || errors.Is(e, errNoStartTLS)) {
		c.refused++
		e = &Error{About: AboutNextHop, Code: e.Code, Text: "MTA-STS: " + e.Text, Err: e.Err}
	}
	return e
}

// excluded is the failure when an enforced policy listed none of the n
// MX hosts: temporary, since the domain may fix its policy or its MX
// records (RFC 8461 section 5).
func (c *stsCheck) excluded(n int) error {
	c.rep.Step = StepSTS
	return &Error{About: AboutNextHop, Text: fmt.Sprintf("smtp: MTA-STS: none of the %d MX hosts is in the recipient domain's policy", n)}
}

// finish counts the attempt, and logs a copy that a policy in testing
// mode would have kept back. A copy an enforced policy kept back has the
// domain's TXT record looked at again at the next attempt: a newer policy
// may let it through, and RFC 8461 section 5 wants that checked before
// giving up.
func (c *stsCheck) finish() {
	if c.s.policies == nil {
		return
	}
	result := STSNone
	switch c.mode() {
	case sts.Testing:
		result = STSTesting
		if c.delivered && c.unmet != "" {
			c.s.log.Info("courier: smtp: MTA-STS testing: delivered where the policy in enforce mode would have deferred", "reason", c.unmet)
		}
	case sts.Enforce:
		result = STSEnforceOK
		if !c.delivered && c.refused > 0 {
			result = STSEnforceFailed
			c.s.policies.Stale(c.domain)
		}
	}
	if c.s.opts.OnSTS != nil {
		c.s.opts.OnSTS(result)
	}
}

// verified reports whether the server on tc proved it is host: a chain to
// a trusted root, valid for host's name (RFC 8461 section 4.2). MX
// sessions are opportunistic and skip verification in the handshake; this
// tells a policy in testing mode what enforce would have made of them.
func (s *SMTP) verified(tc *tls.Conn, host string) bool {
	cs := tc.ConnectionState()
	if len(cs.PeerCertificates) == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: host, Roots: s.roots, Intermediates: inter})
	return err == nil
}

// stsOptions are those of the policy cache of MX delivery: TXT records
// through the courier's resolver, policy hosts reached as MX hosts are.
func (s *SMTP) stsOptions() sts.Options {
	return sts.Options{Resolver: txtResolver{s.dns}, Dial: s.dialPolicyHost, Logger: s.log}
}

// dialPolicyHost connects to an MTA-STS policy host as to an MX host: its
// addresses from the courier's resolver, only public ones unless
// SMTPOptions.AllowPrivateMX, in turn.
func (s *SMTP) dialPolicyHost(ctx context.Context, _, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := s.dns.lookupAddrs(ctx, host)
	if err != nil {
		return nil, err
	}
	var last error
	for _, a := range addrs[:min(len(addrs), maxAddrsPerHost)] {
		c, err := s.dialer.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, netError(last)
}

// txtResolver looks up TXT records for the policy cache.
type txtResolver struct{ r *resolver }

func (t txtResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := t.r.query(ctx, name, dns.TypeTXT)
	if errors.Is(err, errNXDomain) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var txts []string
	for _, rr := range rrs {
		if txt, ok := rr.(*dns.TXT); ok {
			txts = append(txts, strings.Join(txt.Txt, ""))
		}
	}
	return txts, nil
}
