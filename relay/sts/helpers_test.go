package sts

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
	"sync/atomic"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testCA issues certificates for the tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sts test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a server certificate for names.
func (ca *testCA) issue(t testing.TB, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// served is what the policy host answers for one domain.
type served struct {
	status int    // default 200
	ctype  string // default text/plain
	body   string
}

// policyHost is an HTTPS server on loopback that serves the policies of
// every mta-sts.<domain>, with a certificate for each name it was given.
type policyHost struct {
	srv  *httptest.Server
	addr string

	mu    sync.Mutex
	files map[string]served // by domain
	gets  map[string]int    // requests, by domain
	hold  chan struct{}     // if set, requests wait for it to close
}

func startPolicyHost(t testing.TB, cert tls.Certificate) *policyHost {
	t.Helper()
	h := &policyHost{files: map[string]served{}, gets: map[string]int{}}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.srv.StartTLS()
	h.addr = h.srv.Listener.Addr().String()
	t.Cleanup(h.srv.Close)
	return h
}

func (h *policyHost) serve(w http.ResponseWriter, r *http.Request) {
	domain, ok := strings.CutPrefix(r.Host, "mta-sts.")
	h.mu.Lock()
	h.gets[domain]++
	f, known := h.files[domain]
	hold := h.hold
	h.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if !ok || !known || r.URL.Path != "/.well-known/mta-sts.txt" {
		http.NotFound(w, r)
		return
	}
	if f.ctype == "" {
		f.ctype = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", f.ctype)
	if f.status == 0 {
		f.status = http.StatusOK
	}
	if f.status/100 == 3 {
		w.Header().Set("Location", "https://elsewhere.test/policy")
	}
	w.WriteHeader(f.status)
	io.WriteString(w, f.body)
}

func (h *policyHost) set(domain string, f served) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.files[domain] = f
}

func (h *policyHost) count(domain string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gets[domain]
}

// dial reaches the policy host whatever the address asked for, as DNS
// pointing every mta-sts name at it would.
func (h *policyHost) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, h.addr)
}

// txtZone answers TXT lookups from a table.
type txtZone struct {
	mu      sync.Mutex
	records map[string][]string
	fail    map[string]bool
	queries atomic.Int64
}

func newZone() *txtZone {
	return &txtZone{records: map[string][]string{}, fail: map[string]bool{}}
}

func (z *txtZone) LookupTXT(ctx context.Context, name string) ([]string, error) {
	z.queries.Add(1)
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.fail[name] {
		return nil, errors.New("dns: TXT query: server answered SERVFAIL")
	}
	return z.records[name], nil
}

// set publishes txts at _mta-sts.<domain>; none removes them.
func (z *txtZone) set(domain string, txts ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.records["_mta-sts."+domain] = txts
}

func (z *txtZone) setFail(domain string, fail bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.fail["_mta-sts."+domain] = fail
}

// clock is a time the tests move.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a Cache with a TXT zone, a policy host and a clock.
type env struct {
	zone  *txtZone
	host  *policyHost
	clock *clock
	c     *Cache
}

// newEnv starts a policy host whose certificate covers mta-sts.<d> for
// each of domains, trusted by the Cache.
func newEnv(t testing.TB, domains ...string) *env {
	t.Helper()
	ca := newCA(t)
	var names []string
	for _, d := range domains {
		names = append(names, "mta-sts."+d)
	}
	e := &env{zone: newZone(), clock: &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	e.host = startPolicyHost(t, ca.issue(t, names...))
	c, err := New(Options{Resolver: e.zone, Dial: e.host.dial, RootCAs: ca.pool, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	c.now = e.clock.now
	e.c = c
	return e
}

const enforcePolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.mx.good.test\r\nmax_age: 86400\r\n"

// publish puts a TXT record with id and the policy text for domain.
func (e *env) publish(domain, id, policy string) {
	e.zone.set(domain, "v=STSv1; id="+id)
	e.host.set(domain, served{body: policy})
}
