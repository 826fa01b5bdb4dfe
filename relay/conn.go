package relay

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// maxCommandLine bounds an SMTP command line (RFC 5321 4.5.3.1.4 says 512
// octets; extensions make real ones longer, so allow some room). DATA lines
// are bounded separately by the strict reader.
const maxCommandLine = 4096

// listener wraps accepted connections so that every read and write pushes an
// idle deadline forward. go-smtp's ReadTimeout is one deadline for the whole
// DATA phase (upstream issue #196), which would cut off a slow 25 MiB upload
// and still let a silent client hold a DATA slot for the full period.
type listener struct {
	net.Listener
	idle  time.Duration
	conns *connSet
	count func(verb string, code int) // counts one command and its reply
	// admit decides whether a new connection may be served: a non-empty
	// refusal is written before closing; release runs when it closes.
	admit func(net.Addr) (refusal string, release func())
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		release := func() {}
		if l.admit != nil {
			refusal, rel := l.admit(c.RemoteAddr())
			if refusal != "" {
				// Refused before the greeting (RFC 5321 3.1: a 421 in
				// place of the 220), off the accept loop.
				go func() {
					c.SetWriteDeadline(time.Now().Add(5 * time.Second))
					io.WriteString(c, refusal+"\r\n")
					c.Close()
				}()
				continue
			}
			release = rel
		}
		cc := &conn{Conn: c, idle: l.idle, set: l.conns, count: l.count, release: release}
		l.conns.add(cc)
		return cc, nil
	}
}

// conn is one client connection. Outside DATA it also limits the length of a
// command line, since go-smtp's own line limit would otherwise also apply to
// message lines and close the connection mid-message.
type conn struct {
	net.Conn
	idle time.Duration
	set  *connSet

	inData  atomic.Bool
	eod     eodState // where DATA stands; only touched by Read
	lineLen int      // bytes since the last LF, outside DATA; only touched by Read

	// Command accounting: verbs read, waiting for their replies in order
	// (PIPELINING keeps replies in command order, RFC 2920 3.1). After
	// STARTTLS only ciphertext passes here, so counting stops.
	count   func(verb string, code int)
	verb    []byte   // start of the command line being read
	skip    int64    // bytes of a BDAT chunk still to pass unparsed
	pending []string // verbs whose final reply has not been written
	tls     bool

	release   func() // gives the connection's slot back to the policy
	closeOnce sync.Once
}

func (c *conn) Read(p []byte) (int, error) {
	if c.set.draining.Load() && !c.inData.Load() {
		return 0, c.bye()
	}
	if c.idle > 0 {
		c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	}
	n, err := c.Conn.Read(p)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && c.set.draining.Load() && !c.inData.Load() {
			return 0, c.bye()
		}
		return n, err
	}
	rest := p[:n]
	if c.inData.Load() {
		i := c.eod.scan(rest)
		if i < 0 {
			return n, nil
		}
		// DATA ended inside this read: what follows is commands again.
		c.inData.Store(false)
		c.lineLen = 0
		rest = rest[i:]
	}
	for i := 0; i < len(rest); i++ {
		if c.skip > 0 {
			k := min(c.skip, int64(len(rest)-i))
			c.skip -= k
			i += int(k) - 1
			continue
		}
		b := rest[i]
		if b == '\n' {
			c.endCommand()
			c.lineLen = 0
			continue
		}
		if c.lineLen < 32 {
			c.verb = append(c.verb, b)
		}
		c.lineLen++
		if c.lineLen > maxCommandLine {
			// go-smtp answers this error with 500 5.4.0 and closes.
			return 0, smtp.ErrTooLongLine
		}
	}
	return n, nil
}

func (c *conn) Write(p []byte) (int, error) {
	if c.idle > 0 {
		c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
	}
	c.countReplies(p)
	return c.Conn.Write(p)
}

