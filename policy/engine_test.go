package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"leak/metrics"
)

func TestRateLimits(t *testing.T) {
	ctx := context.Background()
	mail := func(ip, sender string) func(*Engine) Decision {
		return func(e *Engine) Decision { return e.Mail(ctx, addr(ip), sender) }
	}
	rcpt := func(r string) func(*Engine) Decision {
		return func(e *Engine) Decision { return e.Rcpt(ctx, r) }
	}
	tests := []struct {
		policy string
		set    func(*Options, Limit)
		// same(i) is the i-th event on one key; other is an event on
		// another key, or nil for the global limit.
		same  func(i int) func(*Engine) Decision
		other func(*Engine) Decision
	}{
		{
			PolicyRateIP, func(o *Options, l Limit) { o.IP = l },
			func(i int) func(*Engine) Decision { return mail("192.0.2.1", fmt.Sprintf("s%d@example.org", i)) },
			mail("192.0.2.2", "s@example.org"),
		},
		{
			PolicyRateIP, func(o *Options, l Limit) { o.IP = l },
			func(i int) func(*Engine) Decision { return mail("::ffff:192.0.2.1", "") }, // mapped = same IPv4
			mail("192.0.2.2", ""),
		},
		{
			PolicyRateNet, func(o *Options, l Limit) { o.Net = l },
			func(i int) func(*Engine) Decision { return mail(fmt.Sprintf("192.0.2.%d", i+1), "s@example.org") },
			mail("192.0.3.1", "s@example.org"),
		},
		{
			PolicyRateNet, func(o *Options, l Limit) { o.Net = l },
			func(i int) func(*Engine) Decision { return mail(fmt.Sprintf("2001:db8::%x", i+1), "s@example.org") },
			mail("2001:db8:0:1::1", "s@example.org"),
		},
		{
			PolicyRateSender, func(o *Options, l Limit) { o.Sender = l },
			func(i int) func(*Engine) Decision {
				return mail(fmt.Sprintf("192.0.%d.1", i), fmt.Sprintf("<Alice+%d@Example.ORG>", i))
			},
			mail("192.0.2.1", "carol@example.org"),
		},
		{
			PolicyRateSenderDomain, func(o *Options, l Limit) { o.SenderDomain = l },
			func(i int) func(*Engine) Decision { return mail("192.0.2.1", fmt.Sprintf("user%d@Example.org", i)) },
			mail("192.0.2.1", "user@example.net"),
		},
		{
			PolicyRateAuthDomain, func(o *Options, l Limit) { o.AuthDomain = l },
			func(i int) func(*Engine) Decision {
				return func(e *Engine) Decision { return e.Authenticated(ctx, []string{"example.org", "EXAMPLE.org."}[i%2]) }
			},
			func(e *Engine) Decision { return e.Authenticated(ctx, "example.net") },
		},
		{
			PolicyRateRcpt, func(o *Options, l Limit) { o.Recipient = l },
			func(i int) func(*Engine) Decision { return rcpt([]string{"bob@example.com", "Bob+x@EXAMPLE.com"}[i%2]) },
			rcpt("carol@example.com"),
		},
		{
			PolicyRateGlobal, func(o *Options, l Limit) { o.Global = l },
			func(i int) func(*Engine) Decision { return rcpt(fmt.Sprintf("r%d@example.com", i)) },
			nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.policy, func(t *testing.T) {
			clk := newClock()
			opts := offOptions()
			tc.set(&opts, Limit{Rate: 2, Burst: 3, Period: time.Hour})
			e, _, m := localEngine(t, opts, clk)
			for i := range 3 {
				if d := tc.same(i)(e); d.Action != Allow {
					t.Fatalf("event %d: %+v, want Allow", i+1, d)
				}
			}
			d := tc.same(3)(e)
			if d.Action != Defer || d.Policy != tc.policy {
				t.Fatalf("event 4: %+v, want Defer by %s", d, tc.policy)
			}
			// Burst 3 spent at once, one event per 30 minutes after.
			if d.RetryAfter != 30*time.Minute || !strings.HasSuffix(d.Text, "try again in 30 minutes") {
				t.Errorf("retry = %v %q, want 30m and its hint", d.RetryAfter, d.Text)
			}
			if tc.other != nil {
				if d := tc.other(e); d.Action != Allow {
					t.Errorf("another key: %+v, want Allow", d)
				}
			}
			if a, r := decisions(m, tc.policy, "allow"), decisions(m, tc.policy, "defer"); r != 1 || a < 3 {
				t.Errorf("metrics allow=%d defer=%d, want ≥3 and 1", a, r)
			}
			clk.Advance(30 * time.Minute)
			if d := tc.same(4)(e); d.Action != Allow {
				t.Errorf("after 30m: %+v, want Allow", d)
			}
			if d := tc.same(5)(e); d.Action != Defer {
				t.Errorf("right after: %+v, want Defer", d)
			}
		})
	}
}

