package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"leak/metrics"
)

// The certificates leakd serves come from one of two places:
//
//   - files (smtp.tls_cert, smtp.tls_key), renewed by something else
//     (certbot, cert-manager) and read again on SIGHUP. Each handshake takes
//     the current certificate from an atomic pointer, so a reload cuts no
//     connection: a session keeps the certificate it began with and the
//     next handshake gets the new one.
//   - ACME (tls.acme): leakd obtains and renews the certificate itself.
//
// ACME is golang.org/x/crypto/acme/autocert rather than certmagic. x/crypto
// is already in the module graph, so autocert adds no module; certmagic
// v0.25.6 adds eight (acmez, zap, libdns, zerossl, blake3, cpuid, …) and
// logs through zap. What certmagic has beyond autocert is DNS-01 (needed
// only for wildcards, with a libdns provider module per DNS host), storage
// back ends with distributed locks, and OCSP stapling. Leak needs none of
// them: its names are an MX host and a web host, both reachable by the CA,
// and autocert's cache is enough for replicas:
//
//   - One cache_dir shared by every replica (a ReadWriteMany volume, NFS):
//     the certificate, the account key and the challenge answers (HTTP-01
//     tokens and TLS-ALPN-01 certificates) all live in the cache, so any
//     replica the CA's check reaches can answer it, and a replica whose
//     renewal timer fires reads the cache first and takes a certificate
//     another replica renewed in the meantime.
//   - A cache_dir per replica also works, but each replica then holds its
//     own certificate and orders a new one whenever its volume is new,
//     against the CA's limits (Let's Encrypt: 5 certificates a week for the
//     same names), and the CA's check must reach the replica that asked.
//
// One ECDSA P-256 certificate is asked for per name, whatever the client
// offers (every TLS 1.2 client takes ECDSA), so replicas and handshakes
// never order a second, RSA, certificate.

// certCheckEvery is how often the ACME certificates are looked at again:
// the expiry gauge follows a renewal made by another replica (read from the
// shared cache) within this time.
const certCheckEvery = time.Hour

// acmeRetry is the first wait after the CA did not give a certificate; it
// doubles up to certCheckEvery. Let's Encrypt allows 5 failed validations
// an hour per name, and autocert tries two challenges per order.
const acmeRetry = 5 * time.Minute

// Certificates is where both listeners get their certificate: files or
// ACME. A nil *Certificates (no TLS configured) gives nil configs.
type Certificates struct {
	log *slog.Logger
	m   *metrics.Metrics

	// Files.
	certFile, keyFile string
	file              atomic.Pointer[tls.Certificate]

	// ACME.
	acme      *autocert.Manager
	names     []string          // tls.acme.hostnames
	defaults  map[string]string // listener → name for clients without SNI
	http01    *http.Server      // tls.acme.http_listen
	wake      chan struct{}
	stop      chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	listeners []string                     // registered by TLSConfig
	leaves    map[string]*x509.Certificate // ACME: name → certificate served
}

// openCertificates loads the certificate files, or sets up ACME and starts
// obtaining certificates in the background (leakd starts without waiting
// for the CA; until a certificate is in hand, TLS handshakes fail and
// clients go on without STARTTLS). It returns nil when no TLS is configured.
func openCertificates(cfg *Config, m *metrics.Metrics, log *slog.Logger) (*Certificates, error) {
	c := &Certificates{log: log, m: m}
	switch {
	case cfg.TLS.ACME.Enabled:
		if err := c.openACME(cfg); err != nil {
			return nil, err
		}
		return c, nil
	case cfg.SMTP.TLSCert != "":
		c.certFile, c.keyFile = cfg.SMTP.TLSCert, cfg.SMTP.TLSKey
		cert, err := loadKeyPair(c.certFile, c.keyFile)
		if err != nil {
			return nil, fmt.Errorf("smtp.tls_cert/smtp.tls_key: %w", err)
		}
		c.file.Store(cert)
		return c, nil
	}
	return nil, nil
}

