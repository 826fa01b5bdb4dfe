package main

import (
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// dnsServer answers TXT queries from a fixed table on a loopback port (UDP
// and TCP); every other name is NXDOMAIN.
func dnsServer(t *testing.T, txt map[string]string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name := strings.ToLower(q.Question[0].Name)
		v, ok := txt[strings.TrimSuffix(name, ".")]
		switch {
		case ok && q.Question[0].Qtype == dns.TypeTXT:
			m.Answer = append(m.Answer, &dns.TXT{
				Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
				Txt: []string{v},
			})
		case ok:
			// NOERROR, no data
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: l, Handler: h}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() { udp.Shutdown(); tcp.Shutdown() })
	return addr
}

// TestSpoofedSenderRefused: a message claiming to be from a domain that
// publishes DMARC p=reject, sent from an address its SPF does not allow and
// without its DKIM signature, is refused in enforce mode, recorded and
// relayed in record mode; an authorized sender passes.
func TestSpoofedSenderRefused(t *testing.T) {
	resolver := dnsServer(t, map[string]string{
		"bank.example":            "v=spf1 ip4:192.0.2.1 -all",
		"_dmarc.bank.example":     "v=DMARC1; p=reject",
		"friendly.example":        "v=spf1 ip4:127.0.0.1 -all",
		"_dmarc.friendly.example": "v=DMARC1; p=reject",
	})
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