func TestMailEmptySenderOnlyIPLimits(t *testing.T) {
	ctx := context.Background()
	opts := offOptions()
	one := Limit{Rate: 1, Burst: 1, Period: time.Hour}
	opts.Sender, opts.SenderDomain = one, one
	opts.IP = Limit{Rate: 1, Burst: 3, Period: time.Hour}
	e, _, _ := localEngine(t, opts, newClock())
	for _, s := range []string{"", "<>", ""} {
		if d := e.Mail(ctx, addr("192.0.2.1"), s); d.Action != Allow {
			t.Fatalf("Mail(%q) = %+v, want Allow", s, d)
		}
	}
	if d := e.Mail(ctx, addr("192.0.2.1"), ""); d.Policy != PolicyRateIP {
		t.Errorf("4th bounce = %+v, want the IP limit", d)
	}
}

func TestOptOutRejects(t *testing.T) {
	ctx := context.Background()
	opts := offOptions()
	opts.Recipient = Limit{Rate: 5, Burst: 3, Period: 24 * time.Hour}
	e, s, m := localEngine(t, opts, newClock())
	if err := s.SetOptOut(ctx, e.RecipientHash("bob@example.com"), true); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"bob@example.com", "Bob@Example.COM", "bob+anything@example.com", "<bob@example.com.>"} {
		d := e.Rcpt(ctx, r)
		if d.Action != Reject || d.Policy != PolicyOptOut || d.Text != "this recipient does not accept Leak messages" {
			t.Errorf("Rcpt(%q) = %+v, want Reject by optout", r, d)
		}
	}
	if d := e.Rcpt(ctx, "alice@example.com"); d.Action != Allow {
		t.Errorf("another recipient: %+v", d)
	}
	if got := decisions(m, PolicyOptOut, "reject"); got != 4 {
		t.Errorf("optout rejects = %d, want 4", got)
	}
	// Opted-out recipients do not spend their rate limit.
	if got := decisions(m, PolicyRateRcpt, "allow"); got != 1 {
		t.Errorf("rate_rcpt allows = %d, want 1", got)
	}
}

func TestGmailDots(t *testing.T) {
	e, _, _ := localEngine(t, offOptions(), newClock())
	a := e.RecipientHash("john.doe@gmail.com")
	for _, r := range []string{"johndoe@gmail.com", "J.O.H.N.D.O.E+x@googlemail.com"} {
		if e.RecipientHash(r) != a {
			t.Errorf("%s hashes differently from john.doe@gmail.com", r)
		}
	}
	if e.RecipientHash("john.doe@example.com") == e.RecipientHash("johndoe@example.com") {
		t.Error("dots ignored outside Gmail")
	}
}

