package policy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// One-click unsubscribe (RFC 8058). Every delivered message carries
//
//	List-Unsubscribe: <UnsubscribeURL(public_url, rcpt)>
//	List-Unsubscribe-Post: List-Unsubscribe=One-Click
//
// and both fields must be covered by the DKIM signature (RFC 8058 section
// 4). The URL holds a token, base64url(h || HMAC(secret, "unsub:" || h)[:16])
// where h is the recipient's keyed hash: the token is a capability to opt
// that one recipient out (never back in), cannot be forged or moved to
// another recipient without the secret, and says nothing about the sender
// or the message. It does not expire: an opt-out link must keep working
// in a message read months later.

// ListUnsubscribePost is the value of the List-Unsubscribe-Post field, and
// the body a one-click POST carries (RFC 8058 section 3.1).
const ListUnsubscribePost = "List-Unsubscribe=One-Click"

const (
	tokenMACLen = 16
	tokenRawLen = sha256.Size + tokenMACLen
	// tokenLen is the encoded length; 48 bytes encode to exactly 64
	// base64 characters, so no padding and no non-canonical spellings.
	tokenLen = tokenRawLen / 3 * 4
	// maxForm bounds what a POST may make the server read.
	maxForm = 4096
)

// UnsubscribeURL returns the one-click unsubscribe URL of rcpt: base (the
// public URL of the HTTP listener, http.public_url) followed by
// /u/<token>.
func (e *Engine) UnsubscribeURL(base, rcpt string) string {
	h := e.keys.sum(kindRcpt, normAddress(rcpt))
	return strings.TrimSuffix(base, "/") + "/u/" + e.token(h[:])
}

func (e *Engine) token(h []byte) string {
	mac := e.keys.sumBytes(kindUnsub, h)
	raw := make([]byte, 0, tokenRawLen)
	raw = append(append(raw, h...), mac[:tokenMACLen]...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// parseToken returns the recipient key the token stands for, or false if
// it is not a token this Engine made.
func (e *Engine) parseToken(tok string) (string, bool) {
	if len(tok) != tokenLen {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != tokenRawLen {
		return "", false
	}
	h, got := raw[:sha256.Size], raw[sha256.Size:]
	want := e.keys.sumBytes(kindUnsub, h)
	if !hmac.Equal(got, want[:tokenMACLen]) {
		return "", false
	}
	return hex.EncodeToString(h), true
}

// UnsubscribeHandler serves the unsubscribe URLs; mount it at /u/ (with or
// without http.StripPrefix: the token is the last path segment). [Engine.Pages]
// serves the same URLs and the resubscribe pages beside them.
//
// The token only ever opts out. It sits in every delivered copy, so
// whoever sees one copy (a forward, a shared mailbox, an archive) has it:
// if it could also opt back in, anyone who saw a single message could
// undo its recipient's opt-out. Opting back in takes a confirmation sent
// to the address itself (resubscribe.go).
//
// GET shows the recipient's state: a button to stop Leak messages, or the
// news that they are stopped, with a link to the resubscribe page. It
// changes nothing, since mail scanners fetch links. POST with
// List-Unsubscribe=One-Click (RFC 8058) or action=unsubscribe opts out;
// anything else, action=resubscribe included, is a 400 that changes
// nothing. An invalid token is a 404; a store failure a 503, so a
// one-click client retries. The token is the capability, so there is no
// CSRF token; pages load nothing external and are never cached.
func (e *Engine) UnsubscribeHandler() http.Handler {
	return http.HandlerFunc(e.serveUnsubscribe)
}

// pageHeaders sets the headers of every page: nothing external may load,
// nothing is cached, and no Referer carries a token elsewhere.
func pageHeaders(w http.ResponseWriter) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
}

func (e *Engine) serveUnsubscribe(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	tok := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	key, ok := e.parseToken(tok)
	if !ok {
		page(w, http.StatusNotFound, pageInvalid)
		return
	}
	ctx := r.Context()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		st, err := e.store.Recipient(ctx, key)
		if err != nil {
			e.storeFailed(err)
			page(w, http.StatusServiceUnavailable, pageRetry)
			return
		}
		if st.OptedOut {
			page(w, http.StatusOK, pageStopped)
		} else {
			page(w, http.StatusOK, pageAsk)
		}
	case http.MethodPost:
		f, ok := postForm(w, r)
		if !ok || (first(f["List-Unsubscribe"]) != "One-Click" && first(f["action"]) != "unsubscribe") {
			page(w, http.StatusBadRequest, pageBadRequest)
			return
		}
		if err := e.store.SetOptOut(ctx, key, true); err != nil {
			e.storeFailed(err)
			page(w, http.StatusServiceUnavailable, pageRetry)
			return
		}
		if c := e.optOuts[true]; c != nil {
			c.Inc()
		}
		e.log.Info("policy: a recipient opted out")
		page(w, http.StatusOK, pageStopped)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		page(w, http.StatusMethodNotAllowed, pageBadRequest)
	}
}

// postForm reads a POST body of at most maxForm bytes. RFC 8058 section
// 3.2 lets the body be application/x-www-form-urlencoded or
// multipart/form-data; only the body counts, not the query string.
func postForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(maxForm)
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
