package relay

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// The connection sends its replies when it is about to wait for the client,
// in one write: the lines of a multi-line reply together, and the replies to
// a pipelined group of commands together (RFC 2920 section 3.1). Over a
// net.Pipe each Read returns what one Write wrote, so the test sees the
// writes themselves.
func TestRepliesGoInOneWrite(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	set := newConnSet()
	lim := limits{idle: time.Minute, command: time.Minute, first: time.Minute, stress: time.Minute, minRate: 1}
	var mu sync.Mutex
	var counted []string
	c := &conn{Conn: server, set: set, lim: lim, release: func() {}, count: func(verb string, code int) {
		mu.Lock()
		counted = append(counted, verb+fmt.Sprint(code))
		mu.Unlock()
	}}
	c.waitSince.Store(time.Now().UnixNano())
	set.add(c)

	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return acceptAll{}, nil }))
	srv.Domain = "mx.leak.test"
	srv.ErrorLog = nopLog{}
	srv.EnableSMTPUTF8 = true
	l := &handOver{c: make(chan net.Conn, 1)}
	l.c <- c
	go srv.Serve(l)
	defer srv.Close()

	buf := make([]byte, 64<<10)
	write := func(s string) {
		t.Helper()
		client.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(client, s); err != nil {
			t.Fatalf("write %q: %v", s, err)
		}
	}
	// one reads what one write of the server carried, and checks that it
	// holds exactly the replies wanted, each complete.
	one := func(codes ...string) {
		t.Helper()
		client.SetDeadline(time.Now().Add(10 * time.Second))
		n, err := client.Read(buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		got := string(buf[:n])
		var finals []string
		for _, line := range strings.SplitAfter(got, "\r\n") {
			if len(line) >= 4 && line[3] == ' ' {
				finals = append(finals, line[:3])
			}
		}
		if !strings.HasSuffix(got, "\r\n") || strings.Join(finals, ",") != strings.Join(codes, ",") {
			t.Fatalf("one write carried %q; want the replies %v, complete", got, codes)
		}
	}
	one("220")
	write("EHLO client.test\r\n")
	one("250") // every line of the EHLO reply
	write("MAIL FROM:<a@sender.test>\r\nRCPT TO:<b@leak.test>\r\nRCPT TO:<c@leak.test>\r\nDATA\r\n")
	one("250", "250", "250", "354")
	write("Subject: x\r\n\r\nhello\r\n.\r\nNOOP\r\n")
	one("250", "250")
	write("QUIT\r\n")
	one("221") // sent as the connection closes
	mu.Lock()
	defer mu.Unlock()
	// Replies are still paired with their commands. (This session does
	// not tell the connection where a body starts, as relay's does, so the
	// body's lines count as unknown commands: only the first five are
	// checked.)
	if got := strings.Join(counted, " "); !strings.HasPrefix(got, "EHLO250 MAIL250 RCPT250 RCPT250 DATA354 ") {
		t.Errorf("counted %q", got)
	}
}

type acceptAll struct{}

func (acceptAll) Mail(string, *smtp.MailOptions) error { return nil }
func (acceptAll) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (acceptAll) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (acceptAll) Reset()        {}
func (acceptAll) Logout() error { return nil }

// handOver is a listener that serves the connections sent on c.
type handOver struct{ c chan net.Conn }

func (l *handOver) Accept() (net.Conn, error) {
	c, ok := <-l.c
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l *handOver) Close() error   { return nil }
func (l *handOver) Addr() net.Addr { return &net.TCPAddr{} }
