package policy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Opting back in. The unsubscribe link of a delivered copy only opts out
// (see UnsubscribeHandler): anyone who saw one copy has it. Opting back in
// is asked for on a public page, /u/resubscribe, with an address; Leak
// mails a confirmation link to that address, and only a POST on the
// link's page opts in. So only someone who reads that mailbox can undo
// its opt-out.
//
// The request page never reads the opt-out state: it answers and mails
// alike for every address, so it tells a third party nothing, not even
// through its timing. Confirmations are rate-limited per address and in
// all, so that the page cannot be used to mail someone over and over or
// to make Leak a bulk mailer.

// Notifier sends one plain-text message from Leak to rcpt and returns nil
// once it is queued durably. relay's Server.Notice is one. Its errors
// must not carry rcpt: they are logged.
type Notifier func(ctx context.Context, rcpt, subject, body string) error

// ResubscribeOptions configures the resubscribe pages of [Engine.Pages].
// Notify and BaseURL are required; a zero TTL or limit takes its default.
type ResubscribeOptions struct {
	// Notify sends the confirmation message.
	Notify Notifier
	// BaseURL is the public URL of the HTTP listener (http.public_url),
	// as for [Engine.UnsubscribeURL]: the confirmation link is
	// BaseURL/u/resubscribe/TOKEN. It is never taken from the request,
	// whose Host header is the client's to choose.
	BaseURL string
	// TTL is how long a confirmation link works: 24 hours by default.
	TTL time.Duration
	// PerAddress bounds the confirmations mailed to one (normalised)
	// address: 3 a day by default, all at once if need be.
	PerAddress Limit
	// Global bounds the confirmations mailed in all: 300 an hour by
	// default.
	Global Limit
	// Operator, when set, says on every page who runs the service and how
	// to reach them, e.g. "Example Operator (abuse@operator.example)".
	Operator string

	now func() time.Time // time.Now; tests set it
}

// Defaults of ResubscribeOptions.
const (
	defaultResubscribeTTL = 24 * time.Hour
	// maxAddress is the longest address a path can carry (RFC 5321
	// section 4.5.3.1.3: 256 octets with the angle brackets).
	maxAddress = 254
)

var (
	defaultPerAddress = Limit{Rate: 3, Period: 24 * time.Hour}
	defaultGlobal     = Limit{Rate: 300, Period: time.Hour}
)

// Kinds of keyed hash the resubscribe pages add (see key.go).
const (
	kindResub     = "resub"      // MAC of a confirmation token
	kindResubRate = "resub_rate" // per-address bucket of confirmations
	kindResubAll  = "resub_all"  // the bucket of all confirmations
	kindResubUsed = "resub_used" // marks a confirmation token used
)

// Pages serves everything under /u/: the unsubscribe links of delivered
// copies (as [Engine.UnsubscribeHandler]), the resubscribe request page at
// /u/resubscribe and the confirmation links at /u/resubscribe/TOKEN.
// Mount it at /u/ (with or without http.StripPrefix).
//
// /u/resubscribe: GET shows a form for an address; POST with
// action=request and address=ADDR mails ADDR a confirmation link, unless
// a limit is reached (429). The answer is the same whether or not ADDR
// opted out.
//
// /u/resubscribe/TOKEN: GET shows a button and changes nothing (mail
// scanners fetch links); POST with action=resubscribe opts the address
// back in, once, before the link expires. An invalid token is a 404, an
// expired or used one a 410.
//
// Both refuse a POST a browser says came from another site (403), so no
// other site can make a visitor's browser ask for confirmations.
func (e *Engine) Pages(opts ResubscribeOptions) (http.Handler, error) {
	if opts.Notify == nil {
		return nil, errors.New("policy: resubscribe: no notifier")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("policy: resubscribe: base URL %q: want http(s)://host[/path]", opts.BaseURL)
	}
	if opts.TTL < 0 {
		return nil, errors.New("policy: resubscribe: negative TTL")
	}
	if opts.TTL == 0 {
		opts.TTL = defaultResubscribeTTL
	}
	if opts.PerAddress.Off() {
		opts.PerAddress = defaultPerAddress
	}
	if opts.Global.Off() {
		opts.Global = defaultGlobal
	}
	if err := opts.PerAddress.validate("resubscribe per address"); err != nil {
		return nil, err
	}
	if err := opts.Global.validate("resubscribe global"); err != nil {
		return nil, err
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	return &pages{e: e, opts: opts}, nil
}

type pages struct {
	e    *Engine
	opts ResubscribeOptions
	cop  http.CrossOriginProtection
}

// ServeHTTP routes by the last two path segments, so that the handler
// works under any prefix: .../resubscribe is the request page,
// .../resubscribe/TOKEN a confirmation link, anything else an unsubscribe
// link.
func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.opts.Operator != "" {
		w = operatorWriter{w, p.opts.Operator}
	}
	path := r.URL.Path
	i := strings.LastIndexByte(path, '/')
	last, parent := path[i+1:], ""
	if i >= 0 {
		parent = path[strings.LastIndexByte(path[:i], '/')+1 : i]
	}
	switch {
	case last == "resubscribe":
		p.serveRequest(w, r)
	case parent == "resubscribe":
		p.serveConfirm(w, r, last)
	default:
		p.e.serveUnsubscribe(w, r)
	}
}

