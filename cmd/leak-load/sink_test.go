package main

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func testSink(t *testing.T, sample int) *sink {
	t.Helper()
	s, err := startSink(sinkOptions{Listen: "127.0.0.1:0", DKIMSample: sample})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func waitFor(t *testing.T, s *sink, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !s.wait(ctx, n) {
		t.Fatalf("%d messages arrived, want %d", s.Delivered(), n)
	}
}

// TestSinkCounts sends messages over a real socket with our client:
// marked ones (one twice), an unmarked one, one with a marker inside a
// line that must not count. The sink counts distinct messages, duplicates
// and unmarked ones, and computes latencies from the markers.
func TestSinkCounts(t *testing.T) {
	s := testSink(t, 2)
	g := testGenerator(t, 3000)
	c, err := dial(s.Addr(), "test.example", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.quit()
	if !c.pipelining || !c.size {
		t.Errorf("sink does not advertise PIPELINING and SIZE")
	}
	sent := time.Now().Add(-time.Second) // a second in flight
	for seq := range 5 {
		if _, err := c.send("a@example.net", "b@example.com", g.Message(seq, sent)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.send("a@example.net", "b@example.com", g.Message(3, sent)); err != nil {
		t.Fatal(err)
	}
	plain := &message{head: []byte("Subject: no marker\r\n\r\nbody LEAKLOAD 0123abcd 0000000009 1800000000123456789\r\n")}
	if _, err := c.send("a@example.net", "b@example.com", plain); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, 6)
	s.Close()
	r := s.result(time.Time{})
	if r.Delivered != 6 || r.Duplicates != 1 || r.Unmarked != 1 {
		t.Errorf("delivered %d, duplicates %d, unmarked %d; want 6, 1, 1", r.Delivered, r.Duplicates, r.Unmarked)
	}
	if r.Latency.Count != 5 || r.Latency.P50 < 1000 {
		t.Errorf("latency %+v: want 5 samples of at least 1000 ms", r.Latency)
	}
	if r.FirstSent.UnixNano() != sent.UnixNano() {
		t.Errorf("first sent %v, want %v", r.FirstSent, sent)
	}
	if r.Bytes != int64(6*3000+len(plain.head)) {
		t.Errorf("bytes %d, want %d", r.Bytes, 6*3000+len(plain.head))
	}
	if got := len(s.takeSamples()); got != 2 {
		t.Errorf("%d DKIM samples kept, want 2", got)
	}
	if r.PerSecond <= 0 {
		t.Errorf("rate %v", r.PerSecond)
	}
}

// TestSendThroughSink runs send against the sink with several sessions and
// a per-connection limit: every message is accepted and arrives once.
func TestSendThroughSink(t *testing.T) {
	s := testSink(t, 0)
	res, err := send(context.Background(), sendOptions{Addr: s.Addr(), N: 60, C: 4, Size: 2048,
		From: "load@load.example", Rcpt: "to+bob=example.com@leak.example", HELO: "load.example",
		Duration: time.Minute, Timeout: 10 * time.Second, PerConn: 7})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempted != 60 || res.Accepted != 60 || len(res.Errors) != 0 {
		t.Fatalf("attempted %d, accepted %d, errors %v", res.Attempted, res.Accepted, res.Errors)
	}
	// 60 messages, 7 per connection: at least 9 connections.
	if res.Connections < 9 {
		t.Errorf("%d connections, want at least 9", res.Connections)
	}
	if res.Latency.Count != 60 || res.PerSecond <= 0 {
		t.Errorf("latency %+v, rate %v", res.Latency, res.PerSecond)
	}
	waitFor(t, s, 60)
	if r := s.result(res.Start); r.Delivered != 60 || r.Duplicates != 0 || r.Unmarked != 0 || r.Latency.Count != 60 {
		t.Errorf("sink: %+v", r)
	}
}

// refusing is a server that refuses some commands, to check that send
// counts errors by reply code and stays in step.
type refusing struct{ mail, rcpt, data error }

func (r refusing) NewSession(*smtp.Conn) (smtp.Session, error) { return r, nil }
func (r refusing) Mail(string, *smtp.MailOptions) error        { return r.mail }
func (r refusing) Rcpt(string, *smtp.RcptOptions) error        { return r.rcpt }
func (refusing) Reset()                                        {}
func (refusing) Logout() error                                 { return nil }
func (r refusing) Data(rd io.Reader) error {
	io.Copy(io.Discard, rd)
	return r.data
}

func startRefusing(t *testing.T, be refusing) string {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "refusing.example"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestSendCountsErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		be    refusing
		want  string
		conns int
	}{
		{"rcpt", refusing{rcpt: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}}, "550 5.7.1 at RCPT", 3},
		{"data", refusing{data: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}}, "451 4.3.0 at DATA-end", 3},
		// 421 means the server closes the connection: a new one per message.
		{"closing", refusing{mail: &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down"}}, "421 4.3.2 at MAIL", 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := startRefusing(t, c.be)
			res, err := send(context.Background(), sendOptions{Addr: addr, N: 12, C: 3, Size: 1500,
				From: "a@example.net", Rcpt: "b@example.com", HELO: "t.example", Duration: time.Minute, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Accepted != 0 || res.Errors[c.want] != 12 || len(res.Errors) != 1 {
				t.Errorf("accepted %d, errors %v; want 12 × %q", res.Accepted, res.Errors, c.want)
			}
			// The sessions stayed in step: at most one connection each (a
			// session may find every message taken before it connects),
			// unless the server said it was closing: then one per message.
			if res.Connections < 1 || res.Connections > c.conns || (c.name == "closing" && res.Connections != c.conns) {
				t.Errorf("%d connections, want at most %d", res.Connections, c.conns)
			}
		})
	}
}

// TestSendRelayDown: with nothing listening, every attempt is counted as
// refused and the run ends.
func TestSendRelayDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res, err := send(context.Background(), sendOptions{Addr: addr, N: 3, C: 3, Size: 1000,
		From: "a@example.net", Rcpt: "b@example.com", HELO: "t.example", Duration: 10 * time.Second, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 0 || res.Errors["net: connection refused"] != 3 {
		t.Errorf("accepted %d, errors %v", res.Accepted, res.Errors)
	}
}

func TestErrorKey(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&replyError{stage: "MAIL", code: 421, text: "4.3.2 shutting down"}, "421 4.3.2 at MAIL"},
		{&replyError{stage: "DATA-end", code: 554, text: "Transaction failed"}, "554 at DATA-end"},
		{&replyError{stage: "RCPT", code: 452, text: "4.5.3 too many"}, "452 4.5.3 at RCPT"},
		{io.EOF, "net: closed by peer"},
		{errors.New("strange"), "net: other"},
	} {
		if got := errorKey(c.err); got != c.want {
			t.Errorf("errorKey(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestSendOptionsCheck(t *testing.T) {
	good := sendOptions{Addr: "x:1", N: 1, C: 1, Size: 1, Duration: time.Second, Timeout: time.Second}
	if err := good.check(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*sendOptions){
		"addr": func(o *sendOptions) { o.Addr = "" }, "n": func(o *sendOptions) { o.N = 0 },
		"c": func(o *sendOptions) { o.C = 0 }, "size": func(o *sendOptions) { o.Size = 0 },
		"duration": func(o *sendOptions) { o.Duration = 0 },
	} {
		o := good
		mod(&o)
		if err := o.check(); err == nil || !strings.Contains(err.Error(), "send:") {
			t.Errorf("%s: check = %v", name, err)
		}
	}
}