func (c *Certificates) openACME(cfg *Config) error {
	a := cfg.TLS.ACME
	if err := os.MkdirAll(a.CacheDir, 0o700); err != nil {
		return fmt.Errorf("tls.acme.cache_dir: %w", err)
	}
	client := &acme.Client{DirectoryURL: a.DirectoryURL, UserAgent: "leakd/" + version()}
	if a.CAFile != "" {
		pool, err := loadCAFile(a.CAFile)
		if err != nil {
			return fmt.Errorf("tls.acme.ca_file: %w", err)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		client.HTTPClient = &http.Client{Transport: tr}
	}
	c.names = a.Hostnames
	c.defaults = map[string]string{
		metrics.ListenerSMTP: certName(cfg.Hostname),
		metrics.ListenerHTTP: certName(cfg.Hostname),
	}
	if h := publicHost(cfg.HTTP.PublicURL); slices.Contains(c.names, h) {
		c.defaults[metrics.ListenerHTTP] = h
	}
	c.leaves = map[string]*x509.Certificate{}
	c.wake = make(chan struct{}, 1)
	c.stop = make(chan struct{})
	// Enabling ACME is the operator's agreement to the CA's terms.
	c.acme = &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      cacheHook{Cache: autocert.DirCache(a.CacheDir), stored: c.serving},
		HostPolicy: autocert.HostWhitelist(c.names...),
		Email:      a.Email,
		Client:     client,
	}
	if a.HTTPListen != "" {
		l, err := listenHTTP(a.HTTPListen, cfg.HTTP.MaxConnections)
		if err != nil {
			return fmt.Errorf("tls.acme.http_listen: %w", err)
		}
		c.http01 = newHTTPServer(cfg, c.HTTPHandler(nil), c.m, c.log)
		go c.http01.Serve(l)
	}
	go c.watch()
	return nil
}

// TLSConfig returns the TLS settings of a listener (metrics.ListenerSMTP or
// metrics.ListenerHTTP), or nil without TLS. It registers the listener: its
// leak_tls_cert_expiry_timestamp_seconds is set from now on, and with ACME
// the certificates it serves are obtained (SMTP: hostname; HTTP: every name
// in tls.acme.hostnames, so the web listener can serve each by SNI).
//
// A client without SNI, or naming a host not in the list, gets hostname's
// certificate on SMTP and http.public_url's host's on HTTP. The HTTP config
// offers http/1.1 and acme-tls/1, so the CA's TLS-ALPN-01 check on port 443
// is answered by the web listener itself.
func (c *Certificates) TLSConfig(listener string) *tls.Config {
	if c == nil {
		return nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if listener == metrics.ListenerHTTP {
		conf.NextProtos = []string{"http/1.1"}
	}
	if c.acme == nil {
		conf.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.file.Load(), nil }
	} else {
		if listener == metrics.ListenerHTTP {
			conf.NextProtos = append(conf.NextProtos, acme.ALPNProto)
		}
		conf.GetCertificate = c.acmeCertificate(listener)
	}
	c.mu.Lock()
	if !slices.Contains(c.listeners, listener) {
		c.listeners = append(c.listeners, listener)
	}
	c.mu.Unlock()
	c.setGauges()
	if c.acme != nil {
		c.poke()
	}
	return conf
}

// HTTPHandler answers the CA's HTTP-01 checks under /.well-known/acme-challenge/
// and hands every other request to fallback (nil: a redirect to https). For
// a web listener on port 80; tls.acme.http_listen runs one of its own. Without
// ACME it is fallback itself.
func (c *Certificates) HTTPHandler(fallback http.Handler) http.Handler {
	if c == nil || c.acme == nil {
		return fallback
	}
	h := c.acme.HTTPHandler(fallback)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// autocert checks the Host header against tls.acme.hostnames as
		// it comes; a check reaching a port other than 80 (a port mapped
		// by NAT, Pebble in the tests) names the port too.
		if host, _, err := net.SplitHostPort(r.Host); err == nil {
			r = r.Clone(r.Context())
			r.Host = host
		}
		h.ServeHTTP(w, r)
	})
}

// Reload reads the certificate files again (SIGHUP). A pair that does not
// load, or has expired, is refused and the certificate in use stays; with
// ACME there is nothing to read.
func (c *Certificates) Reload() error {
	if c == nil || c.acme != nil {
		return nil
	}
	old := c.file.Load().Leaf
	cert, err := loadKeyPair(c.certFile, c.keyFile)
	if err == nil && time.Now().After(cert.Leaf.NotAfter) {
		err = fmt.Errorf("the certificate expired on %s", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return fmt.Errorf("smtp.tls_cert/smtp.tls_key: %w; still serving the certificate valid until %s",
			err, old.NotAfter.UTC().Format(time.RFC3339))
	}
	c.file.Store(cert)
	c.setGauges()
	c.log.Info("reloaded the TLS certificate files", "names", cert.Leaf.DNSNames,
		"not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	return nil
}

// Close stops the HTTP-01 listener and the certificate checks.
func (c *Certificates) Close() {
	if c == nil || c.acme == nil {
		return
	}
	c.closeOnce.Do(func() {
		close(c.stop)
		if c.http01 != nil {
			c.http01.Close()
		}
	})
}

// acmeCertificate is the GetCertificate of a listener with ACME.
func (c *Certificates) acmeCertificate(listener string) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == acme.ALPNProto {
			// The CA checking a TLS-ALPN-01 challenge (RFC 8737).
			return c.acme.GetCertificate(hello)
		}
		name := certName(hello.ServerName)
		c.mu.Lock()
		if c.leaves[name] == nil {
			name = c.defaults[listener]
		}
		ready := c.leaves[name] != nil
		c.mu.Unlock()
		if !ready {
			// Only the background checks order certificates, with a
			// backoff: handshakes must not hammer the CA.
			return nil, fmt.Errorf("no certificate for %s from the ACME CA yet", name)
		}
		return c.acme.GetCertificate(ecdsaHello(name))
	}
}

