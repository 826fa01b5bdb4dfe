package policy

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/metrics"
)

// note is one message the notifier was asked to send.
type note struct{ rcpt, subject, body string }

// notes is a Notifier that records what it is asked to send, and fails
// while err is set.
type notes struct {
	mu  sync.Mutex
	got []note
	err error
}

func (n *notes) notify(_ context.Context, rcpt, subject, body string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	n.got = append(n.got, note{rcpt, subject, body})
	return nil
}

func (n *notes) all() []note {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]note(nil), n.got...)
}

var linkRE = regexp.MustCompile(`http://[^\s]+/u/resubscribe/[A-Za-z0-9_-]+`)

// link returns the confirmation link of the last message sent, which must
// be for rcpt.
func (n *notes) link(t *testing.T, rcpt string) string {
	t.Helper()
	all := n.all()
	if len(all) == 0 {
		t.Fatal("no confirmation sent")
	}
	last := all[len(all)-1]
	if last.rcpt != rcpt {
		t.Fatalf("confirmation sent to %q, want %q", last.rcpt, rcpt)
	}
	links := linkRE.FindAllString(last.body, -1)
	if len(links) != 1 {
		t.Fatalf("confirmation holds %d links, want 1:\n%s", len(links), last.body)
	}
	return links[0]
}

