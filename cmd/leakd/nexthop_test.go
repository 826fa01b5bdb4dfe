package main

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"leak/policy/testutil"

	"github.com/emersion/go-smtp"
)

// faultyHop is a next hop on loopback that refuses the message rather
// than its recipient: the sender at MAIL, the content after DATA, or
// anything over the SIZE it advertises. It can be fixed, or restarted with
// another SIZE, on the same address.
type faultyHop struct {
	addr    string
	fault   atomic.Value // "", "mail" or "data"
	maxSize int64        // the SIZE advertised; change it only while down

	srv     *smtp.Server
	mu      sync.Mutex
	markers map[string]int // body marker → times accepted
	refused int            // MAIL and DATA refusals
}

func newFaultyHop(t *testing.T, fault string, maxSize int64) *faultyHop {
	h := &faultyHop{addr: testutil.ReservePort(t), maxSize: maxSize, markers: map[string]int{}}
	h.fault.Store(fault)
	h.up(t)
	return h
}

// up starts serving on h.addr.
func (h *faultyHop) up(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &faultySession{h: h}, nil }))
	srv.Domain = "relay.example"
	srv.ErrorLog = quietLog{}
	srv.MaxMessageBytes = h.maxSize
	h.srv = srv
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// restart stops the hop, closing every session, and starts it again with
// SIZE maxSize.
func (h *faultyHop) restart(t *testing.T, maxSize int64) {
	t.Helper()
	h.srv.Close()
	h.maxSize = maxSize
	h.up(t)
}

func (h *faultyHop) count(marker string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.markers[marker]
}

type faultySession struct {
	h        *faultyHop
	from, to string
}

func (s *faultySession) refuse(code int, enh smtp.EnhancedCode, text string) error {
	s.h.mu.Lock()
	s.h.refused++
	s.h.mu.Unlock()
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: text}
}

func (s *faultySession) Mail(from string, _ *smtp.MailOptions) error {
	if s.h.fault.Load() == "mail" {
		// Real servers quote the address they refuse.
		return s.refuse(553, smtp.EnhancedCode{5, 7, 1}, "<"+from+">: sender address rejected")
	}
	s.from = from
	return nil
}

func (s *faultySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}

func (s *faultySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.h.fault.Load() == "data" {
		return s.refuse(554, smtp.EnhancedCode{5, 7, 1}, "<"+s.to+">: message content rejected")
	}
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	for _, m := range markerRE.FindAll(b, -1) {
		s.h.markers[string(m)]++
	}
	return nil
}

func (s *faultySession) Reset()        { s.from, s.to = "", "" }
func (s *faultySession) Logout() error { return nil }

// rcptProbe asks leakd to take rcpt and returns the RCPT reply, then
// resets: no message is sent.
func rcptProbe(t *testing.T, addr, rcpt string) string {
	t.Helper()
	c := dialSMTP(t, addr)
	defer c.c.Close()
	c.cmd("EHLO client.example")
	if r := c.cmd("MAIL FROM:<sender@example.net>"); !strings.HasPrefix(r, "250") {
		t.Fatalf("MAIL: %s", r)
	}
	r := c.cmd("RCPT TO:<" + rcpt + ">")
	c.cmd("QUIT")
	return r
}

// waitRefused waits until n entries are queued, each waiting after at
// least one failed attempt.
func (d *daemon) waitRefused(t *testing.T, n int) {
	t.Helper()
	testutil.WaitFor(t, fmt.Sprintf("%d entries refused and waiting", n), func() bool {
		list := d.queue("list")
		if queued(list) != n {
			return false
		}
		waiting := 0
		for _, row := range strings.Split(list, "\n")[1:] {
			f := strings.Fields(row)
			if len(f) < 5 {
				continue
			}
			if a, _ := strconv.Atoi(f[3]); a >= 1 && f[4] == "deferred" {
				waiting++
			}
		}
		return waiting == n
	})
}

// padding makes a message body of about 4 KB.
var padding = strings.Repeat("The quick brown fox jumps over the lazy dog, again and again.\r\n", 64)

