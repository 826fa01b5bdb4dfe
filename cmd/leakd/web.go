package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"leak/metrics"
	"leak/policy"
	"leak/relay"
	"leak/relay/keep"
	"leak/relay/web"
)

// WebConfig is the web section: the public listener of the form, its API
// and the recipients' pages (relay/web). See README.md "Sending from the
// web".
type WebConfig struct {
	// Listen is off ("") by default: a public form is an abuse surface
	// an operator opens on purpose, with a name and a contact on its
	// pages and http.public_url pointing at it, and an upgrade must not
	// open a port by itself.
	Listen         string   `yaml:"listen"`
	MaxConnections int      `yaml:"max_connections"`
	PowDifficulty  int64    `yaml:"pow_difficulty"`
	PowTTL         Duration `yaml:"pow_ttl"`
	RateNet        Limit    `yaml:"rate_net"`
	// OperatorName and OperatorContact say who runs the service on every
	// public page; both are required with a listener.
	OperatorName    string   `yaml:"operator_name"`
	OperatorContact string   `yaml:"operator_contact"`
	TrustedProxies  []string `yaml:"trusted_proxies"`
	// TLS serves HTTPS on Listen with the certificate of tls.acme or
	// smtp.tls_cert (for hosts without a TLS-terminating proxy in front).
	TLS bool `yaml:"tls"`
	// ReportKeep is how long the clean copy of a delivered message is
	// kept for an abuse report's notice (kept.go); 0 keeps none.
	// ReportKeepBytes bounds their disk use, ReportKeepMaxCopy the part
	// of one copy kept.
	ReportKeep        Duration `yaml:"report_keep"`
	ReportKeepBytes   int64    `yaml:"report_keep_bytes"`
	ReportKeepMaxCopy int64    `yaml:"report_keep_max_copy"`
}

// defaultWebConfig: off; when turned on, the proof of work costs a
// browser about 50,000 SHA-256 digests (a few seconds of WebCrypto,
// spent while the sender writes), and one network may send 60 messages
// an hour, 20 at once.
func defaultWebConfig() WebConfig {
	k := keep.DefaultOptions()
	return WebConfig{
		MaxConnections:    256,
		PowDifficulty:     web.DefaultDifficulty,
		PowTTL:            Duration{web.DefaultProofTTL},
		RateNet:           Limit{Rate: 60, Burst: 20, Period: Duration{time.Hour}},
		ReportKeep:        Duration{k.Keep},
		ReportKeepBytes:   k.MaxBytes,
		ReportKeepMaxCopy: k.MaxCopy,
	}
}

// operator is what the unsubscribe pages say of who runs the service:
// "Name (contact)", or "" with no name.
func (w *WebConfig) operator() string {
	name, contact := strings.TrimSpace(w.OperatorName), strings.TrimSpace(w.OperatorContact)
	switch {
	case name == "":
		return ""
	case contact == "":
		return name
	}
	return name + " (" + contact + ")"
}

// unsubscribePages returns the /u/ pages (relay/web), served by the web
// listener, or by the private one when web.listen is off.
func unsubscribePages(cfg *Config, srv *relay.Server, engine *policy.Engine, log *slog.Logger) (http.Handler, error) {
	return web.UnsubscribePages(web.UnsubscribeOptions{Engine: engine, Notify: srv.Notice,
		BaseURL: cfg.HTTP.PublicURL, Operator: cfg.Web.operator(), Logger: log})
}

// validate checks the web section of c; with no listener only the values'
// ranges.
func (w *WebConfig) validate(c *Config) error {
	switch {
	case w.MaxConnections < 1:
		return fmt.Errorf("web.max_connections: must be at least 1, got %d", w.MaxConnections)
	case w.PowDifficulty < 1 || w.PowDifficulty > 1e9:
		return fmt.Errorf("web.pow_difficulty: must be between 1 and 1000000000, got %d", w.PowDifficulty)
	case w.PowTTL.Duration < time.Second || w.PowTTL.Duration > 24*time.Hour:
		return fmt.Errorf("web.pow_ttl: must be between 1s and 24h, got %s", w.PowTTL.Duration)
	case w.RateNet.Rate < 0 || w.RateNet.Burst < 0 || (w.RateNet.Rate > 0 && w.RateNet.Period.Duration <= 0):
		return errors.New("web.rate_net: rate and burst must be >= 0, and period > 0 when rate is set")
	case w.RateNet.Rate > 0 && w.RateNet.Period.Duration/time.Duration(w.RateNet.Rate) <= 0:
		return fmt.Errorf("web.rate_net: rate %d per %s is too fast", w.RateNet.Rate, w.RateNet.Period.Duration)
	}
	if _, err := w.proxies(); err != nil {
		return err
	}
	if err := validateKept(c); err != nil {
		return err
	}
	if w.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(w.Listen); err != nil {
		return fmt.Errorf("web.listen: not a host:port address: %q", w.Listen)
	}
	for key, addr := range map[string]string{"smtp.listen": c.SMTP.Listen, "http.listen": c.HTTP.Listen} {
		if sameListener(w.Listen, addr) {
			return fmt.Errorf("web.listen and %s: both are %q", key, addr)
		}
	}
	if w.TLS && !c.TLS.ACME.Enabled && c.SMTP.TLSCert == "" {
		return errors.New("web.tls: needs a certificate: set tls.acme.enabled or smtp.tls_cert and smtp.tls_key")
	}
	if strings.TrimSpace(w.OperatorName) == "" || strings.TrimSpace(w.OperatorContact) == "" {
		return errors.New("web.operator_name and web.operator_contact: set both with web.listen; every public page says who runs the service and how to reach them")
	}
	return nil
}