func TestSuppression(t *testing.T) {
	ctx := context.Background()
	opts := offOptions()
	opts.SuppressFor = 10 * 24 * time.Hour
	opts.SoftBounceLimit = 3
	clk := newClock()
	e, _, m := localEngine(t, opts, clk)

	suppressed := func(r string) bool {
		t.Helper()
		d := e.Rcpt(ctx, r)
		if d.Action == Reject && (d.Policy != PolicySuppressed || d.Text != textNoRcpt) {
			t.Fatalf("Rcpt(%q) = %+v", r, d)
		}
		return d.Action == Reject
	}

	// Hard bounces: at the second distinct message, for SuppressFor.
	for _, msg := range []string{"q1", "q1"} {
		if err := e.Bounce(ctx, "hard@example.com", msg, true); err != nil {
			t.Fatal(err)
		}
		if suppressed("hard@example.com") {
			t.Fatal("suppressed after one message's hard bounce")
		}
	}
	if err := e.Bounce(ctx, "hard@example.com", "q2", true); err != nil {
		t.Fatal(err)
	}
	if !suppressed("Hard@example.com") {
		t.Error("not suppressed after two messages' hard bounces")
	}
	clk.Advance(10*24*time.Hour - time.Second)
	if !suppressed("hard@example.com") {
		t.Error("suppression ended early")
	}
	clk.Advance(time.Second)
	if suppressed("hard@example.com") {
		t.Error("suppression outlived SuppressFor")
	}

	// Soft bounces: the third within the window suppresses.
	for i := range 2 {
		if err := e.Bounce(ctx, "soft@example.com", "", false); err != nil {
			t.Fatal(err)
		}
		if suppressed("soft@example.com") {
			t.Fatalf("suppressed after %d soft bounces", i+1)
		}
	}
	if err := e.Bounce(ctx, "soft@example.com", "", false); err != nil {
		t.Fatal(err)
	}
	if !suppressed("soft@example.com") {
		t.Error("not suppressed after 3 soft bounces")
	}

	// Soft bounces further apart than the window never add up.
	for range 5 {
		if err := e.Bounce(ctx, "rare@example.com", "", false); err != nil {
			t.Fatal(err)
		}
		clk.Advance(6 * 24 * time.Hour)
		if err := e.Bounce(ctx, "rare@example.com", "", false); err != nil {
			t.Fatal(err)
		}
		clk.Advance(5 * 24 * time.Hour)
	}
	if suppressed("rare@example.com") {
		t.Error("soft bounces outside one window suppressed")
	}
	if got := decisions(m, PolicySuppressed, "reject"); got != 3 {
		t.Errorf("suppressed rejects = %d, want 3", got)
	}
	// hard@ once; soft@ at its third soft bounce; rare@ never.
	if h, s := counter(t, m.PolicySuppressions, metrics.SuppressHard), counter(t, m.PolicySuppressions, metrics.SuppressSoft); h != 1 || s != 1 {
		t.Errorf("suppressions hard=%d soft=%d, want 1 and 1", h, s)
	}
}

