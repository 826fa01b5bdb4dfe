package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leak/policy/testutil"

	"github.com/emersion/go-smtp"
)

// nextHop is a real SMTP server on loopback standing in for the next hop:
// it can be down, answer 421, refuse some recipients, or accept.
type nextHop struct {
	addr    string
	fixed   bool // a daemon was given addr: up cannot move it
	l       net.Listener
	srv     *smtp.Server
	mode    atomic.Value // "accept" or "421"
	mu      sync.Mutex
	markers map[string]int // body marker → times received
	rcpts   []string
	froms   []string // envelope senders
}

var markerRE = regexp.MustCompile(`MARK-[0-9a-z-]+`)

func newNextHop(t *testing.T) *nextHop {
	h := &nextHop{addr: testutil.ReservePort(t), markers: map[string]int{}}
	h.mode.Store("accept")
	return h
}

// up starts listening; until then connections are refused.
func (h *nextHop) up(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", h.addr)
	for try := 0; err != nil && !h.fixed && try < 3; try++ {
		// A process that binds without reserving (ReservePort) took the
		// port after its reservation; nothing was given it yet.
		h.addr = testutil.ReservePort(t)
		l, err = net.Listen("tcp", h.addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	h.l = l
	h.srv = smtp.NewServer(h)
	h.srv.Domain = "sink.example"
	h.srv.ErrorLog = quietLog{}
	go h.srv.Serve(l)
	t.Cleanup(func() { h.srv.Close() })
}

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}

func (h *nextHop) NewSession(*smtp.Conn) (smtp.Session, error) { return &hopSession{h: h}, nil }

// waitAll waits until every marker is at the next hop at least once, and
// returns how many arrived more than once in all.
func (h *nextHop) waitAll(t *testing.T, markers []string) (dups int) {
	t.Helper()
	testutil.WaitFor(t, "every acknowledged message at the next hop", func() bool {
		for _, m := range markers {
			if h.count(m) == 0 {
				return false
			}
		}
		return true
	})
	for _, m := range markers {
		dups += h.count(m) - 1
	}
	return dups
}

func (h *nextHop) count(m string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.markers[m]
}

type hopSession struct {
	h  *nextHop
	to []string
}

var errHop421 = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}

func (s *hopSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.h.mode.Load() == "421" {
		return errHop421
	}
	s.h.mu.Lock()
	s.h.froms = append(s.h.froms, from)
	s.h.mu.Unlock()
	return nil
}

func (s *hopSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "reject@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *hopSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	for _, m := range markerRE.FindAll(b, -1) {
		s.h.markers[string(m)]++
	}
	s.h.rcpts = append(s.h.rcpts, s.to...)
	return nil
}

func (s *hopSession) Reset()        { s.to = nil }
func (s *hopSession) Logout() error { return nil }

func smarthostTo(h *nextHop) string {
	h.fixed = true
	return "  mode: smarthost\n  smarthost: " + h.addr + "\n  smarthost_tls: none\n"
}

// leakdQueue runs `leakd queue ARGS` against d's config.
func (d *daemon) queue(args ...string) string {
	d.t.Helper()
	out, err := exec.Command(leakdBin, append(append([]string{"queue"}, args...), "--config", d.config)...).CombinedOutput()
	if err != nil {
		d.t.Fatalf("leakd queue %v: %v\n%s", args, err, out)
	}
	return string(out)
}

var queuedRE = regexp.MustCompile(`(?m)^(\d+) queued$`)

