package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"leak/metrics"
	"leak/policy"
)

// askConfirmation posts the request page of the server at base for
// address.
func askConfirmation(t *testing.T, base, address string) uResponse {
	t.Helper()
	return uPost(t, base+"/u/resubscribe", url.Values{"action": {"request"}, "address": {address}})
}

func confirmLink(t *testing.T, link string) uResponse {
	t.Helper()
	return uPost(t, link, url.Values{"action": {"resubscribe"}})
}

func optOutAt(t *testing.T, e *policy.Engine, base, rcpt string) {
	t.Helper()
	if r := uPost(t, e.UnsubscribeURL(base, rcpt), url.Values{"List-Unsubscribe": {"One-Click"}}); r.code != 200 {
		t.Fatalf("opt-out of %s: %d", rcpt, r.code)
	}
}

func TestResubscribeEndToEnd(t *testing.T) {
	e, m := unsubEngine(t, unsubSecret)
	srv, n := unsubServer(t, e, UnsubscribeOptions{})
	optOutAt(t, e, srv.URL, "bob@example.com")

	// The unsubscribe page's link leads to the request page.
	base, _ := url.Parse(e.UnsubscribeURL(srv.URL, "bob@example.com"))
	ref, _ := url.Parse("resubscribe")
	r := uGet(t, base.ResolveReference(ref).String())
	if r.code != 200 || !strings.Contains(r.body, `name="address"`) || !strings.Contains(r.body, `value="request"`) {
		t.Fatalf("request page: %d %s", r.code, r.body)
	}
	if got := r.hdr.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'none'") {
		t.Errorf("request page CSP %q", got)
	}

	// The request mails the address, as typed but with its domain
	// normalised, one link to the same server; nothing changes yet.
	if r = askConfirmation(t, srv.URL, " Bob+news@EXAMPLE.com "); r.code != 200 || !strings.Contains(r.body, "Check your mailbox") ||
		!strings.Contains(r.body, "The link works for 24 hours.") {
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
	if !isOptedOut(t, e, "bob@example.com") {
		t.Fatal("asking for a confirmation opted back in")
	}

	// GET and HEAD on the link show a button and change nothing.
	r = uGet(t, link)
	if r.code != 200 || !strings.Contains(r.body, formMarker) || !strings.Contains(r.body, `value="resubscribe"`) {
		t.Fatalf("GET link: %d %s", r.code, r.body)
	}
	if r = uDo(t, http.MethodHead, link, "", nil); r.code != 200 {
		t.Fatalf("HEAD link: %d", r.code)
	}
	// A POST without the button's action changes nothing either.
	if r = uPost(t, link, url.Values{"action": {"unsubscribe"}}); r.code != http.StatusBadRequest {
		t.Fatalf("POST link, other action: %d", r.code)
	}
	if !isOptedOut(t, e, "bob@example.com") {
		t.Fatal("GET, HEAD or a bad POST on the link opted back in")
	}
	if _, in := optOuts(t, m); in != 0 {
		t.Fatalf("opt-ins counted before confirming: %d", in)
	}

	// The button opts back in, and is counted.
	if r = confirmLink(t, link); r.code != 200 || !strings.Contains(r.body, "Leak messages allowed") || strings.Contains(r.body, "<form") {
		t.Fatalf("confirm: %d %s", r.code, r.body)
	}
	if isOptedOut(t, e, "bob@example.com") {
		t.Fatal("still opted out after confirming")
	}
	if _, in := optOuts(t, m); in != 1 {
		t.Fatalf("opt-ins counted %d, want 1", in)
	}

	// Once only: after a new opt-out, the same link is refused.
	optOutAt(t, e, srv.URL, "bob@example.com")
	if r = confirmLink(t, link); r.code != http.StatusGone || !strings.Contains(r.body, "already been used") {
		t.Fatalf("second use: %d %s", r.code, r.body)
	}
	if !isOptedOut(t, e, "bob@example.com") {
		t.Fatal("a used link opted back in")
	}
	if _, in := optOuts(t, m); in != 1 {
		t.Fatalf("opt-ins counted %d after a refused reuse, want 1", in)
	}
}

