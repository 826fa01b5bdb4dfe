package policy

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"leak/metrics"
)

// unsubServer mounts e's handler at /u/ as the daemon does.
func unsubServer(t *testing.T, e *Engine) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/u/", e.UnsubscribeHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	code int
	body string
	hdr  http.Header
}

func do(t *testing.T, method, u, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, string(b), resp.Header}
}

func get(t *testing.T, u string) response { return do(t, http.MethodGet, u, "", nil) }

func post(t *testing.T, u string, form url.Values) response {
	return do(t, http.MethodPost, u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

const formMarker = `<form method="post" action="">`

func TestUnsubscribeEndToEnd(t *testing.T) {
	ctx := context.Background()
	e, _, m := localEngine(t, offOptions(), newClock())
	srv := unsubServer(t, e)

	u := e.UnsubscribeURL(srv.URL+"/", "bob@example.com")
	if !strings.HasPrefix(u, srv.URL+"/u/") || strings.Contains(u, "bob") || strings.Contains(u, "example") {
		t.Fatalf("URL %q", u)
	}
	if got := e.UnsubscribeURL(srv.URL, "Bob+tag@Example.com"); got != u {
		t.Errorf("variant address has another URL: %s", got)
	}

	// GET: the question, a form, the safety headers; nothing changes.
	r := get(t, u)
	if r.code != 200 || !strings.Contains(r.body, formMarker) ||
		!strings.Contains(r.body, `value="unsubscribe"`) ||
		!strings.Contains(r.body, "You received an anonymous message through Leak. Stop all further Leak messages to this address?") {
		t.Fatalf("GET: %d %s", r.code, r.body)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
		"Cache-Control":           "no-store",
		"Content-Type":            "text/html; charset=utf-8",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := r.hdr.Get(h); !strings.HasPrefix(got, want) {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	for _, bad := range []string{"<script", "src=", "href=", "http://", "https://"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != Allow {
		t.Fatalf("GET opted out: %+v", d)
	}

	// One-click POST (RFC 8058 section 3.2).
	r = do(t, http.MethodPost, u, "application/x-www-form-urlencoded", strings.NewReader(ListUnsubscribePost))
	if r.code != 200 || !strings.Contains(r.body, "Leak will not deliver any further messages") ||
		strings.Contains(r.body, "<form") {
		t.Fatalf("one-click POST: %d %s", r.code, r.body)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != Reject || d.Policy != PolicyOptOut || d.Text != textNoRcpt {
		t.Fatalf("after one-click: %+v", d)
	}
	if d := e.Rcpt(ctx, "alice@example.com"); d.Action != Allow {
		t.Errorf("another recipient refused: %+v", d)
	}

	// GET now shows the state, with no button back: only a link to the
	// resubscribe page, which asks the address itself.
	if r = get(t, u); r.code != 200 || strings.Contains(r.body, "<form") || !strings.Contains(r.body, `<a href="resubscribe">`) {
		t.Fatalf("GET after opt-out: %d %s", r.code, r.body)
	}

	// The token cannot opt back in: whoever saw one copy has it.
	if r = post(t, u, url.Values{"action": {"resubscribe"}}); r.code != http.StatusBadRequest || strings.Contains(r.body, "allowed") {
		t.Fatalf("resubscribe with the unsubscribe token: %d %s", r.code, r.body)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Policy != PolicyOptOut {
		t.Fatalf("the unsubscribe token opted back in: %+v", d)
	}
	if r = post(t, u, url.Values{"action": {"unsubscribe"}}); r.code != 200 {
		t.Fatalf("unsubscribe button: %d", r.code)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Policy != PolicyOptOut {
		t.Fatalf("after the unsubscribe button: %+v", d)
	}

	// multipart/form-data is allowed by RFC 8058 too.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("List-Unsubscribe", "One-Click")
	mw.Close()
	carol := e.UnsubscribeURL(srv.URL, "carol@example.com")
	if r = do(t, http.MethodPost, carol, mw.FormDataContentType(), &mp); r.code != 200 {
		t.Fatalf("multipart one-click: %d %s", r.code, r.body)
	}
	if d := e.Rcpt(ctx, "carol@example.com"); d.Policy != PolicyOptOut {
		t.Errorf("after multipart one-click: %+v", d)
	}
	// Bob's three RCPTs after opting out, and carol's one.
	if got := decisions(m, PolicyOptOut, "reject"); got != 4 {
		t.Errorf("optout rejects = %d, want 4", got)
	}
	// One-click, the button, multipart one-click; the refused resubscribe
	// and the GETs change nothing and count nothing.
	if out, in := counter(t, m.PolicyOptOuts, metrics.OptOut), counter(t, m.PolicyOptOuts, metrics.OptIn); out != 3 || in != 0 {
		t.Errorf("opt-outs %d, opt-ins %d; want 3 and 0", out, in)
	}
}

func TestUnsubscribeRefuses(t *testing.T) {
	ctx := context.Background()
	e, _, m := localEngine(t, offOptions(), newClock())
	srv := unsubServer(t, e)
	u := e.UnsubscribeURL(srv.URL, "bob@example.com")
	tok := u[strings.LastIndexByte(u, '/')+1:]

	// Another Engine's secret: the same recipient, a token that must not
	// work here.
	other := offOptions()
	other.Secret = []byte("another secret, another relay!!")
	e2, _, _ := localEngine(t, other, newClock())
	foreign := e2.UnsubscribeURL(srv.URL, "bob@example.com")

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	// A token for alice, with bob's hash spliced in: the MAC no longer
	// matches.
	alice := e.UnsubscribeURL(srv.URL, "alice@example.com")
	aliceTok := alice[strings.LastIndexByte(alice, '/')+1:]
	spliced := aliceTok[:43] + tok[43:]

	for name, bad := range map[string]string{
		"hash byte":       srv.URL + "/u/" + flip(tok, 3),
		"mac byte":        srv.URL + "/u/" + flip(tok, 60),
		"truncated":       srv.URL + "/u/" + tok[:63],
		"extended":        srv.URL + "/u/" + tok + "A",
		"padded":          srv.URL + "/u/" + tok + "==",
		"std alphabet":    srv.URL + "/u/" + strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+",
		"other secret":    foreign,
		"spliced":         srv.URL + "/u/" + spliced,
		"empty":           srv.URL + "/u/",
		"token as prefix": srv.URL + "/u/" + tok + "/x",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := do(t, method, bad, "application/x-www-form-urlencoded", strings.NewReader(ListUnsubscribePost))
			if r.code != http.StatusNotFound || strings.Contains(r.body, "<form") {
				t.Errorf("%s %s: %d, want 404 without a form", name, method, r.code)
			}
		}
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != Allow {
		t.Fatalf("a bad token opted bob out: %+v", d)
	}
	if d := e.Rcpt(ctx, "alice@example.com"); d.Action != Allow {
		t.Fatalf("a bad token opted alice out: %+v", d)
	}

	// Alice's valid token opts out alice, never bob.
	if r := post(t, alice, url.Values{"List-Unsubscribe": {"One-Click"}}); r.code != 200 {
		t.Fatal(r.code)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != Allow {
		t.Errorf("alice's token opted bob out: %+v", d)
	}

	// Requests that are not one of the two ways to opt out change nothing.
	for name, r := range map[string]response{
		"empty body":   post(t, u, url.Values{}),
		"query only":   post(t, u+"?List-Unsubscribe=One-Click", url.Values{}),
		"wrong value":  post(t, u, url.Values{"List-Unsubscribe": {"yes"}}),
		"other action": post(t, u, url.Values{"action": {"delete"}}),
		"huge body":    post(t, u, url.Values{"action": {"unsubscribe"}, "x": {strings.Repeat("x", 10000)}}),
		"put":          do(t, http.MethodPut, u, "", strings.NewReader(ListUnsubscribePost)),
	} {
		if r.code != http.StatusBadRequest && r.code != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d", name, r.code)
		}
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != Allow {
		t.Errorf("a bad request opted bob out: %+v", d)
	}
	// Alice's one opt-out, and nothing for the refused requests.
	if out, in := counter(t, m.PolicyOptOuts, metrics.OptOut), counter(t, m.PolicyOptOuts, metrics.OptIn); out != 1 || in != 0 {
		t.Errorf("opt-outs %d, opt-ins %d; want 1 and 0", out, in)
	}
}

func TestUnsubscribeStripPrefix(t *testing.T) {
	e, _, _ := localEngine(t, offOptions(), newClock())
	srv := httptest.NewServer(http.StripPrefix("/leak/u/", e.UnsubscribeHandler()))
	defer srv.Close()
	u := e.UnsubscribeURL(srv.URL+"/leak", "bob@example.com")
	if r := get(t, u); r.code != 200 {
		t.Errorf("behind StripPrefix: %d", r.code)
	}
}
