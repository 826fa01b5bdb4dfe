package relay

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"leak/metrics"
	"leak/relay/sign"
	"leak/relay/spool"
)

// held is an Enqueuer that only records: what it is given stays in the
// spool, where the test looks for it.
type held struct {
	mu    sync.Mutex
	metas []spool.Meta
}

func (h *held) Add(m spool.Meta) {
	h.mu.Lock()
	h.metas = append(h.metas, m)
	h.mu.Unlock()
}

func (h *held) all() []spool.Meta {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]spool.Meta(nil), h.metas...)
}

// noticeServer is a Server with a spool under dir and no queue running.
func noticeServer(t *testing.T, dir string, tweak func(*Options)) (*Server, *spool.Spool, *held, *sign.Keys) {
	t.Helper()
	keys, err := sign.Load(testKeyDir, "leak.example")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := &held{}
	opts := Options{
		Domain:   "leak.example",
		Hostname: "mx.leak.example",
		Keys:     keys,
		Spool:    sp,
		Queue:    q,
		Metrics:  metrics.New("test"),
		Logger:   slog.New(slog.DiscardHandler),
	}
	if tweak != nil {
		tweak(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, sp, q, keys
}

// dkimResults verifies msg against the public keys of keys.
func dkimResults(keys *sign.Keys, msg string) ([]*dkim.Verification, error) {
	recs := map[string]string{}
	for _, r := range keys.DNSRecords() {
		recs[r.Name] = r.Value
	}
	return dkim.VerifyWithOptions(strings.NewReader(msg), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if v, ok := recs[strings.TrimSuffix(name, ".")]; ok {
				return []string{v}, nil
			}
			return nil, fmt.Errorf("no TXT record for %s", name)
		},
		MaxVerifications: 5,
	})
}

// verifyDKIM checks that msg carries a passing signature of the Leak domain
// for each algorithm of keys.
func verifyDKIM(t *testing.T, keys *sign.Keys, msg string) {
	t.Helper()
	vs, err := dkimResults(keys, msg)
	if err != nil {
		t.Fatalf("DKIM verify: %v", err)
	}
	if len(vs) != len(keys.Keys) {
		t.Fatalf("%d DKIM signatures, want %d", len(vs), len(keys.Keys))
	}
	for _, v := range vs {
		if v.Err != nil || v.Domain != "leak.example" {
			t.Errorf("DKIM signature of %s: %v", v.Domain, v.Err)
		}
	}
}

func TestNoticeDurableAndSigned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, sp, q, keys := noticeServer(t, dir, nil)
	text := "Someone asked.\n\nhttps://leak.example/u/resubscribe/TOKEN\n"
	if err := srv.Notice(context.Background(), "Bob+x@example.com", "Confirm: allow Leak again", text); err != nil {
		t.Fatal(err)
	}
	queued := q.all()
	if len(queued) != 1 {
		t.Fatalf("%d entries queued, want 1", len(queued))
	}

	// Reopened, as after a crash the moment Notice returned: the entry is
	// there, with its envelope and signatures.
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	metas, err := sp.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(metas) != 1 || metas[0].ID != queued[0].ID {
		t.Fatalf("spool after reopening: %+v, queued %+v", metas, queued)
	}
	m := metas[0]
	if m.Rcpt != "Bob+x@example.com" || m.From != "bounce+"+m.ID+"@leak.example" || m.UTF8 || !m.NotBefore.IsZero() {
		t.Errorf("envelope: %+v", m)
	}
	body, err := sp.Open(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Reading an entry yields its Prefix (the signatures), then the
	// message.
	msg := string(b)
	if !strings.HasPrefix(msg, m.Prefix) || !strings.HasPrefix(m.Prefix, "DKIM-Signature: ") {
		t.Fatalf("the entry does not start with its signatures: prefix %q", m.Prefix)
	}
	verifyDKIM(t, keys, msg)
	// The signatures cover what the reader sees: a changed link fails.
	vs, err := dkimResults(keys, strings.Replace(msg, "/TOKEN", "/FORGED", 1))
	if err != nil || len(vs) != len(keys.Keys) {
		t.Fatalf("verify a tampered copy: %d results, %v", len(vs), err)
	}
	for _, v := range vs {
		if v.Err == nil {
			t.Error("a tampered notice verifies")
		}
	}

	pm, err := mail.ReadMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"From":                      "Leak <noreply@leak.example>",
		"To":                        "Bob+x@example.com",
		"Subject":                   "Confirm: allow Leak again",
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "7bit",
		"Auto-Submitted":            "auto-generated",
	} {
		if got := pm.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if id := pm.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@leak.example>") {
		t.Errorf("Message-ID %q", id)
	}
	if _, err := pm.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	got, _ := io.ReadAll(pm.Body)
	if want := strings.ReplaceAll(text, "\n", "\r\n"); string(got) != want {
		t.Errorf("body %q, want %q", got, want)
	}
	if strings.Contains(msg, "\n") && strings.Count(msg, "\n") != strings.Count(msg, "\r\n") {
		t.Error("a bare LF in the message")
	}
}

