package courier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

func TestReplyAbout(t *testing.T) {
	ec := func(a, b, c int) smtp.EnhancedCode { return smtp.EnhancedCode{a, b, c} }
	tests := []struct {
		st   stage
		ec   smtp.EnhancedCode
		want About
	}{
		// MAIL names no recipient.
		{stageMail, ec(5, 7, 1), AboutMessage},
		{stageMail, ec(5, 1, 1), AboutMessage},
		{stageMail, ec(5, 3, 4), AboutMessage},
		{stageMail, smtp.NoEnhancedCode, AboutMessage},
		// RCPT: about the recipient unless the status says otherwise.
		{stageRcpt, smtp.NoEnhancedCode, AboutRecipient},
		{stageRcpt, ec(5, 0, 0), AboutRecipient},
		{stageRcpt, ec(5, 1, 1), AboutRecipient},
		{stageRcpt, ec(5, 1, 10), AboutRecipient},
		{stageRcpt, ec(5, 2, 1), AboutRecipient},
		{stageRcpt, ec(4, 2, 2), AboutRecipient},
		{stageRcpt, ec(5, 4, 1), AboutRecipient},
		{stageRcpt, ec(5, 1, 7), AboutMessage},
		{stageRcpt, ec(5, 1, 8), AboutMessage},
		{stageRcpt, ec(5, 2, 3), AboutMessage},
		{stageRcpt, ec(5, 7, 1), AboutMessage},
		{stageRcpt, ec(5, 3, 0), AboutNextHop},
		{stageRcpt, ec(5, 5, 1), AboutNextHop},
		// After DATA: about the message unless the status says otherwise.
		{stageEnd, smtp.NoEnhancedCode, AboutMessage},
		{stageEnd, ec(5, 0, 0), AboutMessage},
		{stageEnd, ec(5, 7, 1), AboutMessage},
		{stageEnd, ec(5, 6, 0), AboutMessage},
		{stageEnd, ec(5, 3, 4), AboutMessage},
		{stageEnd, ec(5, 2, 3), AboutMessage},
		{stageEnd, ec(5, 1, 1), AboutRecipient},
		{stageEnd, ec(5, 2, 2), AboutRecipient},
		{stageEnd, ec(5, 4, 4), AboutNextHop},
		{stageData, ec(5, 5, 1), AboutNextHop},
		{stageData, smtp.NoEnhancedCode, AboutMessage},
		// Nonsense codes fall back to the stage.
		{stageRcpt, ec(5, 9, 9), AboutRecipient},
		{stageEnd, ec(7, 1, 1), AboutMessage},
	}
	for _, tc := range tests {
		if got := replyAbout(tc.st, tc.ec); got != tc.want {
			t.Errorf("replyAbout(%s, %v) = %s, want %s", tc.st, tc.ec, got, tc.want)
		}
	}
}

