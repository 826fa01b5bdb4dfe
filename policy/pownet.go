package policy

import (
	"context"
	"net/netip"
)

// kindPublicNet is the hash kind of a network seen on a public HTTP
// listener. It differs from kindNet, so the web's budget and SMTP's are
// kept apart: an SMTP peer is a mail server shared by many senders, a web
// client is the sender's own network.
const kindPublicNet = "public_net"

// Network decides on one request to a public HTTP listener (the web form
// and its API, relay/web) from ip under lim: requests per network, the /24
// of an IPv4 address or the /48 of an IPv6 one (what a site is commonly
// given, RFC 6177 section 3: a /64 per request would let one site spend
// 65,536 budgets). Only the keyed hash of the network is stored. Decisions
// are counted under the rate_net policy. A zero lim allows everything.
func (e *Engine) Network(ctx context.Context, ip netip.Addr, lim Limit) Decision {
	return e.rate(ctx, pRateNet, lim, kindPublicNet, publicNetKey(ip),
		"too many messages from your network, ")
}

// publicNetKey is the value hashed for a public listener's client: its /24
// or /48. An IPv4-mapped IPv6 address counts as IPv4.
func publicNetKey(ip netip.Addr) string {
	ip = ip.Unmap()
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return "invalid"
	}
	return p.String()
}
