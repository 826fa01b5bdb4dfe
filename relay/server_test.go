package relay

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"leak/policy/testutil"
)

func TestAcceptAndDeliver(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	c := dial(t, tr.addr)
	c.open("friend+bob=example.com@leak.example")
	c.cmd("DATA", "354")
	c.send(simpleMessage + ".\r\n")
	c.expect("250")
	c.cmd("QUIT", "221")

	msg := tr.delivered(t, 1)[0]
	for _, want := range []string{
		"Delivered-To: bob@example.com\r\n",
		"Return-Path: <bounce+",
		"DKIM-Signature: a=rsa-sha256;",
		"DKIM-Signature: a=ed25519-sha256;",
		`"A friend, anonymously" <anonymous@leak.example>`,
		"To: bob@example.com\r\n",
		"Subject: hello there\r\n",
		"KEEP-BODY",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("delivered message lacks %q:\n%s", want, msg)
		}
	}
	for _, secret := range []string{"sender@example.net", "Sender Person", "secret-id-1234", "client.example"} {
		if strings.Contains(msg, secret) {
			t.Errorf("delivered message leaks %q", secret)
		}
	}
}

// Each recipient gets an independent copy that names only them.
func TestRecipientsGetIndependentCopies(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	c := dial(t, tr.addr)
	rcpts := []string{"to+bob=example.com@leak.example", "friend+ari.n=example.net@leak.example", "family+carl=example.org@leak.example"}
	c.open(rcpts...)
	c.cmd("RCPT TO:<TO+bob=EXAMPLE.com@leak.example>", "250") // the same person again: one copy
	c.cmd("DATA", "354")
	c.send(simpleMessage + ".\r\n")
	c.expect("250")

	msgs := tr.delivered(t, 3)
	seen := map[string]bool{}
	for _, m := range msgs {
		var to string
		for _, who := range []string{"bob@example.com", "ari.n@example.net", "carl@example.org"} {
			if strings.Contains(m, "To: "+who+"\r\n") {
				to = who
			}
		}
		if to == "" {
			t.Fatalf("copy without a known To:\n%s", m)
		}
		seen[to] = true
		// Another recipient is named by their address, plain or encoded
		// as in the sender's To: field ("to+bob=example.com@..."). A bare
		// "bob" may turn up by chance in the random base64 of a signature.
		lower := strings.ToLower(m)
		for _, other := range []string{"bob@example.com", "ari.n@example.net", "carl@example.org"} {
			if other != to && (strings.Contains(lower, other) || strings.Contains(lower, strings.Replace(other, "@", "=", 1))) {
				t.Errorf("copy for %s names %s", to, other)
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("copies went to %v", seen)
	}
}

// SMTP smuggling: every non-CRLF end-of-data variant is refused as a whole
// and the smuggled commands are never executed.
func TestSmugglingRefused(t *testing.T) {
	t.Parallel()
	for name, eod := range map[string]string{
		"LF.LF":   "\n.\n",
		"CR.CR":   "\r.\r",
		"LF.CRLF": "\n.\r\n",
		"CRLF.LF": "\r\n.\n",
		"bareCR":  "\r",
	} {
		t.Run(name, func(t *testing.T) {
			tr := startRelay(t, nil)
			c := dial(t, tr.addr)
			c.open("to+bob=example.com@leak.example")
			c.cmd("DATA", "354")
			c.send("Subject: first\r\n\r\nKEEP-FIRST" + eod +
				"MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<to+victim=example.org@leak.example>\r\nDATA\r\n" +
				"Subject: smuggled\r\n\r\nSMUGGLED\r\n.\r\n")
			r := c.expect("554 5.6.0")
			// The next reply must be to our own next command, not to a
			// smuggled one.
			c.cmd("NOOP", "250")
			if strings.Contains(r, "\n") {
				t.Errorf("several replies to one DATA: %q", r)
			}
			tr.noneDelivered(t)
		})
	}
}

func TestLineAndContentChecks(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 999)
	for name, body := range map[string]string{
		"long line": "Subject: x\r\n\r\n" + long + "\r\n",
		"NUL":       "Subject: x\r\n\r\nnul\x00here\r\n",
		"bare LF":   "Subject: x\n\nbody\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			tr := startRelay(t, nil)
			c := dial(t, tr.addr)
			c.open("to+bob=example.com@leak.example")
			c.cmd("DATA", "354")
			c.send(body + ".\r\n")
			c.expect("554 5.6.0")
			// The session stays usable.
			c.cmd("MAIL FROM:<a@example.net>", "250")
			c.cmd("RCPT TO:<to+bob=example.com@leak.example>", "250")
			c.cmd("DATA", "354")
			c.send(simpleMessage + ".\r\n")
			c.expect("250")
			tr.delivered(t, 1)
		})
	}
}

func TestSizeLimits(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) { o.MaxMessageBytes = 64 << 10 })
	c := dial(t, tr.addr)
	c.cmd("EHLO client.example", "250")
	c.cmd("MAIL FROM:<a@example.net> SIZE=100000", "552 5.3.4")

	c.cmd("MAIL FROM:<a@example.net>", "250")
	c.cmd("RCPT TO:<to+bob=example.com@leak.example>", "250")
	c.cmd("DATA", "354")
	big := strings.Repeat(strings.Repeat("y", 76)+"\r\n", 2000)
	c.send("Subject: big\r\n\r\n" + big + ".\r\n")
	c.expect("552 5.3.4")
	c.cmd("NOOP", "250")
	tr.noneDelivered(t)
}

