package main

import (
	"strings"
	"testing"

	"leak/policy/testutil"
)

// TestSpoofedSenderRefused: a message claiming to be from a domain that
// publishes DMARC p=reject, sent from an address its SPF does not allow and
// without its DKIM signature, is refused in enforce mode, recorded and
// relayed in record mode; an authorized sender passes.
func TestSpoofedSenderRefused(t *testing.T) {
	t.Parallel()
	zone := testutil.StartDNS(t)
	zone.SetTXT("bank.example", "v=spf1 ip4:192.0.2.1 -all")
	zone.SetTXT("_dmarc.bank.example", "v=DMARC1; p=reject")
	zone.SetTXT("friendly.example", "v=spf1 ip4:127.0.0.1 -all")
	zone.SetTXT("_dmarc.friendly.example", "v=DMARC1; p=reject")
	resolver := zone.Addr
	message := func(from string) string {
		return "From: " + from + "\r\nSubject: auth test\r\n\r\nbody\r\n.\r\n"
	}
	try := func(d *daemon, mailFrom, from string) string {
		c := dialSMTP(t, d.smtpAddr)
		c.cmd("EHLO client.example")
		c.cmd("MAIL FROM:<" + mailFrom + ">")
		c.cmd("RCPT TO:<to+bob=example.com@leak.example>")
		c.cmd("DATA")
		c.raw([]byte(message(from)))
		return c.read()
	}
	for _, tc := range []struct {
		name, mode, mailFrom, from, want string
	}{
		{"enforce-spoofed", "enforce", "ceo@bank.example", "CEO <ceo@bank.example>", "550 5.7.1"},
		{"enforce-authorized", "enforce", "someone@friendly.example", "Someone <someone@friendly.example>", "250"},
		{"record-spoofed", "record", "ceo@bank.example", "CEO <ceo@bank.example>", "250"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDaemon(t, sections{Policy: relaxedPolicy + "  inbound_auth: " + tc.mode + "\n  auth_resolver: " + resolver + "\n"})
			d.start()
			if r := try(d, tc.mailFrom, tc.from); !strings.HasPrefix(r, tc.want) {
				t.Errorf("got %q, want %s", r, tc.want)
			}
			if strings.Contains(d.log.String(), "bank.example") || strings.Contains(d.log.String(), "friendly.example") {
				t.Errorf("the log names the sender's domain:\n%s", d.log.String())
			}
		})
	}
}
