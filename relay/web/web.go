// Package web is Leak's public HTTP surface: the form that sends an
// anonymous message (GET /, POST /send), the same as a JSON API (GET
// /api/v1/challenge, POST /api/v1/messages), and the recipient's pages
// beside them (/r/ abuse reports; /u/ unsubscribe, UnsubscribePages).
//
// A message sent here takes the SMTP path from the address codec on
// (relay.Server.Submit): the same address checks, policy decisions,
// anonymizer, DKIM signing and spool, and "sent" is said only once the
// clean copy is durable. Against bots, every message carries a proof of
// work (pow.go) that is accepted once, and requests are limited per
// network (the /24 or /48, as a keyed hash) on top of the relay's own
// per-recipient and global limits.
//
// What the package promises the sender: nothing here logs or stores the
// client's address, user agent or what they wrote (the clean copy in the
// spool is the only copy); no cookie is set; the pages load nothing from
// another origin (the stylesheet and the one script are embedded) and
// say so in a strict Content-Security-Policy; forms are protected against
// cross-origin posts by net/http's CrossOriginProtection, which needs no
// token or cookie.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"leak/policy"
	"leak/relay"
)

// MaxTextBytes bounds a message's text, in bytes of UTF-8: with the other
// fields it fits the 64 KiB body limit of Leak's HTTP listeners however
// the form or the JSON encodes it (the form posts multipart/form-data, so
// its text is not escaped).
const MaxTextBytes = 32 << 10

// maxBodyBytes bounds a request body, whatever the listener allows.
const maxBodyBytes = 64 << 10

// maxSubjectChars bounds the subject as the form counts it; the relay
// bounds its bytes (relay.MaxSubjectBytes).
const maxSubjectChars = 200

// Defaults of Options.
const (
	DefaultDifficulty = 100_000
	DefaultProofTTL   = 20 * time.Minute
)

// Submitter takes a message through the relay's pipeline:
// *relay.Server.
type Submitter interface {
	Submit(ctx context.Context, sub relay.Submission) error
}

// Policy is what the web asks of the policy engine: *policy.Engine.
type Policy interface {
	SpendProof(ctx context.Context, id string, until time.Time) (bool, error)
	Network(ctx context.Context, ip netip.Addr, lim policy.Limit) policy.Decision
	// NetworkSource names the client's network for abuse reports, hashed.
	NetworkSource(ip netip.Addr) string
}

// Options configure the handler. Domain, Submitter, Policy and ProofKey are
// required.
type Options struct {
	// Domain is the Leak domain, shown in the email alternative.
	Domain    string
	Submitter Submitter
	Policy    Policy
	// NetworkLimit bounds the messages sent per network (the /24 or /48);
	// the zero Limit turns it off.
	NetworkLimit policy.Limit

	// ProofKey signs the proof-of-work challenges; every instance behind
	// one name needs the same (policy.Engine.DeriveKey gives it).
	ProofKey []byte
	// Difficulty is the challenges' maxnumber: a browser tries half as
	// many SHA-256 hashes on average. Default DefaultDifficulty.
	Difficulty int64
	// ProofTTL is how long a challenge may be solved and used. Default
	// DefaultProofTTL.
	ProofTTL time.Duration

	// OperatorName and OperatorContact say who runs the service, on every
	// page.
	OperatorName, OperatorContact string
	// PublicURL is the address the pages are reached at (http.public_url);
	// its origin may post the forms even when a proxy in front rewrites
	// the Host header.
	PublicURL string
	// TrustedProxies are the networks of reverse proxies in front of the
	// listener: from them, the client is the last address in
	// X-Forwarded-For that is not a proxy's, and X-Forwarded-Proto says
	// whether it used HTTPS. From anyone else both headers are ignored.
	TrustedProxies []netip.Prefix

	// Unsubscribe, when set, serves /u/ (UnsubscribePages).
	Unsubscribe http.Handler
	// Reports, when set, serves /r/TOKEN: a recipient reports a copy as
	// abusive (report.go).
	Reports *ReportOptions

	// Logger receives failures of the server's side (never a client's
	// address or a form's contents). Default: discard.
	Logger *slog.Logger
	// Now is the clock of the challenges. Default time.Now.
	Now func() time.Time
}

// server holds the handler's state.
type server struct {
	opts   Options
	proofs *proofs
	log    *slog.Logger
	email  string // the example relay address shown to senders without JavaScript
}