// TestRefusalsAbout: a real next hop refuses at each stage; only the
// refusals of the recipient are about it.
func TestRefusalsAbout(t *testing.T) {
	tests := []struct {
		name      string
		key       string // the refusal to set (see testServer.replies)
		code      int
		ec        smtp.EnhancedCode
		text      string
		permanent bool
		about     About
	}{
		{"sender rejected at MAIL", "MAIL", 553, smtp.EnhancedCode{5, 7, 1}, "sender address rejected", true, AboutMessage},
		{"sender unknown at MAIL", "MAIL", 550, smtp.EnhancedCode{5, 1, 0}, "Sender address rejected: undeliverable address", true, AboutMessage},
		{"content after DATA", "DATA bob@example.test", 554, smtp.EnhancedCode{5, 7, 1}, "message content rejected", true, AboutMessage},
		{"too big after DATA", "DATA bob@example.test", 552, smtp.EnhancedCode{5, 3, 4}, "message too big", true, AboutMessage},
		{"unknown after DATA", "DATA bob@example.test", 550, smtp.EnhancedCode{5, 1, 1}, "no such user", true, AboutRecipient},
		{"unknown at RCPT", "bob@example.test", 550, smtp.EnhancedCode{5, 1, 1}, "no such user", true, AboutRecipient},
		{"refused at RCPT, no status", "bob@example.test", 550, smtp.NoEnhancedCode, "mailbox unavailable", true, AboutRecipient},
		{"relay denied at RCPT", "bob@example.test", 554, smtp.EnhancedCode{5, 7, 1}, "Relay access denied", true, AboutMessage},
		{"mailbox full at RCPT", "bob@example.test", 452, smtp.EnhancedCode{4, 2, 2}, "mailbox full", false, AboutRecipient},
		{"closing at MAIL", "MAIL", 421, smtp.EnhancedCode{4, 3, 0}, "closing", false, AboutNextHop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{})
			ts.reply(tc.key, tc.code, tc.ec, tc.text)
			s, _ := newSmarthost(t, ts, TLSNone, nil)
			err := s.Deliver(context.Background(), testMsg("bob@example.test"))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Deliver = %v, want an *Error", err)
			}
			if e.Permanent != tc.permanent || e.About != tc.about || e.Code != tc.code {
				t.Errorf("Deliver = %q permanent=%v about=%s, want %d permanent=%v about=%s", err, e.Permanent, e.About, tc.code, tc.permanent, tc.about)
			}
			if AboutOf(fmt.Errorf("queue: %w", err)) != tc.about {
				t.Error("AboutOf does not see through wrapping")
			}
			// Fixed, the same server takes the message on the same session.
			ts.accept(tc.key)
			if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
				t.Fatalf("Deliver once fixed: %v", err)
			}
			if n := len(ts.got("bob@example.test")); n != 1 {
				t.Errorf("server got %d messages, want 1", n)
			}
		})
	}
}

// TestCapabilityMismatchAbout: a SIZE or SMTPUTF8 the server does not
// offer is about the message, checked on a fresh session.
func TestCapabilityMismatchAbout(t *testing.T) {
	for name, tc := range map[string]struct {
		srv serverOpts
		m   func() *Message
	}{
		"size":     {serverOpts{maxSize: 40}, func() *Message { return testMsg("bob@example.test") }},
		"smtputf8": {serverOpts{}, func() *Message { m := testMsg("bob@example.test"); m.UTF8 = true; return m }},
	} {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, tc.srv)
			s, _ := newSmarthost(t, ts, TLSNone, nil)
			err := s.Deliver(context.Background(), tc.m())
			if !IsPermanent(err) || AboutOf(err) != AboutMessage {
				t.Errorf("Deliver = %v (about %s), want permanent, about the message", err, AboutOf(err))
			}
		})
	}
}

// TestRestartWithNewLimits: the next hop restarts with a larger SIZE, or
// with SMTPUTF8, while a session that learnt the old limits sits in the
// pool. The copy is checked against a new EHLO and delivered.
func TestRestartWithNewLimits(t *testing.T) {
	big := bigMsg("big@example.test")
	utf8Msg := testMsg("bob@example.test")
	utf8Msg.UTF8 = true
	for name, tc := range map[string]struct {
		before, after func(*serverOpts)
		m             *Message
	}{
		"larger SIZE": {func(o *serverOpts) { o.maxSize = 1000 }, func(o *serverOpts) { o.maxSize = 100000 }, big},
		"SMTPUTF8":    {func(o *serverOpts) {}, func(o *serverOpts) { o.smtputf8 = true }, utf8Msg},
	} {
		t.Run(name, func(t *testing.T) {
			var o serverOpts
			tc.before(&o)
			ts := startServer(t, o)
			s, _ := newSmarthost(t, ts, TLSNone, nil)
			// A session learns the old limits and goes to the pool.
			if err := s.Deliver(context.Background(), testMsg("first@example.test")); err != nil {
				t.Fatal(err)
			}
			ts.stop()
			tc.after(&ts.opts)
			ts.listen(t)
			if err := s.Deliver(context.Background(), tc.m); err != nil {
				t.Fatalf("Deliver after the restart: %v", err)
			}
			if n := len(ts.got(tc.m.To)); n != 1 {
				t.Errorf("server got %d copies, want 1", n)
			}
		})
	}
}

