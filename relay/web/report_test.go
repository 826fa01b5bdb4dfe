package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"leak/policy"
)

// notices records the operator's notices.
type notices struct {
	mu     sync.Mutex
	sent   []string // rcpt, subject, text joined by "\n"
	copies [][]byte // the attached copy of each
	err    error
}

func (n *notices) notify(_ context.Context, rcpt, subject, text string, copy []byte) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	n.sent = append(n.sent, rcpt+"\n"+subject+"\n"+text)
	n.copies = append(n.copies, copy)
	return nil
}

func (n *notices) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.sent...)
}

func TestReportLinks(t *testing.T) {
	l, err := NewReportLinks([]byte("a report key of enough length"))
	if err != nil {
		t.Fatal(err)
	}
	const src = "5ea1ed5ea1ed5ea1ed5ea1"
	u := l.URL("https://leak.example/", "0123456789abcdef0123456789abcdef", src)
	tok, ok := strings.CutPrefix(u, "https://leak.example/r/")
	if !ok {
		t.Fatalf("URL %q", u)
	}
	if id, handle, ok := l.parse(tok); !ok || id != "0123456789abcdef0123456789abcdef" || handle != src {
		t.Errorf("parse: %q %q %v", id, handle, ok)
	}
	// A link made before handles carried a 64-byte source: it parses.
	old := strings.Repeat("5ea1ed5ea1ed5ea1", 4)
	if _, handle, ok := l.parse(strings.TrimPrefix(l.URL("", "feed", old), "/r/")); !ok || handle != old {
		t.Errorf("a link of before handles: %q %v", handle, ok)
	}
	// Sealed with a fresh nonce: the same copy and handle give unrelated
	// links, and neither shows the handle.
	u2 := l.URL("https://leak.example/", "0123456789abcdef0123456789abcdef", src)
	if u2 == u || strings.Contains(u, "5ea1ed") || strings.Contains(u, "0123456789abcdef") {
		t.Errorf("links not sealed: %s %s", u, u2)
	}
	if id, handle, ok := l.parse(strings.TrimPrefix(l.URL("", "feed", ""), "/r/")); !ok || id != "feed" || handle != "" {
		t.Errorf("a link without a handle: %q %q %v", id, handle, ok)
	}
	other, _ := NewReportLinks([]byte("another key of enough length!"))
	// One character changed in the middle, where all six of its bits are
	// data (the last one's low bits may be padding, which base64 ignores).
	flip := "A"
	if tok[10] == 'A' {
		flip = "B"
	}
	for _, bad := range []string{"", "AAAA", tok[:10] + flip + tok[11:], strings.Repeat("A", 500), "!!!!"} {
		if _, _, ok := l.parse(bad); ok {
			t.Errorf("token %q accepted", bad)
		}
	}
	if _, _, ok := other.parse(tok); ok {
		t.Error("a token of another key was accepted")
	}
	if _, err := NewReportLinks([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestReport(t *testing.T) {
	n := &notices{}
	links, _ := NewReportLinks([]byte("a report key of enough length"))
	var counted int
	var against []string // copy id and handle of each counted report
	var mu sync.Mutex
	kept := []byte("Subject: the clean copy\r\n\r\nKEEP-COPY\r\n")
	tw := newTestWeb(t, func(o *Options) {
		o.Reports = &ReportOptions{Links: links, Operator: "ops@operator.example", Notify: n.notify,
			OnReport: func() { mu.Lock(); counted++; mu.Unlock() },
			Count: func(_ context.Context, id, handle string) (policy.Report, error) {
				mu.Lock()
				defer mu.Unlock()
				against = append(against, id+" "+handle)
				return policy.Report{Reports: 3, Blocked: true}, nil
			},
			Copy: func(id string) ([]byte, bool, error) {
				if id == "c0ffee00c0ffee00c0ffee00c0ffee00" {
					return kept, false, nil
				}
				return nil, false, fmt.Errorf("keep: %w", ErrNotKept)
			},
		}
	})
	link := links.URL(tw.srv.URL, "c0ffee00c0ffee00c0ffee00c0ffee00", "the-handle")

	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, html.UnescapeString(string(b))
	}
	code, page := get(link)
	if code != 200 || !strings.Contains(page, "<button") || !strings.Contains(page, "The sender is not told") ||
		!strings.Contains(page, "the sender’s own claim") || !strings.Contains(page, "Example Operator") || !strings.Contains(page, `<label for="note">`) {
		t.Errorf("report page: %d\n%s", code, page)
	}
	if len(n.all()) != 0 {
		t.Fatal("opening the link sent a report")
	}
	if code, _ := get(tw.srv.URL + "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); code != 404 {
		t.Errorf("forged link: %d", code)
	}

	post := func(note string) (int, string) {
		resp, err := http.PostForm(link, url.Values{"note": {note}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, html.UnescapeString(string(b))
	}
	if code, page := post(strings.Repeat("x", maxNote+1)); code != 413 || !strings.Contains(page, "too long") {
		t.Errorf("long note: %d", code)
	}
	code, page = post("KEEP-NOTE threatening message\r\npasted here")
	if code != 200 || !strings.Contains(page, "<h1>Reported</h1>") {
		t.Fatalf("report: %d\n%s", code, page)
	}
	sent := n.all()
	if len(sent) != 1 || !strings.HasPrefix(sent[0], "ops@operator.example\nLeak: a recipient reported") ||
		!strings.Contains(sent[0], "c0ffee00c0ffee00c0ffee00c0ffee00") || !strings.Contains(sent[0], "KEEP-NOTE threatening") ||
		!strings.Contains(sent[0], "3 reported messages") || !strings.Contains(sent[0], "now blocked") ||
		!strings.Contains(sent[0], "The clean copy is attached.") {
		t.Errorf("notices: %q", sent)
	}
	if string(n.copies[0]) != string(kept) {
		t.Errorf("attached copy %q", n.copies[0])
	}
	// The same link again: thanked, not sent twice.
	if code, page := post("again"); code != 200 || !strings.Contains(page, "reported already") {
		t.Errorf("second report: %d", code)
	}
	if len(n.all()) != 1 || counted != 1 {
		t.Errorf("%d notices, %d counted after two reports of one copy, want 1 and 1", len(n.all()), counted)
	}
	// Counting is idempotent per copy (the engine's job), so the second
	// POST may count again; each names the copy and its sealed handle.
	for _, a := range against {
		if a != "c0ffee00c0ffee00c0ffee00c0ffee00 the-handle" {
			t.Errorf("counted against %q", a)
		}
	}
	if strings.Contains(tw.log.String(), "KEEP-NOTE") {
		t.Error("the log holds the recipient's note")
	}

	// A notice that cannot be sent is said plainly, and another copy's
	// report goes through once it can.
	n.err = errors.New("spool full")
	other := links.URL(tw.srv.URL, "feedfacefeedfacefeedfacefeedface", "")
	resp, _ := http.PostForm(other, url.Values{"note": {""}})
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("notice failed: %d, want 503", resp.StatusCode)
	}
	// A copy no longer kept is said so, and nothing is attached.
	n.err = nil
	third := links.URL(tw.srv.URL, "0ddba11a0ddba11a0ddba11a0ddba11a", "")
	resp, _ = http.PostForm(third, url.Values{"note": {""}})
	resp.Body.Close()
	sent = n.all()
	if resp.StatusCode != 200 || len(sent) != 2 || !strings.Contains(sent[1], "no longer kept") || n.copies[1] != nil {
		t.Errorf("report of a copy not kept: %d %q", resp.StatusCode, sent)
	}
	if strings.Contains(tw.log.String(), "unreadable") {
		t.Error("a copy not kept was logged as unreadable")
	}
}

// reportLink makes a copy's report link as the daemon does (cmd/leakd
// reportURL): a fresh handle of the source, sealed.
func reportLink(engine *policy.Engine, links *ReportLinks, base, copyID, source string) string {
	return links.URL(base, copyID, engine.ReportHandle(context.Background(), source))
}

// Report links name no sender, even to whoever holds the policy secret:
// two messages from one sender have links whose sealed contents share
// nothing, and none is a keyed hash of the address or network. Reports
// through them still count against the sender, and block it.
func TestReportLinksNameNoSender(t *testing.T) {
	secret := []byte("web test secret of 32 bytes ....")
	n := &notices{}
	var engine *policy.Engine
	var links *ReportLinks
	tw := newTestWeb(t, func(o *Options) {
		engine = o.Policy.(*policy.Engine)
		links, _ = NewReportLinks(engine.DeriveKey("report links"))
		o.Reports = &ReportOptions{Links: links, Operator: "ops@operator.example", Notify: n.notify, Count: engine.Report}
	})
	if !engine.Reports() {
		t.Fatal("the test engine counts no reports")
	}
	keyed := func(kind, value string) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(kind + ":" + value))
		return hex.EncodeToString(m.Sum(nil))
	}
	const sender = "harasser@example.org"
	ip := netip.MustParseAddr("198.51.100.20")
	senderSource, netSource := keyed("sender", sender), keyed("public_net", "198.51.100.0/24")
	if engine.SenderSource(sender) != senderSource || engine.NetworkSource(ip) != netSource {
		t.Fatal("the sources are not the keyed hashes this test expects")
	}

	ids := []string{"c0ffee00c0ffee00c0ffee00c0ffee00", "feedfacefeedfacefeedfacefeedface", "0ddba11a0ddba11a0ddba11a0ddba11a"}
	var urls []string
	seen := map[string]bool{}
	for i, source := range []string{senderSource, senderSource, senderSource, netSource, netSource} {
		id := ids[i%len(ids)]
		u := reportLink(engine, links, tw.srv.URL, id, source)
		gotID, handle, ok := links.parse(strings.TrimPrefix(u, tw.srv.URL+"/r/"))
		if !ok || gotID != id || handle == "" {
			t.Fatalf("link %d: %q %q %v", i, gotID, handle, ok)
		}
		if seen[handle] {
			t.Fatalf("two messages of one source seal the same handle %q", handle)
		}
		seen[handle] = true
		for _, d := range []string{senderSource, netSource, keyed("reported", senderSource), keyed("reported", netSource), sender} {
			if strings.Contains(handle, d) || strings.Contains(d, handle) {
				t.Fatalf("link %d seals %q, derived from the sender", i, handle)
			}
		}
		if i < len(ids) {
			urls = append(urls, u)
		}
	}

	// The default threshold is 3: the third copy reported blocks the
	// sender, and only the sender.
	for i, u := range urls {
		resp, err := http.PostForm(u, url.Values{"note": {""}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("report %d: %d", i, resp.StatusCode)
		}
	}
	sent := n.all()
	if len(sent) != 3 || !strings.Contains(sent[0], "1 reported message(s)") || !strings.Contains(sent[2], "3 reported messages") || !strings.Contains(sent[2], "now blocked") {
		t.Errorf("notices: %q", sent)
	}
	ctx := context.Background()
	if d := engine.Mail(ctx, netip.MustParseAddr("192.0.2.1"), "<Harasser@example.org>"); d.Action != policy.Reject || d.Policy != policy.PolicyReported {
		t.Errorf("the reported sender's MAIL: %+v", d)
	}
	if d := engine.Source(ctx, netSource); d.Action != policy.Allow {
		t.Errorf("a network no one reported: %+v", d)
	}
}
