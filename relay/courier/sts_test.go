package courier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/sts"
)

// stsEnv is mxEnv with MTA-STS on: the loopback DNS server also holds
// _mta-sts TXT records and mta-sts.<domain> addresses, and an HTTPS
// server on loopback serves the policies with a certificate of its own
// authority. The receiving servers' certificate is testCert's: valid for
// "*.test", so for mx-a.test but not for mx.wrongname.test.
type stsEnv struct {
	*mxEnv
	web     *policyWeb
	results *tlsRecorder // OnSTS calls
	logs    *testutil.SyncBuffer
}

// The policy domains of stsEnv, and their MX hosts.
var stsZone = []string{
	"mx-a.test. 300 IN A 127.0.0.1", // server a: STARTTLS, certificate for *.test
	"mx-b.test. 300 IN A 127.0.0.3", // server b: plaintext
	"mx-c.test. 300 IN A 127.0.0.4", // server c: STARTTLS offered, handshake fails
	"mx.wrongname.test. 300 IN A 127.0.0.1",
	"mx.testing.test. 300 IN A 127.0.0.1",

	"enforce.test. 300 IN MX 10 mx-a.test.",
	"notlisted.test. 300 IN MX 10 mx-a.test.",
	"skip.test. 300 IN MX 10 mx-b.test.",
	"skip.test. 300 IN MX 20 mx-a.test.",
	"wrongname.test. 300 IN MX 10 mx.wrongname.test.",
	"nostarttls.test. 300 IN MX 10 mx-b.test.",
	"brokentls.test. 300 IN MX 10 mx-c.test.",
	"testing.test. 300 IN MX 10 mx.testing.test.",
	"testingplain.test. 300 IN MX 10 mx-b.test.",
	"none.test. 300 IN MX 10 mx-b.test.",
	"keep.test. 300 IN MX 10 mx-a.test.",
	"change.test. 300 IN MX 10 mx-b.test.",
	"change.test. 300 IN MX 20 mx-a.test.",
}

// stsPolicies are the policies served, by domain; each domain has a TXT
// record with id 1.
var stsPolicies = map[string]string{
	"enforce.test":      enforce("mx-a.test"),
	"notlisted.test":    enforce("mx.elsewhere.test", "*.mx-a.test"),
	"skip.test":         enforce("*.test.example", "mx-a.test"),
	"wrongname.test":    enforce("*.wrongname.test"),
	"nostarttls.test":   enforce("mx-b.test"),
	"brokentls.test":    enforce("mx-c.test"),
	"testing.test":      "version: STSv1\r\nmode: testing\r\nmx: *.testing.test\r\nmax_age: 86400\r\n",
	"testingplain.test": "version: STSv1\r\nmode: testing\r\nmx: mx-b.test\r\nmax_age: 86400\r\n",
	"keep.test":         enforce("mx-a.test"),
	"change.test":       "version: STSv1\r\nmode: testing\r\nmx: mx-a.test\r\nmax_age: 86400\r\n",
}

func enforce(mxs ...string) string {
	p := "version: STSv1\r\nmode: enforce\r\n"
	for _, mx := range mxs {
		p += "mx: " + mx + "\r\n"
	}
	return p + "max_age: 604800\r\n"
}

func newSTSEnv(t *testing.T) *stsEnv {
	t.Helper()
	e := &stsEnv{results: &tlsRecorder{}, logs: &testutil.SyncBuffer{}}
	e.mxEnv = newMXEnv(t, func(o *SMTPOptions) {
		o.MTASTS = true
		o.OnSTS = e.results.record
		o.Logger = slog.New(slog.NewTextHandler(e.logs, nil))
	})
	e.dns.Add(t, stsZone...)
	var domains []string
	for d := range stsPolicies {
		domains = append(domains, d)
		e.dns.Add(t, "mta-sts."+d+". 300 IN A 127.0.0.1")
		e.setTXT(t, d, "v=STSv1; id=1")
	}
	e.web = startPolicyWeb(t, domains...)
	for d, p := range stsPolicies {
		e.web.set(d, p)
	}
	_, e.s.roots = testCert()
	e.useSTS(t, e.web.pool)
	return e
}

