package auth

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"leak/policy/testutil"
)

func TestCheck(t *testing.T) {
	d := testutil.StartDNS(t)
	zone(t, d)
	rsaCom := signOpts{domain: "example.com", selector: "rsa", key: rsaKey}
	edCom := signOpts{domain: "example.com", selector: "ed", key: edKey, simple: true}
	rsaOrg := signOpts{domain: "example.org", selector: "rsa", key: rsaKey}
	gone := signOpts{domain: "example.com", selector: "gone", key: rsaKey}
	body := "Hello Bob,\r\n\r\nsee you.\r\n"

	tests := []struct {
		name     string
		mode     Mode
		ip       netip.Addr
		helo     string
		mailFrom string
		msg      string
		spf      string
		dkim     []string
		dmarc    string
		policy   string
		from     string
		identity string
		reject   bool
	}{
		{name: "spf pass aligned", ip: goodIP, mailFrom: "a@example.com",
			msg: message("a@example.com", body),
			spf: Pass, dmarc: Pass, policy: "reject", from: "example.com", identity: "example.com"},
		{name: "spf fail p=reject", ip: otherIP, mailFrom: "a@example.com",
			msg: message("a@example.com", body),
			spf: Fail, dmarc: Fail, policy: "reject", from: "example.com", reject: true},
		{name: "spf fail p=reject, record mode", mode: Record, ip: otherIP, mailFrom: "a@example.com",
			msg: message("a@example.com", body),
			spf: Fail, dmarc: Fail, policy: "reject", from: "example.com"},
		{name: "spf softfail p=quarantine is recorded only", ip: otherIP, mailFrom: "a@soft.example.net",
			msg: message("a@soft.example.net", body),
			spf: SoftFail, dmarc: Fail, policy: "quarantine", from: "soft.example.net"},
		{name: "spf none, no dmarc record", ip: goodIP, mailFrom: "a@nospf.example",
			msg: message("a@nospf.example", body),
			spf: None, dmarc: None, from: "nospf.example"},
		{name: "spf pass without dmarc record: identity is the MAIL FROM domain", ip: goodIP, mailFrom: "a@nodmarc.example",
			msg: message("a@elsewhere.example", body),
			spf: Pass, dmarc: None, from: "elsewhere.example", identity: "nodmarc.example"},
		{name: "dkim rsa pass aligned", ip: otherIP, mailFrom: "a@nodmarc.example",
			msg: sign(t, message("Alice <a@example.com>", body), rsaCom),
			spf: Fail, dkim: []string{"pass d=example.com"}, dmarc: Pass, policy: "reject",
			from: "example.com", identity: "example.com"},
		{name: "dkim ed25519 simple pass aligned", ip: otherIP, mailFrom: "a@nodmarc.example",
			msg: sign(t, message("a@example.com", body), edCom),
			spf: Fail, dkim: []string{"pass d=example.com"}, dmarc: Pass, policy: "reject",
			from: "example.com", identity: "example.com"},
		{name: "dkim pass without dmarc record still authenticates", ip: otherIP, mailFrom: "a@other.example",
			msg: sign(t, message("a@nodmarc.example", body), signOpts{domain: "nodmarc.example", selector: "rsa", key: rsaKey}),
			spf: None, dkim: []string{"pass d=nodmarc.example"}, dmarc: None,
			from: "nodmarc.example", identity: "nodmarc.example"},
		{name: "dkim tampered body", ip: otherIP, mailFrom: "a@example.com",
			msg: strings.Replace(sign(t, message("a@example.com", body), rsaCom), "see you", "pay now", 1),
			spf: Fail, dkim: []string{"fail d=example.com"}, dmarc: Fail, policy: "reject",
			from: "example.com", reject: true},
		{name: "dkim unknown selector", ip: otherIP, mailFrom: "a@example.com",
			msg: sign(t, message("a@example.com", body), gone),
			spf: Fail, dkim: []string{"permerror d=example.com"}, dmarc: Fail, policy: "reject",
			from: "example.com", reject: true},
		{name: "dkim l= is a fail", ip: otherIP, mailFrom: "a@example.com",
			msg: strings.Replace(sign(t, message("a@example.com", body), rsaCom), "DKIM-Signature: ", "DKIM-Signature: l=3; ", 1),
			spf: Fail, dkim: []string{"fail d=example.com"}, dmarc: Fail, policy: "reject",
			from: "example.com", reject: true},
		{name: "signatures over the limit are ignored", ip: otherIP, mailFrom: "a@example.com",
			msg: signN(t, sign(t, message("a@example.com", body), rsaCom), gone, 5),
			spf: Fail, dkim: slices.Repeat([]string{"permerror d=example.com"}, 5), dmarc: Fail, policy: "reject",
			from: "example.com", reject: true},
		{name: "two signatures, one good", ip: otherIP, mailFrom: "a@example.com",
			msg: signN(t, sign(t, message("a@example.com", body), edCom), gone, 1),
			spf: Fail, dkim: []string{"permerror d=example.com", "pass d=example.com"}, dmarc: Pass, policy: "reject",
			from: "example.com", identity: "example.com"},
		{name: "relaxed: subdomain From, org domain signature and record", ip: otherIP, mailFrom: "a@nodmarc.example",
			msg: sign(t, message("a@mail.example.com", body), rsaCom),
			spf: Fail, dkim: []string{"pass d=example.com"}, dmarc: Pass, policy: "reject",
			from: "mail.example.com", identity: "mail.example.com"},
		{name: "relaxed spf: MAIL FROM under the From domain", ip: goodIP, mailFrom: "x@bounces.example.com",
			msg: message("a@example.com", body),
			spf: Pass, dmarc: Pass, policy: "reject", from: "example.com", identity: "example.com"},
		{name: "org domain record rejects a spoofed subdomain", ip: otherIP, mailFrom: "a@mail.example.com",
			msg: message("a@mail.example.com", body),
			spf: None, dmarc: Fail, policy: "reject", from: "mail.example.com", reject: true},
		{name: "strict dkim: exact domain passes", ip: otherIP, mailFrom: "a@nodmarc.example",
			msg: sign(t, message("a@example.org", body), rsaOrg),
			spf: Fail, dkim: []string{"pass d=example.org"}, dmarc: Pass, policy: "reject",
			from: "example.org", identity: "example.org"},
		{name: "strict dkim: subdomain fails, sp=none", ip: otherIP, mailFrom: "a@nodmarc.example",
			msg: sign(t, message("a@sub.example.org", body), rsaOrg),
			spf: Fail, dkim: []string{"pass d=example.org"}, dmarc: Fail, policy: "none",
			from: "sub.example.org"},
		{name: "strict spf: MAIL FROM subdomain is not aligned", ip: goodIP, mailFrom: "x@bounces.example.org",
			msg: message("a@example.org", body),
			spf: Pass, dmarc: Fail, policy: "reject", from: "example.org", identity: "bounces.example.org", reject: true},
		{name: "pct=0 is never enforced", ip: otherIP, mailFrom: "a@pct.example.net",
			msg: message("a@pct.example.net", body),
			spf: Fail, dmarc: Fail, policy: "reject", from: "pct.example.net"},
		{name: "malformed dmarc record", ip: otherIP, mailFrom: "a@bad.example.net",
			msg: message("a@bad.example.net", body),
			spf: Fail, dmarc: PermError, from: "bad.example.net"},
		{name: "no From", ip: otherIP, mailFrom: "a@example.com",
			msg: message("", body),
			spf: Fail, dmarc: PermError},
		{name: "two From addresses", ip: otherIP, mailFrom: "a@example.com",
			msg: message("a@example.com, b@example.com", body),
			spf: Fail, dmarc: PermError},
		{name: "two From fields", ip: otherIP, mailFrom: "a@example.com",
			msg: "From: b@example.net\r\n" + message("a@example.com", body),
			spf: Fail, dmarc: PermError},
		{name: "unknown charset in the display name does not hide the domain", ip: otherIP, mailFrom: "a@example.com",
			msg: message("=?x-unknown?q?Pay=20Pal?= <a@EXAMPLE.com>", body),
			spf: Fail, dmarc: Fail, policy: "reject", from: "example.com", reject: true},
		{name: "folded From after a malformed line", ip: otherIP, mailFrom: "a@example.com",
			msg: "no colon here\r\nFrom: Alice\r\n <a@example.com>\r\n" + message("", body),
			spf: Fail, dmarc: Fail, policy: "reject", from: "example.com", reject: true},
		{name: "internationalised From domain", ip: otherIP, mailFrom: "a@example.com",
			msg: message("a@bücher.example", body),
			spf: Fail, dmarc: None, from: "xn--bcher-kva.example"},
		{name: "bounce: SPF checks HELO", ip: goodIP, helo: "mx.example.com",
			msg: message("MAILER-DAEMON@mx.example.com", body),
			spf: Pass, dmarc: Pass, policy: "reject", from: "mx.example.com", identity: "mx.example.com"},
		{name: "bounce from an address literal: no SPF", ip: goodIP, helo: "[192.0.2.1]",
			msg: message("MAILER-DAEMON@mx.example.com", body),
			spf: None, dmarc: Fail, policy: "reject", from: "mx.example.com", reject: true},
		{name: "header only, without the final line break", ip: otherIP, mailFrom: "a@nodmarc.example",
			msg: strings.TrimSuffix(sign(t, message("a@example.com", ""), rsaCom), "\r\n\r\n"),
			spf: Fail, dkim: []string{"pass d=example.com"}, dmarc: Pass, policy: "reject",
			from: "example.com", identity: "example.com"},
		{name: "a long run of empty lines stops DKIM", ip: otherIP, mailFrom: "a@example.com",
			msg: sign(t, message("a@example.com", "x\r\n"+strings.Repeat("\r\n", maxBlankRun/2+1)+"y\r\n"), rsaCom),
			spf: Fail, dkim: []string{"policy d=example.com"}, dmarc: Fail, policy: "reject",
			from: "example.com", reject: true},
		{name: "a shorter run verifies", ip: otherIP, mailFrom: "a@example.com",
			msg: sign(t, message("a@example.com", "x\r\n"+strings.Repeat("\r\n", maxBlankRun/2-4)+"y\r\n"), edCom),
			spf: Fail, dkim: []string{"pass d=example.com"}, dmarc: Pass, policy: "reject",
			from: "example.com", identity: "example.com"},
	}
	for _, tt := range tests {
		if tt.mode == Off {
			tt.mode = Enforce
		}
		if tt.helo == "" {
			tt.helo = "client.example"
		}
		c := newChecker(t, d, tt.mode)
		for _, n := range []int{1, 4096} {
			if n == 1 && len(tt.msg) > 8192 {
				continue
			}
			t.Run(tt.name, func(t *testing.T) {
				r := check(t, c, tt.ip, tt.helo, tt.mailFrom, tt.msg, n)
				var dk []string
				for _, s := range r.DKIM {
					dk = append(dk, s.String())
				}
				if r.SPF != tt.spf || !slices.Equal(dk, tt.dkim) || r.DMARC != tt.dmarc || r.Policy != tt.policy ||
					r.FromDomain != tt.from || r.Identity != tt.identity || r.Reject != tt.reject {
					t.Errorf("chunks of %d:\n got spf=%s dkim=%q dmarc=%s policy=%q from=%q identity=%q reject=%v\nwant spf=%s dkim=%q dmarc=%s policy=%q from=%q identity=%q reject=%v",
						n, r.SPF, dk, r.DMARC, r.Policy, r.FromDomain, r.Identity, r.Reject,
						tt.spf, tt.dkim, tt.dmarc, tt.policy, tt.from, tt.identity, tt.reject)
				}
			})
		}
	}
}

