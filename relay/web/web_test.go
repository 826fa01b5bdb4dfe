package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"leak/policy"
	"leak/relay"
	"leak/relay/address"
)

// fakeRelay records what it is given and answers with err.
type fakeRelay struct {
	mu   sync.Mutex
	subs []relay.Submission
	err  error
}

func (f *fakeRelay) Submit(_ context.Context, sub relay.Submission) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.subs = append(f.subs, sub)
	return nil
}

func (f *fakeRelay) sent() []relay.Submission {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]relay.Submission(nil), f.subs...)
}

// testWeb is the handler on a real policy engine over a local store, with
// a fake relay, behind a real HTTP server.
type testWeb struct {
	srv   *httptest.Server
	relay *fakeRelay
	log   *bytes.Buffer
	now   *time.Time
}

func newTestWeb(t *testing.T, tweak func(*Options)) *testWeb {
	t.Helper()
	store, err := policy.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	po := policy.DefaultOptions()
	po.Secret = []byte("web test secret of 32 bytes ....")
	engine, err := policy.Open(po, store)
	if err != nil {
		t.Fatal(err)
	}
	tw := &testWeb{relay: &fakeRelay{}, log: &bytes.Buffer{}}
	now := time.Now()
	tw.now = &now
	var mu sync.Mutex
	opts := Options{
		Domain:          "leak.example",
		Submitter:       tw.relay,
		Policy:          engine,
		ProofKey:        engine.DeriveKey("web proof of work"),
		Difficulty:      2000,
		ProofTTL:        time.Minute,
		OperatorName:    "Example Operator",
		OperatorContact: "abuse@operator.example",
		Logger:          slog.New(slog.NewTextHandler(lockedWriter{&mu, tw.log}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:             func() time.Time { mu.Lock(); defer mu.Unlock(); return *tw.now },
	}
	if tweak != nil {
		tweak(&opts)
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tw.srv = httptest.NewServer(h)
	t.Cleanup(tw.srv.Close)
	return tw
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// solved fetches a challenge from the API and solves it.
func (tw *testWeb) solved(t *testing.T) Solution {
	t.Helper()
	resp, err := http.Get(tw.srv.URL + "/api/v1/challenge")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c Challenge
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	sol, ok := Solve(c)
	if !ok {
		t.Fatal("challenge has no solution")
	}
	return sol
}

// post sends a JSON body and returns the status, the error code and the
// response.
func (tw *testWeb) post(t *testing.T, body string, hdr ...string) (int, string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("POST", tw.srv.URL+"/api/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Status string
		Error  struct{ Code, Message, SMTP string }
	}
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, data)
	}
	if resp.StatusCode >= 400 && (out.Error.Code == "" || out.Error.Message == "") {
		t.Errorf("error response without code or message: %s", data)
	}
	return resp.StatusCode, out.Error.Code, resp
}

func message(to, rel, text string, sol any) string {
	b, _ := json.Marshal(map[string]any{"to": to, "relationship": rel, "subject": "a subject", "text": text, "pow": sol})
	return string(b)
}

func TestAPI(t *testing.T) {
	tw := newTestWeb(t, nil)

	sol := tw.solved(t)
	code, _, resp := tw.post(t, message("bob@example.com", "coworker", "KEEP-TEXT-1", sol))
	if code != http.StatusAccepted {
		t.Fatalf("good request: %d", code)
	}
	if resp.Header.Get("Set-Cookie") != "" {
		t.Error("a cookie was set")
	}
	subs := tw.relay.sent()
	if len(subs) != 1 || len(subs[0].Source) != 64 || strings.Contains(subs[0].Source, "127.0.0") {
		t.Fatalf("submitted %+v: want the network's keyed hash as the source", subs)
	}
	subs[0].Source = ""
	if subs[0] != (relay.Submission{To: "bob@example.com", Relationship: address.Coworker, Subject: "a subject", Text: "KEEP-TEXT-1"}) {
		t.Fatalf("submitted %+v", subs)
	}
	// The same solution again, as the base64 string ALTCHA's widget sends.
	if code, c, _ := tw.post(t, message("bob@example.com", "friend", "again", sol.Encode())); code != http.StatusConflict || c != "proof_used" {
		t.Errorf("replayed proof: %d %s, want 409 proof_used", code, c)
	}
	if n := len(tw.relay.sent()); n != 1 {
		t.Errorf("%d messages submitted after a replay, want 1", n)
	}

	for _, tc := range []struct {
		name, body, ctype string
		status            int
		code              string
	}{
		{"no proof", message("bob@example.com", "to", "x", nil), "", 400, "proof_required"},
		{"invalid proof", message("bob@example.com", "to", "x", Solution{Algorithm: "SHA-256", Challenge: strings.Repeat("a", 64), Salt: "x?expires=99999999999"}), "", 403, "proof_invalid"},
		{"proof not base64", message("bob@example.com", "to", "x", "%%%"), "", 400, "malformed_json"},
		{"malformed JSON", `{"to": "bob@example.com",`, "", 400, "malformed_json"},
		{"two objects", message("bob@example.com", "to", "x", nil) + "{}", "", 400, "malformed_json"},
		{"unknown field", `{"to":"bob@example.com","cc":"eve@example.com"}`, "", 400, "malformed_json"},
		{"wrong type", `{"to":["bob@example.com"]}`, "", 400, "malformed_json"},
		{"not JSON", "to=bob", "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"oversize body", message("bob@example.com", "to", strings.Repeat("x", 70<<10), nil), "", 413, "too_large"},
		{"text too long", message("bob@example.com", "to", strings.Repeat("x", MaxTextBytes+1), nil), "", 413, "too_large"},
		{"unknown relationship", message("bob@example.com", "boss", "x", nil), "", 422, "invalid_field"},
		{"no recipient", message(" ", "to", "x", nil), "", 422, "invalid_address"},
		{"empty text", message("bob@example.com", "to", " \n", nil), "", 422, "invalid_field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{}
			if tc.ctype != "" {
				hdr = []string{"Content-Type", tc.ctype}
			}
			if code, c, _ := tw.post(t, tc.body, hdr...); code != tc.status || c != tc.code {
				t.Errorf("%d %s, want %d %s", code, c, tc.status, tc.code)
			}
		})
	}
	if n := len(tw.relay.sent()); n != 1 {
		t.Errorf("%d messages submitted in all, want 1", n)
	}

	// An expired challenge: solved now, sent two minutes later.
	sol = tw.solved(t)
	*tw.now = tw.now.Add(2 * time.Minute)
	if code, c, _ := tw.post(t, message("bob@example.com", "to", "late", sol)); code != 403 || c != "proof_expired" {
		t.Errorf("expired proof: %d %s, want 403 proof_expired", code, c)
	}
	*tw.now = time.Now()

	// The form's words never reach the log.
	if strings.Contains(tw.log.String(), "KEEP-TEXT") || strings.Contains(tw.log.String(), "bob@") {
		t.Errorf("the log holds a form's contents:\n%s", tw.log.String())
	}
}

// The relay's SMTP refusals become plain-language problems with the
// right status, and keep their SMTP code for scripts.
func TestAPIRelayRefusals(t *testing.T) {
	tw := newTestWeb(t, nil)
	for _, tc := range []struct {
		err    error
		status int
		code   string
		text   string
	}{
		{&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "this recipient does not accept Leak messages"}, 403, "refused", "This recipient does not accept Leak messages."},
		{&smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "too many messages for this recipient, try again in 3 hours"}, 429, "rate_limited", "Too many messages for this recipient, try again in 3 hours."},
		{&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "destination domain is not a valid domain name: write to relationship+name=domain@leak.example"}, 422, "invalid_address", "cannot be used: destination domain is not a valid domain name. Check"},
		{&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 2}, Message: "The recipient's domain does not accept mail"}, 422, "invalid_address", "the recipient's domain does not accept mail"},
		{&smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message size exceeds fixed maximum message size"}, 413, "too_large", "The message is too long"},
		{&smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "NUL characters are not allowed in messages"}, 422, "content_refused", "NUL"},
		{&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}, 503, "temporary", "Nothing was sent"},
		{&smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down, try again later"}, 503, "temporary", "restarting"},
		{fmt.Errorf("not an SMTP error"), 503, "temporary", "Nothing was sent"},
	} {
		tw.relay.err = tc.err
		req, _ := http.NewRequest("POST", tw.srv.URL+"/api/v1/messages", strings.NewReader(message("bob@example.com", "to", "x", tw.solved(t))))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Error struct{ Code, Message, SMTP string }
		}
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != tc.status || out.Error.Code != tc.code || !strings.Contains(out.Error.Message, tc.text) {
			t.Errorf("%v: %d %s %q, want %d %s containing %q", tc.err, resp.StatusCode, out.Error.Code, out.Error.Message, tc.status, tc.code, tc.text)
		}
		if se, ok := tc.err.(*smtp.SMTPError); ok && !strings.HasPrefix(out.Error.SMTP, fmt.Sprint(se.Code)) {
			t.Errorf("%v: smtp %q", tc.err, out.Error.SMTP)
		}
		if tc.status == 429 && resp.Header.Get("Retry-After") != "10800" {
			t.Errorf("rate limited: Retry-After %q, want 10800", resp.Header.Get("Retry-After"))
		}
	}
}

