package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"leak/metrics"
	"leak/policy"
)

const unsubSecret = "unsubscribe test secret, 32 b.."

// unsubEngine opens a policy engine with secret on a fresh local store,
// with fresh metrics.
func unsubEngine(t *testing.T, secret string) (*policy.Engine, *metrics.Metrics) {
	t.Helper()
	store, err := policy.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m := metrics.New("test")
	po := policy.DefaultOptions()
	po.Secret = []byte(secret)
	po.Recipient, po.Global = policy.Limit{}, policy.Limit{}
	po.Metrics = m
	e, err := policy.Open(po, store)
	if err != nil {
		t.Fatal(err)
	}
	return e, m
}

// confirmNote is one message the notifier was asked to send.
type confirmNote struct{ rcpt, subject, body string }

// confirmNotes is a Notifier that records what it is asked to send, and
// fails while err is set.
type confirmNotes struct {
	mu  sync.Mutex
	got []confirmNote
	err error
}

func (n *confirmNotes) notify(_ context.Context, rcpt, subject, body string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	n.got = append(n.got, confirmNote{rcpt, subject, body})
	return nil
}

func (n *confirmNotes) all() []confirmNote {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]confirmNote(nil), n.got...)
}

var confirmLinkRE = regexp.MustCompile(`http://[^\s]+/u/resubscribe/[A-Za-z0-9_-]+`)

// link returns the confirmation link of the last message sent, which must
// be for rcpt.
func (n *confirmNotes) link(t *testing.T, rcpt string) string {
	t.Helper()
	all := n.all()
	if len(all) == 0 {
		t.Fatal("no confirmation sent")
	}
	last := all[len(all)-1]
	if last.rcpt != rcpt {
		t.Fatalf("confirmation sent to %q, want %q", last.rcpt, rcpt)
	}
	links := confirmLinkRE.FindAllString(last.body, -1)
	if len(links) != 1 {
		t.Fatalf("confirmation holds %d links, want 1:\n%s", len(links), last.body)
	}
	return links[0]
}