// TestCachedRefusalOnLiveSession: a pooled session whose server still has
// the limit gets a fresh session, which refuses too: the refusal stands,
// and the fresh session stays pooled for the next message.
func TestCachedRefusalOnLiveSession(t *testing.T) {
	ts := startServer(t, serverOpts{maxSize: 1000})
	s, _ := newSmarthost(t, ts, TLSNone, nil)
	if err := s.Deliver(context.Background(), testMsg("first@example.test")); err != nil {
		t.Fatal(err)
	}
	big := bigMsg("big@example.test")
	if err := s.Deliver(context.Background(), big); !IsPermanent(err) || AboutOf(err) != AboutMessage {
		t.Fatalf("Deliver = %v, want permanent, about the message", err)
	}
	if err := s.Deliver(context.Background(), testMsg("next@example.test")); err != nil {
		t.Fatal(err)
	}
	if n := ts.ln.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the first, then one fresh EHLO)", n)
	}
}

// TestEveryAttemptCountsPerSession: MaxMsgsPerConn counts transactions
// that fail too, so a session carrying only refusals is renewed.
func TestEveryAttemptCountsPerSession(t *testing.T) {
	ts := startServer(t, serverOpts{})
	ts.reply("bad@example.test", 550, smtp.EnhancedCode{5, 1, 1}, "no such user")
	s, _ := newSmarthost(t, ts, TLSNone, func(o *SMTPOptions) { o.MaxMsgsPerConn = 3 })
	for i := range 7 {
		if err := s.Deliver(context.Background(), testMsg("bad@example.test")); !IsPermanent(err) {
			t.Fatalf("Deliver %d = %v, want permanent", i, err)
		}
	}
	if n := ts.ln.accepted.Load(); n != 3 {
		t.Errorf("%d connections for 7 refused transactions at 3 a session, want 3", n)
	}
}

// TestMaxConnAge: a session past its age carries no further transaction,
// however busy it is.
func TestMaxConnAge(t *testing.T) {
	ts := startServer(t, serverOpts{})
	// Every session is past a nanosecond by the time it is done with.
	s, _ := newSmarthost(t, ts, TLSNone, func(o *SMTPOptions) { o.MaxConnAge = 1 })
	for i := range 4 {
		if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
			t.Fatalf("Deliver %d: %v", i, err)
		}
	}
	if n := ts.ln.accepted.Load(); n != 4 {
		t.Errorf("%d connections, want 4: one a message", n)
	}
	// They were closed politely, not left in the pool.
	ts.waitOpen(t, 0)
}

// TestSetupAndLocalFailuresAbout: TLS trouble is about the next hop, a
// spool read error is local; neither is permanent.
func TestSetupAndLocalFailuresAbout(t *testing.T) {
	ts := startServer(t, serverOpts{tls: "broken"})
	s, _ := newSmarthost(t, ts, TLSStartTLS, nil)
	err := s.Deliver(context.Background(), testMsg("bob@example.test"))
	if err == nil || IsPermanent(err) || AboutOf(err) != AboutNextHop {
		t.Errorf("broken TLS: Deliver = %v (about %s), want temporary, about the next hop", err, AboutOf(err))
	}

	ts2 := startServer(t, serverOpts{})
	s2, _ := newSmarthost(t, ts2, TLSNone, nil)
	m := &Message{ID: testID, To: "bob@example.test", Size: 100, Body: &failingBody{}}
	err = s2.Deliver(context.Background(), m)
	if err == nil || IsPermanent(err) || AboutOf(err) != AboutLocal {
		t.Errorf("spool read error: Deliver = %v (about %s), want temporary, local", err, AboutOf(err))
	}
}

// bigMsg is testMsg with a body of about 2 KB.
func bigMsg(rcpt string) *Message {
	body := testBody + strings.Repeat("0123456789012345678901234567890123456789\r\n", 50)
	m := testMsg(rcpt)
	m.Body, m.Size = strings.NewReader(body), int64(len(body))
	return m
}