func TestBounceOff(t *testing.T) {
	ctx := context.Background()
	opts := offOptions()
	opts.SuppressFor = 0
	e, _, m := localEngine(t, opts, newClock())
	if err := e.Bounce(ctx, "x@example.com", "q1", true); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, m.PolicySuppressions, metrics.SuppressHard); got != 0 {
		t.Errorf("%d suppressions counted with suppression off", got)
	}
	if d := e.Rcpt(ctx, "x@example.com"); d.Action != Allow {
		t.Errorf("suppressed with SuppressFor 0: %+v", d)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDomainLists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rd, ra := filepath.Join(dir, "rcpt-deny"), filepath.Join(dir, "rcpt-allow")
	sd, sa := filepath.Join(dir, "sender-deny"), filepath.Join(dir, "sender-allow")
	writeFile(t, rd, "# harassment targets that asked\nblocked.example   # whole domain\n\n*.wild.example\n")
	writeFile(t, ra, "")
	writeFile(t, sd, "spam.example\nBÜCHER.example\n")
	writeFile(t, sa, "")
	opts := offOptions()
	opts.RecipientDomainDeny, opts.RecipientDomainAllow = rd, ra
	opts.SenderDomainDeny, opts.SenderDomainAllow = sd, sa
	e, _, m := localEngine(t, opts, newClock())

	ip := addr("192.0.2.1")
	check := func(step string, cases map[string]Action) {
		t.Helper()
		for q, want := range cases {
			var d Decision
			switch kind, arg, _ := strings.Cut(q, " "); kind {
			case "rcpt":
				d = e.Rcpt(ctx, arg)
			case "mail":
				d = e.Mail(ctx, ip, arg)
			case "auth":
				d = e.Authenticated(ctx, arg)
			}
			if d.Action != want {
				t.Errorf("%s: %s = %+v, want %v", step, q, d, want)
			}
			if d.Action == Reject && d.Policy != PolicyRcptDomain && d.Policy != PolicySenderDomain {
				t.Errorf("%s: %s refused by %q", step, q, d.Policy)
			}
		}
	}
	check("deny", map[string]Action{
		"rcpt bob@blocked.example":      Reject,
		"rcpt bob@mx.BLOCKED.example":   Reject,
		"rcpt bob@wild.example":         Reject,
		"rcpt bob@notblocked.example":   Allow,
		"rcpt bob@example.com":          Allow,
		"mail a@spam.example":           Reject,
		"mail a@xn--bcher-kva.example":  Reject,
		"mail a@bücher.example":         Reject,
		"mail a@ok.example":             Allow,
		"mail ":                         Allow, // bounces have no domain
		"auth spam.example":             Reject,
		"auth ok.example":               Allow,
		"auth ":                         Allow,
		"rcpt bob@blocked.example.":     Reject,
		"mail <a@sub.spam.example>":     Reject,
		"mail a@spam.example.elsewhere": Allow,
	})
	if got := decisions(m, PolicyRcptDomain, "reject"); got != 4 {
		t.Errorf("rcpt_domain rejects = %d, want 4", got)
	}

	// Allow lists admit only their domains; deny still wins.
	writeFile(t, ra, "example.com\nblocked.example\n")
	writeFile(t, sa, "ok.example\n")
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	check("allow", map[string]Action{
		"rcpt bob@example.com":     Allow,
		"rcpt bob@sub.example.com": Allow,
		"rcpt bob@example.net":     Reject,
		"rcpt bob@blocked.example": Reject,
		"mail a@ok.example":        Allow,
		"mail a@other.example":     Reject,
		"auth other.example":       Reject,
	})

	// A broken file keeps the lists in use.
	writeFile(t, sa, "ok.example\nsomeone@example.org\n")
	err := e.Reload()
	if err == nil || !strings.Contains(err.Error(), sa) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Reload of a bad file: %v, want an error naming it and the line", err)
	}
	check("kept", map[string]Action{"mail a@other.example": Reject, "mail a@ok.example": Allow})
	os.Remove(rd)
	if err := e.Reload(); err == nil {
		t.Error("Reload with a missing file succeeded")
	}
}

func TestConnect(t *testing.T) {
	ctx := context.Background()
	opts := offOptions()
	opts.ConnPerIP, opts.ConnTotal = 2, 3
	e, _, m := localEngine(t, opts, newClock())

	connect := func(ip string, want Action, policy string) func() {
		t.Helper()
		d, release := e.Connect(ctx, addr(ip))
		if d.Action != want || d.Policy != policy || release == nil {
			t.Fatalf("Connect(%s) = %+v, want %v %q", ip, d, want, policy)
		}
		if want == Defer && (d.RetryAfter <= 0 || !strings.Contains(d.Text, "try again in")) {
			t.Errorf("Connect(%s) defer without a retry hint: %+v", ip, d)
		}
		return release
	}
	r1 := connect("192.0.2.1", Allow, "")
	r2 := connect("192.0.2.1", Allow, "")
	connect("192.0.2.1", Defer, PolicyConnIP)
	r3 := connect("192.0.2.2", Allow, "")
	connect("192.0.2.3", Defer, PolicyConnTotal)
	// At the total, an address at its own cap hears about its own cap.
	connect("192.0.2.1", Defer, PolicyConnIP)
	r1()
	r1() // a second release changes nothing
	r4 := connect("192.0.2.1", Allow, "")
	connect("192.0.2.4", Defer, PolicyConnTotal)
	r2()
	r3()
	r4()
	// IPv6: one /64 counts as one address.
	a := connect("2001:db8::1", Allow, "")
	b := connect("2001:db8::ffff:1", Allow, "")
	connect("2001:db8::2", Defer, PolicyConnIP)
	connect("2001:db8:0:1::2", Allow, "")
	a()
	b()
	if got := decisions(m, PolicyConnIP, "defer"); got != 3 {
		t.Errorf("conn_ip defers = %d, want 3", got)
	}
	if got := decisions(m, PolicyConnTotal, "defer"); got != 2 {
		t.Errorf("conn_total defers = %d, want 2", got)
	}
	e.connMu.Lock()
	left, keys := e.connSum, len(e.conns)
	e.connMu.Unlock()
	if left != 1 || keys != 1 {
		t.Errorf("after releases: %d connections over %d keys, want 1 and 1", left, keys)
	}
}

