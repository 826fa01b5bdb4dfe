package courier

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawServer is a scripted SMTP server for what go-smtp's server would not
// do: it hands each command line to handle, which answers on w (flushed
// after it returns), may read more (a body) from r, and hangs up by
// returning true.
type rawServer struct {
	addr  string
	conns atomic.Int32
}

func startRaw(t *testing.T, handle func(line string, r *bufio.Reader, w *bufio.Writer) (hangUp bool)) *rawServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rs := &rawServer{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			rs.conns.Add(1)
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				r, w := bufio.NewReader(c), bufio.NewWriter(c)
				w.WriteString("220 raw.test ESMTP\r\n")
				w.Flush()
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					line = strings.TrimRight(line, "\r\n")
					switch verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0]); verb {
					case "EHLO":
						w.WriteString("250-raw.test\r\n250-8BITMIME\r\n250 PIPELINING\r\n")
					case "RSET", "NOOP":
						w.WriteString("250 2.0.0 ok\r\n")
					case "QUIT":
						w.WriteString("221 2.0.0 bye\r\n")
						w.Flush()
						return
					default:
						if handle(line, r, w) {
							w.Flush()
							return
						}
					}
					w.Flush()
				}
			})
		}
	})
	return rs
}

// readBody reads a DATA body up to its end-of-data line.
func readBody(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return b.String(), err
		}
		if line == ".\r\n" {
			return b.String(), nil
		}
		b.WriteString(line)
	}
}

// takeData answers DATA with 354, reads the body and answers with reply;
// it hangs up if the body does not come.
func takeData(r *bufio.Reader, w *bufio.Writer, reply string) (hangUp bool) {
	w.WriteString("354 go ahead\r\n")
	w.Flush()
	if _, err := readBody(r); err != nil {
		return true
	}
	w.WriteString(reply)
	return false
}