// signN signs msg n more times with o, each signature on top.
func signN(t *testing.T, msg string, o signOpts, n int) string {
	for range n {
		msg = sign(t, msg, o)
	}
	return msg
}

func TestOrgDomainFallbackQueries(t *testing.T) {
	d := testutil.StartDNS(t)
	zone(t, d)
	c := newChecker(t, d, Enforce)
	check(t, c, otherIP, "client.example", "a@example.com", message("a@mail.example.com", "hi\r\n"), 4096)
	if d.Asked("_dmarc.mail.example.com") != 1 || d.Asked("_dmarc.example.com") != 1 {
		t.Errorf("queries: _dmarc.mail.example.com %d, _dmarc.example.com %d; want 1 and 1",
			d.Asked("_dmarc.mail.example.com"), d.Asked("_dmarc.example.com"))
	}
	// A domain that is its own organizational domain has no fallback.
	check(t, c, otherIP, "client.example", "a@example.com", message("a@nospf.example", "hi\r\n"), 4096)
	if n := d.Asked("_dmarc.example"); n != 0 {
		t.Errorf("_dmarc.example queried %d times", n)
	}
}

func TestOffDoesNothing(t *testing.T) {
	d := testutil.StartDNS(t)
	zone(t, d)
	c := newChecker(t, d, Off)
	r := check(t, c, otherIP, "client.example", "a@example.com",
		sign(t, message("a@example.com", "hi\r\n"), signOpts{domain: "example.com", selector: "rsa", key: rsaKey}), 100)
	if n := d.Queries(); n != 0 {
		t.Errorf("Off made %d DNS queries", n)
	}
	if r.SPF != "" || r.DKIM != nil || r.DMARC != "" || r.FromDomain != "" || r.Identity != "" || r.Reject {
		t.Errorf("Off result %+v, want zero", r)
	}
}