func TestResubscribeExpiry(t *testing.T) {
	e, _ := unsubEngine(t, unsubSecret)
	clk := &unsubClock{t: time.Now()}
	srv, n := unsubServer(t, e, UnsubscribeOptions{Resubscribe: policy.ResubscribeOptions{TTL: time.Hour, Now: clk.Now}})
	optOutAt(t, e, srv.URL, "bob@example.com")

	if r := askConfirmation(t, srv.URL, "bob@example.com"); r.code != 200 || !strings.Contains(r.body, "works for 1 hour.") {
		t.Fatalf("request: %d %s", r.code, r.body)
	}
	link := n.link(t, "bob@example.com")
	if !strings.Contains(n.all()[0].body, "within 1 hour") {
		t.Errorf("body does not give the TTL:\n%s", n.all()[0].body)
	}
	clk.Advance(time.Hour - time.Second)
	if r := uGet(t, link); r.code != 200 {
		t.Fatalf("GET a second before expiry: %d", r.code)
	}
	clk.Advance(time.Second)
	for _, r := range []uResponse{uGet(t, link), confirmLink(t, link), uDo(t, http.MethodPut, link, "", nil)} {
		if r.code != http.StatusGone || !strings.Contains(r.body, "expired") || strings.Contains(r.body, "<form") {
			t.Errorf("expired link: %d %s", r.code, r.body)
		}
	}
	if !isOptedOut(t, e, "bob@example.com") {
		t.Fatal("an expired link opted back in")
	}

	// A fresh link works, and its link to a new one resolves to the
	// request page.
	askConfirmation(t, srv.URL, "bob@example.com")
	fresh := n.link(t, "bob@example.com")
	if fresh == link {
		t.Fatal("the same link twice an hour apart")
	}
	if r := confirmLink(t, fresh); r.code != 200 || isOptedOut(t, e, "bob@example.com") {
		t.Fatalf("fresh link: %d", r.code)
	}
	r := confirmLink(t, fresh)
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

func TestResubscribeBadLinks(t *testing.T) {
	e, _ := unsubEngine(t, unsubSecret)
	srv, n := unsubServer(t, e, UnsubscribeOptions{})
	optOutAt(t, e, srv.URL, "bob@example.com")
	askConfirmation(t, srv.URL, "bob@example.com")
	bobTok := lastSegment(n.link(t, "bob@example.com"))

	// Another relay's secret, the same request.
	e2, _ := unsubEngine(t, "another secret, another relay!!")
	srv2, n2 := unsubServer(t, e2, UnsubscribeOptions{})
	askConfirmation(t, srv2.URL, "bob@example.com")
	foreign := lastSegment(n2.link(t, "bob@example.com"))

	for name, u := range map[string]string{
		"other secret":        srv.URL + "/u/resubscribe/" + foreign,
		"unsubscribe token":   srv.URL + "/u/resubscribe/" + lastSegment(e.UnsubscribeURL("", "bob@example.com")),
		"truncated":           srv.URL + "/u/resubscribe/" + bobTok[:74],
		"empty":               srv.URL + "/u/resubscribe/",
		"token as unsub link": srv.URL + "/u/" + bobTok,
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := uDo(t, method, u, "application/x-www-form-urlencoded", strings.NewReader("action=resubscribe"))
			if r.code != http.StatusNotFound || strings.Contains(r.body, "<form") {
				t.Errorf("%s %s: %d, want 404 without a form", name, method, r.code)
			}
		}
	}
	if !isOptedOut(t, e, "bob@example.com") {
		t.Fatal("a bad link opted bob back in")
	}
}

