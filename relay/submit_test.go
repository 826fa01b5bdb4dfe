package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"

	"leak/policy"
	"leak/policy/testutil"
	"leak/relay/address"
	"leak/relay/sign"
)

// submitPolicy is a policy engine on a fresh local store with the limits
// off but the per-recipient one, which the tests check.
func submitPolicy(t *testing.T) (*policy.Engine, *policy.LocalStore) {
	t.Helper()
	store, err := policy.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	opts := policy.DefaultOptions()
	opts.Secret = []byte("submit test secret, 32 bytes ...")
	opts.IP, opts.Net, opts.Sender, opts.SenderDomain, opts.Global = policy.Limit{}, policy.Limit{}, policy.Limit{}, policy.Limit{}, policy.Limit{}
	opts.Recipient = policy.Limit{Rate: 2, Burst: 2, Period: 24 * time.Hour}
	e, err := policy.Open(opts, store)
	if err != nil {
		t.Fatal(err)
	}
	return e, store
}

// A submission is delivered as an SMTP message would be: anonymous From
// naming the relationship, the subject and text intact, an unsubscribe
// link, both DKIM signatures valid.
func TestSubmitDelivered(t *testing.T) {
	t.Parallel()
	e, _ := submitPolicy(t)
	tr := startRelay(t, func(o *Options) {
		o.Policy = e
		o.UnsubscribeBase = "https://leak.example"
	})
	long := strings.Repeat("word ", 400) // one line of 2,000 octets: must be wrapped, not refused
	sub := Submission{
		To:           " Bob@Example.com ",
		Relationship: address.Coworker,
		Subject:      "Grüße aus dem Büro — über die Sache",
		Text:         "Hello Bob,\r\nthe meeting is moved.\nKEEP-WEB-BODY ünïcode\r" + long,
	}
	if err := tr.srv.Submit(context.Background(), sub); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	msgs := tr.delivered(t, 1)
	msg := msgs[0]
	m, err := mail.ReadMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if from := m.Header.Get("From"); !strings.Contains(from, "A coworker, anonymously") || !strings.Contains(from, "@leak.example") {
		t.Errorf("From: %q", from)
	}
	if to := m.Header.Get("Delivered-To"); to != "Bob@example.com" {
		t.Errorf("Delivered-To: %q", to)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subj != sub.Subject {
		t.Errorf("Subject %q (%v), want %q", subj, err, sub.Subject)
	}
	if m.Header.Get("List-Unsubscribe") == "" {
		t.Error("no List-Unsubscribe")
	}
	body := decodedBody(t, m)
	for _, want := range []string{"Hello Bob,\r\nthe meeting is moved.\r\nKEEP-WEB-BODY ünïcode\r\n", strings.TrimSpace(long)} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %.60q:\n%s", want, body)
		}
	}
	for i, line := range strings.Split(msg, "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d octets long", i+1, len(line))
		}
	}
	keys, err := sign.Load(testKeyDir, "leak.example")
	if err != nil {
		t.Fatal(err)
	}
	checkSigned(t, keys, msg)
	if got := testCounter(t, tr, "accepted", "ok"); got != 1 {
		t.Errorf("leak_smtp_messages_total{accepted,ok} = %v, want 1", got)
	}
}

// decodedBody returns the text/plain body of m, quoted-printable decoded
// when it is so encoded.
func decodedBody(t *testing.T, m *mail.Message) string {
	t.Helper()
	var r io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkSigned(t *testing.T, keys *sign.Keys, msg string) {
	t.Helper()
	recs := map[string]string{}
	for _, r := range keys.DNSRecords() {
		recs[r.Name] = r.Value
	}
	vs, err := dkim.VerifyWithOptions(strings.NewReader(msg), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if v, ok := recs[strings.TrimSuffix(name, ".")]; ok {
				return []string{v}, nil
			}
			return nil, fmt.Errorf("no TXT record for %s", name)
		},
		MaxVerifications: 5,
	})
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