// resubServer mounts e.Pages at /u/ as the daemon does, with opts (its
// Notify and BaseURL filled in) on clk's time.
func resubServer(t *testing.T, e *Engine, clk *clock, opts ResubscribeOptions) (*httptest.Server, *notes) {
	t.Helper()
	n := &notes{}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	opts.Notify = n.notify
	opts.BaseURL = srv.URL + "/"
	opts.now = clk.Now
	h, err := e.Pages(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/u/", h)
	return srv, n
}

func request(t *testing.T, srv *httptest.Server, address string) response {
	t.Helper()
	return post(t, srv.URL+"/u/resubscribe", url.Values{"action": {"request"}, "address": {address}})
}

func confirm(t *testing.T, link string) response {
	t.Helper()
	return post(t, link, url.Values{"action": {"resubscribe"}})
}

func optOut(t *testing.T, e *Engine, base, rcpt string) {
	t.Helper()
	if r := post(t, e.UnsubscribeURL(base, rcpt), url.Values{"List-Unsubscribe": {"One-Click"}}); r.code != 200 {
		t.Fatalf("opt-out of %s: %d", rcpt, r.code)
	}
}

func optedOut(t *testing.T, e *Engine, rcpt string) bool {
	t.Helper()
	st, err := e.store.Recipient(context.Background(), e.RecipientHash(rcpt))
	if err != nil {
		t.Fatal(err)
	}
	return st.OptedOut
}

func TestResubscribeEndToEnd(t *testing.T) {
	clk := newClock()
	e, _, m := localEngine(t, offOptions(), clk)
	srv, n := resubServer(t, e, clk, ResubscribeOptions{})
	optOut(t, e, srv.URL, "bob@example.com")

	// The unsubscribe page's link leads to the request page.
	stopped := e.UnsubscribeURL(srv.URL, "bob@example.com")
	base, _ := url.Parse(stopped)
	ref, _ := url.Parse("resubscribe")
	r := get(t, base.ResolveReference(ref).String())
	if r.code != 200 || !strings.Contains(r.body, `name="address"`) || !strings.Contains(r.body, `value="request"`) {
		t.Fatalf("request page: %d %s", r.code, r.body)
	}
	if got := r.hdr.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'none'") {
		t.Errorf("request page CSP %q", got)
	}

	// The request mails the address, as typed but with its domain
	// normalised, one link to the same server; nothing changes yet.
	if r = request(t, srv, " Bob+news@EXAMPLE.com "); r.code != 200 || !strings.Contains(r.body, "Check your mailbox") {
		t.Fatalf("request: %d %s", r.code, r.body)
	}
	link := n.link(t, "Bob+news@example.com")
	if got := n.all()[0]; got.subject != resubSubject || !strings.Contains(got.body, "within 24 hours") ||
		!strings.Contains(got.body, "If it was not you, ignore this message") {
		t.Errorf("confirmation: %+v", got)
	}
	if !strings.HasPrefix(link, srv.URL+"/u/resubscribe/") || strings.Contains(link, "bob") || strings.Contains(link, "example") {
		t.Fatalf("link %q", link)
	}
	if !optedOut(t, e, "bob@example.com") {
		t.Fatal("asking for a confirmation opted back in")
	}

	// GET and HEAD on the link show a button and change nothing.
	r = get(t, link)
	if r.code != 200 || !strings.Contains(r.body, formMarker) || !strings.Contains(r.body, `value="resubscribe"`) {
		t.Fatalf("GET link: %d %s", r.code, r.body)
	}
	if r = do(t, http.MethodHead, link, "", nil); r.code != 200 {
		t.Fatalf("HEAD link: %d", r.code)
	}
	// A POST without the button's action changes nothing either.
	if r = post(t, link, url.Values{"action": {"unsubscribe"}}); r.code != http.StatusBadRequest {
		t.Fatalf("POST link, other action: %d", r.code)
	}
	if !optedOut(t, e, "bob@example.com") {
		t.Fatal("GET, HEAD or a bad POST on the link opted back in")
	}
	if in := counter(t, m.PolicyOptOuts, metrics.OptIn); in != 0 {
		t.Fatalf("opt-ins counted before confirming: %d", in)
	}

	// The button opts back in, and is counted.
	if r = confirm(t, link); r.code != 200 || !strings.Contains(r.body, "Leak messages allowed") || strings.Contains(r.body, "<form") {
		t.Fatalf("confirm: %d %s", r.code, r.body)
	}
	if d := e.Rcpt(context.Background(), "bob@example.com"); d.Action != Allow {
		t.Fatalf("after confirming: %+v", d)
	}
	if in := counter(t, m.PolicyOptOuts, metrics.OptIn); in != 1 {
		t.Fatalf("opt-ins counted %d, want 1", in)
	}

	// Once only: after a new opt-out, the same link is refused.
	optOut(t, e, srv.URL, "bob@example.com")
	if r = confirm(t, link); r.code != http.StatusGone || !strings.Contains(r.body, "already been used") {
		t.Fatalf("second use: %d %s", r.code, r.body)
	}
	if !optedOut(t, e, "bob@example.com") {
		t.Fatal("a used link opted back in")
	}
	if in := counter(t, m.PolicyOptOuts, metrics.OptIn); in != 1 {
		t.Fatalf("opt-ins counted %d after a refused reuse, want 1", in)
	}
}