func newRawSmarthost(t *testing.T, rs *rawServer) *SMTP {
	t.Helper()
	s, err := NewSMTP(SMTPOptions{Mode: ModeSmarthost, Hostname: testHostname, Smarthost: rs.addr,
		SmarthostTLS: TLSNone, CommandTimeout: 5 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// With PIPELINING offered, MAIL, RCPT and DATA leave in one write (RFC
// 2920): the server finds RCPT and DATA already buffered behind MAIL.
func TestPipelinedCommandsInOneWrite(t *testing.T) {
	var mu sync.Mutex
	var behindMail, body, mail string
	rs := startRaw(t, func(line string, r *bufio.Reader, w *bufio.Writer) bool {
		switch {
		case strings.HasPrefix(line, "MAIL"):
			// Wait a moment, so that anything sent in the same write
			// has surely arrived.
			time.Sleep(20 * time.Millisecond)
			b, _ := r.Peek(r.Buffered())
			mu.Lock()
			behindMail, mail = string(b), line
			mu.Unlock()
			w.WriteString("250 2.1.0 ok\r\n")
		case strings.HasPrefix(line, "RCPT"):
			w.WriteString("250 2.1.5 ok\r\n")
		case line == "DATA":
			w.WriteString("354 go ahead\r\n")
			w.Flush()
			b, _ := readBody(r)
			mu.Lock()
			body = b
			mu.Unlock()
			w.WriteString("250 2.0.0 queued as 42\r\n")
		}
		return false
	})
	s := newRawSmarthost(t, rs)
	if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if behindMail != "RCPT TO:<bob@example.test>\r\nDATA\r\n" {
		t.Errorf("behind MAIL the server had %q; want RCPT and DATA, sent with it", behindMail)
	}
	if mail != "MAIL FROM:<bounce+x@leak.test> BODY=8BITMIME" {
		t.Errorf("MAIL line %q", mail)
	}
	// Dot-stuffed on the wire: the line ".leading dot" goes as "..leading dot".
	if want := strings.Replace(testBody, "\r\n.leading", "\r\n..leading", 1); body != want {
		t.Errorf("body on the wire %q, want %q", body, want)
	}
}

// A server that answers DATA with 354 although it refused the only
// recipient (RFC 2920 section 3.1 asks it not to) gets an empty body, the
// refusal is the recipient's, and the session goes on.
func TestPipelinedDataAcceptedAfterRefusal(t *testing.T) {
	var gotEmpty atomic.Bool
	rs := startRaw(t, func(line string, r *bufio.Reader, w *bufio.Writer) bool {
		switch {
		case strings.HasPrefix(line, "MAIL"):
			w.WriteString("250 2.1.0 ok\r\n")
		case strings.HasPrefix(line, "RCPT TO:<gone@"):
			w.WriteString("550 5.1.1 no such user\r\n")
		case strings.HasPrefix(line, "RCPT"):
			w.WriteString("250 2.1.5 ok\r\n")
		case line == "DATA":
			w.WriteString("354 go ahead\r\n")
			w.Flush()
			b, err := readBody(r)
			if err != nil {
				return true
			}
			if b == "" {
				gotEmpty.Store(true)
				w.WriteString("554 5.5.1 no valid recipients\r\n")
				return false
			}
			w.WriteString("250 2.0.0 queued\r\n")
		}
		return false
	})
	s := newRawSmarthost(t, rs)
	err := s.Deliver(context.Background(), testMsg("gone@example.test"))
	var e *Error
	if !errors.As(err, &e) || !e.Permanent || e.About != AboutRecipient || e.Code != 550 || !strings.Contains(e.Text, "5.1.1") {
		t.Fatalf("Deliver = %v (%+v); want the recipient's permanent 550 5.1.1", err, e)
	}
	if !gotEmpty.Load() {
		t.Error("the server's 354 was not answered with an empty body")
	}
	if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
		t.Fatalf("next message: %v", err)
	}
	if n := rs.conns.Load(); n != 1 {
		t.Errorf("%d connections; the session should have carried both messages", n)
	}
}

// A server that says more than it was asked is out of step: the message it
// took is delivered, and the next one gets a new connection.
func TestPipelinedExtraReplyDropsSession(t *testing.T) {
	rs := startRaw(t, func(line string, r *bufio.Reader, w *bufio.Writer) bool {
		switch {
		case strings.HasPrefix(line, "MAIL"), strings.HasPrefix(line, "RCPT"):
			w.WriteString("250 ok\r\n")
		case line == "DATA":
			return takeData(r, w, "250 2.0.0 queued\r\n250 2.0.0 and again\r\n")
		}
		return false
	})
	s := newRawSmarthost(t, rs)
	for i := range 2 {
		if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if n := rs.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: the out-of-step session was used again", n)
	}
}

func TestReplyError(t *testing.T) {
	for _, c := range []struct {
		code     int
		msg      string
		enh      [3]int
		wantText string
	}{
		{550, "5.1.1 no such user", [3]int{5, 1, 1}, "no such user"},
		{451, "4.7.1 greylisted", [3]int{4, 7, 1}, "greylisted"},
		{550, "4.1.1 class differs", [3]int{}, "4.1.1 class differs"},
		{550, "no code", [3]int{}, "no code"},
		{550, "5.1 too short", [3]int{}, "5.1 too short"},
		{550, "5.1000.1 too long", [3]int{}, "5.1000.1 too long"},
	} {
		se := replyError(c.code, c.msg)
		if [3]int(se.EnhancedCode) != c.enh || se.Message != c.wantText || se.Code != c.code {
			t.Errorf("replyError(%d, %q) = %v %q", c.code, c.msg, se.EnhancedCode, se.Message)
		}
	}
}

// A server that refuses MAIL and hangs up without answering the rest of the
// group: its refusal stands (not a network error to retry at once), and the
// next message gets a new connection.
func TestPipelinedRefusalThenHangUp(t *testing.T) {
	rs := startRaw(t, func(line string, r *bufio.Reader, w *bufio.Writer) bool {
		switch {
		case strings.HasPrefix(line, "MAIL FROM:<refused"):
			w.WriteString("550 5.7.1 not from you\r\n")
			return true
		case strings.HasPrefix(line, "MAIL"), strings.HasPrefix(line, "RCPT"):
			w.WriteString("250 ok\r\n")
		case line == "DATA":
			return takeData(r, w, "250 2.0.0 queued\r\n")
		}
		return false
	})
	s := newRawSmarthost(t, rs)
	m := testMsg("bob@example.test")
	m.From = "refused@leak.test"
	err := s.Deliver(context.Background(), m)
	var e *Error
	if !errors.As(err, &e) || !e.Permanent || e.Code != 550 || !strings.Contains(e.Text, "not from you") {
		t.Fatalf("Deliver = %v; want the server's 550 5.7.1", err)
	}
	if err := s.Deliver(context.Background(), testMsg("bob@example.test")); err != nil {
		t.Fatalf("next message: %v", err)
	}
	if n := rs.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}
