package web

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// notices records the operator's notices.
type notices struct {
	mu   sync.Mutex
	sent []string // rcpt, subject, text joined by "\n"
	err  error
}

func (n *notices) notify(_ context.Context, rcpt, subject, text string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	n.sent = append(n.sent, rcpt+"\n"+subject+"\n"+text)
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
	u := l.URL("https://leak.example/", "0123456789abcdef0123456789abcdef")
	tok, ok := strings.CutPrefix(u, "https://leak.example/r/")
	if !ok {
		t.Fatalf("URL %q", u)
	}
	if id, ok := l.parse(tok); !ok || id != "0123456789abcdef0123456789abcdef" {
		t.Errorf("parse: %q %v", id, ok)
	}
	other, _ := NewReportLinks([]byte("another key of enough length!"))
	for _, bad := range []string{"", "AAAA", tok[:len(tok)-1] + "A", strings.Repeat("A", 500), "!!!!"} {
		if _, ok := l.parse(bad); ok {
			t.Errorf("token %q accepted", bad)
		}
	}
	if _, ok := other.parse(tok); ok {
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
	var mu sync.Mutex
	tw := newTestWeb(t, func(o *Options) {
		o.Reports = &ReportOptions{Links: links, Operator: "ops@operator.example", Notify: n.notify,
			OnReport: func() { mu.Lock(); counted++; mu.Unlock() }}
	})
	link := links.URL(tw.srv.URL, "c0ffee00c0ffee00c0ffee00c0ffee00")

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
		!strings.Contains(sent[0], "c0ffee00c0ffee00c0ffee00c0ffee00") || !strings.Contains(sent[0], "KEEP-NOTE threatening") {
		t.Errorf("notices: %q", sent)
	}
	// The same link again: thanked, not sent twice.
	if code, page := post("again"); code != 200 || !strings.Contains(page, "reported already") {
		t.Errorf("second report: %d", code)
	}
	if len(n.all()) != 1 || counted != 1 {
		t.Errorf("%d notices, %d counted after two reports of one copy, want 1 and 1", len(n.all()), counted)
	}
	if strings.Contains(tw.log.String(), "KEEP-NOTE") {
		t.Error("the log holds the recipient's note")
	}

	// A notice that cannot be sent is said plainly, and another copy's
	// report goes through once it can.
	n.err = errors.New("spool full")
	other := links.URL(tw.srv.URL, "feedfacefeedfacefeedfacefeedface")
	resp, _ := http.PostForm(other, url.Values{"note": {""}})
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("notice failed: %d, want 503", resp.StatusCode)
	}
}