func TestResubscribeExpiry(t *testing.T) {
	clk := newClock()
	e, _, _ := localEngine(t, offOptions(), clk)
	srv, n := resubServer(t, e, clk, ResubscribeOptions{TTL: time.Hour})
	optOut(t, e, srv.URL, "bob@example.com")

	if r := request(t, srv, "bob@example.com"); r.code != 200 || !strings.Contains(r.body, "works for 1 hour.") {
		t.Fatalf("request: %d %s", r.code, r.body)
	}
	link := n.link(t, "bob@example.com")
	if !strings.Contains(n.all()[0].body, "within 1 hour") {
		t.Errorf("body does not give the TTL:\n%s", n.all()[0].body)
	}
	clk.Advance(time.Hour - time.Second)
	if r := get(t, link); r.code != 200 {
		t.Fatalf("GET a second before expiry: %d", r.code)
	}
	clk.Advance(time.Second)
	for _, r := range []response{get(t, link), confirm(t, link)} {
		if r.code != http.StatusGone || !strings.Contains(r.body, "expired") || strings.Contains(r.body, "<form") {
			t.Errorf("expired link: %d %s", r.code, r.body)
		}
	}
	if !optedOut(t, e, "bob@example.com") {
		t.Fatal("an expired link opted back in")
	}

	// A fresh link works, and its link to a new one resolves to the
	// request page.
	request(t, srv, "bob@example.com")
	fresh := n.link(t, "bob@example.com")
	if fresh == link {
		t.Fatal("the same link twice an hour apart")
	}
	if r := confirm(t, fresh); r.code != 200 || optedOut(t, e, "bob@example.com") {
		t.Fatalf("fresh link: %d", r.code)
	}
	r := confirm(t, fresh)
	m := regexp.MustCompile(`<a href="([^"]+)">`).FindStringSubmatch(r.body)
	if r.code != http.StatusGone || m == nil {
		t.Fatalf("used link: %d %s", r.code, r.body)
	}
	base, _ := url.Parse(fresh)
	ref, _ := url.Parse(m[1])
	if got := base.ResolveReference(ref).String(); got != srv.URL+"/u/resubscribe" {
		t.Errorf("'ask for a new link' leads to %s", got)
	}
}

func TestResubscribeBoundToAddress(t *testing.T) {
	clk := newClock()
	e, _, _ := localEngine(t, offOptions(), clk)
	srv, n := resubServer(t, e, clk, ResubscribeOptions{})
	optOut(t, e, srv.URL, "bob@example.com")
	optOut(t, e, srv.URL, "alice@example.com")

	request(t, srv, "alice@example.com")
	aliceLink := n.link(t, "alice@example.com")
	request(t, srv, "bob@example.com")
	bobLink := n.link(t, "bob@example.com")
	aliceTok := aliceLink[strings.LastIndexByte(aliceLink, '/')+1:]
	bobTok := bobLink[strings.LastIndexByte(bobLink, '/')+1:]
	if len(aliceTok) != resubTokenLen {
		t.Fatalf("token length %d, want %d", len(aliceTok), resubTokenLen)
	}

	// Another relay's secret, the same request.
	other := offOptions()
	other.Secret = []byte("another secret, another relay!!")
	e2, _, _ := localEngine(t, other, clk)
	srv2, n2 := resubServer(t, e2, clk, ResubscribeOptions{})
	request(t, srv2, "bob@example.com")
	foreignLink := n2.link(t, "bob@example.com")
	foreign := foreignLink[strings.LastIndexByte(foreignLink, '/')+1:]

	// Alice's token with bob's hash, or with its expiry moved on.
	spliced := bobTok[:40] + aliceTok[40:]
	raw, _ := resubEncoding.DecodeString(aliceTok)
	raw[sha256Size+7]++
	later := resubEncoding.EncodeToString(raw)
	unsub := e.UnsubscribeURL("", "bob@example.com")[len("/u/"):]

	for name, u := range map[string]string{
		"spliced":             srv.URL + "/u/resubscribe/" + spliced,
		"expiry moved":        srv.URL + "/u/resubscribe/" + later,
		"other secret":        srv.URL + "/u/resubscribe/" + foreign,
		"unsubscribe token":   srv.URL + "/u/resubscribe/" + unsub,
		"truncated":           srv.URL + "/u/resubscribe/" + bobTok[:74],
		"non-canonical":       srv.URL + "/u/resubscribe/" + bobTok[:74] + string(nextChar(bobTok[74])),
		"empty":               srv.URL + "/u/resubscribe/",
		"token as unsub link": srv.URL + "/u/" + bobTok,
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := do(t, method, u, "application/x-www-form-urlencoded", strings.NewReader("action=resubscribe"))
			if r.code != http.StatusNotFound || strings.Contains(r.body, "<form") {
				t.Errorf("%s %s: %d, want 404 without a form", name, method, r.code)
			}
		}
	}
	if !optedOut(t, e, "bob@example.com") || !optedOut(t, e, "alice@example.com") {
		t.Fatal("a bad token opted someone back in")
	}

	// Alice's link opts in alice, never bob.
	if r := confirm(t, aliceLink); r.code != 200 {
		t.Fatalf("alice's link: %d", r.code)
	}
	if optedOut(t, e, "alice@example.com") || !optedOut(t, e, "bob@example.com") {
		t.Fatal("alice's link did not opt in alice alone")
	}
}