// TestResubscribeSameAnswer: the request page answers an opted-out and a
// never-opted-out address alike, with the same store calls and the same
// message, so a third party learns nothing of the opt-out.
func TestResubscribeSameAnswer(t *testing.T) {
	e, m := unsubEngine(t, unsubSecret)
	srv, n := unsubServer(t, e, UnsubscribeOptions{})
	optOutAt(t, e, srv.URL, "bob@example.com")

	var answers []uResponse
	var calls []int
	for _, a := range []string{"bob@example.com", "carol@example.com"} {
		before := storeCallCount(t, m)
		answers = append(answers, askConfirmation(t, srv.URL, a))
		calls = append(calls, storeCallCount(t, m)-before)
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
		confirmLinkRE.ReplaceAllString(got[0].body, "LINK") != confirmLinkRE.ReplaceAllString(got[1].body, "LINK") {
		t.Errorf("confirmations differ: %+v", got)
	}
}

// storeCallCount reads how many calls leak_policy_store_duration_seconds
// timed on the local store.
func storeCallCount(t *testing.T, m *metrics.Metrics) int {
	t.Helper()
	var pm dto.Metric
	h, ok := m.PolicyStoreDuration.WithLabelValues(metrics.StoreLocal).(prometheus.Metric)
	if !ok {
		t.Fatal("the store histogram is not a prometheus.Metric")
	}
	if err := h.Write(&pm); err != nil {
		t.Fatal(err)
	}
	return int(pm.GetHistogram().GetSampleCount())
}

func TestResubscribeRateLimit(t *testing.T) {
	e, _ := unsubEngine(t, unsubSecret)
	srv, n := unsubServer(t, e, UnsubscribeOptions{Resubscribe: policy.ResubscribeOptions{
		PerAddress: policy.Limit{Rate: 2, Period: 24 * time.Hour},
		Global:     policy.Limit{Rate: 4, Period: time.Hour},
	}})
	for i := range 2 {
		if r := askConfirmation(t, srv.URL, "bob@example.com"); r.code != 200 {
			t.Fatalf("request %d: %d", i, r.code)
		}
	}
	// A variant of the address shares its bucket. (The store runs on the
	// real clock: the retry is a few milliseconds short of 12 hours, which
	// Retry-After rounds up.)
	for _, a := range []string{"bob@example.com", "Bob+again@Example.COM"} {
		r := askConfirmation(t, srv.URL, a)
		if r.code != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many confirmation links were asked for for this address. Please try again in 12 hours.") ||
			r.hdr.Get("Retry-After") != "43200" {
			t.Errorf("%s over the limit: %d %q %s", a, r.code, r.hdr.Get("Retry-After"), r.body)
		}
	}
	if got := len(n.all()); got != 2 {
		t.Fatalf("%d confirmations sent, want 2", got)
	}
	// Other addresses have their own buckets, up to the global limit.
	for i, a := range []string{"alice@example.com", "carol@example.com", "dave@example.com"} {
		r := askConfirmation(t, srv.URL, a)
		want := http.StatusOK
		if i == 2 {
			want = http.StatusTooManyRequests
			if !strings.Contains(r.body, "were asked for just now.") {
				t.Errorf("global limit: %s", r.body)
			}
		}
		if r.code != want {
			t.Errorf("%s: %d, want %d", a, r.code, want)
		}
	}
	if got := len(n.all()); got != 4 {
		t.Fatalf("%d confirmations sent, want 4", got)
	}
}

func TestResubscribeRefuses(t *testing.T) {
	e, _ := unsubEngine(t, unsubSecret)
	srv, n := unsubServer(t, e, UnsubscribeOptions{})
	page := srv.URL + "/u/resubscribe"

	for _, a := range []string{"", "bob", "bob@localhost", "bob@example.com\r\nBcc: x@example.com", "Bob <bob@example.com>"} {
		if r := askConfirmation(t, srv.URL, a); r.code != http.StatusBadRequest || !strings.Contains(r.body, `name="address"`) ||
			!strings.Contains(r.body, "Address not understood") {
			t.Errorf("address %q: %d, want 400 with the form again", a, r.code)
		}
	}
	// An internationalised domain is sent in A-labels.
	if r := askConfirmation(t, srv.URL, "<bob@BÜCHER.example>"); r.code != 200 {
		t.Errorf("IDN domain: %d", r.code)
	}
	n.link(t, "bob@xn--bcher-kva.example")

	for name, c := range map[string]struct {
		r    uResponse
		code int
	}{
		"no action":  {uPost(t, page, url.Values{"address": {"carol@example.com"}}), http.StatusBadRequest},
		"wrong verb": {uDo(t, http.MethodPut, page, "", nil), http.StatusMethodNotAllowed},
		"huge body":  {uPost(t, page, url.Values{"action": {"request"}, "address": {"carol@example.com"}, "x": {strings.Repeat("x", 10000)}}), http.StatusBadRequest},
		"query only": {uPost(t, page+"?action=request&address=carol@example.com", url.Values{}), http.StatusBadRequest},
		"cross-site": {crossSite(t, page, url.Values{"action": {"request"}, "address": {"carol@example.com"}}), http.StatusForbidden},
		"link PUT":   {uDo(t, http.MethodPut, page+"/x", "", nil), http.StatusNotFound},
	} {
		if c.r.code != c.code {
			t.Errorf("%s: %d, want %d", name, c.r.code, c.code)
		}
	}
	if got := len(n.all()); got != 1 {
		t.Fatalf("%d confirmations sent, want only the IDN one", got)
	}

	// A link's button cannot be pressed from another site.
	optOutAt(t, e, srv.URL, "carol@example.com")
	askConfirmation(t, srv.URL, "carol@example.com")
	link := n.link(t, "carol@example.com")
	if r := crossSite(t, link, url.Values{"action": {"resubscribe"}}); r.code != http.StatusForbidden ||
		!strings.Contains(r.body, "This form can only be sent from Leak") {
		t.Errorf("cross-site confirm: %d", r.code)
	}
	if !isOptedOut(t, e, "carol@example.com") {
		t.Fatal("a cross-site POST opted back in")
	}
}

func TestInWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24 hours", 48 * time.Hour: "2 days", 90 * time.Minute: "90 minutes",
		time.Hour: "1 hour", time.Second: "1 minute", 49 * time.Hour: "49 hours",
	} {
		if got := inWords(d); got != want {
			t.Errorf("inWords(%s) = %q, want %q", d, got, want)
		}
	}
}