// useSTS replaces the courier's policy cache by one that trusts roots for
// the policy hosts, looks at the TXT records at every delivery, and
// reaches the policy hosts as the courier does, on the web server's port.
func (e *stsEnv) useSTS(t *testing.T, roots *x509.CertPool) {
	t.Helper()
	o := e.s.stsOptions()
	o.RootCAs = roots
	o.Recheck = time.Nanosecond
	_, port, _ := net.SplitHostPort(e.web.addr)
	o.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		return e.s.dialPolicyHost(ctx, network, net.JoinHostPort(host, port))
	}
	c, err := sts.New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.s.policies = c
}

// setTXT replaces the TXT records of _mta-sts.<domain>.
func (e *stsEnv) setTXT(t *testing.T, domain string, txts ...string) {
	t.Helper()
	name := "_mta-sts." + domain + "."
	e.dns.Remove(name)
	if len(txts) > 0 {
		e.dns.SetTXT(name, txts...)
	}
}

func TestSTSEnforce(t *testing.T) {
	tests := []struct {
		rcpt    string
		server  *testServer // who gets it over TLS; nil: nobody, deferred
		result  string      // OnSTS
		errText string
	}{
		{"u@enforce.test", nil, STSEnforceOK, ""},
		// The preferred MX host is not in the policy: skipped, never
		// tried, even though it would take the copy in plaintext.
		{"u@skip.test", nil, STSEnforceOK, ""},
		{"u@notlisted.test", nil, STSEnforceFailed, "none of the 1 MX hosts is in the recipient domain's policy"},
		{"u@wrongname.test", nil, STSEnforceFailed, "the certificate is not valid for the host name"},
		{"u@nostarttls.test", nil, STSEnforceFailed, "does not offer STARTTLS"},
		{"u@brokentls.test", nil, STSEnforceFailed, "MTA-STS: smtp: STARTTLS"},
	}
	for _, tc := range tests {
		t.Run(tc.rcpt, func(t *testing.T) {
			e := newSTSEnv(t)
			if tc.errText == "" {
				tc.server = e.a
			}
			m := testMsg(tc.rcpt)
			m.Report = &Report{}
			err := e.s.Deliver(context.Background(), m)
			for _, srv := range []*testServer{e.a, e.b, e.c} {
				want := 0
				if srv == tc.server {
					want = 1
				}
				got := srv.got(tc.rcpt)
				if len(got) != want {
					t.Errorf("server %s got %d copies, want %d", srv.addr, len(got), want)
				}
				for _, r := range got {
					if !r.tls {
						t.Errorf("server %s got the copy in plaintext", srv.addr)
					}
				}
				srv.mu.Lock()
				mails := srv.mails
				srv.mu.Unlock()
				if srv != tc.server && mails > 0 {
					t.Errorf("server %s saw %d MAIL commands: a copy was offered where the policy forbids", srv.addr, mails)
				}
			}
			if tc.rcpt == "u@skip.test" && e.b.ln.accepted.Load() != 0 {
				t.Error("the MX host outside the policy was connected to")
			}
			if got := e.results.modes; len(got) != 1 || got[0] != tc.result {
				t.Errorf("OnSTS calls %v, want [%s]", got, tc.result)
			}
			if tc.server != nil {
				if err != nil {
					t.Fatalf("Deliver: %v", err)
				}
				if e.rec.last() != TLSStartTLS {
					t.Errorf("OnTLS %q, want %q", e.rec.last(), TLSStartTLS)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Permanent || ce.About != AboutNextHop {
				t.Fatalf("Deliver = %v, want a temporary *Error about the next hop", err)
			}
			if !strings.Contains(err.Error(), tc.errText) || !strings.Contains(err.Error(), "MTA-STS") {
				t.Errorf("Deliver = %q, want it to say MTA-STS and %q", err, tc.errText)
			}
			domain := tc.rcpt[strings.IndexByte(tc.rcpt, '@')+1:]
			if strings.Contains(err.Error(), strings.TrimSuffix(domain, ".test")) || strings.Contains(err.Error(), "127.0.0.") {
				t.Errorf("Deliver = %q: names the domain or an address", err)
			}
			if tc.rcpt == "u@notlisted.test" && m.Report.Step != StepSTS {
				t.Errorf("Report.Step = %q, want %q", m.Report.Step, StepSTS)
			}
		})
	}
}

// A server whose certificate does not chain to a trusted root never gets
// the copy, in plaintext or otherwise; and the failure has the domain's
// TXT record looked at again at the next attempt.
func TestSTSEnforceUntrusted(t *testing.T) {
	e := newSTSEnv(t)
	e.s.roots = x509.NewCertPool()
	err := e.s.Deliver(context.Background(), testMsg("u@enforce.test"))
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "not signed by a trusted authority") {
		t.Fatalf("Deliver = %v, want a temporary failure: untrusted certificate", err)
	}
	if n := e.a.total(); n != 0 {
		t.Errorf("server got %d copies", n)
	}
	if n := e.a.ln.accepted.Load(); n != 1 {
		t.Errorf("server accepted %d connections, want 1: no plaintext retry", n)
	}
	if got := e.results.last(); got != STSEnforceFailed {
		t.Errorf("OnSTS %q, want %q", got, STSEnforceFailed)
	}

	// With the server trusted again, the next attempt goes through.
	_, e.s.roots = testCert()
	if err := e.s.Deliver(context.Background(), testMsg("u@enforce.test")); err != nil {
		t.Fatalf("Deliver with the certificate trusted: %v", err)
	}
	if got := e.a.got("u@enforce.test"); len(got) != 1 || !got[0].tls {
		t.Errorf("server got %+v, want one copy over TLS", got)
	}
}

// Testing mode delivers as if there were no policy, and logs what enforce
// would have refused; no policy at all is counted as none.
func TestSTSTestingAndNone(t *testing.T) {
	e := newSTSEnv(t)
	for _, tc := range []struct {
		rcpt   string
		server *testServer
		tls    bool
		result string
		logged string // in the log; "": nothing about MTA-STS
	}{
		// A certificate for *.test does not cover mx.testing.test.
		{"u@testing.test", e.a, true, STSTesting, "reason=\"the MX host's certificate does not verify\""},
		{"u@testingplain.test", e.b, false, STSTesting, "reason=\"no TLS\""},
		{"u@none.test", e.b, false, STSNone, ""},
	} {
		before := e.logs.String()
		if err := e.s.Deliver(context.Background(), testMsg(tc.rcpt)); err != nil {
			t.Fatalf("Deliver(%s): %v", tc.rcpt, err)
		}
		if got := tc.server.got(tc.rcpt); len(got) != 1 || got[0].tls != tc.tls {
			t.Errorf("%s: server got %+v, want one copy, TLS %v", tc.rcpt, got, tc.tls)
		}
		if got := e.results.last(); got != tc.result {
			t.Errorf("%s: OnSTS %q, want %q", tc.rcpt, got, tc.result)
		}
		logged := strings.TrimPrefix(e.logs.String(), before)
		switch {
		case tc.logged == "" && strings.Contains(logged, "MTA-STS"):
			t.Errorf("%s: logged %q", tc.rcpt, logged)
		case tc.logged != "" && !strings.Contains(logged, "would have deferred") || !strings.Contains(logged, tc.logged):
			t.Errorf("%s: logged %q, want the enforce failure, %s", tc.rcpt, logged, tc.logged)
		case strings.Contains(logged, "testing.test") || strings.Contains(logged, "mx-b"):
			t.Errorf("%s: the log names the domain or its MX host: %q", tc.rcpt, logged)
		}
	}
	if n := e.web.count("none.test"); n != 0 {
		t.Errorf("a domain without a TXT record had its policy fetched %d times", n)
	}
}

// A policy seen before stays in force when its host cannot be reached:
// here a new id is published, the policy host is down, and a preferred MX
// host outside the policy appears (as an attacker would have it).
func TestSTSCachedPolicyWhenHostDown(t *testing.T) {
	e := newSTSEnv(t)
	if err := e.s.Deliver(context.Background(), testMsg("u1@keep.test")); err != nil {
		t.Fatal(err)
	}
	e.web.srv.Close()
	e.setTXT(t, "keep.test", "v=STSv1; id=2")
	e.dns.Add(t, "keep.test. 300 IN MX 5 mx-b.test.")

	if err := e.s.Deliver(context.Background(), testMsg("u2@keep.test")); err != nil {
		t.Fatalf("Deliver with the policy host down: %v", err)
	}
	if n := e.b.total(); n != 0 {
		t.Errorf("the MX host outside the cached policy got %d copies", n)
	}
	if got := e.a.got("u2@keep.test"); len(got) != 1 || !got[0].tls {
		t.Errorf("the listed MX host got %+v, want one copy over TLS", got)
	}
	if got := e.results.modes; len(got) != 2 || got[1] != STSEnforceOK {
		t.Errorf("OnSTS calls %v, want enforce_ok twice", got)
	}
	if !strings.Contains(e.logs.String(), "the policy seen before stays in force") {
		t.Errorf("the failed fetch was not logged: %q", e.logs.String())
	}
}

// A new TXT id has the policy fetched again; the same id does not.
func TestSTSIDChange(t *testing.T) {
	e := newSTSEnv(t)
	deliver := func(rcpt string, want *testServer, result string) {
		t.Helper()
		if err := e.s.Deliver(context.Background(), testMsg(rcpt)); err != nil {
			t.Fatalf("Deliver(%s): %v", rcpt, err)
		}
		if len(want.got(rcpt)) != 1 {
			t.Errorf("%s did not reach %s", rcpt, want.addr)
		}
		if got := e.results.last(); got != result {
			t.Errorf("%s: OnSTS %q, want %q", rcpt, got, result)
		}
	}
	// Testing: the preferred host, in plaintext, though it is not listed.
	deliver("u1@change.test", e.b, STSTesting)
	e.web.set("change.test", enforce("mx-a.test"))
	deliver("u2@change.test", e.b, STSTesting)
	if n := e.web.count("change.test"); n != 1 {
		t.Errorf("%d fetches with the id unchanged, want 1", n)
	}
	e.setTXT(t, "change.test", "v=STSv1; id=2")
	deliver("u3@change.test", e.a, STSEnforceOK)
	if n := e.web.count("change.test"); n != 2 {
		t.Errorf("%d fetches after the id changed, want 2", n)
	}
}

// The TXT lookup goes through the courier's resolver: records of several
// strings are joined, other TXT records are ignored.
func TestSTSTXTLookup(t *testing.T) {
	d := startDNS(t,
		`_mta-sts.split.test. 300 IN TXT "v=STSv1; " "id=abc"`,
		`_mta-sts.split.test. 300 IN TXT "v=spf1 -all"`,
		"servfail _mta-sts.fail.test",
	)
	r := txtResolver{newResolver(d.Addr)}
	got, err := r.LookupTXT(context.Background(), "_mta-sts.split.test")
	if err != nil || len(got) != 2 || got[0] != "v=STSv1; id=abc" {
		t.Errorf("LookupTXT = %q, %v", got, err)
	}
	if got, err := r.LookupTXT(context.Background(), "_mta-sts.nx.test"); err != nil || got != nil {
		t.Errorf("LookupTXT of a missing name = %q, %v; want none, no error", got, err)
	}
	if _, err := r.LookupTXT(context.Background(), "_mta-sts.fail.test"); err == nil {
		t.Error("LookupTXT of a failing name: no error")
	}
}

// Without MTASTS, nothing is looked up and nothing counted.
func TestSTSOff(t *testing.T) {
	e := newSTSEnv(t)
	e.s.policies = nil
	if err := e.s.Deliver(context.Background(), testMsg("u@notlisted.test")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if n := len(e.results.modes); n != 0 {
		t.Errorf("OnSTS called %d times", n)
	}
	if n := e.web.count("notlisted.test"); n != 0 {
		t.Errorf("policy fetched %d times", n)
	}
}

// policyWeb serves the policies of mta-sts.<domain> over HTTPS on
// loopback, with a certificate for those names from an authority of its
// own.
type policyWeb struct {
	srv  *httptest.Server
	addr string
	pool *x509.CertPool

	mu    sync.Mutex
	files map[string]string
	gets  map[string]int
}

func startPolicyWeb(t *testing.T, domains ...string) *policyWeb {
	t.Helper()
	w := &policyWeb{files: map[string]string{}, gets: map[string]int{}}
	var names []string
	for _, d := range domains {
		names = append(names, "mta-sts."+d)
	}
	cert, pool := selfSigned(t, names...)
	w.pool = pool
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		domain := strings.TrimPrefix(r.Host, "mta-sts.")
		w.mu.Lock()
		w.gets[domain]++
		p, ok := w.files[domain]
		w.mu.Unlock()
		if !ok || r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "text/plain")
		io.WriteString(rw, p)
	}))
	w.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	w.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	w.srv.StartTLS()
	w.addr = w.srv.Listener.Addr().String()
	t.Cleanup(w.srv.Close)
	return w
}

func (w *policyWeb) set(domain, policy string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.files[domain] = policy
}

func (w *policyWeb) count(domain string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gets[domain]
}

// selfSigned returns a certificate for names and a pool trusting it.
func selfSigned(t *testing.T, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: "policy host"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:              names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
