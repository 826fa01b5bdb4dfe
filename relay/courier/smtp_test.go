package courier

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const testHostname = "relay.leak.test"

var quiet = slog.New(slog.DiscardHandler)

// newSmarthost returns a courier for ts in smarthost mode.
func newSmarthost(t testing.TB, ts *testServer, tlsMode string, edit func(*SMTPOptions)) (*SMTP, *tlsRecorder) {
	t.Helper()
	rec := &tlsRecorder{}
	o := SMTPOptions{
		Mode:         ModeSmarthost,
		Hostname:     testHostname,
		Smarthost:    ts.addr,
		SmarthostTLS: tlsMode,
		TLSInsecure:  true,
		OnTLS:        rec.record,
		Logger:       quiet,
	}
	if edit != nil {
		edit(&o)
	}
	s, err := NewSMTP(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rec
}

func TestSmarthostTLSModes(t *testing.T) {
	tests := []struct {
		name      string
		server    string // server's TLS
		mode      string // courier's SmarthostTLS
		verify    bool   // verify against the test root
		wantTLS   string
		wantError bool
	}{
		{"none", TLSNone, TLSNone, false, TLSNone, false},
		{"none to a TLS server stays plain", TLSStartTLS, TLSNone, false, TLSNone, false},
		{"starttls", TLSStartTLS, TLSStartTLS, false, TLSStartTLS, false},
		{"starttls verified", TLSStartTLS, TLSStartTLS, true, TLSStartTLS, false},
		{"implicit", TLSImplicit, TLSImplicit, false, TLSImplicit, false},
		{"implicit verified", TLSImplicit, TLSImplicit, true, TLSImplicit, false},
		{"starttls not offered", TLSNone, TLSStartTLS, false, "", true},
		{"starttls handshake fails", "broken", TLSStartTLS, false, "", true},
		{"implicit to a plaintext server", TLSNone, TLSImplicit, false, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{tls: tc.server})
			s, rec := newSmarthost(t, ts, tc.mode, func(o *SMTPOptions) {
				o.TLSInsecure = !tc.verify
				o.CommandTimeout = 2 * time.Second
			})
			if tc.verify {
				_, s.roots = testCert()
			}
			err := s.Deliver(context.Background(), testMsg("bob@example.test"))
			if tc.wantError {
				if err == nil || IsPermanent(err) {
					t.Fatalf("Deliver = %v, want a temporary error", err)
				}
				if ts.total() != 0 {
					t.Error("the server accepted a message")
				}
				return
			}
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			got := ts.got("bob@example.test")
			if len(got) != 1 {
				t.Fatalf("server got %d messages, want 1", len(got))
			}
			if got[0].body != testBody || got[0].from != "bounce+x@leak.test" {
				t.Errorf("server got from %q body %q", got[0].from, got[0].body)
			}
			if got[0].tls != (tc.wantTLS != TLSNone) {
				t.Errorf("server saw TLS %v, want mode %s", got[0].tls, tc.wantTLS)
			}
			if rec.last() != tc.wantTLS {
				t.Errorf("OnTLS = %q, want %q", rec.last(), tc.wantTLS)
			}
			// Every EHLO, before and after STARTTLS, carries our name.
			for _, h := range ts.ehloNames() {
				if h != testHostname {
					t.Errorf("EHLO %q, want %q", h, testHostname)
				}
			}
			if n := len(ts.ehloNames()); tc.wantTLS == TLSStartTLS && n != 2 {
				t.Errorf("%d EHLOs, want 2 (before and after STARTTLS)", n)
			}
			if got[0].opts.Size != int64(len(testBody)) || got[0].opts.Body != smtp.Body8BitMIME {
				t.Errorf("MAIL had SIZE=%d BODY=%s, want SIZE=%d BODY=8BITMIME", got[0].opts.Size, got[0].opts.Body, len(testBody))
			}
		})
	}
}