// sha256Size is the length of the hash at the front of a token.
const sha256Size = 32

// nextChar is another base64url character than c that decodes to the same
// 4 leading bits: in the last position of a 75-character token, only its
// 2 unused bits differ.
func nextChar(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return alphabet[strings.IndexByte(alphabet, c)^1]
}

// TestResubscribeSameAnswer: the request page answers an opted-out and a
// never-opted-out address alike, with the same store calls and the same
// message, so a third party learns nothing of the opt-out.
func TestResubscribeSameAnswer(t *testing.T) {
	clk := newClock()
	e, _, m := localEngine(t, offOptions(), clk)
	srv, n := resubServer(t, e, clk, ResubscribeOptions{})
	optOut(t, e, srv.URL, "bob@example.com")

	var answers []response
	var calls []int
	for _, a := range []string{"bob@example.com", "carol@example.com"} {
		before, _ := storeCalls(t, m, metrics.StoreLocal)
		answers = append(answers, request(t, srv, a))
		after, _ := storeCalls(t, m, metrics.StoreLocal)
		calls = append(calls, after-before)
	}
	a, b := answers[0], answers[1]
	if a.code != 200 || a.code != b.code || a.body != b.body {
		t.Errorf("answers differ:\n%d %s\n%d %s", a.code, a.body, b.code, b.body)
	}
	a.hdr.Del("Date")
	b.hdr.Del("Date")
	for k := range a.hdr {
		if a.hdr.Get(k) != b.hdr.Get(k) {
			t.Errorf("header %s: %q and %q", k, a.hdr.Get(k), b.hdr.Get(k))
		}
	}
	if len(a.hdr) != len(b.hdr) {
		t.Errorf("headers differ: %v and %v", a.hdr, b.hdr)
	}
	if calls[0] != calls[1] {
		t.Errorf("store calls %d and %d: the page treats the addresses differently", calls[0], calls[1])
	}
	got := n.all()
	if len(got) != 2 || got[0].subject != got[1].subject ||
		linkRE.ReplaceAllString(got[0].body, "LINK") != linkRE.ReplaceAllString(got[1].body, "LINK") {
		t.Errorf("confirmations differ: %+v", got)
	}
}

func TestResubscribeRateLimit(t *testing.T) {
	clk := newClock()
	e, _, _ := localEngine(t, offOptions(), clk)
	srv, n := resubServer(t, e, clk, ResubscribeOptions{
		PerAddress: Limit{Rate: 2, Period: 24 * time.Hour},
		Global:     Limit{Rate: 4, Period: time.Hour},
	})

	for i := range 2 {
		if r := request(t, srv, "bob@example.com"); r.code != 200 {
			t.Fatalf("request %d: %d", i, r.code)
		}
	}
	// A variant of the address shares its bucket.
	for _, a := range []string{"bob@example.com", "Bob+again@Example.COM"} {
		r := request(t, srv, a)
		if r.code != http.StatusTooManyRequests || !strings.Contains(r.body, "for this address") ||
			!strings.Contains(r.body, "try again in 12 hours") || r.hdr.Get("Retry-After") != "43200" {
			t.Errorf("%s over the limit: %d %q %s", a, r.code, r.hdr.Get("Retry-After"), r.body)
		}
	}
	if got := len(n.all()); got != 2 {
		t.Fatalf("%d confirmations sent, want 2", got)
	}

	// Other addresses have their own buckets, up to the global limit.
	for i, a := range []string{"alice@example.com", "carol@example.com", "dave@example.com"} {
		r := request(t, srv, a)
		want := http.StatusOK
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if r.code != want {
			t.Errorf("%s: %d, want %d", a, r.code, want)
		}
	}
	if got := len(n.all()); got != 4 {
		t.Fatalf("%d confirmations sent, want 4", got)
	}

	// The buckets refill with time.
	clk.Advance(12 * time.Hour)
	if r := request(t, srv, "bob@example.com"); r.code != 200 {
		t.Errorf("after 12 hours: %d", r.code)
	}
}