// posted answers GET and HEAD with show, and anything but a same-origin
// POST of the given action with an error page; it returns the POST's form
// and true when the caller should act on it.
func (p *pages) posted(w http.ResponseWriter, r *http.Request, show pageData, action string) (url.Values, bool) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		page(w, http.StatusOK, show)
		return nil, false
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		page(w, http.StatusMethodNotAllowed, pageBadRequest)
		return nil, false
	}
	if p.cop.Check(r) != nil {
		page(w, http.StatusForbidden, pageCrossOrigin)
		return nil, false
	}
	f, ok := postForm(w, r)
	if !ok || first(f["action"]) != action {
		page(w, http.StatusBadRequest, pageBadRequest)
		return nil, false
	}
	return f, true
}

// serveRequest is the page where a confirmation is asked for.
func (p *pages) serveRequest(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	f, ok := p.posted(w, r, pageRequest, "request")
	if !ok {
		return
	}
	rcpt, ok := requestAddress(first(f["address"]))
	if !ok {
		page(w, http.StatusBadRequest, pageBadAddress)
		return
	}
	ctx := r.Context()
	norm := normAddress(rcpt)
	for _, l := range []struct {
		key   string
		lim   Limit
		whose string
	}{
		{p.e.keys.key(kindResubRate, norm), p.opts.PerAddress, "for this address"},
		{p.e.keys.key(kindResubAll, ""), p.opts.Global, "just now"},
	} {
		ok, retry, err := p.e.store.Allow(ctx, l.key, l.lim)
		if err != nil {
			p.e.storeFailed(err)
			page(w, http.StatusServiceUnavailable, pageRetry)
			return
		}
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
			page(w, http.StatusTooManyRequests, pageData{
				Title: "Too many requests",
				Text:  "Too many confirmation links were asked for " + l.whose + ". Please " + retryHint(retry) + ".",
			})
			return
		}
	}

	h := p.e.keys.sum(kindRcpt, norm)
	tok := p.e.resubToken(h[:], p.opts.now().Add(p.opts.TTL))
	link := p.opts.BaseURL + "/u/resubscribe/" + tok
	if err := p.opts.Notify(ctx, rcpt, resubSubject, resubBody(link, p.opts.TTL)); err != nil {
		p.e.log.Warn("policy: resubscribe confirmation not sent", "err", err)
		page(w, http.StatusServiceUnavailable, pageNotSent)
		return
	}
	p.e.log.Info("policy: resubscribe confirmation sent")
	page(w, http.StatusOK, pageData{
		Title: "Check your mailbox",
		Text: "If Leak can deliver to that address, a message with a confirmation link is on its way. " +
			"The link works for " + inWords(p.opts.TTL) + ". Nothing changes until it is opened and confirmed.",
	})
}

// serveConfirm is the page of a confirmation link.
func (p *pages) serveConfirm(w http.ResponseWriter, r *http.Request, tok string) {
	pageHeaders(w)
	key, exp, ok := p.e.parseResubToken(tok)
	if !ok {
		page(w, http.StatusNotFound, pageLinkInvalid)
		return
	}
	now := p.opts.now()
	if !now.Before(exp) {
		page(w, http.StatusGone, pageLinkExpired)
		return
	}
	if _, ok := p.posted(w, r, pageConfirm, "resubscribe"); !ok {
		return
	}
	ctx := r.Context()
	// A link works once: its first use takes the one event of a bucket
	// that refills only after the link has expired. The mark is taken
	// before the opt-in, so two concurrent POSTs cannot both pass; a
	// store failure after it costs the link, not a second opt-in. The
	// local store keeps these marks in memory: after a restart a link
	// still within its TTL works once more.
	used := p.e.keys.key(kindResubUsed, tok)
	fresh, _, err := p.e.store.Allow(ctx, used, Limit{Rate: 1, Burst: 1, Period: exp.Sub(now) + time.Second})
	if err != nil {
		p.e.storeFailed(err)
		page(w, http.StatusServiceUnavailable, pageRetry)
		return
	}
	if !fresh {
		page(w, http.StatusGone, pageLinkUsed)
		return
	}
	if err := p.e.store.SetOptOut(ctx, key, false); err != nil {
		p.e.storeFailed(err)
		page(w, http.StatusServiceUnavailable, pageLinkRetry)
		return
	}
	if c := p.e.optOuts[false]; c != nil {
		c.Inc()
	}
	p.e.log.Info("policy: a recipient confirmed opting back in")
	page(w, http.StatusOK, pageResubscribed)
}

// resubSubject and resubBody are the confirmation message. It must make
// sense to someone who never asked for it, and to someone who never
// opted out: the request page mails every address alike.
const resubSubject = "Confirm: allow anonymous messages through Leak again"

func resubBody(link string, ttl time.Duration) string {
	return "Someone, perhaps you, asked Leak to deliver anonymous messages to this address again.\n" +
		"\n" +
		"To allow them, open this link within " + inWords(ttl) + " and press the button on the page:\n" +
		"\n" +
		link + "\n" +
		"\n" +
		"If it was not you, ignore this message: nothing changes.\n" +
		"\n" +
		"Leak is an anonymous email relay. This message was sent automatically.\n"
}

// inWords writes a TTL for a reader: "24 hours", "90 minutes", "2 days".
func inWords(d time.Duration) string {
	n, unit := int64(d/time.Minute), "minute"
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d >= time.Hour && d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	}
	n = max(n, 1)
	if n > 1 {
		unit += "s"
	}
	return strconv.FormatInt(n, 10) + " " + unit
}