// New checks opts and returns the public handler.
func New(opts Options) (http.Handler, error) {
	switch {
	case opts.Domain == "":
		return nil, errors.New("web: a domain is required")
	case opts.Submitter == nil || opts.Policy == nil:
		return nil, errors.New("web: a submitter and a policy are required")
	case len(opts.ProofKey) < 16:
		return nil, errors.New("web: the proof-of-work key must be at least 16 bytes")
	case opts.Difficulty < 0 || opts.Difficulty > 1e9:
		return nil, fmt.Errorf("web: difficulty %d out of range (0 for the default, at most 1e9)", opts.Difficulty)
	case opts.ProofTTL < 0:
		return nil, errors.New("web: negative proof TTL")
	}
	if opts.Difficulty == 0 {
		opts.Difficulty = DefaultDifficulty
	}
	if opts.ProofTTL == 0 {
		opts.ProofTTL = DefaultProofTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{
		opts:   opts,
		proofs: &proofs{key: opts.ProofKey, maxNumber: opts.Difficulty, ttl: opts.ProofTTL, now: opts.Now},
		log:    opts.Logger,
		email:  "friend+name=example.com@" + opts.Domain,
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.form)
	mux.HandleFunc("POST /send", s.send)
	mux.HandleFunc("GET /api/v1/challenge", s.challenge)
	mux.HandleFunc("POST /api/v1/messages", s.message)
	mux.Handle("GET /static/", staticHandler())
	if opts.Unsubscribe != nil {
		mux.Handle("/u/", opts.Unsubscribe)
	}
	if opts.Reports != nil {
		if opts.Reports.Links == nil {
			return nil, errors.New("web: reports need their links' key")
		}
		mux.HandleFunc("GET /r/{token}", s.reportPage)
		mux.HandleFunc("POST /r/{token}", s.report)
	}
	mux.HandleFunc("/", s.notFound)

	cop := http.NewCrossOriginProtection()
	if opts.PublicURL != "" {
		u, err := url.Parse(opts.PublicURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("web: public URL %q is not an absolute URL", opts.PublicURL)
		}
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("web: public URL: %w", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	return securityHeaders(cop.Handler(mux)), nil
}

// csp allows the page's own stylesheet, script and fetches, and nothing
// else: no inline script or style, no frame, no form to another origin.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every response carries, whatever
// handler writes it.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		if !strings.HasPrefix(r.URL.Path, "/u/") {
			// The unsubscribe pages keep their own CSP (unsubscribe.go).
			hd.Set("Content-Security-Policy", csp)
		}
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.ServeHTTP(w, r)
	})
}

// client returns the client's address and whether it used HTTPS, taking
// X-Forwarded-For and X-Forwarded-Proto only from a trusted proxy. The
// address is for the network limit only: it is never logged or stored.
func (s *server) client(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		a, _ := netip.ParseAddr(host)
		ap = netip.AddrPortFrom(a, 0)
	}
	ip := ap.Addr().Unmap()
	tls := r.TLS != nil
	if !s.trusted(ip) {
		return ip, tls
	}
	tls = tls || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
	// The last address a trusted proxy did not add is the client's;
	// anything before it the client may have written itself.
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		ip = a.Unmap()
		if !s.trusted(ip) {
			break
		}
	}
	return ip, tls
}

func (s *server) trusted(ip netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// admit applies the per-network limit to a request that would send; a
// refusal is a problem to answer with.
func (s *server) admit(r *http.Request) (bool, problem) {
	ip, _ := s.client(r)
	d := s.opts.Policy.Network(r.Context(), ip, s.opts.NetworkLimit)
	switch d.Action {
	case policy.Allow:
		return true, problem{}
	case policy.Defer:
		if d.Policy == policy.PolicyLocal || d.Policy == policy.PolicyRedis {
			return false, probBusy
		}
		return false, problem{Status: http.StatusTooManyRequests, Code: "rate_limited",
			Text: sentence(d.Text) + " Nothing was sent.", RetryAfter: d.RetryAfter}
	}
	return false, problem{Status: http.StatusForbidden, Code: "refused", Text: sentence(d.Text)}
}

// spend checks a solution and spends it: the problem to answer with, or
// ok.
func (s *server) spend(ctx context.Context, sol *Solution) (bool, problem) {
	if sol == nil || sol.Challenge == "" {
		return false, probNoProof
	}
	expires, err := s.proofs.check(*sol)
	switch {
	case errors.Is(err, errProofExpired):
		return false, probProofExpired
	case err != nil:
		return false, probProofInvalid
	}
	fresh, err := s.opts.Policy.SpendProof(ctx, sol.Challenge, expires)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("web: could not record a spent proof of work; the message is refused", "err", err)
		}
		return false, probBusy
	}
	if !fresh {
		return false, probProofUsed
	}
	return true, problem{}
}

// sendMessage spends the proof and submits the message: a refusal as a
// problem, or ok once the copy is durable.
func (s *server) sendMessage(r *http.Request, sub relay.Submission, sol *Solution) (bool, problem) {
	if ok, p := s.admit(r); !ok {
		return false, p
	}
	if ok, p := checkFields(sub); !ok {
		return false, p
	}
	if ok, p := s.spend(r.Context(), sol); !ok {
		return false, p
	}
	var ip netip.Addr
	ip, sub.Encrypted = s.client(r)
	sub.Source = s.opts.Policy.NetworkSource(ip)
	if err := s.opts.Submitter.Submit(r.Context(), sub); err != nil {
		return false, smtpProblem(err)
	}
	return true, problem{}
}

// checkFields refuses what the form asks for before anything is spent:
// an empty recipient or text, a subject of several lines or too long, a
// text over MaxTextBytes. The relay checks the rest.
func checkFields(sub relay.Submission) (bool, problem) {
	switch {
	case strings.TrimSpace(sub.To) == "":
		return false, probNoRecipient
	case sub.Relationship.Prefix() == "":
		return false, probRelationship
	case strings.ContainsAny(sub.Subject, "\r\n") || len([]rune(sub.Subject)) > maxSubjectChars || len(sub.Subject) > relay.MaxSubjectBytes:
		return false, probSubject
	case len(sub.Text) > MaxTextBytes:
		return false, probTooLarge
	case strings.TrimSpace(sub.Text) == "":
		return false, probNoText
	}
	return true, problem{}
}

// crossOrigin answers a POST CrossOriginProtection refused.
func (s *server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeProblem(w, probCrossOrigin)
		return
	}
	s.page(w, probCrossOrigin.Status, pageData{Title: "Request refused", Error: probCrossOrigin.Text})
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeProblem(w, problem{Status: http.StatusNotFound, Code: "not_found", Text: "No such API endpoint: see /api/v1/messages."})
		return
	}
	s.page(w, http.StatusNotFound, pageData{Title: "Page not found", Error: "There is no page here. The form to send an anonymous message is on the home page."})
}