func TestRecipientReplies(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) { o.MaxRecipients = 2 })
	c := dial(t, tr.addr)
	c.cmd("EHLO client.example", "250")
	c.cmd("MAIL FROM:<a@example.net>", "250")
	for rcpt, want := range map[string]string{
		"bob@example.com":                              "550 5.7.1",
		"to+bob=example.com@mx.leak.example":           "550 5.7.1",
		"to+bob=leak.example@leak.example":             "550 5.1.1",
		"boss+bob=example.com@leak.example":            "550 5.1.1",
		"to+bob=[192.0.2.10]@leak.example":             "5", // go-smtp refuses "[" in a local part: 501 5.5.2
		"to+bob%evil.example=example.com@leak.example": "550 5.1.1",
	} {
		c.cmd("RCPT TO:<"+rcpt+">", want)
	}
	c.cmd("RCPT TO:<to+a=example.com@leak.example>", "250")
	c.cmd("RCPT TO:<to+b=example.com@leak.example>", "250")
	c.cmd("RCPT TO:<to+c=example.com@leak.example>", "452 4.5.3")
}

func TestCommandLineTooLong(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	c := dial(t, tr.addr)
	c.send("NOOP " + strings.Repeat("a", 5000) + "\r\n")
	c.expect("500")
	if !c.closed() {
		t.Error("connection still open after an over-long command line")
	}
}

// The idle timeout refreshes on every read: a slow but steady client is
// served, a silent one is dropped.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) { o.IdleTimeout = 1500 * time.Millisecond })

	slow := dial(t, tr.addr)
	slow.open("to+bob=example.com@leak.example")
	slow.cmd("DATA", "354")
	slow.send("Subject: slow\r\n\r\n")
	for i := 0; i < 8; i++ { // 8 × 400ms: twice the idle timeout in total
		time.Sleep(400 * time.Millisecond) // the slow client under test
		slow.send(fmt.Sprintf("line %d\r\n", i))
	}
	slow.send(".\r\n")
	slow.expect("250")

	silent := dial(t, tr.addr)
	silent.expect("421")
	if !silent.closed() {
		t.Error("silent connection not closed")
	}
}

func TestPanicIsContained(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	tr.srv.panicHook = func(step string) {
		if step == "rcpt" {
			panic("test panic")
		}
	}
	c := dial(t, tr.addr)
	c.cmd("EHLO client.example", "250")
	c.cmd("MAIL FROM:<a@example.net>", "250")
	c.cmd("RCPT TO:<to+bob=example.com@leak.example>", "421")
	tr.srv.panicHook = nil

	c2 := dial(t, tr.addr)
	c2.open("to+bob=example.com@leak.example")
	c2.cmd("DATA", "354")
	c2.send(simpleMessage + ".\r\n")
	c2.expect("250")
}

// An internal failure is a 451 with a generic text: no path, no Go error.
func TestInternalErrorIsGeneric(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	tr.spool.Close() // every write now fails
	c := dial(t, tr.addr)
	c.open("to+bob=example.com@leak.example")
	c.cmd("DATA", "354")
	c.send(simpleMessage + ".\r\n")
	r := c.expect("451 4.3.0")
	if strings.Contains(r, "/") || strings.Contains(r, "spool") || strings.Contains(r, "closed") {
		t.Errorf("reply leaks internals: %q", r)
	}
}

func TestShutdownSays421(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	idle := dial(t, tr.addr)
	idle.cmd("EHLO client.example", "250")

	inData := dial(t, tr.addr)
	inData.open("to+bob=example.com@leak.example")
	inData.cmd("DATA", "354")
	inData.send("Subject: during shutdown\r\n\r\n")
	testutil.WaitFor(t, "the session to be in DATA", func() bool { return tr.srv.conns.receiving() == 1 })

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- tr.srv.Shutdown(ctx)
	}()
	idle.expect("421 4.3.2")
	inData.send("KEEP-SHUTDOWN\r\n.\r\n")
	inData.expect("250")
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	msgs := tr.delivered(t, 1)
	if !strings.Contains(msgs[0], "KEEP-SHUTDOWN") {
		t.Error("message finished during shutdown was not delivered")
	}
}

// BDAT (CHUNKING, which go-smtp always offers): chunks are taken by size,
// and lines inside them are never read as commands.
func TestBDAT(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	c := dial(t, tr.addr)
	c.open("to+bob=example.com@leak.example")
	part1 := "Subject: chunked\r\n\r\nNOOP this is not a command\r\n"
	part2 := "KEEP-BDAT " + strings.Repeat("z", 900) + "\r\n"
	c.send(fmt.Sprintf("BDAT %d\r\n%s", len(part1), part1))
	c.expect("250")
	c.send(fmt.Sprintf("BDAT %d LAST\r\n%s", len(part2), part2))
	c.expect("250")
	c.cmd("NOOP", "250")
	msg := tr.delivered(t, 1)[0]
	if !strings.Contains(msg, "KEEP-BDAT") || !strings.Contains(msg, "NOOP this is not a command") {
		t.Errorf("chunked message lost content:\n%s", msg)
	}
}

func TestCommandsCounted(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, nil)
	c := dial(t, tr.addr)
	// Pipelined: three commands in one write, replies in order.
	c.send("EHLO client.example\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<bob@example.com>\r\n")
	c.expect("250")
	c.expect("250")
	c.expect("550")
	c.cmd("NOOP", "250")
	c.cmd("QUIT", "221")
	c.closed()
	for _, tt := range []struct {
		verb, class string
		want        float64
	}{
		{"EHLO", "2xx", 1}, {"MAIL", "2xx", 1}, {"RCPT", "5xx", 1}, {"NOOP", "2xx", 1}, {"QUIT", "2xx", 1}, {"RCPT", "2xx", 0},
	} {
		if got := testutilValue(t, tr, tt.verb, tt.class); got != tt.want {
			t.Errorf("commands{%s,%s} = %v, want %v", tt.verb, tt.class, got, tt.want)
		}
	}
}