// Every refusal is the reply SMTP gives for the same fault, and leaves
// nothing in the spool or the outbox.
func TestSubmitRefusals(t *testing.T) {
	t.Parallel()
	e, store := submitPolicy(t)
	tr := startRelay(t, func(o *Options) {
		o.Policy = e
		o.UnsubscribeBase = "https://leak.example"
		o.MaxMessageBytes = 4096
	})
	ctx := context.Background()
	if err := store.SetOptOut(ctx, e.RecipientHash("carol@example.org"), true); err != nil {
		t.Fatal(err)
	}
	ok := Submission{To: "dave@example.net", Relationship: address.Friend, Subject: "s", Text: "t"}
	with := func(f func(*Submission)) Submission {
		s := ok
		f(&s)
		return s
	}
	for _, tc := range []struct {
		name string
		sub  Submission
		code int
		enh  smtp.EnhancedCode
		text string
	}{
		{"opted out", with(func(s *Submission) { s.To = "Carol@example.org" }), 550, smtp.EnhancedCode{5, 7, 1}, "does not accept Leak messages"},
		{"opted out, sub-address", with(func(s *Submission) { s.To = "carol+x@example.org" }), 550, smtp.EnhancedCode{5, 7, 1}, "does not accept Leak messages"},
		{"not an address", with(func(s *Submission) { s.To = "nobody" }), 550, smtp.EnhancedCode{5, 1, 1}, ""},
		{"empty address", with(func(s *Submission) { s.To = "" }), 550, smtp.EnhancedCode{5, 1, 1}, ""},
		{"IP literal", with(func(s *Submission) { s.To = "bob@[127.0.0.1]" }), 550, smtp.EnhancedCode{5, 1, 1}, ""},
		{"loop into Leak", with(func(s *Submission) { s.To = "friend+bob=example.com@leak.example" }), 550, smtp.EnhancedCode{5, 1, 1}, ""},
		{"operator mailbox", with(func(s *Submission) { s.To = "postmaster@leak.example" }), 550, smtp.EnhancedCode{5, 1, 1}, ""},
		{"header injection", with(func(s *Submission) { s.To = "bob@example.com\r\nBcc: eve@example.com" }), 550, smtp.EnhancedCode{5, 1, 1}, ""},
		{"unknown relationship", with(func(s *Submission) { s.Relationship = 42 }), 550, smtp.EnhancedCode{5, 1, 1}, "relationship"},
		{"two-line subject", with(func(s *Submission) { s.Subject = "a\r\nBcc: eve@example.com" }), 554, smtp.EnhancedCode{5, 6, 0}, "one line"},
		{"long subject", with(func(s *Submission) { s.Subject = strings.Repeat("x", MaxSubjectBytes+1) }), 552, smtp.EnhancedCode{5, 3, 4}, ""},
		{"NUL", with(func(s *Submission) { s.Text = "a\x00b" }), 554, smtp.EnhancedCode{5, 6, 0}, "NUL"},
		{"not UTF-8", with(func(s *Submission) { s.Text = "caf\xe9" }), 554, smtp.EnhancedCode{5, 6, 0}, "UTF-8"},
		{"too large", with(func(s *Submission) { s.Text = strings.Repeat("é", 2000) }), 552, smtp.EnhancedCode{5, 3, 4}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tr.srv.Submit(ctx, tc.sub)
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				t.Fatalf("Submit = %v, want an *smtp.SMTPError", err)
			}
			if se.Code != tc.code || se.EnhancedCode != tc.enh || !strings.Contains(se.Message, tc.text) {
				t.Errorf("Submit = %d %v %q, want %d %v containing %q", se.Code, se.EnhancedCode, se.Message, tc.code, tc.enh, tc.text)
			}
		})
	}
	// The per-recipient limit (2 a day) counts web messages as RCPT does.
	for i := range 2 {
		if err := tr.srv.Submit(ctx, ok); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	err := tr.srv.Submit(ctx, with(func(s *Submission) { s.To = "Dave+tag@example.net" }))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 450 || !strings.Contains(se.Message, "try again in") {
		t.Errorf("third message to one recipient: %v, want 450 4.7.1 with a retry hint", err)
	}
	tr.delivered(t, 2)
	// The queue removes a copy from the spool just after it delivered it.
	testutil.WaitFor(t, "the spool to empty after delivery", func() bool {
		metas, err := tr.spool.List()
		return err == nil && len(metas) == 0
	})
}

// Submit during a shutdown is refused as MAIL is, with 421.
func TestSubmitShuttingDown(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	tr.srv.conns.drain()
	err := tr.srv.Submit(context.Background(), Submission{To: "bob@example.com", Text: "x"})
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 421 {
		t.Errorf("Submit while draining = %v, want 421", err)
	}
}

// White space around a subject is not part of it: a reader drops it, so
// the message is written without it, and a subject of spaces is none.
func TestSubmissionSubjectTrimmed(t *testing.T) {
	for subject, want := range map[string]string{" ": "", "  Hello  ": "Hello", "\tGrüße ": "Grüße", "a  b": "a  b"} {
		msg, rep, _ := submissionMessage(Submission{Subject: subject, Text: "x"}, 1<<20)
		if rep != nil {
			t.Fatalf("subject %q refused: %v", subject, rep)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(msg)))
		if err != nil {
			t.Fatal(err)
		}
		raw, ok := m.Header["Subject"]
		if want == "" {
			if ok {
				t.Errorf("subject %q written as %q; want no Subject field", subject, raw)
			}
			continue
		}
		got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil || got != want {
			t.Errorf("subject %q came back as %q (%v); want %q", subject, got, err, want)
		}
		if !strings.Contains(string(msg), "Subject: "+raw[0]+"\r\n") {
			t.Errorf("subject %q written as %q", subject, raw[0])
		}
	}
}

func FuzzSubmissionMessage(f *testing.F) {
	f.Add("subject", "text\r\nmore")
	f.Add("Grüße =?utf-8?q?x?=", "\r\r\n\n.\r\n")
	f.Add("", strings.Repeat("é", 600))
	f.Fuzz(func(t *testing.T, subject, text string) {
		msg, rep, _ := submissionMessage(Submission{Subject: subject, Text: text}, 1<<20)
		if rep != nil {
			return
		}
		for i, line := range strings.Split(string(msg), "\r\n") {
			if len(line) > 998 || strings.ContainsAny(line, "\r\n\x00") {
				t.Fatalf("line %d of the message is not a valid line: %q", i+1, line)
			}
		}
		m, err := mail.ReadMessage(strings.NewReader(string(msg)))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Header) > 4 {
			t.Fatalf("the subject made header fields of its own: %v", m.Header)
		}
		got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if want := strings.TrimSpace(subject); err == nil && got != want && !strings.Contains(subject, "=?") {
			t.Fatalf("subject %q came back as %q", subject, got)
		}
	})
}

// testCounter reads leak_smtp_messages_total{result,reason}.
func testCounter(t *testing.T, tr *testRelay, result, reason string) float64 {
	t.Helper()
	var m dto.Metric
	if err := tr.m.Messages.WithLabelValues(result, reason).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