// Requests are limited per network; behind a trusted proxy, per client.
func TestNetworkLimit(t *testing.T) {
	tw := newTestWeb(t, func(o *Options) {
		o.NetworkLimit = policy.Limit{Rate: 2, Burst: 2, Period: time.Hour}
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	send := func(xff string) (int, string, *http.Response) {
		return tw.post(t, message("bob@example.com", "to", "x", tw.solved(t)), "X-Forwarded-For", xff)
	}
	for i := range 2 {
		if code, c, _ := send("192.0.2.1"); code != 202 {
			t.Fatalf("message %d: %d %s", i+1, code, c)
		}
	}
	code, c, resp := send("spoofed, 192.0.2.99")
	if code != 429 || c != "rate_limited" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third message from one /24: %d %s Retry-After %q", code, c, resp.Header.Get("Retry-After"))
	}
	if code, _, _ := send("198.51.100.7"); code != 202 {
		t.Errorf("another network: %d", code)
	}
}

func TestClientAddress(t *testing.T) {
	s := &server{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	for _, tc := range []struct {
		remote, xff, proto string
		want               string
		tls                bool
	}{
		{"192.0.2.1:4321", "203.0.113.9", "https", "192.0.2.1", false}, // not a proxy: headers ignored
		{"10.0.0.2:4321", "203.0.113.9", "https", "203.0.113.9", true},
		{"10.0.0.2:4321", "198.51.100.1, 203.0.113.9, 10.0.0.3", "http", "203.0.113.9", false},
		{"10.0.0.2:4321", "garbage", "", "10.0.0.2", false},
		{"[::ffff:192.0.2.5]:80", "", "", "192.0.2.5", false},
		{"[2001:db8::1]:80", "", "", "2001:db8::1", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		r.Header.Set("X-Forwarded-Proto", tc.proto)
		ip, tls := s.client(r)
		if ip.String() != tc.want || tls != tc.tls {
			t.Errorf("%s with %q: %s %v, want %s %v", tc.remote, tc.xff, ip, tls, tc.want, tc.tls)
		}
	}
}

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)

// The form page: strict headers, no cookie, every field labelled, one
// script from the page's own origin and no inline script or style.
func TestFormPage(t *testing.T) {
	tw := newTestWeb(t, nil)
	resp, err := http.Get(tw.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := html.UnescapeString(string(body))
	if resp.StatusCode != 200 {
		t.Fatalf("GET /: %s", resp.Status)
	}
	h := resp.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
	if h.Get("Set-Cookie") != "" {
		t.Error("a cookie was set")
	}
	for _, id := range []string{"to", "subject", "text", "rel-to", "rel-friend", "rel-coworker", "rel-family", "rel-fof"} {
		if !strings.Contains(page, `<label for="`+id+`"`) || !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("field %s has no label", id)
		}
	}
	for _, want := range []string{`<script src="/static/pow.js"></script>`, `data-challenge="`, "<noscript>", "needs JavaScript", "friend+name=example.com@leak.example",
		"“A friend of a friend, anonymously”", "Example Operator", "abuse@operator.example", `lang="en"`, `name="viewport"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the form page lacks %q", want)
		}
	}
	if inlineScript.MatchString(page) || strings.Contains(page, "style=") || strings.Contains(page, "<style") || strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page has inline script or style, or a link to another origin")
	}

	for path, ctype := range map[string]string{"/static/pow.js": "text/javascript", "/static/leak.css": "text/css"} {
		resp, err := http.Get(tw.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %s %q", path, resp.Status, resp.Header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/static/", "/metrics", "/healthz", "/readyz", "/nothing"} {
		resp, err := http.Get(tw.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}
}

// postForm sends the form as the page does (multipart/form-data).
func (tw *testWeb) postForm(t *testing.T, fields map[string]string, hdr ...string) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", tw.srv.URL+"/send", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(body))
}

func TestFormSend(t *testing.T) {
	tw := newTestWeb(t, nil)
	fields := map[string]string{"to": "bob@example.com", "relationship": "family", "subject": "Grüße", "text": "KEEP-FORM-TEXT\r\nline two"}

	// Without the proof (no JavaScript): told plainly, fields kept.
	code, page := tw.postForm(t, fields)
	if code != 400 || !strings.Contains(page, "needs JavaScript") || !strings.Contains(page, "KEEP-FORM-TEXT") || !strings.Contains(page, `role="alert"`) {
		t.Errorf("form without a proof: %d\n%s", code, page)
	}
	if !strings.Contains(page, `value="family" checked`) {
		t.Error("the chosen relationship was not kept")
	}

	fields["pow"] = tw.solved(t).Encode()
	code, page = tw.postForm(t, fields)
	if code != 200 || !strings.Contains(page, "<h1>Sent</h1>") || !strings.Contains(page, "A family member, anonymously") {
		t.Fatalf("form with a proof: %d\n%s", code, page)
	}
	subs := tw.relay.sent()
	if len(subs) != 1 || subs[0].Text != "KEEP-FORM-TEXT\r\nline two" || subs[0].Subject != "Grüße" || subs[0].Relationship != address.Family {
		t.Errorf("submitted %+v", subs)
	}
	// Posting the same page again (reload) sends nothing more.
	code, page = tw.postForm(t, fields)
	if code != 409 || !strings.Contains(page, "already used") || !strings.Contains(page, "data-challenge") {
		t.Errorf("resent form: %d", code)
	}
	// A refusal of the relay is shown in plain words above the form.
	tw.relay.err = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "this recipient does not accept Leak messages"}
	fields["pow"] = tw.solved(t).Encode()
	code, page = tw.postForm(t, fields)
	if code != 403 || !strings.Contains(page, "This recipient does not accept Leak messages.") {
		t.Errorf("refused recipient: %d", code)
	}
	// The URL-encoded form a script may send works too, and a file does
	// not.
	tw.relay.err = nil
	vals := url.Values{"to": {"carl@example.org"}, "relationship": {"to"}, "text": {"hi"}, "pow": {tw.solved(t).Encode()}}
	resp, err := http.PostForm(tw.srv.URL+"/send", vals)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("URL-encoded form: %s", resp.Status)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("text", "secret.txt")
	fw.Write([]byte("a file"))
	mw.Close()
	resp, err = http.Post(tw.srv.URL+"/send", mw.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("a file in the form: %s, want 400", resp.Status)
	}
}

// A post from another origin is refused before anything is read.
func TestCrossOrigin(t *testing.T) {
	tw := newTestWeb(t, func(o *Options) { o.PublicURL = "https://leak.example" })
	fields := map[string]string{"to": "bob@example.com", "relationship": "to", "text": "x", "pow": tw.solved(t).Encode()}
	if code, page := tw.postForm(t, fields, "Sec-Fetch-Site", "cross-site"); code != 403 || !strings.Contains(page, "Leak's own page") {
		t.Errorf("cross-site form post: %d", code)
	}
	if code, _ := tw.postForm(t, fields, "Origin", "https://evil.example"); code != 403 {
		t.Errorf("post from another origin: %d", code)
	}
	// The public URL's origin may post even when a proxy rewrote Host.
	if code, _ := tw.postForm(t, fields, "Origin", "https://leak.example"); code != 200 {
		t.Errorf("post from the public origin: %d", code)
	}
	if n := len(tw.relay.sent()); n != 1 {
		t.Errorf("%d messages submitted, want 1", n)
	}
}

func TestRetryAfterHint(t *testing.T) {
	for text, want := range map[string]time.Duration{
		"too many messages for this recipient, try again in 3 hours": 3 * time.Hour,
		"Leak is busy, try again in 1 minute":                        time.Minute,
		"try again in 2 days":                                        48 * time.Hour,
		"no hint":                                                    0,
	} {
		if got := retryAfter(text); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", text, got, want)
		}
	}
}

func FuzzAPIBody(f *testing.F) {
	f.Add(`{"to":"bob@example.com","relationship":"to","text":"x","pow":"eyJ9"}`)
	f.Add(`{"pow":{"number":1e400}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		var req messageRequest
		if err := decodeStrict(strings.NewReader(body), &req); err != nil {
			if jsonProblem(err) == "" {
				t.Fatal("an error without words")
			}
		}
	})
}