func TestSmarthostVerificationFails(t *testing.T) {
	// A self-signed certificate, checked against the system roots.
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		ts := startServer(t, serverOpts{tls: mode})
		s, _ := newSmarthost(t, ts, mode, func(o *SMTPOptions) { o.TLSInsecure = false })
		err := s.Deliver(context.Background(), testMsg("bob@example.test"))
		if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s: Deliver = %v, want a temporary certificate error", mode, err)
		}
		if ts.total() != 0 {
			t.Errorf("%s: the server accepted a message", mode)
		}
	}
}

func TestSmarthostAuth(t *testing.T) {
	tests := []struct {
		name      string
		offered   []string
		tls       string
		pass      string
		wantError bool
	}{
		{"plain over starttls", []string{sasl.Plain, sasl.Login}, TLSStartTLS, testPass, false},
		{"plain over implicit", []string{sasl.Plain}, TLSImplicit, testPass, false},
		{"login only", []string{sasl.Login}, TLSStartTLS, testPass, false},
		{"wrong password", []string{sasl.Plain}, TLSStartTLS, "nope", true},
		{"no mechanism", nil, TLSStartTLS, testPass, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{tls: tc.tls, auth: tc.offered})
			s, _ := newSmarthost(t, ts, tc.tls, func(o *SMTPOptions) {
				o.Username, o.Password = testUser, tc.pass
			})
			err := s.Deliver(context.Background(), testMsg("bob@example.test"))
			if tc.wantError {
				// Credentials are the operator's to fix: never a bounce.
				if err == nil || IsPermanent(err) {
					t.Fatalf("Deliver = %v, want a temporary error", err)
				}
				if strings.Contains(err.Error(), tc.pass) {
					t.Errorf("error %q quotes the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if got := ts.got("bob@example.test"); len(got) != 1 || got[0].user != testUser {
				t.Errorf("server got %+v, want one message from user %q", got, testUser)
			}
		})
	}
}

func TestNewSMTPRefuses(t *testing.T) {
	ok := SMTPOptions{Mode: ModeSmarthost, Hostname: testHostname, Smarthost: "127.0.0.1:25"}
	tests := []struct {
		name string
		edit func(o *SMTPOptions)
	}{
		{"auth without TLS", func(o *SMTPOptions) { o.SmarthostTLS = TLSNone; o.Username = "u" }},
		{"auth in mx mode", func(o *SMTPOptions) { o.Mode = ModeMX; o.Username = "u" }},
		{"unknown mode", func(o *SMTPOptions) { o.Mode = "carrier-pigeon" }},
		{"unknown TLS mode", func(o *SMTPOptions) { o.SmarthostTLS = "ssl" }},
		{"no hostname", func(o *SMTPOptions) { o.Hostname = "" }},
		{"hostname with CRLF", func(o *SMTPOptions) { o.Hostname = "a\r\nRCPT TO:<x@y>" }},
		{"smarthost without port", func(o *SMTPOptions) { o.Smarthost = "relay.example" }},
		{"resolver without port", func(o *SMTPOptions) { o.Mode = ModeMX; o.Resolver = "127.0.0.1" }},
	}
	for _, tc := range tests {
		o := ok
		tc.edit(&o)
		if s, err := NewSMTP(o); err == nil {
			s.Close()
			t.Errorf("%s: NewSMTP accepted %+v", tc.name, o)
		}
	}
	s, err := NewSMTP(ok)
	if err != nil {
		t.Fatalf("NewSMTP(%+v): %v", ok, err)
	}
	s.Close()
	if s.opts.SmarthostTLS != TLSStartTLS || s.opts.MaxPerDest != 20 || s.opts.MaxMsgsPerConn != 100 || s.opts.MXPort != 25 {
		t.Errorf("defaults not applied: %+v", s.opts)
	}
}