func TestMetricsSeriesAtZero(t *testing.T) {
	_, _, m := localEngine(t, offOptions(), newClock())
	for _, p := range append(policies[:], PolicyLocal) {
		for _, r := range []string{metrics.DecisionAllow, metrics.DecisionDefer, metrics.DecisionReject, metrics.DecisionError} {
			if got := decisions(m, p, r); got != 0 {
				t.Errorf("%s/%s = %d at start", p, r, got)
			}
		}
	}
	n := policySeries(t, m)
	if want := (len(policies) + 1) * 4; n != want {
		t.Errorf("%d policy series, want %d", n, want)
	}
	for _, st := range []string{metrics.StoreLocal, metrics.StoreRedis} {
		if calls, errs := storeCalls(t, m, st); calls != 0 || errs != 0 {
			t.Errorf("store %s: %d calls, %d errors at start", st, calls, errs)
		}
	}
	for _, c := range []int{
		counter(t, m.PolicyOptOuts, metrics.OptOut), counter(t, m.PolicyOptOuts, metrics.OptIn),
		counter(t, m.PolicySuppressions, metrics.SuppressHard), counter(t, m.PolicySuppressions, metrics.SuppressSoft),
	} {
		if c != 0 {
			t.Errorf("opt-out or suppression counted at start: %d", c)
		}
	}
}

func TestRetryHint(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "try again in 1 minute"},
		{time.Second, "try again in 1 minute"},
		{61 * time.Second, "try again in 2 minutes"},
		{2 * time.Hour, "try again in 120 minutes"},
		{2*time.Hour + time.Second, "try again in 3 hours"},
		{14*time.Hour + 24*time.Minute, "try again in 15 hours"},
		{72 * time.Hour, "try again in 3 days"},
	} {
		if got := retryHint(tc.d); got != tc.want {
			t.Errorf("retryHint(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	for name, mod := range map[string]func(*Options){
		"short secret":    func(o *Options) { o.Secret = []byte("short") },
		"negative rate":   func(o *Options) { o.IP.Rate = -1 },
		"negative burst":  func(o *Options) { o.Recipient.Burst = -1 },
		"no period":       func(o *Options) { o.Global.Period = 0 },
		"too fast":        func(o *Options) { o.Net = Limit{Rate: 1000, Period: time.Nanosecond} },
		"negative conn":   func(o *Options) { o.ConnTotal = -1 },
		"negative soft":   func(o *Options) { o.SoftBounceLimit = -1 },
		"missing list":    func(o *Options) { o.SenderDomainDeny = "/nonexistent/list" },
		"negative window": func(o *Options) { o.SuppressFor = -time.Hour },
	} {
		o := DefaultOptions()
		o.Secret = testSecret
		mod(&o)
		s, err := openLocal(t.TempDir(), 16, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(o, s); err == nil {
			t.Errorf("%s: Open succeeded", name)
		}
		s.Close()
	}
	o := DefaultOptions()
	o.Secret = testSecret
	s, err := openLocal(t.TempDir(), 16, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(o, s); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if _, err := Open(o, nil); err == nil {
		t.Error("Open without a store succeeded")
	}
}