// TestNoticeDelivered: a notice with non-ASCII subject and text goes
// through the real queue and dir courier, signed and encoded.
func TestNoticeDelivered(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	keys, err := sign.Load(testKeyDir, "leak.example")
	if err != nil {
		t.Fatal(err)
	}
	subject := "Bestätigung für Leak, ein recht langer Betreff mit Umlauten: äöü ÄÖÜ ß, damit er umbricht"
	text := "Grüße!\r\nEine Zeile.\rNoch eine " + strings.Repeat("lang ", 60) + "\nEnde"
	if err := tr.srv.Notice(context.Background(), "carol@example.org", subject, text); err != nil {
		t.Fatal(err)
	}
	msg := tr.delivered(t, 1)[0]
	verifyDKIM(t, keys, msg)
	for _, want := range []string{"Return-Path: <bounce+", "@leak.example>\r\n", "Delivered-To: carol@example.org\r\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("delivered notice lacks %q", want)
		}
	}
	pm, err := mail.ReadMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(msg, "\r\n") {
		if len(line) > 998 {
			t.Errorf("line of %d octets", len(line))
		}
	}
	var dec mime.WordDecoder
	if got, err := dec.DecodeHeader(pm.Header.Get("Subject")); err != nil || got != subject {
		t.Errorf("subject %q (%v), want %q", got, err, subject)
	}
	if cte := pm.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	got, err := io.ReadAll(quotedprintable.NewReader(pm.Body))
	if err != nil {
		t.Fatal(err)
	}
	want := "Grüße!\r\nEine Zeile.\r\nNoch eine " + strings.Repeat("lang ", 60) + "\r\nEnde\r\n"
	if string(got) != want {
		t.Errorf("body %q\nwant %q", got, want)
	}
}