func TestResubscribeRefuses(t *testing.T) {
	clk := newClock()
	var logs bytes.Buffer
	opts := offOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	e, _, _ := localEngine(t, opts, clk)
	srv, n := resubServer(t, e, clk, ResubscribeOptions{})
	page := srv.URL + "/u/resubscribe"

	for _, a := range []string{
		"", "bob", "bob@", "@example.com", "bob@localhost", "bob@@example.com",
		"bob smith@example.com", `"bob"@example.com`, "bob..x@example.com", ".bob@example.com",
		"bob@-example.com", "bob@example..com", "bøb@example.com", "bob@example.com\r\nBcc: x@example.com",
		"Bob <bob@example.com>", "bob@example.com, carol@example.com",
		strings.Repeat("b", 65) + "@example.com", "bob@" + strings.Repeat("x", 250) + ".com",
	} {
		if r := request(t, srv, a); r.code != http.StatusBadRequest || !strings.Contains(r.body, `name="address"`) {
			t.Errorf("address %q: %d, want 400 with the form again", a, r.code)
		}
	}
	// An internationalised domain is sent in A-labels.
	if r := request(t, srv, "<bob@BÜCHER.example>"); r.code != 200 {
		t.Errorf("IDN domain: %d", r.code)
	}
	n.link(t, "bob@xn--bcher-kva.example")

	for name, r := range map[string]response{
		"no action":  post(t, page, url.Values{"address": {"carol@example.com"}}),
		"wrong verb": do(t, http.MethodPut, page, "", nil),
		"huge body":  post(t, page, url.Values{"action": {"request"}, "address": {"carol@example.com"}, "x": {strings.Repeat("x", 10000)}}),
		"query only": post(t, page+"?action=request&address=carol@example.com", url.Values{}),
		"cross-site": crossSite(t, page, url.Values{"action": {"request"}, "address": {"carol@example.com"}}),
		"link PUT":   do(t, http.MethodPut, page+"/x", "", nil),
	} {
		if r.code < 400 || r.code >= 500 {
			t.Errorf("%s: %d, want a 4xx", name, r.code)
		}
	}
	if got := len(n.all()); got != 1 {
		t.Fatalf("%d confirmations sent, want only the IDN one", got)
	}

	// A link's button cannot be pressed from another site.
	optOut(t, e, srv.URL, "carol@example.com")
	request(t, srv, "carol@example.com")
	link := n.link(t, "carol@example.com")
	if r := crossSite(t, link, url.Values{"action": {"resubscribe"}}); r.code != http.StatusForbidden {
		t.Errorf("cross-site confirm: %d", r.code)
	}
	if !optedOut(t, e, "carol@example.com") {
		t.Fatal("a cross-site POST opted back in")
	}

	// A notifier that fails is a 503 and a log line without the address.
	n.err = errors.New("spool full")
	if r := request(t, srv, "dave@example.com"); r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "could not be sent") {
		t.Errorf("notifier failure: %d %s", r.code, r.body)
	}
	if !strings.Contains(logs.String(), "spool full") {
		t.Errorf("the failure is not logged:\n%s", logs.String())
	}
	for _, secret := range []string{"dave", "carol", "bob", "xn--bcher"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log names %q:\n%s", secret, logs.String())
		}
	}
}