func TestReplyClassification(t *testing.T) {
	ts := startServer(t, serverOpts{})
	ts.reply("unknown@example.test", 550, smtp.EnhancedCode{5, 1, 1}, "<unknown@example.test>: no such user")
	ts.reply("full@example.test", 452, smtp.EnhancedCode{4, 2, 2}, "mailbox full")
	ts.reply("grey@example.test", 451, smtp.EnhancedCode{4, 7, 1}, "greylisted,  come\tback later")
	ts.reply("DATA spam@example.test", 554, smtp.EnhancedCode{5, 7, 1}, "looks like spam")
	ts.reply("DATA later@example.test", 451, smtp.EnhancedCode{4, 3, 0}, "scanner down")
	ts.reply("bye@example.test", 421, smtp.EnhancedCode{4, 4, 2}, "closing")
	s, _ := newSmarthost(t, ts, TLSNone, nil)

	tests := []struct {
		rcpt      string
		permanent bool
		code      int
		text      string
	}{
		{"unknown@example.test", true, 550, "5.1.1 <unknown@example.test>: no such user"},
		{"full@example.test", false, 452, "4.2.2 mailbox full"},
		{"bye@example.test", false, 421, "4.4.2 closing"},
		{"grey@example.test", false, 451, "4.7.1 greylisted, come back later"},
		{"spam@example.test", true, 554, "5.7.1 looks like spam"},
		{"later@example.test", false, 451, "4.3.0 scanner down"},
	}
	for _, tc := range tests {
		err := s.Deliver(context.Background(), testMsg(tc.rcpt))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: Deliver = %v, want an *Error", tc.rcpt, err)
			continue
		}
		if e.Permanent != tc.permanent || e.Code != tc.code || e.Text != tc.text {
			t.Errorf("%s: got permanent=%v code=%d text=%q, want %v %d %q", tc.rcpt, e.Permanent, e.Code, e.Text, tc.permanent, tc.code, tc.text)
		}
		if strings.Contains(err.Error(), "hello\r\n") {
			t.Errorf("%s: the error quotes the body", tc.rcpt)
		}
	}
	if ts.total() != 0 {
		t.Errorf("server accepted %d messages", ts.total())
	}
	// Only 421 ends the session. On a reused session it is taken for a
	// stale one and tried once more on a fresh session, which ends too:
	// three sessions in all.
	if n := ts.ln.accepted.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
}

func TestPerMessageOutcomesOneSession(t *testing.T) {
	ts := startServer(t, serverOpts{tls: TLSStartTLS})
	ts.reply("bad@example.test", 550, smtp.EnhancedCode{5, 1, 1}, "no such user")
	s, rec := newSmarthost(t, ts, TLSStartTLS, nil)
	for _, tc := range []struct {
		rcpt string
		ok   bool
	}{
		{"bad@example.test", false},
		{"good@example.test", true},
		{"bad@example.test", false},
		{"good2@example.test", true},
	} {
		err := s.Deliver(context.Background(), testMsg(tc.rcpt))
		if tc.ok && err != nil {
			t.Errorf("%s: Deliver: %v", tc.rcpt, err)
		}
		if !tc.ok && !IsPermanent(err) {
			t.Errorf("%s: Deliver = %v, want permanent", tc.rcpt, err)
		}
	}
	if len(ts.got("good@example.test")) != 1 || len(ts.got("good2@example.test")) != 1 || ts.total() != 2 {
		t.Errorf("server got %d messages, want one for each good recipient", ts.total())
	}
	if n := ts.ln.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	if !slices.Equal(rec.modes, []string{TLSStartTLS, TLSStartTLS}) {
		t.Errorf("OnTLS calls %v, want one per delivered message", rec.modes)
	}
}