func TestNoticeRefuses(t *testing.T) {
	t.Parallel()
	srv, sp, q, _ := noticeServer(t, t.TempDir(), func(o *Options) { o.Operator = "ops@leak.example" })
	defer sp.Close()
	ctx := context.Background()
	for name, c := range map[string]struct{ rcpt, subject, text string }{
		"empty rcpt":        {"", "s", "t"},
		"display name":      {"Bob <bob@example.com>", "s", "t"},
		"angle brackets":    {"<bob@example.com>", "s", "t"},
		"two addresses":     {"bob@example.com, eve@example.com", "s", "t"},
		"header injection":  {"bob@example.com\r\nBcc: eve@example.com", "s", "t"},
		"quoted local part": {`"bob smith"@example.com`, "s", "t"},
		"non-ASCII":         {"bøb@example.com", "s", "t"},
		"Leak domain":       {"to+eve=example.com@leak.example", "s", "t"},
		"Leak subdomain":    {"eve@sub.LEAK.example", "s", "t"},
		"subject CRLF":      {"bob@example.com", "s\r\nBcc: eve@example.com", "t"},
		"subject LF":        {"bob@example.com", "s\nx", "t"},
		"subject too long":  {"bob@example.com", strings.Repeat("s", 201), "t"},
		"subject not UTF-8": {"bob@example.com", "s\xff", "t"},
		"text NUL":          {"bob@example.com", "s", "t\x00"},
		"text not UTF-8":    {"bob@example.com", "s", "t\xff"},
	} {
		err := srv.Notice(ctx, c.rcpt, c.subject, c.text)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if c.rcpt != "" && strings.Contains(err.Error(), c.rcpt) || strings.Contains(err.Error(), "bob") {
			t.Errorf("%s: the error names the recipient: %v", name, err)
		}
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if err := srv.Notice(ended, "bob@example.com", "s", "t"); err == nil {
		t.Error("a cancelled context: no error")
	}
	metas, err := sp.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(metas) != 0 || len(q.all()) != 0 {
		t.Fatalf("refused notices left %d entries, queued %d", len(metas), len(q.all()))
	}

	// The operator may be in the Leak domain.
	if err := srv.Notice(ctx, "ops@leak.example", "Abuse report", "text"); err != nil {
		t.Fatalf("notice to the operator: %v", err)
	}
	if got := q.all(); len(got) != 1 || got[0].Rcpt != "ops@leak.example" {
		t.Fatalf("queued %+v", got)
	}
}

// BenchmarkNotice is what one notice costs: two signatures and a spool
// commit.
func BenchmarkNotice(b *testing.B) {
	keys, err := sign.Load(testKeyDir, "leak.example")
	if err != nil {
		b.Fatal(err)
	}
	sp, err := spool.Open(filepath.Join(b.TempDir(), "spool"), spool.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	srv, err := New(Options{Domain: "leak.example", Hostname: "mx.leak.example", Keys: keys, Spool: sp,
		Queue: &held{}, Metrics: metrics.New("test"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	text := bytes.Repeat([]byte("A confirmation line of ordinary length.\n"), 10)
	for b.Loop() {
		if err := srv.Notice(context.Background(), "bob@example.com", "Confirm", string(text)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNoticeCopy attaches a reported copy: as message/rfc822 when it is
// ASCII, as a base64 file when it is not; both parse as MIME, give the
// copy back byte for byte, and are signed.
func TestNoticeCopy(t *testing.T) {
	t.Parallel()
	ascii := "DKIM-Signature: v=1; a=rsa-sha256\r\nSubject: the clean copy\r\n\r\nKEEP-COPY line\r\n"
	binary := "Subject: =?utf-8?q?caf=C3=A9?=\r\n\r\ncaf\xc3\xa9 KEEP-COPY\r\n"
	for _, c := range []struct{ name, copy, ctype string }{
		{"ascii", ascii, "message/rfc822"},
		{"8bit", binary, "application/octet-stream"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			srv, sp, q, keys := noticeServer(t, dir, nil)
			if err := srv.NoticeCopy(context.Background(), "ops@operator.example", "Leak: a recipient reported a message as abusive",
				"A recipient reported a message.\n", []byte(c.copy)); err != nil {
				t.Fatal(err)
			}
			body, err := sp.Open(q.all()[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(body)
			body.Close()
			verifyDKIM(t, keys, string(b))
			msg, err := mail.ReadMessage(strings.NewReader(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			if err != nil || mt != "multipart/mixed" {
				t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
			}
			mr := multipart.NewReader(msg.Body, params["boundary"])
			text, err := mr.NextPart()
			if err != nil || !strings.HasPrefix(text.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("first part: %v %v", text, err)
			}
			if tb, _ := io.ReadAll(text); !strings.Contains(string(tb), "A recipient reported") {
				t.Errorf("text part %q", tb)
			}
			att, err := mr.NextPart()
			if err != nil {
				t.Fatal(err)
			}
			if got := att.Header.Get("Content-Type"); !strings.HasPrefix(got, c.ctype) || att.FileName() != "reported-message.eml" {
				t.Errorf("attachment %q %q", got, att.FileName())
			}
			var data []byte
			if att.Header.Get("Content-Transfer-Encoding") == "base64" {
				data, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, att))
			} else {
				data, err = io.ReadAll(att)
			}
			if err != nil {
				t.Fatal(err)
			}
			// A MIME part's last line break belongs to the boundary.
			if got := string(data); got != c.copy && got+"\r\n" != c.copy {
				t.Errorf("attached copy %q, want %q", got, c.copy)
			}
			if _, err := mr.NextPart(); err != io.EOF {
				t.Errorf("more parts: %v", err)
			}
		})
	}
}