// proxies parses trusted_proxies: networks (10.0.0.0/8) or addresses.
func (w *WebConfig) proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range w.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("web.trusted_proxies[%d]: not an address or network like 10.0.0.0/8: %q", i, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// webListener is the public listener when web.listen is set; a nil
// *webListener (web off) does nothing and is always ready.
type webListener struct {
	l      net.Listener
	srv    *http.Server
	log    *slog.Logger
	failed atomic.Pointer[error]
}

// reportLinksKey derives the key of the report links from the policy
// secret, so every instance makes and accepts the same links.
const reportLinksKey = "report links"

// reportURL returns the report link maker for copies' footers, or nil
// when the web listener (which serves the report page) is off. A link
// seals a fresh report handle of the copy's source, never the source
// (policy.Engine.ReportHandle), so that links name no sender even to
// whoever holds the policy secret.
func reportURL(cfg *Config, engine *policy.Engine) (func(copyID, source string) string, error) {
	if cfg.Web.Listen == "" {
		return nil, nil
	}
	links, err := web.NewReportLinks(engine.DeriveKey(reportLinksKey))
	if err != nil {
		return nil, err
	}
	return func(id, source string) string {
		// The relay asks for the link without a context; the store's own
		// timeouts bound the write.
		return links.URL(cfg.HTTP.PublicURL, id, engine.ReportHandle(context.Background(), source))
	}, nil
}

// listenWeb opens the public listener, or returns nil when web.listen is
// not set. srv submits the messages; engine keeps spent proofs and the
// per-network limit, and derives the proofs' key from the policy secret,
// so every instance sharing policy.secret_file accepts the others'
// challenges. unsubscribe serves /u/ (the pages the private listener stops
// serving, see Private).
func listenWeb(cfg *Config, srv *relay.Server, engine *policy.Engine, unsubscribe http.Handler, kept *keptCopies, certs *Certificates, m *metrics.Metrics, log *slog.Logger) (*webListener, error) {
	w := cfg.Web
	if w.Listen == "" {
		return nil, nil
	}
	proxies, err := w.proxies()
	if err != nil {
		return nil, err
	}
	links, err := web.NewReportLinks(engine.DeriveKey(reportLinksKey))
	if err != nil {
		return nil, err
	}
	h, err := web.New(web.Options{
		Domain:          cfg.Domain,
		Submitter:       srv,
		Policy:          engine,
		NetworkLimit:    w.RateNet.policy(),
		ProofKey:        engine.DeriveKey("web proof of work"),
		Difficulty:      w.PowDifficulty,
		ProofTTL:        w.PowTTL.Duration,
		OperatorName:    w.OperatorName,
		OperatorContact: w.OperatorContact,
		PublicURL:       cfg.HTTP.PublicURL,
		TrustedProxies:  proxies,
		Unsubscribe:     unsubscribe,
		Reports: &web.ReportOptions{
			Links:    links,
			Operator: cfg.Policy.Operator,
			Notify:   srv.NoticeCopy,
			Count:    engine.Report,
			Copy:     kept.get(),
			OnReport: m.WebReports.Inc,
		},
		Logger: log,
	})
	if err != nil {
		return nil, err
	}
	l, err := listenHTTP(w.Listen, w.MaxConnections)
	if err != nil {
		return nil, fmt.Errorf("web.listen: %w", err)
	}
	if w.TLS {
		// The same certificates as STARTTLS (files reloaded on SIGHUP, or
		// ACME), with the web listener's expiry in its own series.
		l = tls.NewListener(l, certs.TLSConfig(metrics.ListenerHTTP))
	}
	return &webListener{l: l, srv: newHTTPServer(cfg, h, m, log), log: log}, nil
}

// Serve serves in the background. If the listener stops, the daemon says
// so once and is no longer ready: links in delivered copies would lead
// nowhere.
func (w *webListener) Serve() {
	if w == nil {
		return
	}
	w.log.Info("web listener started", "web", w.l.Addr().String())
	go func() {
		err := w.srv.Serve(w.l)
		if errors.Is(err, http.ErrServerClosed) {
			return
		}
		if err == nil {
			err = errors.New("stopped")
		}
		w.failed.Store(&err)
		w.log.Error("web listener stopped; not ready until restarted", "err", err)
	}()
}

// Ready is the readiness check of the web listener.
func (w *webListener) Ready(context.Context) error {
	if w == nil {
		return nil
	}
	if err := w.failed.Load(); err != nil {
		return fmt.Errorf("web listener stopped: %w", *err)
	}
	return nil
}

// Private wraps the private listener's handler: with the web listener on,
// the public pages (/u/) are served there only, so that the private one
// can stay unreachable from outside.
func (w *webListener) Private(h http.Handler) http.Handler {
	if w == nil {
		return h
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/u/") {
			http.NotFound(rw, r)
			return
		}
		h.ServeHTTP(rw, r)
	})
}

// Shutdown stops the listener, letting requests in flight (a message
// being made durable) finish until ctx is done.
func (w *webListener) Shutdown(ctx context.Context) {
	if w != nil {
		w.srv.Shutdown(ctx)
	}
}

// Close closes the listener if it is still open (a start that failed
// later).
func (w *webListener) Close() {
	if w != nil {
		w.l.Close()
	}
}