// silentServer is a DNS server that never answers.
func silentServer(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

func TestTempError(t *testing.T) {
	signed := func(t *testing.T) string {
		testKeys(t)
		return sign(t, message("a@example.com", "hi\r\n"), signOpts{domain: "example.com", selector: "rsa", key: rsaKey})
	}
	tests := []struct {
		name             string
		mute             []string // names the zone leaves unanswered; nil: the whole server is silent
		spf, dkim, dmarc string
		policy           string
	}{
		{"server not answering", nil, TempError, "temperror d=example.com", TempError, ""},
		{"dmarc record unanswered", []string{"_dmarc.example.com"}, Fail, "pass d=example.com", TempError, ""},
		{"dkim key unanswered", []string{"rsa._domainkey.example.com"}, Fail, "temperror d=example.com", TempError, "reject"},
		{"spf and dkim key unanswered", []string{"example.com", "rsa._domainkey.example.com"}, TempError, "temperror d=example.com", TempError, "reject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := silentServer(t)
			if tt.mute != nil {
				d := testutil.StartDNS(t)
				zone(t, d)
				for _, n := range tt.mute {
					d.Mute(n)
				}
				addr = d.Addr
			}
			c, err := New(Options{Mode: Enforce, Resolver: addr, Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			msg := signed(t)
			r := check(t, c, otherIP, "client.example", "a@example.com", msg, 4096)
			if r.SPF != tt.spf || len(r.DKIM) != 1 || r.DKIM[0].String() != tt.dkim || r.DMARC != tt.dmarc || r.Policy != tt.policy {
				t.Errorf("got spf=%s dkim=%v dmarc=%s policy=%q, want spf=%s dkim=%s dmarc=%s policy=%q",
					r.SPF, r.DKIM, r.DMARC, r.Policy, tt.spf, tt.dkim, tt.dmarc, tt.policy)
			}
			if r.Reject {
				t.Error("rejected on a temporary error")
			}
		})
	}
}

func TestAbortLeavesNoGoroutine(t *testing.T) {
	d := testutil.StartDNS(t)
	zone(t, d)
	d.Mute("rsa._domainkey.example.com")
	d.Mute("_dmarc.example.com")
	d.Mute("example.com")
	c, err := New(Options{Mode: Enforce, Resolver: d.Addr, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	rsaCom := signOpts{domain: "example.com", selector: "rsa", key: rsaKey}
	ed := signOpts{domain: "example.com", selector: "ed", key: edKey}
	// Two signatures: go-msgauth verifies them in goroutines of its own.
	msg := sign(t, sign(t, message("a@example.com", strings.Repeat("body line\r\n", 10)), rsaCom), ed)
	before := runtime.NumGoroutine()
	for range 3 {
		m := c.Begin(context.Background(), otherIP, "client.example", "a@example.com")
		// The whole header: SPF, both key lookups and the DMARC record
		// are all waiting for the server when Abort comes.
		if _, err := m.Write([]byte(msg[:strings.Index(msg, "\r\n\r\n")+4])); err != nil {
			t.Fatal(err)
		}
		m.Abort()
		m.Abort()
		if _, err := m.Close(); err == nil {
			t.Error("Close after Abort succeeded")
		}
		if _, err := m.Write([]byte("x")); err == nil {
			t.Error("Write after Abort succeeded")
		}
	}
	// Goroutines that closed their channel may still be exiting.
	if !testutil.Poll(time.Second, func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Abort, %d before\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
}

func TestCloseTwice(t *testing.T) {
	d := testutil.StartDNS(t)
	zone(t, d)
	c := newChecker(t, d, Record)
	m := c.Begin(context.Background(), goodIP, "client.example", "a@example.com")
	m.Write([]byte(message("a@example.com", "hi\r\n")))
	if _, err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	m.Abort() // harmless
}

func TestParseMode(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Mode
		ok   bool
	}{
		{"off", Off, true}, {"record", Record, true}, {"enforce", Enforce, true},
		{"", Off, false}, {"Enforce", Off, false}, {"on", Off, false},
	} {
		got, err := ParseMode(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseMode(%q) = %v, %v", tt.in, got, err)
		}
		if tt.ok && got.String() != tt.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Mode: 3},
		{Mode: Record, Timeout: -1},
		{Mode: Record, MaxSignatures: -1},
		{Mode: Record, MaxHeaderBytes: -1},
		{Mode: Record, Resolver: "dns.example:53"},
		{Mode: Record, Resolver: "127.0.0.1"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	if _, err := New(Options{Mode: Enforce, Resolver: "[::1]:53"}); err != nil {
		t.Errorf("IPv6 resolver: %v", err)
	}
}
