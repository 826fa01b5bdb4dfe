package relay

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// FuzzConnData feeds one byte stream from a client to a real go-smtp server
// through the connection wrapper, and checks that both see the same
// dialogue: where a DATA body ends and whether a BDAT chunk follows a
// command line. Any chunk size splits go-smtp's reads; with reads of one
// byte go-smtp holds nothing the wrapper has not accounted for, so the
// check is exact. Nothing may panic.
func FuzzConnData(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n",
		"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n..dot\r\n.\rX\r\n.\r\nNOOP\r\n",
		"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\na\n.\nb\r.\r\n\r\n.\r\nRSET\r\n",
		"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n.\r\r\n.\r\n",
		"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5\r\nab\r\nBDAT 3 LAST\r\n.\r\nNOOP\r\n",
		"HELO x\r\nBDAT 4\r\nQUIT\r\nNOOP\r\n",
		"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5 X\r\nNOOP\r\nQUIT\r\n",
		"HELO x\r\nBDAT\t5\r\nNOOP\r\n BDAT 4\r\nRSET\r\nbdat +3\r\nBDAT 99999999999\r\nQUIT\r\n",
		"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 0 LAST\r\n\r\nSTARTTLSX\r\nDATA x\r\nDATA\r\n.\r\n",
	} {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		if len(stream) > 8<<10 {
			return
		}
		if err := runConnFuzz(stream, int(chunk)); err != nil {
			t.Fatal(err)
		}
	})
}

