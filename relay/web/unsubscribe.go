package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"leak/policy"
)

// The recipient's pages under /u/: the one-click unsubscribe link of every
// delivered copy (RFC 8058), the page where opting back in is asked for,
// /u/resubscribe, and the confirmation link Leak mails for it,
// /u/resubscribe/TOKEN (resubscribe.go). The tokens, their keys and the
// limits are policy's (policy.Engine.Unsubscribe, policy.Resubscriber);
// these pages turn them into HTTP and words.
//
// The unsubscribe token only ever opts out: whoever saw one copy has it
// (see policy/unsubscribe.go). GET shows the recipient's state: a button
// to stop Leak messages, or the news that they are stopped, with a link to
// the resubscribe page. It changes nothing, since mail scanners fetch
// links. POST with List-Unsubscribe=One-Click (RFC 8058) or
// action=unsubscribe opts out; anything else, action=resubscribe
// included, is a 400 that changes nothing. An invalid token is a 404; a
// store failure a 503, so a one-click client retries. The token is the
// capability, so there is no CSRF token; pages load nothing external and
// are never cached.

// Notifier sends one plain-text message from Leak to rcpt and returns nil
// once it is queued durably: relay.Server.Notice. Its errors must not
// carry rcpt: they are logged.
type Notifier func(ctx context.Context, rcpt, subject, body string) error

// UnsubscribeOptions configure the pages under /u/. Engine, Notify and
// BaseURL are required.
type UnsubscribeOptions struct {
	// Engine keeps the opt-outs and makes and reads the links' tokens.
	Engine *policy.Engine
	// Notify sends the confirmation of a resubscribe request.
	Notify Notifier
	// BaseURL is the public URL of the pages (http.public_url), as for
	// policy.Engine.UnsubscribeURL: the confirmation link is
	// BaseURL/u/resubscribe/TOKEN. It is never taken from the request,
	// whose Host header is the client's to choose.
	BaseURL string
	// Resubscribe bounds the confirmations: their TTL and limits. The
	// zero value takes policy's defaults.
	Resubscribe policy.ResubscribeOptions
	// Operator, when set, says on every page who runs the service and how
	// to reach them, e.g. "Example Operator (abuse@operator.example)".
	Operator string
	// Logger receives failures to send a confirmation (never the
	// address). Default: discard.
	Logger *slog.Logger
}

// maxUnsubForm bounds what a POST under /u/ may make the server read.
const maxUnsubForm = 4096

// UnsubscribePages returns the handler of everything under /u/. Mount it
// at /u/, with or without http.StripPrefix: it routes by the last two
// path segments.
//
// /u/TOKEN is an unsubscribe link (see above).
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
func UnsubscribePages(opts UnsubscribeOptions) (http.Handler, error) {
	if opts.Engine == nil {
		return nil, errors.New("web: unsubscribe pages: no policy engine")
	}
	if opts.Notify == nil {
		return nil, errors.New("web: unsubscribe pages: no notifier")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: unsubscribe pages: base URL %q: want http(s)://host[/path]", opts.BaseURL)
	}
	resub, err := opts.Engine.Resubscriber(opts.Resubscribe)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	return &unsubscriber{opts: opts, resub: resub, log: opts.Logger}, nil
}

type unsubscriber struct {
	opts  UnsubscribeOptions
	resub *policy.Resubscriber
	log   *slog.Logger
	cop   http.CrossOriginProtection
}

// ServeHTTP routes by the last two path segments, so that the handler
// works under any prefix: .../resubscribe is the request page,
// .../resubscribe/TOKEN a confirmation link, anything else an unsubscribe
// link.
func (u *unsubscriber) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	unsubHeaders(w)
	path := r.URL.Path
	i := strings.LastIndexByte(path, '/')
	last, parent := path[i+1:], ""
	if i >= 0 {
		parent = path[strings.LastIndexByte(path[:i], '/')+1 : i]
	}
	switch {
	case last == "resubscribe":
		u.serveRequest(w, r)
	case parent == "resubscribe":
		u.serveConfirm(w, r, last)
	default:
		u.serveUnsubscribe(w, r, last)
	}
}

// unsubHeaders sets the headers of every page: nothing external may load,
// nothing is cached, and no Referer carries a token elsewhere.
func unsubHeaders(w http.ResponseWriter) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
}

// serveUnsubscribe is the page of an unsubscribe link.
func (u *unsubscriber) serveUnsubscribe(w http.ResponseWriter, r *http.Request, tok string) {
	e := u.opts.Engine
	if e.CheckUnsubscribe(tok) != nil {
		u.writePage(w, http.StatusNotFound, unsubInvalid)
		return
	}
	ctx := r.Context()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		out, err := e.Unsubscribed(ctx, tok)
		switch {
		case err != nil:
			u.writePage(w, http.StatusServiceUnavailable, unsubRetry)
		case out:
			u.writePage(w, http.StatusOK, unsubStopped)
		default:
			u.writePage(w, http.StatusOK, unsubAsk)
		}
	case http.MethodPost:
		f, ok := unsubForm(w, r)
		if !ok || (first(f["List-Unsubscribe"]) != "One-Click" && first(f["action"]) != "unsubscribe") {
			u.writePage(w, http.StatusBadRequest, unsubBadRequest)
			return
		}
		if err := e.Unsubscribe(ctx, tok); err != nil {
			// The engine counted and logged the store's failure.
			u.writePage(w, http.StatusServiceUnavailable, unsubRetry)
			return
		}
		u.writePage(w, http.StatusOK, unsubStopped)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		u.writePage(w, http.StatusMethodNotAllowed, unsubBadRequest)
	}
}

// posted answers GET and HEAD with show, and anything but a same-origin
// POST of the given action with an error page; it returns the POST's form
// and true when the caller should act on it.
func (u *unsubscriber) posted(w http.ResponseWriter, r *http.Request, show unsubPage, action string) (url.Values, bool) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		u.writePage(w, http.StatusOK, show)
		return nil, false
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		u.writePage(w, http.StatusMethodNotAllowed, unsubBadRequest)
		return nil, false
	}
	if u.cop.Check(r) != nil {
		u.writePage(w, http.StatusForbidden, resubCrossOrigin)
		return nil, false
	}
	f, ok := unsubForm(w, r)
	if !ok || first(f["action"]) != action {
		u.writePage(w, http.StatusBadRequest, unsubBadRequest)
		return nil, false
	}
	return f, true
}

// unsubForm reads a POST body of at most maxUnsubForm bytes. RFC 8058
// section 3.2 lets the body be application/x-www-form-urlencoded or
// multipart/form-data; only the body counts, not the query string.
func unsubForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUnsubForm)
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(maxUnsubForm)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return nil, false
	}
	return r.PostForm, true // multipart values included
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