func TestSMTPUTF8AndSize(t *testing.T) {
	tests := []struct {
		name      string
		srv       serverOpts
		m         func() *Message
		permanent bool
	}{
		{"utf8 not offered", serverOpts{}, func() *Message { m := testMsg("bob@example.test"); m.UTF8 = true; return m }, true},
		{"utf8 address not offered", serverOpts{}, func() *Message { return testMsg("bøb@example.test") }, true},
		{"utf8 offered", serverOpts{smtputf8: true}, func() *Message { m := testMsg("bob@example.test"); m.UTF8 = true; return m }, false},
		{"too big", serverOpts{maxSize: 40}, func() *Message { return testMsg("bob@example.test") }, true},
		{"fits", serverOpts{maxSize: int64(len(testBody)) + 16}, func() *Message { return testMsg("bob@example.test") }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.srv)
			s, _ := newSmarthost(t, ts, TLSNone, nil)
			m := tc.m()
			err := s.Deliver(context.Background(), m)
			if tc.permanent {
				if !IsPermanent(err) {
					t.Fatalf("Deliver = %v, want permanent", err)
				}
				ts.mu.Lock()
				mails := ts.mails
				ts.mu.Unlock()
				if mails != 0 {
					t.Errorf("MAIL sent %d times; the courier should refuse before", mails)
				}
				return
			}
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			got := ts.got(m.To)
			if len(got) != 1 || got[0].opts.UTF8 != m.UTF8 {
				t.Errorf("server got %+v, want one message with SMTPUTF8=%v", got, m.UTF8)
			}
		})
	}
}

// failingBody fails after n bytes.
type failingBody struct{ n int }

func (f *failingBody) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk on fire")
	}
	k := min(f.n, len(p))
	for i := range k {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

func TestBodyFailureDeliversNothing(t *testing.T) {
	tests := []struct {
		name string
		m    *Message
	}{
		{"read error", &Message{ID: testID, To: "bob@example.test", Size: 100000, Body: &failingBody{n: 50000}}},
		{"shorter than Size", &Message{ID: testID, To: "bob@example.test", Size: 100, Body: strings.NewReader("short\r\n")}},
		{"longer than Size", &Message{ID: testID, To: "bob@example.test", Size: 3, Body: strings.NewReader("longer\r\n")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{})
			s, _ := newSmarthost(t, ts, TLSNone, nil)
			err := s.Deliver(context.Background(), tc.m)
			if err == nil || IsPermanent(err) {
				t.Fatalf("Deliver = %v, want temporary", err)
			}
			// The session is dropped without the final dot.
			ts.waitOpen(t, 0)
			if ts.total() != 0 {
				t.Error("the server accepted a truncated message")
			}
			if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
				t.Fatalf("next Deliver: %v", err)
			}
		})
	}
}

func TestEnvelopeRefused(t *testing.T) {
	ts := startServer(t, serverOpts{})
	s, _ := newSmarthost(t, ts, TLSNone, nil)
	for _, m := range []*Message{
		{To: ""},
		{To: "no-at-sign"},
		{To: "bob@example.test>\r\nRCPT TO:<eve@example.test"},
		{To: "bob@example.test", From: "a>b@leak.test"},
		{To: "bob@example.test", From: "a\x00b@leak.test"},
	} {
		m.Body = strings.NewReader("x\r\n")
		if err := s.Deliver(context.Background(), m); !IsPermanent(err) {
			t.Errorf("Deliver(from %q, to %q) = %v, want permanent", m.From, m.To, err)
		}
	}
	if n := ts.ln.accepted.Load(); n != 0 {
		t.Errorf("%d connections for unusable envelopes", n)
	}
}

func TestNullSender(t *testing.T) {
	ts := startServer(t, serverOpts{})
	s, _ := newSmarthost(t, ts, TLSNone, nil)
	m := testMsg("bob@example.test")
	m.From = ""
	if err := s.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := ts.got("bob@example.test"); len(got) != 1 || got[0].from != "" {
		t.Errorf("server got %+v, want MAIL FROM:<>", got)
	}
}

func TestContextInterrupts(t *testing.T) {
	block := make(chan struct{})
	ts := startServer(t, serverOpts{dataBlock: block})
	t.Cleanup(func() { close(block) })
	s, _ := newSmarthost(t, ts, TLSNone, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := s.Deliver(ctx, testMsg("bob@example.test"))
	if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Deliver = %v, want a temporary error wrapping the deadline", err)
	}
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := s.Deliver(cancelled, testMsg("bob@example.test")); err == nil || IsPermanent(err) {
		t.Fatalf("Deliver with a cancelled context = %v, want temporary", err)
	}
}