// runConnFuzz serves stream on one connection and reports the first
// disagreement between the wrapper and go-smtp.
func runConnFuzz(stream []byte, chunk int) error {
	if chunk == 0 {
		chunk = 4096 // go-smtp's own buffer
	}
	server := &streamConn{r: bytes.NewReader(stream), chunk: chunk}
	set := newConnSet()
	lim := limits{idle: time.Minute, command: time.Minute, first: time.Minute, stress: time.Minute, minRate: 1}
	c := &conn{Conn: server, set: set, lim: lim, count: func(string, int) {}, release: func() {}}
	c.waitSince.Store(time.Now().UnixNano())
	set.add(c)
	h := &harness{c: c, chunk: chunk}

	srv := smtp.NewServer(h)
	srv.Domain = "fuzz.test"
	srv.MaxMessageBytes = 1 << 10
	srv.MaxLineLength = 0
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = nopLog{}
	l := &oneConn{c: h, done: make(chan struct{})}
	served := make(chan struct{})
	go func() {
		srv.Serve(l)
		close(served)
	}()
	<-l.done // the connection was served to its end
	srv.Close()
	<-served
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// harness stands between the wrapper and go-smtp (as go-smtp's net.Conn)
// and is the backend too: it sees every read go-smtp makes, every reply it
// writes, and where its DATA reader ends.
type harness struct {
	net.Conn // unused methods; the wrapper is c
	c        *conn
	chunk    int

	mu     sync.Mutex
	inData bool // go-smtp is reading a DATA body
	ended  bool // the client's stream ended: checks stop
	err    error
}

func (h *harness) fail(format string, args ...any) {
	h.mu.Lock()
	if h.err == nil {
		h.err = fmt.Errorf(format, args...)
	}
	h.mu.Unlock()
}

func (h *harness) Read(p []byte) (int, error) {
	h.mu.Lock()
	inData, ended := h.inData, h.ended
	h.mu.Unlock()
	if inData && !ended && !h.c.dataMode {
		// The wrapper ended the body; go-smtp wants more of it.
		h.fail("go-smtp reads on in DATA after the wrapper saw its end")
	}
	n, err := h.c.Read(p[:min(len(p), h.chunk)])
	if err != nil {
		h.mu.Lock()
		h.ended = true
		h.mu.Unlock()
	}
	return n, err
}

func (h *harness) Write(p []byte) (int, error) {
	h.mu.Lock()
	ended := h.ended
	h.mu.Unlock()
	if !ended && len(p) >= 4 && p[3] == ' ' {
		// A final reply: go-smtp is between commands (a DATA body and
		// a BDAT chunk it takes are read before their reply).
		switch {
		case h.c.dataMode:
			h.fail("go-smtp replied %q while the wrapper is in DATA", p)
		case h.c.skip > 0 && !bytes.HasPrefix(p, []byte("502 ")) && !bytes.HasPrefix(p, []byte("552 ")):
			// go-smtp refuses a chunk (no recipient, too big) before
			// it reads it; any other reply comes after.
			h.fail("go-smtp replied %q while the wrapper expects %d more bytes of a BDAT chunk", p, h.c.skip)
		}
	}
	return h.c.Write(p)
}

func (h *harness) Close() error                { return h.c.Close() }
func (h *harness) LocalAddr() net.Addr         { return h.c.LocalAddr() }
func (h *harness) RemoteAddr() net.Addr        { return h.c.RemoteAddr() }
func (h *harness) SetDeadline(time.Time) error { return nil }

func (h *harness) SetReadDeadline(time.Time) error  { return nil }
func (h *harness) SetWriteDeadline(time.Time) error { return nil }

// NewSession implements smtp.Backend.
func (h *harness) NewSession(*smtp.Conn) (smtp.Session, error) { return fuzzSession{h}, nil }

type fuzzSession struct{ h *harness }

func (s fuzzSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s fuzzSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s fuzzSession) Reset()                               {}
func (s fuzzSession) Logout() error                        { return nil }

// Data reads the body to its end as the relay's session does, and checks
// that the wrapper saw the same end.
func (s fuzzSession) Data(r io.Reader) error {
	h := s.h
	if _, bdat := r.(*io.PipeReader); bdat {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	h.c.startData()
	h.mu.Lock()
	h.inData = true
	h.mu.Unlock()
	_, err := io.Copy(io.Discard, bodyReader{r: r, c: h.c})
	h.mu.Lock()
	h.inData = false
	ended := h.ended
	h.mu.Unlock()
	if (err == nil || errors.Is(err, errBareCR)) && !ended && h.c.dataMode {
		h.fail("go-smtp's DATA ended before the wrapper saw its end")
	}
	if errors.Is(err, smtp.ErrDataTooLarge) {
		return err
	}
	return nil
}

// streamConn is the client's side: it sends the stream in reads of at
// most chunk bytes, then ends it, and takes the replies.
type streamConn struct {
	net.Conn // unused methods
	r        *bytes.Reader
	chunk    int
}

func (s *streamConn) Read(p []byte) (int, error)       { return s.r.Read(p[:min(len(p), s.chunk)]) }
func (s *streamConn) Write(p []byte) (int, error)      { return len(p), nil }
func (s *streamConn) Close() error                     { return nil }
func (s *streamConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (s *streamConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (s *streamConn) SetDeadline(time.Time) error      { return nil }
func (s *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (s *streamConn) SetWriteDeadline(time.Time) error { return nil }

// oneConn is a listener that hands out one connection, then waits for
// it to be closed.
type oneConn struct {
	c    *harness
	once sync.Once
	done chan struct{}
	used bool
}

func (l *oneConn) Accept() (net.Conn, error) {
	if !l.used {
		l.used = true
		return &closeNotify{harness: l.c, l: l}, nil
	}
	<-l.done
	return nil, net.ErrClosed
}
func (l *oneConn) Close() error   { return nil }
func (l *oneConn) Addr() net.Addr { return &net.TCPAddr{} }

type closeNotify struct {
	*harness
	l *oneConn
}

func (c *closeNotify) Close() error {
	err := c.harness.Close()
	c.l.once.Do(func() { close(c.l.done) })
	return err
}

type nopLog struct{}

func (nopLog) Printf(string, ...any) {}
func (nopLog) Println(...any)        {}
