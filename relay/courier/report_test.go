package courier

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestReportMX checks what a Report says after MX deliveries that succeed,
// are refused, or fail at each step: the step reached, the next hop by
// name and address, the session's TLS version and the last reply.
func TestReportMX(t *testing.T) {
	e := newMXEnv(t, nil)
	_, port, _ := net.SplitHostPort(e.a.addr)
	tests := []struct {
		rcpt             string
		step, host, addr string
		tls              string
		code             int
		text             string // contained in Report.Text
		delivered        bool
	}{
		{"u@pref.test", StepSMTP, "mx-a.pref.test", "127.0.0.1", "TLSv1.3", 250, "", true},
		{"u@plain.test", StepSMTP, "mx-b.pref.test", "127.0.0.3", TLSNone, 250, "", true},
		// TLS failed; the plaintext retry delivered.
		{"u@broken.test", StepSMTP, "mx.broken.test", "127.0.0.4", TLSNone, 250, "", true},
		// Greylisted by the first host: the report is the second's.
		{"u@grey.test", StepSMTP, "mx-b.pref.test", "127.0.0.3", TLSNone, 250, "", true},
		{"u@fallback.test", StepSMTP, "up.fallback.test", "127.0.0.3", TLSNone, 250, "", true},
		{"u@bad.test", StepSMTP, "mx-a.pref.test", "127.0.0.1", "TLSv1.3", 550, "5.1.1 no such user", false},
		{"u@nx.test", StepDNS, "", "", "", 0, "", false},
		{"u@servfail.test", StepDNS, "", "", "", 0, "", false},
		{"u@lost.test", StepDNS, "nowhere.lost.test", "", "", 0, "", false},
		// Five hosts refuse connections (the sixth and seventh are over
		// the cap): the last one tried is reported.
		{"u@many.test", StepConnect, "mx5.many.test", "127.0.0.2", "", 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.rcpt, func(t *testing.T) {
			m := testMsg(tc.rcpt)
			m.Report = &Report{}
			err := e.s.Deliver(context.Background(), m)
			if (err == nil) != tc.delivered {
				t.Fatalf("Deliver = %v, delivered want %v", err, tc.delivered)
			}
			r := m.Report
			wantAddr := ""
			if tc.addr != "" {
				wantAddr = net.JoinHostPort(tc.addr, port)
			}
			if r.Step != tc.step || r.Host != tc.host || r.Addr != wantAddr || r.TLS != tc.tls || r.Code != tc.code {
				t.Errorf("Report = %+v\nwant step %q host %q addr %q tls %q code %d", *r, tc.step, tc.host, wantAddr, tc.tls, tc.code)
			}
			if !strings.Contains(r.Text, tc.text) || (tc.code != 0) != (r.Text != "") {
				t.Errorf("Report.Text = %q, want it to contain %q", r.Text, tc.text)
			}
		})
	}
}

// TestReportSmarthost covers the smarthost: implicit TLS, a reply to the
// message, a pooled session (whose report must be as complete as a new
// one's) and a smarthost that is down.
func TestReportSmarthost(t *testing.T) {
	ts := startServer(t, serverOpts{tls: TLSImplicit})
	ts.reply("DATA bob@example.test", 554, smtp.EnhancedCode{5, 7, 1}, "spam detected")
	s, _ := newSmarthost(t, ts, TLSImplicit, nil)

	for i, want := range []struct {
		code int
		text string
	}{{250, ""}, {250, ""}, {554, "5.7.1 spam detected"}} {
		rcpt := "alice@example.test"
		if want.code != 250 {
			rcpt = "bob@example.test"
		}
		m := testMsg(rcpt)
		m.Report = &Report{}
		s.Deliver(context.Background(), m)
		r := m.Report
		if r.Step != StepSMTP || r.Host != "127.0.0.1" || r.Addr != ts.addr || r.TLS != "TLSv1.3" || r.Code != want.code {
			t.Errorf("delivery %d: Report = %+v", i, *r)
		}
		if !strings.Contains(r.Text, want.text) || r.Text == "" {
			t.Errorf("delivery %d: Report.Text = %q, want it to contain %q", i, r.Text, want.text)
		}
	}
	if n := ts.ln.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1: the later deliveries were to reuse the session", n)
	}

	ts.stop()
	down, _ := newSmarthost(t, ts, TLSNone, func(o *SMTPOptions) { o.DialTimeout = 2 * time.Second })
	m := testMsg("alice@example.test")
	m.Report = &Report{}
	if err := down.Deliver(context.Background(), m); err == nil {
		t.Fatal("delivered to a stopped server")
	}
	if r := m.Report; r.Step != StepConnect || r.Addr != ts.addr || r.TLS != "" || r.Code != 0 {
		t.Errorf("smarthost down: Report = %+v", *r)
	}
}
