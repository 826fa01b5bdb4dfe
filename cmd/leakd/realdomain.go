package main

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// A relay for a domain of the Internet has duties a laptop's does not:
// the world must reach its operator, and what it accepts must leave. The
// rules below apply to a real domain only, so the embedded defaults
// (leak.example) and the tests run without them. serve and config check
// go through the same functions: they refuse, and warn about, the same
// configs.

// reservedDomains are the names reserved for examples, tests and local
// use, which mail from the Internet never reaches: RFC 2606 (example,
// test, invalid, localhost, example.com/net/org), RFC 6762 (local),
// RFC 8375 (home.arpa), and ICANN's internal.
var reservedDomains = []string{
	"example", "test", "invalid", "localhost", "local", "internal", "home.arpa",
	"example.com", "example.net", "example.org",
}

// reservedDomain reports whether d is one of reservedDomains or under one.
func reservedDomain(d string) bool {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	for _, r := range reservedDomains {
		if d == r || strings.HasSuffix(d, "."+r) {
			return true
		}
	}
	return false
}

// checkOperator checks policy.operator_aliases, and policy.operator for a
// real domain: it must be set (RFC 5321 section 4.5.1 requires
// postmaster@), and in MX mode it must not be in the Leak domain, whose MX
// is Leak itself: the operator's copies would come back to a relay that
// keeps no mailboxes (and an alias would go round in a loop).
func (c *Config) checkOperator() error {
	aliases := c.Policy.OperatorAliases
	for i, a := range aliases {
		if err := checkLocalPart(a); err != nil {
			return fmt.Errorf("policy.operator_aliases[%d]: %v, got %q", i, err, a)
		}
		for _, b := range aliases[:i] {
			if strings.EqualFold(a, b) {
				return fmt.Errorf("policy.operator_aliases[%d]: %q listed twice", i, a)
			}
		}
	}
	if !slices.ContainsFunc(aliases, func(a string) bool { return strings.EqualFold(a, "postmaster") }) {
		return fmt.Errorf("policy.operator_aliases: must include postmaster (RFC 5321 section 4.5.1), got %q", aliases)
	}
	if reservedDomain(c.Domain) {
		return nil
	}
	op := c.Policy.Operator
	if op == "" {
		return fmt.Errorf("policy.operator: must be set for the real domain %s: mail to %s@%s reaches this address; give a mailbox outside %s",
			c.Domain, strings.Join(aliases, "@, "), c.Domain, c.Domain)
	}
	domain := op[strings.LastIndexByte(op, '@')+1:]
	if c.Delivery.Mode == "mx" && strings.EqualFold(strings.TrimSuffix(domain, "."), strings.TrimSuffix(c.Domain, ".")) {
		return fmt.Errorf("policy.operator: %s is in the Leak domain, whose MX is Leak itself: its mail would come back to a relay that keeps no mailboxes; give a mailbox outside %s", op, c.Domain)
	}
	return nil
}

// checkLocalPart accepts an alias as the local part of a plain address:
// letters, digits, '.', '-' and '_', without the '+' that starts Leak's own
// addresses.
func checkLocalPart(s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("must be 1 to 64 characters")
	}
	if s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return fmt.Errorf("dots only between other characters")
	}
	if strings.Trim(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz0123456789.-_") != "" {
		return fmt.Errorf("must be letters, digits, '.', '-' or '_' (the part before @, without '+')")
	}
	return nil
}

// warnings are what a real domain's config may do but should not: serve
// logs each at start, config check prints them.
func (c *Config) warnings() []string {
	if reservedDomain(c.Domain) {
		return nil
	}
	var w []string
	if c.Delivery.Mode == "dir" {
		w = append(w, fmt.Sprintf("delivery.mode is dir with the real domain %s: every accepted message is written to %s and never sent; set delivery.mode: mx (or smarthost)", c.Domain, c.Delivery.Dir))
	}
	if why := unreachableURL(c.HTTP.PublicURL); why != "" {
		w = append(w, fmt.Sprintf("http.public_url %s is %s: the unsubscribe link in every copy is dead for its recipient; set it to https://%s (proxied to http.listen)", c.HTTP.PublicURL, why, c.Hostname))
	}
	return w
}

// unreachableURL says why recipients on the Internet cannot open u, or "".
func unreachableURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return "not a URL"
	}
	host := strings.ToLower(parsed.Hostname())
	if a, err := netip.ParseAddr(host); err == nil {
		switch {
		case a.IsLoopback():
			return "a loopback address"
		case a.IsUnspecified():
			return "the unspecified address"
		case a.IsPrivate() || a.IsLinkLocalUnicast():
			return "a private address"
		}
		return ""
	}
	if reservedDomain(host) {
		return "under a reserved domain"
	}
	return ""
}