func TestErrorsHideAddresses(t *testing.T) {
	// Nothing listens on this port: the dial error names no address.
	ts := startServer(t, serverOpts{})
	ts.stop()
	s, _ := newSmarthost(t, ts, TLSNone, nil)
	err := s.Deliver(context.Background(), testMsg("bob@example.test"))
	if err == nil || IsPermanent(err) {
		t.Fatalf("Deliver = %v, want temporary", err)
	}
	if strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("error %q names the address", err)
	}
}

func TestReplyText(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		e    smtp.SMTPError
		want string
	}{
		{smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, "5.1.1 no such user"},
		{smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "no such user"}, "no such user"},
		{smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "no such user"}, "no such user"},
		{smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "line one\nline\x1b[31m two"}, "4.7.1 line one line [31m two"},
		{smtp.SMTPError{Code: 554, EnhancedCode: smtp.NoEnhancedCode, Message: "bad \xff byte"}, "bad byte"},
		{smtp.SMTPError{Code: 554, EnhancedCode: smtp.NoEnhancedCode, Message: long}, long[:512] + "…"},
		{smtp.SMTPError{Code: 554, EnhancedCode: smtp.NoEnhancedCode, Message: "x" + long}, "x" + long[:510] + "…"},
	}
	for _, tc := range tests {
		if got := replyText(&tc.e); got != tc.want {
			t.Errorf("replyText(%q) = %q, want %q", tc.e.Message, got, tc.want)
		}
	}
}

func FuzzReplyText(f *testing.F) {
	f.Add(550, "<bob@example.com>: no such user")
	f.Add(451, "line one\nline two\r\n\x1b[31mred")
	f.Add(554, strings.Repeat("é", 400))
	f.Add(421, "\xff\xfe bad utf-8")
	f.Fuzz(func(t *testing.T, code int, msg string) {
		got := replyText(&smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: msg})
		if len(got) > maxReplyText+len("…") {
			t.Errorf("reply text of %d bytes", len(got))
		}
		if !utf8ValidNoControl(got) {
			t.Errorf("reply text %q has control characters or bad UTF-8", got)
		}
	})
}

func utf8ValidNoControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return false
		}
	}
	return true
}

// concurrently runs n calls of f and returns their errors.
func concurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errs
}

// Validate names the configuration key of what it refuses, so that `leakd
// config check` and `serve` point at the same line; NewSMTP fills the
// defaults before validating, so zero fields are fine there.
func TestSMTPOptionsValidate(t *testing.T) {
	ok := DefaultSMTPOptions()
	ok.Mode, ok.Hostname, ok.Smarthost = ModeSmarthost, testHostname, "relay.example:587"
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults with a smarthost: %v", err)
	}
	for _, tc := range []struct {
		edit func(*SMTPOptions)
		key  string
	}{
		{func(o *SMTPOptions) { o.Hostname = "a b" }, "hostname:"},
		{func(o *SMTPOptions) { o.Mode = "dir" }, "delivery.mode:"},
		{func(o *SMTPOptions) { o.Smarthost = "relay.example" }, "delivery.smarthost:"},
		{func(o *SMTPOptions) { o.SmarthostTLS = "" }, "delivery.smarthost_tls:"},
		{func(o *SMTPOptions) { o.SmarthostTLS, o.Username = TLSNone, "u" }, "delivery.smarthost_username:"},
		{func(o *SMTPOptions) { o.Mode, o.Username = ModeMX, "u" }, "delivery.smarthost_username:"},
		{func(o *SMTPOptions) { o.Resolver = "127.0.0.1" }, "delivery.resolver:"},
		{func(o *SMTPOptions) { o.MXPort = 0 }, "delivery.mx_port:"},
		{func(o *SMTPOptions) { o.MXPort = 65536 }, "delivery.mx_port:"},
		{func(o *SMTPOptions) { o.MaxPerDest = 0 }, "delivery.max_per_destination:"},
	} {
		o := ok
		tc.edit(&o)
		if err := o.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.key) {
			t.Errorf("Validate(%+v) = %v; want an error naming %s", o, err, tc.key)
		}
	}
}