// endCommand notes the verb of a command line just read. "BDAT n" is
// followed by n bytes of message that are not command lines (RFC 3030 2):
// they pass unparsed, whether go-smtp takes or refuses the chunk.
func (c *conn) endCommand() {
	f := bytes.Fields(c.verb)
	c.verb = c.verb[:0]
	if c.tls || len(f) == 0 {
		return
	}
	verb := string(bytes.ToUpper(f[0]))
	if verb == "BDAT" && len(f) > 1 {
		if n, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil && n > 0 {
			c.skip = n
		}
	}
	if c.count != nil {
		c.pending = append(c.pending, verb)
	}
}

// countReplies pairs each final reply line ("250 ...", not "250-...") in p
// with the oldest command waiting for one. go-smtp writes each reply in one
// call, so a reply line is never split across writes.
func (c *conn) countReplies(p []byte) {
	if c.count == nil || c.tls {
		return
	}
	for len(p) >= 4 && len(c.pending) > 0 {
		if p[3] == ' ' || p[3] == '\r' {
			code, err := strconv.Atoi(string(p[:3]))
			if err == nil {
				verb := c.pending[0]
				c.pending = c.pending[1:]
				c.count(verb, code)
				if verb == "STARTTLS" && code == 220 {
					c.tls = true
					return
				}
			}
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			return
		}
		p = p[i+1:]
	}
}

// startData switches the connection to DATA mode: no command line limit
// until the end-of-data line. go-smtp drains a refused message after Session.Data
// returns, so DATA mode must last until the terminator is read, not until
// Data returns.
func (c *conn) startData() {
	c.eod = eodBeginLine
	c.inData.Store(true)
}

// eodState follows go-smtp's DATA reader state machine (data.go), so both
// agree on where DATA ends: at <CRLF>.<CRLF> and nowhere else.
type eodState uint8

const (
	eodBeginLine eodState = iota
	eodDot
	eodDotCR
	eodCR
	eodMid
)

// scan advances the state over b and returns the index just past the
// end-of-data line, or -1 if DATA goes on.
func (s *eodState) scan(b []byte) int {
	st := *s
	for i, c := range b {
		switch st {
		case eodBeginLine:
			switch c {
			case '.':
				st = eodDot
			case '\r':
				st = eodCR
			default:
				st = eodMid
			}
		case eodDot:
			st = eodMid
			if c == '\r' {
				st = eodDotCR
			}
		case eodDotCR:
			if c == '\n' {
				*s = eodBeginLine
				return i + 1
			}
			st = eodMid
		case eodCR:
			st = eodMid
			if c == '\n' {
				st = eodBeginLine
			}
		case eodMid:
			if c == '\r' {
				st = eodCR
			}
		}
	}
	*s = st
	return -1
}

// bye tells a client between transactions that the server is going away. The
// io.EOF makes go-smtp end the connection quietly.
func (c *conn) bye() error {
	c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	io.WriteString(c.Conn, "421 4.3.2 Service shutting down, try again later\r\n")
	return io.EOF
}

func (c *conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.set.remove(c)
		if c.release != nil {
			c.release()
		}
		err = c.Conn.Close()
	})
	return err
}

// connSet tracks open connections so a shutdown can wake idle ones.
type connSet struct {
	draining atomic.Bool
	mu       sync.Mutex
	m        map[*conn]struct{}
}

func newConnSet() *connSet { return &connSet{m: make(map[*conn]struct{})} }

func (s *connSet) add(c *conn) {
	s.mu.Lock()
	s.m[c] = struct{}{}
	s.mu.Unlock()
}

func (s *connSet) remove(c *conn) {
	s.mu.Lock()
	delete(s.m, c)
	s.mu.Unlock()
}

// drain makes every connection that is not inside DATA say 421 and close at
// its next read; sessions inside DATA finish their message first.
func (s *connSet) drain() {
	s.draining.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		if !c.inData.Load() {
			c.Conn.SetReadDeadline(time.Now())
		}
	}
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	cs := make([]*conn, 0, len(s.m))
	for c := range s.m {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}
