package courier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"leak/policy/testutil"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"
)

// mxEnv is a DNS server and three receiving servers on one port P of
// three loopback addresses, as MX hosts:
//
//	a 127.0.0.1:P  STARTTLS
//	b 127.0.0.3:P  plaintext
//	c 127.0.0.4:P  offers STARTTLS, handshake fails
//
// Nothing listens on 127.0.0.2:P: it refuses connections.
type mxEnv struct {
	dns     *testutil.DNS
	a, b, c *testServer
	s       *SMTP
	rec     *tlsRecorder
}

func newMXEnv(t testing.TB, edit func(*SMTPOptions)) *mxEnv {
	t.Helper()
	e := &mxEnv{rec: &tlsRecorder{}}
	e.a = startServer(t, serverOpts{tls: TLSStartTLS})
	_, port, _ := net.SplitHostPort(e.a.addr)
	e.b = startServer(t, serverOpts{addr: "127.0.0.3:" + port})
	e.c = startServer(t, serverOpts{addr: "127.0.0.4:" + port, tls: "broken"})

	var many []string
	for i := 1; i <= 7; i++ {
		host := "127.0.0.2"
		if i == 7 {
			host = "127.0.0.3"
		}
		many = append(many,
			fmt.Sprintf("many.test. 300 IN MX %d mx%d.many.test.", i, i),
			fmt.Sprintf("mx%d.many.test. 300 IN A %s", i, host))
	}
	e.dns = startDNS(t, append(many,
		"pref.test. 300 IN MX 20 mx-b.pref.test.",
		"pref.test. 300 IN MX 10 mx-a.pref.test.",
		"mx-a.pref.test. 300 IN A 127.0.0.1",
		"mx-b.pref.test. 300 IN A 127.0.0.3",
		"fallback.test. 300 IN MX 10 down.fallback.test.",
		"fallback.test. 300 IN MX 20 up.fallback.test.",
		"down.fallback.test. 300 IN A 127.0.0.2",
		"up.fallback.test. 300 IN A 127.0.0.3",
		"amx.test. 300 IN A 127.0.0.1",
		"amx.test. 300 IN TXT \"v=spf1 -all\"",
		"nullmx.test. 300 IN MX 0 .",
		"noaddr.test. 300 IN TXT \"v=spf1 -all\"",
		"servfail servfail.test",
		"tc.test. 300 IN MX 10 mx-a.pref.test.",
		"truncate tc.test",
		"plain.test. 300 IN MX 10 mx-b.pref.test.",
		"broken.test. 300 IN MX 10 mx.broken.test.",
		"mx.broken.test. 300 IN A 127.0.0.4",
		"grey.test. 300 IN MX 10 mx-a.pref.test.",
		"grey.test. 300 IN MX 20 mx-b.pref.test.",
		"bad.test. 300 IN MX 10 mx-a.pref.test.",
		"bad.test. 300 IN MX 20 mx-b.pref.test.",
		"lost.test. 300 IN MX 10 nowhere.lost.test.",
		"xn--bcher-kva.test. 300 IN MX 10 mx-a.pref.test.",
		"mxonly-bad-host.test. 300 IN MX 10 servfail.test.",
		"mxfail.test. 300 IN A 127.0.0.1",
		"mxfail mxfail.test",
	)...)
	e.a.reply("u@grey.test", 451, smtp.EnhancedCode{4, 7, 1}, "greylisted")
	e.a.reply("u@bad.test", 550, smtp.EnhancedCode{5, 1, 1}, "no such user")

	mxPort, _ := strconv.Atoi(port)
	o := SMTPOptions{
		Mode:           ModeMX,
		AllowPrivateMX: true, // the test's MX hosts are on loopback
		Hostname:       testHostname,
		Resolver:       e.dns.Addr,
		MXPort:         mxPort,
		CommandTimeout: 2 * time.Second,
		OnTLS:          e.rec.record,
		Logger:         quiet,
	}
	if edit != nil {
		edit(&o)
	}
	s, err := NewSMTP(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e.s = s
	return e
}

func TestMXDeliver(t *testing.T) {
	e := newMXEnv(t, nil)
	tests := []struct {
		rcpt    string
		server  *testServer // who must get it; nil: nobody
		perm    bool        // for failures
		tls     string
		errText string
	}{
		{"u@pref.test", e.a, false, TLSStartTLS, ""},
		{"u@fallback.test", e.b, false, TLSNone, ""},
		{"u@amx.test", e.a, false, TLSStartTLS, ""},
		{"u@tc.test", e.a, false, TLSStartTLS, ""},
		{"u@plain.test", e.b, false, TLSNone, ""},
		{"u@broken.test", e.c, false, TLSNone, ""},
		{"u@grey.test", e.b, false, TLSNone, ""},
		{"U@PREF.TEST", e.a, false, TLSStartTLS, ""},
		{"u@bad.test", nil, true, "", "5.1.1 no such user"},
		{"u@nullmx.test", nil, true, "", "5.1.10"},
		{"u@nx.test", nil, true, "", "5.1.2"},
		{"u@noaddr.test", nil, true, "", "5.1.2"},
		{"u@servfail.test", nil, false, "", "SERVFAIL"},
		// A failed MX lookup never falls back to the address records.
		{"u@mxfail.test", nil, false, "", "MX lookup"},
		{"u@many.test", nil, false, "", "5 of 5 MX hosts"},
		{"u@lost.test", nil, false, "", "1 of 1 MX hosts"},
		{"u@mxonly-bad-host.test", nil, false, "", "address lookup"},
		{"u@bad..test", nil, true, "", "5.1.2"},
	}
	for _, tc := range tests {
		t.Run(tc.rcpt, func(t *testing.T) {
			before := len(e.rec.modes)
			err := e.s.Deliver(context.Background(), testMsg(tc.rcpt))
			for _, srv := range []*testServer{e.a, e.b, e.c} {
				want := 0
				if srv == tc.server {
					want = 1
				}
				if got := srv.got(tc.rcpt); len(got) != want {
					t.Errorf("server %s got %d copies, want %d", srv.addr, len(got), want)
				} else if want == 1 && got[0].body != testBody {
					t.Errorf("server got body %q", got[0].body)
				}
			}
			if tc.server != nil {
				if err != nil {
					t.Fatalf("Deliver: %v", err)
				}
				if e.rec.last() != tc.tls || len(e.rec.modes) != before+1 {
					t.Errorf("OnTLS calls %v, want one more, %q", e.rec.modes[before:], tc.tls)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Permanent != tc.perm {
				t.Fatalf("Deliver = %v, want an *Error with Permanent=%v", err, tc.perm)
			}
			if !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("Deliver = %q, want it to contain %q", err, tc.errText)
			}
			if tc.perm && ce.Code < 500 {
				t.Errorf("permanent error with code %d", ce.Code)
			}
			if strings.Contains(err.Error(), "127.0.0.") {
				t.Errorf("error %q names the MX address", err)
			}
		})
	}
	// The broken-TLS host took a second, plaintext connection.
	if n := e.c.ln.accepted.Load(); n != 2 {
		t.Errorf("broken-TLS host: %d connections, want 2", n)
	}
}

func TestMXPreferenceAlwaysFirst(t *testing.T) {
	e := newMXEnv(t, nil)
	for i := range 10 {
		if err := e.s.Deliver(context.Background(), testMsg(fmt.Sprintf("u%d@pref.test", i))); err != nil {
			t.Fatal(err)
		}
	}
	if e.a.total() != 10 || e.b.total() != 0 {
		t.Errorf("preferred host got %d, other %d; want 10 and 0", e.a.total(), e.b.total())
	}
	// One session carried them all, and pref.test, tc.test share it: same host.
	if err := e.s.Deliver(context.Background(), testMsg("u@tc.test")); err != nil {
		t.Fatal(err)
	}
	if n := e.a.ln.accepted.Load(); n != 1 {
		t.Errorf("%d connections to the MX, want 1", n)
	}
}

func TestMXMaxPerDomain(t *testing.T) {
	e := newMXEnv(t, func(o *SMTPOptions) { o.MaxPerDest = 2 })
	e.a.mu.Lock()
	e.a.opts.dataDelay = 20 * time.Millisecond
	e.a.mu.Unlock()
	errs := concurrently(12, func(i int) error {
		return e.s.Deliver(context.Background(), testMsg(fmt.Sprintf("u%d@pref.test", i)))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("Deliver %d: %v", i, err)
		}
	}
	if m := e.a.ln.maxOpen.Load(); m > 2 {
		t.Errorf("%d connections at once to the MX, want at most 2", m)
	}
}

func TestMXRewindsBodyForNextHost(t *testing.T) {
	// The first host fails after the body was sent.
	e := newMXEnv(t, nil)
	e.a.reply("DATA v@grey.test", 451, smtp.EnhancedCode{4, 3, 0}, "scanner down")

	// A strings.Reader can seek: the second host gets the whole body.
	if err := e.s.Deliver(context.Background(), testMsg("v@grey.test")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if got := e.b.got("v@grey.test"); len(got) != 1 || got[0].body != testBody {
		t.Fatalf("second host got %+v", got)
	}
	// A body that cannot seek stops at the first host, temporarily.
	m := testMsg("v@grey.test")
	m.Body = struct{ io.Reader }{strings.NewReader(testBody)}
	err := e.s.Deliver(context.Background(), m)
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "1 of 2 MX hosts") {
		t.Fatalf("Deliver = %v, want temporary after 1 of 2 hosts", err)
	}
	if n := len(e.b.got("v@grey.test")); n != 1 {
		t.Errorf("second host got %d copies, want still 1", n)
	}
}

func TestCheckDomain(t *testing.T) {
	e := newMXEnv(t, nil)
	tests := []struct {
		domain string
		perm   bool
		text   string
	}{
		{"pref.test", false, ""},
		{"amx.test", false, ""},
		{"PREF.test.", false, ""},
		{"bücher.test", false, ""},
		{"nullmx.test", true, "5.1.10"},
		{"nx.test", true, "5.1.2"},
		{"noaddr.test", true, "5.1.2"},
		{"servfail.test", false, ""}, // a hiccup never refuses
		{"mxfail.test", false, ""},
		{"lost.test", false, ""}, // its MX host is not looked up here
		{"bad..test", true, "5.1.2"},
	}
	for _, tc := range tests {
		err := e.s.CheckDomain(context.Background(), tc.domain)
		if !tc.perm {
			if err != nil {
				t.Errorf("CheckDomain(%q) = %v, want nil", tc.domain, err)
			}
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) || !ce.Permanent || ce.Code != 550 || !strings.Contains(ce.Text, tc.text) {
			t.Errorf("CheckDomain(%q) = %v, want permanent 550 %s", tc.domain, err, tc.text)
		}
	}

	// Answers are cached, good and bad; DNS failures are not.
	for _, d := range []string{"pref.test", "nx.test", "amx.test"} {
		q := e.dns.Queries()
		e.s.CheckDomain(context.Background(), d)
		if n := e.dns.Queries() - q; n != 0 {
			t.Errorf("CheckDomain(%q) again: %d DNS queries, want 0 (cached)", d, n)
		}
	}
	q := e.dns.Queries()
	e.s.CheckDomain(context.Background(), "servfail.test")
	if e.dns.Queries() == q {
		t.Error("a SERVFAIL answer was cached")
	}

	// Negative answers expire sooner.
	e.s.domains.negTTL = time.Millisecond
	e.s.domains.put("nx.test", errNoDomain())
	time.Sleep(5 * time.Millisecond)
	q = e.dns.Queries()
	e.s.CheckDomain(context.Background(), "nx.test")
	if e.dns.Queries() == q {
		t.Error("an expired answer was used")
	}

	// In smarthost mode nothing is checked.
	ts := startServer(t, serverOpts{})
	sh, _ := newSmarthost(t, ts, TLSNone, nil)
	if err := sh.CheckDomain(context.Background(), "nx.test"); err != nil {
		t.Errorf("smarthost CheckDomain = %v, want nil", err)
	}
}

func TestMXHostsOrder(t *testing.T) {
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	in := []dns.RR{
		rr("d.test. 1 IN MX 30 C.test."),
		rr("d.test. 1 IN MX 10 a1.test."),
		rr("d.test. 1 IN MX 10 a2.test."),
		rr("d.test. 1 IN MX 20 b.test."),
		rr("d.test. 1 IN MX 0 ."),
		rr("d.test. 1 IN MX 40 d.test."),
		rr("d.test. 1 IN MX 50 e.test."),
		rr("d.test. 1 IN MX 60 f.test."),
		rr("d.test. 1 IN A 127.0.0.1"),
	}
	seen := map[string]bool{}
	for range 64 {
		hosts := mxHosts(in)
		var names []string
		for _, h := range hosts {
			names = append(names, h.name)
		}
		if len(names) != maxMXHosts {
			t.Fatalf("mxHosts = %v, want %d hosts", names, maxMXHosts)
		}
		seen[names[0]] = true
		if !slices.Contains([]string{"a1.test", "a2.test"}, names[0]) || names[2] != "b.test" || names[3] != "c.test" || names[4] != "d.test" {
			t.Fatalf("mxHosts = %v, want a1/a2 in some order, then b, c, d", names)
		}
	}
	if !seen["a1.test"] || !seen["a2.test"] {
		t.Errorf("equal preferences never shuffled: first hosts seen %v", seen)
	}
	if h := mxHosts([]dns.RR{rr("d.test. 1 IN MX 0 .")}); len(h) != 0 {
		t.Errorf("null MX gave hosts %v", h)
	}
}

func TestLookupAddrs(t *testing.T) {
	d := startDNS(t,
		"dual.test. 300 IN AAAA ::1",
		"dual.test. 300 IN A 127.0.0.1",
		"dual.test. 300 IN A 0.0.0.0",
		"txt.test. 300 IN TXT \"x\"",
	)
	r := newResolver(d.Addr)
	got, err := r.lookupAddrs(context.Background(), "dual.test")
	want := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("lookupAddrs = %v, %v; want %v (IPv4 first, 0.0.0.0 dropped)", got, err, want)
	}
	for _, name := range []string{"txt.test", "missing.test"} {
		if _, err := r.lookupAddrs(context.Background(), name); !errors.Is(err, errNoAddrs) {
			t.Errorf("lookupAddrs(%q) = %v, want errNoAddrs", name, err)
		}
	}
	// A resolver that does not answer is a temporary failure, not "no
	// such domain".
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	dead := newResolver(pc.LocalAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := dead.query(ctx, "pref.test", dns.TypeMX); err == nil || errors.Is(err, errNXDomain) {
		t.Errorf("query to a silent server = %v, want a timeout", err)
	}
}

func TestDomainCacheBounded(t *testing.T) {
	c := newDomainCache(3, time.Minute, time.Minute)
	for i := range 10 {
		c.put(fmt.Sprintf("d%d.test", i), nil)
	}
	if len(c.m) > 3 {
		t.Errorf("cache holds %d entries, want at most 3", len(c.m))
	}
	if _, ok := c.get("d9.test"); !ok {
		t.Error("the newest entry is missing")
	}
	c.put("bad.test", errNullMX())
	got, ok := c.get("bad.test")
	if !ok || !IsPermanent(got) {
		t.Errorf("get = %v, %v; want the permanent error", got, ok)
	}
}

// By default MX mode never delivers to loopback or private addresses.
func TestPrivateMXRefused(t *testing.T) {
	for _, tt := range []struct {
		addr string
		ok   bool
	}{
		{"192.0.2.1", true}, {"2001:db8::1", true}, {"127.0.0.1", false}, {"10.1.2.3", false},
		{"172.16.0.1", false}, {"192.168.1.1", false}, {"169.254.1.1", false}, {"100.64.0.1", false},
		{"::1", false}, {"fd00::1", false}, {"fe80::1", false}, {"::ffff:10.0.0.1", false},
	} {
		if got := public(netip.MustParseAddr(tt.addr)); got != tt.ok {
			t.Errorf("public(%s) = %v, want %v", tt.addr, got, tt.ok)
		}
	}
	e := newMXEnv(t, nil)
	s, err := NewSMTP(SMTPOptions{Mode: ModeMX, Hostname: testHostname, Resolver: e.dns.Addr, MXPort: e.s.opts.MXPort, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Deliver(context.Background(), &Message{ID: "x", From: "b@leak.example", To: "u@pref.test", Size: 3, Body: strings.NewReader("x\r\n")})
	if !IsPermanent(err) {
		t.Errorf("delivery to a domain whose MX hosts are on loopback: %v, want a permanent error", err)
	}
	if got := e.a.total() + e.b.total() + e.c.total(); got != 0 {
		t.Errorf("%d messages reached a loopback MX", got)
	}
}