// watch obtains the certificates the registered listeners need, then looks
// at them every certCheckEvery (autocert renews them itself, 30 days before
// they expire), so the gauges follow what is served.
func (c *Certificates) watch() {
	failures := map[string]int{}
	notBefore := map[string]time.Time{} // no new try for a name before this
	timer := time.NewTimer(certCheckEvery)
	defer timer.Stop()
	for {
		next := certCheckEvery
		for _, name := range c.wanted() {
			if wait := time.Until(notBefore[name]); wait > 0 {
				next = min(next, wait)
				continue
			}
			cert, err := c.acme.GetCertificate(ecdsaHello(name))
			if err == nil {
				failures[name] = 0
				c.serving(name, cert.Leaf)
				continue
			}
			wait := min(acmeRetry<<failures[name], certCheckEvery)
			failures[name]++
			notBefore[name] = time.Now().Add(wait)
			next = min(next, wait)
			c.log.Error("no TLS certificate from the ACME CA; handshakes for this name fail until one is obtained",
				"name", name, "retry_in", wait.String(), "err", err)
		}
		timer.Reset(next)
		select {
		case <-c.stop:
			return
		case <-c.wake:
		case <-timer.C:
		}
	}
}

// wanted lists the names the registered listeners serve.
func (c *Certificates) wanted() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for _, l := range c.listeners {
		if l == metrics.ListenerHTTP {
			return c.names
		}
		names = append(names, c.defaults[l])
	}
	return names
}

// serving records the certificate now served for name: at the first load,
// at each renewal (stored in the cache by this replica) and when a check
// finds another replica's renewal.
func (c *Certificates) serving(name string, leaf *x509.Certificate) {
	if leaf == nil {
		return
	}
	c.mu.Lock()
	old := c.leaves[name]
	c.leaves[name] = leaf
	c.mu.Unlock()
	if old == nil || old.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		c.log.Info("TLS certificate from the ACME CA in use", "name", name,
			"not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	c.setGauges()
}

// setGauges sets leak_tls_cert_expiry_timestamp_seconds for each registered
// listener from the certificate it serves without SNI.
func (c *Certificates) setGauges() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.listeners {
		leaf := c.leaves[c.defaults[l]]
		if c.acme == nil {
			leaf = c.file.Load().Leaf
		}
		if leaf != nil {
			c.m.CertExpiry.WithLabelValues(l).Set(float64(leaf.NotAfter.Unix()))
		}
	}
}

// poke wakes the watcher without waiting.
func (c *Certificates) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// ecdsaHello is a ClientHello for name that autocert answers with its ECDSA
// certificate.
func ecdsaHello(name string) *tls.ClientHelloInfo {
	return &tls.ClientHelloInfo{
		ServerName:       name,
		SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256},
		SupportedCurves:  []tls.CurveID{tls.CurveP256},
		CipherSuites:     []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
	}
}

// cacheHook is autocert's cache with a look at each certificate stored in
// it, so a certificate this replica obtained shows in the gauge and the log
// at once. autocert's keys: "<name>" for an ECDSA certificate, "<name>+rsa",
// "<name>+token" (TLS-ALPN-01), "<token>+http-01", "acme_account+key".
type cacheHook struct {
	autocert.Cache
	stored func(name string, leaf *x509.Certificate)
}

func (h cacheHook) Put(ctx context.Context, key string, data []byte) error {
	if err := h.Cache.Put(ctx, key, data); err != nil {
		return err
	}
	if !strings.Contains(key, "+") {
		h.stored(key, leafOf(data))
	}
	return nil
}

// leafOf returns the first certificate in PEM data (autocert stores the
// private key, then the chain from the leaf up), or nil.
func leafOf(data []byte) *x509.Certificate {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil
		}
		if b.Type == "CERTIFICATE" {
			leaf, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil
			}
			return leaf
		}
	}
}

// loadKeyPair loads a PEM certificate chain and key, with the leaf parsed.
func loadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, err
		}
	}
	return &cert, nil
}

// loadCAFile returns the system roots plus the PEM certificates in path:
// the CA of a private ACME server's HTTPS (step-ca, Pebble in the tests).
func loadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New(path + ": no PEM certificate in it")
	}
	return pool, nil
}