// TestNextHopRefusesMessage: the smarthost refuses the sender at MAIL,
// the content after DATA, or copies over its SIZE, for every copy, then
// is fixed. Every accepted message is delivered, and no recipient is
// suppressed: a refusal of the message says nothing about its recipient.
func TestNextHopRefusesMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   string
		maxSize int64
		fix     func(t *testing.T, h *faultyHop)
	}{
		{"553 at MAIL", "mail", 0, func(_ *testing.T, h *faultyHop) { h.fault.Store("") }},
		{"554 5.7.1 after DATA", "data", 0, func(_ *testing.T, h *faultyHop) { h.fault.Store("") }},
		{"small SIZE", "", 1000, func(t *testing.T, h *faultyHop) { h.restart(t, 10<<20) }},
	}
	rcpts := []string{"nh-alice", "nh-bob", "nh-carol"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hop := newFaultyHop(t, tc.fault, tc.maxSize)
			d := newDaemon(t, sections{Delivery: "  mode: smarthost\n  smarthost: " + hop.addr + "\n  smarthost_tls: none\n"})
			d.start()
			var markers []string
			// Two messages for each recipient: with one suppression per
			// refused message, two would block them all.
			for round := range 2 {
				for _, r := range rcpts {
					m := fmt.Sprintf("MARK-%s-%d", r, round)
					if rr, dr := send(t, d.smtpAddr, "to+"+r+"=example.com@leak.example", m+"\r\n"+padding); !strings.HasPrefix(dr, "250") {
						t.Fatalf("%s: RCPT %q, end of DATA %q; want 250", m, rr, dr)
					}
					markers = append(markers, m)
				}
			}
			d.waitRefused(t, len(markers))

			tc.fix(t, hop)
			d.queue("retry", "all")
			testutil.WaitFor(t, "every copy delivered", func() bool { return queued(d.queue("list")) == 0 })
			for _, m := range markers {
				if n := hop.count(m); n != 1 {
					t.Errorf("%s reached the next hop %d times, want 1", m, n)
				}
			}
			for _, r := range rcpts {
				if reply := rcptProbe(t, d.smtpAddr, "to+"+r+"=example.com@leak.example"); !strings.HasPrefix(reply, "250") {
					t.Errorf("%s after the next hop refused its messages: RCPT %q, want 250", r, reply)
				}
			}
			log := d.log.String()
			if !strings.Contains(log, "about=message") {
				t.Errorf("the log does not say the refusals were about the message:\n%s", log)
			}
			for _, r := range rcpts {
				if strings.Contains(log, r+"@example.com") {
					t.Errorf("the log names %s@example.com", r)
				}
			}
			if strings.Contains(log, "bounce+") {
				t.Error("the log quotes an envelope sender")
			}
		})
	}
}

// TestNextHopRestartsWithLargerSize: sessions pooled while the smarthost
// advertised a small SIZE must not refuse copies after it restarts with a
// larger SIZE; the copies refused before the restart are delivered on
// retry, and none of their recipients is suppressed.
func TestNextHopRestartsWithLargerSize(t *testing.T) {
	t.Parallel()
	// Room for a short message and its DKIM signatures, not for padding.
	hop := newFaultyHop(t, "", 3000)
	d := newDaemon(t, sections{Delivery: "  mode: smarthost\n  smarthost: " + hop.addr + "\n  smarthost_tls: none\n"})
	d.start()
	// A small copy fills the pool with a session that learnt SIZE 3000.
	if _, r := send(t, d.smtpAddr, "to+nh-first=example.com@leak.example", "MARK-rs-first"); !strings.HasPrefix(r, "250") {
		t.Fatalf("DATA: %q", r)
	}
	testutil.WaitFor(t, "the small copy", func() bool { return hop.count("MARK-rs-first") == 1 })
	var before []string
	for i := range 4 {
		m := fmt.Sprintf("MARK-rs-before-%d", i)
		if rr, dr := send(t, d.smtpAddr, fmt.Sprintf("to+nh-r%d=example.com@leak.example", i), m+"\r\n"+padding); !strings.HasPrefix(dr, "250") {
			t.Fatalf("%s: RCPT %q, end of DATA %q; want 250", m, rr, dr)
		}
		before = append(before, m)
	}
	d.waitRefused(t, len(before))

	hop.restart(t, 10<<20)
	// New copies go through at once, on a fresh session's EHLO.
	var after []string
	for i := range 6 {
		m := fmt.Sprintf("MARK-rs-after-%d", i)
		if rr, dr := send(t, d.smtpAddr, fmt.Sprintf("to+nh-s%d=example.com@leak.example", i%3), m+"\r\n"+padding); !strings.HasPrefix(dr, "250") {
			t.Fatalf("%s: RCPT %q, end of DATA %q; want 250", m, rr, dr)
		}
		after = append(after, m)
	}
	testutil.WaitFor(t, "the copies sent after the restart", func() bool {
		for _, m := range after {
			if hop.count(m) == 0 {
				return false
			}
		}
		return true
	})
	d.queue("retry", "all")
	testutil.WaitFor(t, "every copy delivered", func() bool { return queued(d.queue("list")) == 0 })
	for _, m := range append(before, after...) {
		if n := hop.count(m); n != 1 {
			t.Errorf("%s reached the next hop %d times, want 1", m, n)
		}
	}
	for _, r := range []string{"nh-r0", "nh-r1", "nh-r2", "nh-r3", "nh-s0", "nh-s1", "nh-s2"} {
		if reply := rcptProbe(t, d.smtpAddr, "to+"+r+"=example.com@leak.example"); !strings.HasPrefix(reply, "250") {
			t.Errorf("%s: RCPT %q, want 250", r, reply)
		}
	}
}