func queued(out string) int {
	m := queuedRE.FindStringSubmatch(out)
	if m == nil {
		return -1
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// TestNextHopOutage: the next hop refuses connections, then answers 421,
// then comes back; everything is delivered, nothing bounced, and the queue
// command follows along (list, show, delete, retry).
func TestNextHopOutage(t *testing.T) {
	t.Parallel()
	hop := newNextHop(t)
	d := newDaemon(t, sections{Delivery: smarthostTo(hop)})
	d.start()
	for i := 0; i < 6; i++ {
		if _, r := send(t, d.smtpAddr, "to+bob=example.com@leak.example", fmt.Sprintf("MARK-out-%d", i)); !strings.HasPrefix(r, "250") {
			t.Fatalf("message %d: %q", i, r)
		}
	}
	var list string
	testutil.WaitFor(t, "six deferred entries", func() bool {
		list = d.queue("list")
		return queued(list) == 6 && strings.Count(list, "deferred") == 6
	})
	if !strings.Contains(list, "bob@example.com") {
		t.Errorf("queue list lacks the recipient:\n%s", list)
	}
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	if show := d.queue("show", id); !strings.Contains(show, "recipient: bob@example.com") || !strings.Contains(show, "DKIM-Signature") {
		t.Errorf("queue show:\n%s", show)
	}
	d.queue("delete", id)
	if n := queued(d.queue("list")); n != 5 {
		t.Fatalf("%d queued after delete, want 5", n)
	}

	hop.mode.Store("421")
	hop.up(t)
	d.queue("retry", "all")
	testutil.WaitFor(t, "second attempts", func() bool {
		n := 0
		for _, row := range strings.Split(d.queue("list"), "\n")[1:] {
			if f := strings.Fields(row); len(f) >= 5 && f[3] == "2" && f[4] == "deferred" {
				n++
			}
		}
		return n == 5
	})

	hop.mode.Store("accept")
	d.queue("retry", "all")
	testutil.WaitFor(t, "delivery after the outage", func() bool { return queued(d.queue("list")) == 0 })
	got := 0
	for i := 0; i < 6; i++ {
		got += hop.count(fmt.Sprintf("MARK-out-%d", i))
	}
	if got != 5 {
		t.Errorf("%d messages reached the next hop, want 5 (6 sent, 1 deleted)", got)
	}
	d.stop()
	if n := queued(d.queue("list")); n != 0 {
		t.Errorf("offline queue list: %d entries", n)
	}
}

// TestPerRecipientOutcomes: one session to the next hop, 550 for one
// recipient and 250 for another; the refused one is bounced, the other
// delivered. Policy suppresses the refused recipient at the second
// message refused for it, not the first.
func TestPerRecipientOutcomes(t *testing.T) {
	t.Parallel()
	hop := newNextHop(t)
	hop.up(t)
	d := newDaemon(t, sections{Delivery: smarthostTo(hop)})
	d.start()
	c := dialSMTP(t, d.smtpAddr)
	c.cmd("EHLO client.example")
	c.cmd("MAIL FROM:<s@example.net>")
	c.cmd("RCPT TO:<to+reject=example.com@leak.example>")
	c.cmd("RCPT TO:<to+bob=example.com@leak.example>")
	c.cmd("DATA")
	c.raw([]byte("Subject: two\r\n\r\nMARK-two\r\n.\r\n"))
	if r := c.read(); !strings.HasPrefix(r, "250") {
		t.Fatalf("DATA: %q", r)
	}
	testutil.WaitFor(t, "the accepted copy", func() bool { return hop.count("MARK-two") == 1 })
	testutil.WaitFor(t, "an empty queue", func() bool { return queued(d.queue("list")) == 0 })
	hop.mu.Lock()
	rcpts := append([]string(nil), hop.rcpts...)
	hop.mu.Unlock()
	if len(rcpts) != 1 || rcpts[0] != "bob@example.com" {
		t.Errorf("next hop received for %v, want only bob@example.com", rcpts)
	}
	// One message cannot get anyone suppressed; a second one refused for
	// the same recipient does.
	if r, _ := send(t, d.smtpAddr, "to+reject=example.com@leak.example", "again"); !strings.HasPrefix(r, "250") {
		t.Fatalf("after one hard bounce, RCPT got %q, want 250", r)
	}
	testutil.WaitFor(t, "suppression after the second hard bounce", func() bool {
		return strings.HasPrefix(rcptProbe(t, d.smtpAddr, "to+reject=example.com@leak.example"), "550 5.7.1")
	})
}

// TestKill9DuringDelivery: SIGKILL while messages are being accepted and
// delivered to the next hop; after a restart every accepted message
// arrives, and duplicates are counted (the spool may re-deliver a copy
// whose removal had not reached the disk).
func TestKill9DuringDelivery(t *testing.T) {
	t.Parallel()
	hop := newNextHop(t)
	hop.up(t)
	d := newDaemon(t, sections{Delivery: smarthostTo(hop)})
	d.start()

	accepted := sendThenKill(t, d, 6, "MARK-k", 300)
	d.log = &testutil.SyncBuffer{}
	d.start()
	dups := hop.waitAll(t, accepted)
	t.Logf("%d messages accepted before SIGKILL, all delivered; %d delivered twice", len(accepted), dups)
	if len(accepted) == 0 {
		t.Fatal("nothing accepted before the kill")
	}
	if dups > len(accepted)/10+10 {
		t.Errorf("%d duplicates for %d messages: more than a handful", dups, len(accepted))
	}
}

// TestBounceDSN: a DSN sent back to a copy's signed envelope sender marks
// the recipient suppressed; a forged bounce address is refused.
func TestBounceDSN(t *testing.T) {
	t.Parallel()
	hop := newNextHop(t)
	hop.up(t)
	d := newDaemon(t, sections{Delivery: smarthostTo(hop)})
	d.start()
	send(t, d.smtpAddr, "to+gone=example.com@leak.example", "MARK-dsn")
	testutil.WaitFor(t, "delivery", func() bool { return hop.count("MARK-dsn") == 1 })
	hop.mu.Lock()
	from := hop.froms[len(hop.froms)-1]
	hop.mu.Unlock()
	if !regexp.MustCompile(`^bounce\+[a-z2-7]{40,}@leak\.example$`).MatchString(from) {
		t.Fatalf("envelope sender %q is not a signed bounce address", from)
	}

	c := dialSMTP(t, d.smtpAddr)
	c.cmd("EHLO mx.example.com")
	c.cmd("MAIL FROM:<>")
	forged := "bounce+" + strings.Repeat("a", 49-len("bounce+")) + "@leak.example"
	if r := c.cmd("RCPT TO:<" + forged + ">"); !strings.HasPrefix(r, "550 5.1.1") {
		t.Errorf("forged bounce address: %q", r)
	}
	if r := c.cmd("RCPT TO:<" + strings.ToUpper(from[:len(from)-len("@leak.example")]) + "@leak.example>"); !strings.HasPrefix(r, "250") {
		t.Fatalf("bounce address (case changed by a relay): %q", r)
	}
	if r := c.cmd("RCPT TO:<to+bob=example.com@leak.example>"); !strings.HasPrefix(r, "452") {
		t.Errorf("a relay recipient in a bounce transaction: %q, want 452", r)
	}
	c.cmd("DATA")
	dsn := "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver it.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n" +
		"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
	c.raw([]byte(dsn + ".\r\n"))
	if r := c.read(); !strings.HasPrefix(r, "250") {
		t.Fatalf("DSN: %q", r)
	}
	if r, _ := send(t, d.smtpAddr, "to+gone=example.com@leak.example", "after the bounce"); !strings.HasPrefix(r, "550 5.7.1") {
		t.Errorf("after a hard DSN, RCPT got %q, want 550 5.7.1", r)
	}
	if strings.Contains(d.log.String(), "gone@example.com") {
		t.Error("the log names the bounced recipient")
	}
}

// TestAnonymityDelay: with anonymity.delay, an accepted copy waits before
// its first delivery, then arrives; its Date is rounded to the minute.
func TestAnonymityDelay(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{Top: "anonymity:\n  delay: 3s\n  date_precision: 1m\n"})
	d.start()
	for i := 0; i < 5; i++ {
		if _, r := send(t, d.smtpAddr, "to+bob=example.com@leak.example", "MARK-delay"); !strings.HasPrefix(r, "250") {
			t.Fatalf("DATA: %q", r)
		}
	}
	// Five uniform delays below 3s: that none is still waiting now would
	// be a bug, not chance. Each waits for a time drawn from [0, 3s) after
	// the copy was made (both stored to the millisecond).
	waiting := d.queueJSON("--state", "deferred")
	if len(waiting) == 0 {
		t.Errorf("right after 250 no copy is waiting:\n%s", d.queue("list"))
	}
	for _, v := range waiting {
		if delay := v.Due.Sub(v.Created); delay < 0 || delay > 3*time.Second {
			t.Errorf("copy %s waits %v after it was made, want within the 3s delay", v.ID, delay)
		}
	}
	files := d.waitDelivered(5)
	b, _ := os.ReadFile(files[0])
	if !regexp.MustCompile(`(?m)^Date: .* \d\d:\d\d:00 \+0000\r$`).Match(b) {
		t.Errorf("Date not rounded to the minute:\n%s", b)
	}
	// Nor may the signatures' t= tell the second the sender sent.
	ts := regexp.MustCompile(`[;\s]t=(\d+);`).FindAllSubmatch(b, -1)
	if len(ts) != 2 {
		t.Fatalf("%d t= tags, want one in each DKIM-Signature:\n%s", len(ts), b)
	}
	for _, m := range ts {
		if n, _ := strconv.ParseInt(string(m[1]), 10, 64); n%60 != 0 {
			t.Errorf("DKIM-Signature t=%s, not rounded to the minute", m[1])
		}
	}
}
