package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/courier"
	"leak/relay/spool"
)

// scriptCourier plays one step of a script per call for an id: it fills the
// message's Report and returns the error.
type scriptCourier struct {
	mu    sync.Mutex
	calls map[string]int
	plays map[string][]play
}

type play struct {
	rep courier.Report
	err error
}

func (c *scriptCourier) Deliver(_ context.Context, m *courier.Message) error {
	io.Copy(io.Discard, m.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	n := c.calls[m.ID]
	c.calls[m.ID]++
	p := c.plays[m.ID][min(n, len(c.plays[m.ID])-1)]
	*m.Report = p.rep
	return p.err
}

// commitWith commits a copy with a Message-ID and a creation time.
func commitWith(t *testing.T, sp *spool.Spool, rcpt, msgid string, created time.Time) spool.Meta {
	t.Helper()
	w, err := sp.Create()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	io.WriteString(w, "body")
	if err := w.Commit(spool.Meta{From: testFrom, Rcpt: rcpt, Created: created, MessageID: msgid}); err != nil {
		t.Fatal(err)
	}
	return w.Meta()
}

// TestStatusLines: one log line per attempt, as Postfix's status= line:
// the queue id, the copy's Message-ID, the next hop by name and address,
// the TLS version, the reply (cut of the recipient), the DSN status, the
// delay and the failure reason; Result.Reason matches. The recipient
// appears only with LogRecipients.
func TestStatusLines(t *testing.T) {
	t.Parallel()
	for _, logRcpt := range []bool{false, true} {
		t.Run(fmt.Sprintf("log_recipients=%v", logRcpt), func(t *testing.T) {
			sp := openSpool(t)
			deferred := commitWith(t, sp, testRcpt, "<deferred0001@leak.example>", time.Time{})
			bounced := commitWith(t, sp, testRcpt, "<bounced0001@leak.example>", time.Time{})
			hop := courier.Report{Step: courier.StepSMTP, Host: "mx.example.com", Addr: "192.0.2.25:25", TLS: "TLSv1.3"}
			withReply := func(code int, text string) courier.Report { r := hop; r.Code, r.Text = code, text; return r }
			c := &scriptCourier{plays: map[string][]play{
				deferred.ID: {
					{withReply(450, "4.7.1 <"+testRcpt+">: greylisted, try again"), &courier.Error{Code: 450, Text: "4.7.1 <" + testRcpt + ">: greylisted, try again"}},
					{withReply(250, "2.0.0 Ok: queued as 4XyZ"), nil},
				},
				bounced.ID: {
					{withReply(550, "5.1.1 <"+strings.ToLower(testRcpt)+">: Recipient address rejected"),
						&courier.Error{Permanent: true, About: courier.AboutRecipient, Code: 550, Text: "5.1.1 <" + strings.ToLower(testRcpt) + ">: Recipient address rejected"}},
				},
			}}
			var buf testutil.SyncBuffer
			var res results
			q := New(sp, c, Options{Backoff: fastBackoff, OnResult: res.add, LogRecipients: logRcpt,
				Logger: slog.New(slog.NewTextHandler(&buf, nil))})
			start(t, q)
			testutil.WaitFor(t, "all done", func() bool { return res.finished(deferred.ID, bounced.ID) })

			lines := map[string]string{} // "qid outcome" → line
			for _, l := range strings.Split(buf.String(), "\n") {
				for _, id := range []string{deferred.ID, bounced.ID} {
					for _, o := range []string{Deferred, Delivered, Bounced} {
						if strings.Contains(l, "qid="+id) && strings.Contains(l, "outcome="+o) {
							lines[id+" "+o] = l
						}
					}
				}
			}
			for _, tc := range []struct {
				id, outcome string
				want        []string
			}{
				{deferred.ID, Deferred, []string{"msgid=<deferred0001@leak.example>", "attempt=1", "relay=mx.example.com[192.0.2.25]:25", "tls=TLSv1.3",
					"dsn=4.7.1", `reply="450 4.7.1 <`, "greylisted, try again", "reason=4xx", "about=next_hop", "retry_in="}},
				{deferred.ID, Delivered, []string{"msgid=<deferred0001@leak.example>", "attempt=2", "relay=mx.example.com[192.0.2.25]:25", "tls=TLSv1.3",
					"dsn=2.0.0", `reply="250 2.0.0 Ok: queued as 4XyZ"`, "delay="}},
				{bounced.ID, Bounced, []string{"msgid=<bounced0001@leak.example>", "dsn=5.1.1", `reply="550 5.1.1 <`, "reason=5xx", "about=recipient"}},
			} {
				line := lines[tc.id+" "+tc.outcome]
				if line == "" {
					t.Errorf("no %s line for %s in:\n%s", tc.outcome, tc.id, buf.String())
					continue
				}
				for _, w := range tc.want {
					if !strings.Contains(line, w) {
						t.Errorf("%s line lacks %q:\n%s", tc.outcome, w, line)
					}
				}
				if strings.Contains(line, "reason=") != (tc.outcome != Delivered) {
					t.Errorf("%s line: reason present %v:\n%s", tc.outcome, !logRcpt, line)
				}
				hasRcpt := strings.Contains(strings.ToLower(line), strings.ToLower(testRcpt))
				if hasRcpt != logRcpt {
					t.Errorf("log_recipients=%v, but the recipient is in the line: %v\n%s", logRcpt, hasRcpt, line)
				}
				if logRcpt && !strings.Contains(line, "to="+testRcpt) {
					t.Errorf("log_recipients: no to= in %s", line)
				}
			}
			if strings.Contains(buf.String(), testFrom) {
				t.Errorf("the log names the envelope sender:\n%s", buf.String())
			}
			rs := res.forID(deferred.ID)
			if rs[0].Reason != Reason4xx || rs[1].Reason != "" || res.forID(bounced.ID)[0].Reason != Reason5xx {
				t.Errorf("Result.Reason: %q then %q; bounced %q", rs[0].Reason, rs[1].Reason, res.forID(bounced.ID)[0].Reason)
			}
			for _, i := range q.Entries() {
				t.Errorf("entry %s left in the queue", i.ID)
			}
		})
	}
}

// TestLastErrorKept: a deferred entry shows its last error, without the
// recipient, in Entries.
func TestLastErrorKept(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	m := commit(t, sp, "body")
	fc := &fakeCourier{fail: func(string, int) error {
		return &courier.Error{Code: 452, Text: "4.2.2 <" + testRcpt + ">: mailbox full"}
	}}
	var res results
	q := New(sp, fc, Options{Backoff: func(int) time.Duration { return time.Hour }, OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	start(t, q)
	testutil.WaitFor(t, "a deferral", func() bool {
		e := q.Entries()
		return len(e) == 1 && e[0].State == StateDeferred
	})
	if got := q.Entries()[0].LastError; got != "452 4.2.2 <[redacted]>: mailbox full" {
		t.Errorf("LastError = %q", got)
	}
	if r := res.forID(m.ID); r[0].Reason != Reason4xx {
		t.Errorf("Reason = %q, want 4xx", r[0].Reason)
	}
}

// TestLatencyExact: Result.Latency runs from the copy's creation to the
// millisecond, not from the second it began in. The copy is made 900 ms
// into a second: cut to the second, Latency would exceed the time that
// really passed by 900 ms.
func TestLatencyExact(t *testing.T) {
	t.Parallel()
	sp := openSpool(t)
	created := time.Now().Truncate(time.Second).Add(-2*time.Second + 900*time.Millisecond)
	before := time.Now()
	m := commitWith(t, sp, testRcpt, "", created)
	var res results
	q := New(sp, &fakeCourier{}, Options{OnResult: res.add, Logger: slog.New(slog.DiscardHandler)})
	q.Add(m)
	start(t, q)
	testutil.WaitFor(t, "delivery", func() bool { return res.finished(m.ID) })
	after := time.Now()
	got := res.forID(m.ID)[0].Latency
	if lo, hi := before.Sub(created), after.Sub(created); got < lo-time.Millisecond || got > hi {
		t.Errorf("Latency = %v, want within [%v, %v]", got, lo, hi)
	}
}

// timeoutErr is a network timeout, as a deadline gives.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestReasonAndDSN(t *testing.T) {
	t.Parallel()
	smtpAt := func(code int, text string) courier.Report {
		return courier.Report{Step: courier.StepSMTP, Code: code, Text: text}
	}
	tests := []struct {
		name   string
		err    error
		rep    courier.Report
		reason string
		dsn    string
	}{
		{"delivered", nil, smtpAt(250, "2.6.0 Ok"), "", "2.6.0"},
		{"delivered, no enhanced code", nil, smtpAt(250, "Ok: queued"), "", "2.0.0"},
		{"greylisted", &courier.Error{Code: 451, Text: "4.7.1 greylisted"}, smtpAt(451, "4.7.1 greylisted"), Reason4xx, "4.7.1"},
		{"throttled, no enhanced code", &courier.Error{Code: 421, Text: "too many connections"}, smtpAt(421, "too many connections"), Reason4xx, "4.0.0"},
		{"user unknown", &courier.Error{Permanent: true, Code: 550, Text: "5.1.1 no such user"}, smtpAt(550, "5.1.1 no such user"), Reason5xx, "5.1.1"},
		{"refused at the greeting", &courier.Error{Code: 554, Text: "greeting: 5.7.1 go away"}, smtpAt(554, "greeting: 5.7.1 go away"), Reason5xx, "4.0.0"},
		{"SIZE from EHLO", &courier.Error{Permanent: true, About: courier.AboutMessage, Text: "over the server's SIZE limit"}, courier.Report{Step: courier.StepSMTP}, Reason5xx, "5.0.0"},
		{"no such domain", &courier.Error{Permanent: true, About: courier.AboutRecipient, Code: 550, Text: "5.1.2 the recipient domain does not exist"}, courier.Report{Step: courier.StepDNS}, ReasonDNS, "5.1.2"},
		{"resolver timeout", &courier.Error{Text: "smtp: MX lookup", Err: timeoutErr{}}, courier.Report{Step: courier.StepDNS}, ReasonDNS, "4.4.3"},
		{"connection refused", &courier.Error{Text: "smtp: dial", Err: errors.New("connect: connection refused")}, courier.Report{Step: courier.StepConnect, Addr: "10.2.0.1:25"}, ReasonConnect, "4.4.1"},
		{"dial timeout", &courier.Error{Text: "smtp: dial", Err: timeoutErr{}}, courier.Report{Step: courier.StepConnect}, ReasonConnect, "4.4.1"},
		{"TLS handshake", &courier.Error{Text: "smtp: TLS handshake", Err: errors.New("remote error: tls: handshake failure")}, courier.Report{Step: courier.StepTLS}, ReasonTLS, "4.7.5"},
		{"TLS handshake timeout", &courier.Error{Text: "smtp: TLS handshake", Err: timeoutErr{}}, courier.Report{Step: courier.StepTLS}, ReasonTimeout, "4.4.2"},
		{"no reply to DATA", &courier.Error{Text: "smtp: end of DATA", Err: os.ErrDeadlineExceeded}, courier.Report{Step: courier.StepSMTP}, ReasonTimeout, "4.4.2"},
		{"delivery deadline", &courier.Error{Text: "smtp: delivery interrupted", Err: context.DeadlineExceeded}, courier.Report{Step: courier.StepSMTP}, ReasonTimeout, "4.4.2"},
		{"connection reset mid-dialogue", &courier.Error{Text: "smtp: RCPT", Err: errors.New("connection reset by peer")}, courier.Report{Step: courier.StepSMTP}, ReasonConnect, "4.4.1"},
		{"MTA-STS", &courier.Error{Text: "smtp: no MX host allowed by the MTA-STS policy"}, courier.Report{Step: courier.StepSTS}, ReasonSTS, "4.7.5"},
		{"local", &courier.Error{About: courier.AboutLocal, Text: "dir: write", Err: errors.New("no space left on device")}, courier.Report{}, ReasonLocal, "4.3.0"},
		{"a plain error, no report", errors.New("connection refused"), courier.Report{}, ReasonConnect, "4.4.1"},
		// An IP address in the text is not an enhanced code.
		{"address in the text", &courier.Error{Permanent: true, Text: "host 10.5.1.2 said no"}, courier.Report{}, Reason5xx, "5.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ""
			if tc.err != nil {
				r = reason(tc.err, &tc.rep, courier.AboutOf(tc.err))
			}
			if r != tc.reason {
				t.Errorf("reason = %q, want %q", r, tc.reason)
			}
			if d := dsnStatus(tc.err, &tc.rep, r); d != tc.dsn {
				t.Errorf("dsn = %q, want %q", d, tc.dsn)
			}
		})
	}
}

func TestRelayName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rep  courier.Report
		want string
	}{
		{courier.Report{Host: "mx.example.com", Addr: "192.0.2.1:25"}, "mx.example.com[192.0.2.1]:25"},
		{courier.Report{Host: "mx.example.com", Addr: "[2001:db8::1]:25"}, "mx.example.com[2001:db8::1]:25"},
		{courier.Report{Host: "mx.example.com"}, "mx.example.com"},
		{courier.Report{Host: "relay.example", Addr: "relay.example:587"}, "relay.example:587"},
		{courier.Report{}, ""},
	} {
		if got := relayName(&tc.rep); got != tc.want {
			t.Errorf("relayName(%+v) = %q, want %q", tc.rep, got, tc.want)
		}
	}
}