// crossSite posts form as a browser does from another site.
func crossSite(t *testing.T, u string, form url.Values) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return response{code: resp.StatusCode, hdr: resp.Header}
}

func TestPagesOptions(t *testing.T) {
	e, _, _ := localEngine(t, offOptions(), newClock())
	n := &notes{}
	for name, o := range map[string]ResubscribeOptions{
		"no notifier":  {BaseURL: "https://leak.example"},
		"no base":      {Notify: n.notify},
		"relative":     {Notify: n.notify, BaseURL: "/leak"},
		"ftp":          {Notify: n.notify, BaseURL: "ftp://leak.example"},
		"negative ttl": {Notify: n.notify, BaseURL: "https://leak.example", TTL: -time.Hour},
		"bad limit":    {Notify: n.notify, BaseURL: "https://leak.example", Global: Limit{Rate: 1}},
	} {
		if _, err := e.Pages(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Behind StripPrefix, with a base that has a path.
	h, err := e.Pages(ResubscribeOptions{Notify: n.notify, BaseURL: "https://leak.example/leak/"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/leak/u/", h))
	defer srv.Close()
	if r := get(t, srv.URL+"/leak/u/resubscribe"); r.code != 200 || !strings.Contains(r.body, `name="address"`) {
		t.Fatalf("request page behind StripPrefix: %d", r.code)
	}
	if r := post(t, srv.URL+"/leak/u/resubscribe", url.Values{"action": {"request"}, "address": {"bob@example.com"}}); r.code != 200 {
		t.Fatalf("request behind StripPrefix: %d", r.code)
	}
	if got := n.all(); len(got) != 1 || !strings.Contains(got[0].body, "https://leak.example/leak/u/resubscribe/") {
		t.Fatalf("link under a base with a path: %+v", got)
	}
	if r := get(t, e.UnsubscribeURL(srv.URL+"/leak", "bob@example.com")); r.code != 200 {
		t.Errorf("unsubscribe link behind StripPrefix: %d", r.code)
	}
}

func FuzzResubToken(f *testing.F) {
	s, err := openLocal(f.TempDir(), 16, newClock().Now)
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	e, err := Open(offOptions(), s)
	if err != nil {
		f.Fatal(err)
	}
	h := e.keys.sum(kindRcpt, "bob@example.com")
	good := e.resubToken(h[:], newClock().Now().Add(time.Hour))
	f.Add(good)
	f.Add(good[:74] + "B")
	f.Add(strings.Repeat("A", resubTokenLen))
	f.Add("")
	f.Add(e.UnsubscribeURL("", "bob@example.com")[len("/u/"):])
	f.Fuzz(func(t *testing.T, tok string) {
		key, exp, ok := e.parseResubToken(tok)
		if !ok {
			return
		}
		// Only the one canonical token of a hash and expiry is accepted.
		raw, err := hex.DecodeString(key)
		if err != nil {
			t.Fatal(err)
		}
		if e.resubToken(raw, exp) != tok {
			t.Fatalf("accepted %q, which is not the token of its hash and expiry", tok)
		}
	})
}

func FuzzRequestAddress(f *testing.F) {
	for _, s := range []string{"bob@example.com", "<Bob+x@BÜCHER.example>", "a@b", `"a b"@c.d`, "x@y.z\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := requestAddress(s)
		if !ok {
			return
		}
		if len(a) > maxAddress || strings.ContainsAny(a, " \t\r\n<>\",;:()[]\\") || strings.Count(a, "@") != 1 {
			t.Fatalf("%q accepted as %q", s, a)
		}
		for i := range len(a) {
			if a[i] < 0x21 || a[i] > 0x7e {
				t.Fatalf("%q accepted as %q, which is not printable ASCII", s, a)
			}
		}
		if again, ok := requestAddress(a); !ok || again != a {
			t.Fatalf("%q gives %q, which gives %q %v", s, a, again, ok)
		}
	})
}