// unsubClock is a settable clock for the confirmation links.
type unsubClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *unsubClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *unsubClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// unsubServer mounts UnsubscribePages at /u/ as leakd does, with opts (its
// Engine, Notify and BaseURL filled in).
func unsubServer(t *testing.T, e *policy.Engine, opts UnsubscribeOptions) (*httptest.Server, *confirmNotes) {
	t.Helper()
	n := &confirmNotes{}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	opts.Engine = e
	opts.Notify = n.notify
	opts.BaseURL = srv.URL + "/"
	h, err := UnsubscribePages(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/u/", h)
	return srv, n
}

type uResponse struct {
	code int
	body string
	hdr  http.Header
}

func uDo(t *testing.T, method, u, contentType string, body io.Reader, hdr ...string) uResponse {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
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
	return uResponse{resp.StatusCode, string(b), resp.Header}
}

func uGet(t *testing.T, u string) uResponse { return uDo(t, http.MethodGet, u, "", nil) }

func uPost(t *testing.T, u string, form url.Values) uResponse {
	return uDo(t, http.MethodPost, u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// crossSite posts form as a browser does from another site.
func crossSite(t *testing.T, u string, form url.Values) uResponse {
	return uDo(t, http.MethodPost, u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()),
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
}

// optOuts reads leak_policy_optouts_total: opt-outs and opt-ins.
func optOuts(t *testing.T, m *metrics.Metrics) (out, in int) {
	t.Helper()
	return counterValue(t, m.PolicyOptOuts, metrics.OptOut), counterValue(t, m.PolicyOptOuts, metrics.OptIn)
}

func counterValue(t *testing.T, vec *prometheus.CounterVec, labels ...string) int {
	t.Helper()
	var pm dto.Metric
	if err := vec.WithLabelValues(labels...).Write(&pm); err != nil {
		t.Fatal(err)
	}
	return int(pm.GetCounter().GetValue())
}

func isOptedOut(t *testing.T, e *policy.Engine, rcpt string) bool {
	t.Helper()
	out, err := e.Unsubscribed(context.Background(), lastSegment(e.UnsubscribeURL("", rcpt)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func lastSegment(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }

const formMarker = `<form method="post" action="">`

func TestUnsubscribeEndToEnd(t *testing.T) {
	ctx := context.Background()
	e, m := unsubEngine(t, unsubSecret)
	srv, _ := unsubServer(t, e, UnsubscribeOptions{})

	u := e.UnsubscribeURL(srv.URL+"/", "bob@example.com")
	if !strings.HasPrefix(u, srv.URL+"/u/") {
		t.Fatalf("URL %q", u)
	}

	// GET: the question, a form, the safety headers; nothing changes.
	r := uGet(t, u)
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
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := r.hdr.Get(h); !strings.HasPrefix(got, want) {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	for _, bad := range []string{"<script", "src=", "href=", "http://", "https://", "{{"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	if r = uDo(t, http.MethodHead, u, "", nil); r.code != 200 {
		t.Errorf("HEAD: %d", r.code)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != policy.Allow {
		t.Fatalf("GET opted out: %+v", d)
	}

	// One-click POST (RFC 8058 section 3.2).
	r = uDo(t, http.MethodPost, u, "application/x-www-form-urlencoded", strings.NewReader(policy.ListUnsubscribePost))
	if r.code != 200 || !strings.Contains(r.body, "Leak will not deliver any further messages") ||
		strings.Contains(r.body, "<form") {
		t.Fatalf("one-click POST: %d %s", r.code, r.body)
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != policy.Reject || d.Policy != policy.PolicyOptOut {
		t.Fatalf("after one-click: %+v", d)
	}
	if d := e.Rcpt(ctx, "alice@example.com"); d.Action != policy.Allow {
		t.Errorf("another recipient refused: %+v", d)
	}

	// GET now shows the state, with no button back: only a link to the
	// resubscribe page, which asks the address itself.
	if r = uGet(t, u); r.code != 200 || strings.Contains(r.body, "<form") || !strings.Contains(r.body, `<a href="resubscribe">`) {
		t.Fatalf("GET after opt-out: %d %s", r.code, r.body)
	}

	// The token cannot opt back in: whoever saw one copy has it.
	if r = uPost(t, u, url.Values{"action": {"resubscribe"}}); r.code != http.StatusBadRequest || strings.Contains(r.body, "allowed") {
		t.Fatalf("resubscribe with the unsubscribe token: %d %s", r.code, r.body)
	}
	if !isOptedOut(t, e, "bob@example.com") {
		t.Fatal("the unsubscribe token opted back in")
	}
	if r = uPost(t, u, url.Values{"action": {"unsubscribe"}}); r.code != 200 {
		t.Fatalf("unsubscribe button: %d", r.code)
	}
	if !isOptedOut(t, e, "bob@example.com") {
		t.Fatal("opted in after the unsubscribe button")
	}

	// multipart/form-data is allowed by RFC 8058 too.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("List-Unsubscribe", "One-Click")
	mw.Close()
	carol := e.UnsubscribeURL(srv.URL, "carol@example.com")
	if r = uDo(t, http.MethodPost, carol, mw.FormDataContentType(), &mp); r.code != 200 {
		t.Fatalf("multipart one-click: %d %s", r.code, r.body)
	}
	if !isOptedOut(t, e, "carol@example.com") {
		t.Error("carol not opted out after multipart one-click")
	}
	// One-click, the button, multipart one-click; the refused resubscribe
	// and the GETs change nothing and count nothing.
	if out, in := optOuts(t, m); out != 3 || in != 0 {
		t.Errorf("opt-outs %d, opt-ins %d; want 3 and 0", out, in)
	}
}

func TestUnsubscribeRefuses(t *testing.T) {
	ctx := context.Background()
	e, m := unsubEngine(t, unsubSecret)
	srv, _ := unsubServer(t, e, UnsubscribeOptions{})
	u := e.UnsubscribeURL(srv.URL, "bob@example.com")
	tok := lastSegment(u)

	// Another engine's secret: the same recipient, a token that must not
	// work here.
	e2, _ := unsubEngine(t, "another secret, another relay!!")
	foreign := e2.UnsubscribeURL(srv.URL, "bob@example.com")
	alice := e.UnsubscribeURL(srv.URL, "alice@example.com")
	spliced := lastSegment(alice)[:43] + tok[43:]

	for name, bad := range map[string]string{
		"truncated":       srv.URL + "/u/" + tok[:63],
		"extended":        srv.URL + "/u/" + tok + "A",
		"padded":          srv.URL + "/u/" + tok + "==",
		"other secret":    foreign,
		"spliced":         srv.URL + "/u/" + spliced,
		"empty":           srv.URL + "/u/",
		"token as prefix": srv.URL + "/u/" + tok + "/x",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut} {
			r := uDo(t, method, bad, "application/x-www-form-urlencoded", strings.NewReader(policy.ListUnsubscribePost))
			if r.code != http.StatusNotFound || strings.Contains(r.body, "<form") || !strings.Contains(r.body, "This unsubscribe link is not valid.") {
				t.Errorf("%s %s: %d, want 404 without a form", name, method, r.code)
			}
		}
	}
	for _, a := range []string{"bob@example.com", "alice@example.com"} {
		if isOptedOut(t, e, a) {
			t.Fatalf("a bad token opted %s out", a)
		}
	}

	// Alice's valid token opts out alice, never bob.
	if r := uPost(t, alice, url.Values{"List-Unsubscribe": {"One-Click"}}); r.code != 200 {
		t.Fatal(r.code)
	}
	if isOptedOut(t, e, "bob@example.com") {
		t.Error("alice's token opted bob out")
	}

	// Requests that are not one of the two ways to opt out change nothing.
	for name, c := range map[string]struct {
		r    uResponse
		code int
	}{
		"empty body":   {uPost(t, u, url.Values{}), http.StatusBadRequest},
		"query only":   {uPost(t, u+"?List-Unsubscribe=One-Click", url.Values{}), http.StatusBadRequest},
		"wrong value":  {uPost(t, u, url.Values{"List-Unsubscribe": {"yes"}}), http.StatusBadRequest},
		"other action": {uPost(t, u, url.Values{"action": {"delete"}}), http.StatusBadRequest},
		"huge body":    {uPost(t, u, url.Values{"action": {"unsubscribe"}, "x": {strings.Repeat("x", 10000)}}), http.StatusBadRequest},
		"put":          {uDo(t, http.MethodPut, u, "", strings.NewReader(policy.ListUnsubscribePost)), http.StatusMethodNotAllowed},
	} {
		if c.r.code != c.code || !strings.Contains(c.r.body, "This request was not understood.") {
			t.Errorf("%s: %d, want %d", name, c.r.code, c.code)
		}
		if c.code == http.StatusMethodNotAllowed && c.r.hdr.Get("Allow") != "GET, HEAD, POST" {
			t.Errorf("%s: Allow %q", name, c.r.hdr.Get("Allow"))
		}
	}
	if d := e.Rcpt(ctx, "bob@example.com"); d.Action != policy.Allow {
		t.Errorf("a bad request opted bob out: %+v", d)
	}
	// Alice's one opt-out, and nothing for the refused requests.
	if out, in := optOuts(t, m); out != 1 || in != 0 {
		t.Errorf("opt-outs %d, opt-ins %d; want 1 and 0", out, in)
	}
}

// TestUnsubscribeStoreDown: with the store closed, a link's page is a 503
// (a one-click client retries) and nothing is counted as opted out.
func TestUnsubscribeStoreDown(t *testing.T) {
	store, err := policy.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	po := policy.DefaultOptions()
	po.Secret = []byte(unsubSecret)
	m := metrics.New("test")
	po.Metrics = m
	e, err := policy.Open(po, store)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := unsubServer(t, e, UnsubscribeOptions{})
	u := e.UnsubscribeURL(srv.URL, "bob@example.com")
	store.Close()
	for _, r := range []uResponse{uGet(t, u), uPost(t, u, url.Values{"List-Unsubscribe": {"One-Click"}})} {
		if r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "could not be recorded just now") {
			t.Errorf("store down: %d %s", r.code, r.body)
		}
	}
	if out, _ := optOuts(t, m); out != 0 {
		t.Errorf("opt-outs counted with the store down: %d", out)
	}
}

func TestUnsubscribeStripPrefix(t *testing.T) {
	e, _ := unsubEngine(t, unsubSecret)
	n := &confirmNotes{}
	h, err := UnsubscribePages(UnsubscribeOptions{Engine: e, Notify: n.notify, BaseURL: "https://leak.example/leak/"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/leak/u/", h))
	defer srv.Close()
	if r := uGet(t, e.UnsubscribeURL(srv.URL+"/leak", "bob@example.com")); r.code != 200 {
		t.Errorf("unsubscribe link behind StripPrefix: %d", r.code)
	}
	if r := uGet(t, srv.URL+"/leak/u/resubscribe"); r.code != 200 || !strings.Contains(r.body, `name="address"`) {
		t.Fatalf("request page behind StripPrefix: %d", r.code)
	}
	if r := uPost(t, srv.URL+"/leak/u/resubscribe", url.Values{"action": {"request"}, "address": {"bob@example.com"}}); r.code != 200 {
		t.Fatalf("request behind StripPrefix: %d", r.code)
	}
	if got := n.all(); len(got) != 1 || !strings.Contains(got[0].body, "https://leak.example/leak/u/resubscribe/") {
		t.Fatalf("link under a base with a path: %+v", got)
	}
}

func TestUnsubscribeOptions(t *testing.T) {
	e, _ := unsubEngine(t, unsubSecret)
	n := &confirmNotes{}
	for name, o := range map[string]UnsubscribeOptions{
		"no engine":    {Notify: n.notify, BaseURL: "https://leak.example"},
		"no notifier":  {Engine: e, BaseURL: "https://leak.example"},
		"no base":      {Engine: e, Notify: n.notify},
		"relative":     {Engine: e, Notify: n.notify, BaseURL: "/leak"},
		"ftp":          {Engine: e, Notify: n.notify, BaseURL: "ftp://leak.example"},
		"negative ttl": {Engine: e, Notify: n.notify, BaseURL: "https://leak.example", Resubscribe: policy.ResubscribeOptions{TTL: -time.Hour}},
		"bad limit":    {Engine: e, Notify: n.notify, BaseURL: "https://leak.example", Resubscribe: policy.ResubscribeOptions{Global: policy.Limit{Rate: 1}}},
	} {
		if _, err := UnsubscribePages(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestUnsubscribePagesSayWhoRunsIt: every /u/ page says that the sender is
// not told and that the relationship is the sender's claim, and names the
// operator when one is configured.
func TestUnsubscribePagesSayWhoRunsIt(t *testing.T) {
	e, _ := unsubEngine(t, unsubSecret)
	n := &confirmNotes{}
	for _, op := range []string{"", "Example Operator (abuse@operator.example)"} {
		h, err := UnsubscribePages(UnsubscribeOptions{Engine: e, Notify: n.notify, BaseURL: "https://leak.example", Operator: op})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.StripPrefix("/u/", h))
		for _, u := range []string{e.UnsubscribeURL(srv.URL, "bob@example.com"), srv.URL + "/u/resubscribe", srv.URL + "/u/nonsense"} {
			r := uGet(t, u)
			if !strings.Contains(r.body, "never tells the sender") || !strings.Contains(r.body, "own claim") {
				t.Errorf("%s: the page does not say the sender is not told:\n%s", u, r.body)
			}
			if named := strings.Contains(r.body, "run by Example Operator (abuse@operator.example)"); named != (op != "") {
				t.Errorf("%s with operator %q: named=%v", u, op, named)
			}
		}
		srv.Close()
	}
}

// TestUnsubscribeLogs: a notifier's failure is logged without the
// address.
func TestUnsubscribeLogs(t *testing.T) {
	e, _ := unsubEngine(t, unsubSecret)
	var logs bytes.Buffer
	var mu sync.Mutex
	srv, n := unsubServer(t, e, UnsubscribeOptions{Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	n.err = io.ErrShortWrite
	r := uPost(t, srv.URL+"/u/resubscribe", url.Values{"action": {"request"}, "address": {"dave@example.com"}})
	if r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "could not be sent") {
		t.Errorf("notifier failure: %d %s", r.code, r.body)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "short write") {
		t.Errorf("the failure is not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "dave") {
		t.Errorf("the log names the address:\n%s", logs.String())
	}
}
