package auth

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"blitiri.com.ar/go/spf"
)

// startSPF checks, in the background, whether ip may send for the
// envelope sender's domain. A bounce has no sender: RFC 7208 section 2.4
// then checks the HELO identity, as "postmaster@" + helo, and that is
// also the domain DMARC aligns with. A HELO that is no domain name (an
// address literal, a bare word) cannot be checked: "none", without DNS.
func (m *Message) startSPF(ip netip.Addr, helo, mailFrom string) {
	mailFrom = strings.TrimSuffix(strings.TrimPrefix(mailFrom, "<"), ">")
	helo = strings.TrimSuffix(helo, ".")
	local := "postmaster"
	if at := strings.LastIndexByte(mailFrom, '@'); at >= 0 {
		local = mailFrom[:at]
		m.spfDomain, _ = normDomain(mailFrom[at+1:])
	} else if mailFrom == "" {
		m.spfDomain, _ = normDomain(helo)
	}
	if m.spfDomain == "" || !strings.Contains(m.spfDomain, ".") {
		m.spfDomain, m.spf = "", None
		return
	}
	// The domain goes to DNS as normalised (lower-case A-labels).
	sender := local + "@" + m.spfDomain
	m.spfDone = make(chan struct{})
	// RFC 7208 section 4.6.4: a limit on the whole evaluation, at least
	// 20 seconds; four lookups' worth is 20 s with the default timeout.
	ctx, cancel := context.WithTimeout(m.ctx, 4*m.c.opts.Timeout)
	go func() {
		defer close(m.spfDone)
		defer cancel()
		res, _ := spf.CheckHostWithSender(net.IP(ip.AsSlice()), helo, sender,
			spf.WithContext(ctx), spf.WithResolver(m.c.dns))
		if res == "" {
			res = spf.PermError
		}
		m.spf = string(res)
	}()
}
