package relay

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// maxHeldReplies bounds the replies a connection holds back (see
// conn.Write) before it sends them anyway.
const maxHeldReplies = 16 << 10

// maxCommandLine bounds an SMTP command line (RFC 5321 4.5.3.1.4 says 512
// octets; extensions make real ones longer, so allow some room). DATA lines
// are bounded separately by the strict reader.
const maxCommandLine = 4096

// The server's last words on a connection it ends itself.
const (
	sayShutdown = "421 4.3.2 Service shutting down, try again later"
	sayEvicted  = "421 4.4.2 Idle connection closed: the server is busy, try again later"
)

// limits are the time limits of a connection (Options, defaults applied).
type limits struct {
	idle    time.Duration // no byte either way
	command time.Duration // from our reply to the client's next complete command
	first   time.Duration // from the greeting to the first complete command
	stress  time.Duration // replaces command and first while the connection limit is hit
	minRate int64         // bytes/s a message body must average after a grace of command
}

// listener wraps accepted connections (see conn) and applies the connection
// limits before the greeting.
type listener struct {
	net.Listener
	set   *connSet
	lim   limits
	count func(verb string, code int) // counts one command and its reply
	// admit decides whether a new connection may be served: a non-empty
	// refusal is written before closing; release runs when it closes.
	admit func(netip.Addr) (refusal string, release func())
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := peerIP(c.RemoteAddr())
		release := func() {}
		if l.admit != nil {
			refusal, rel := l.admit(ip)
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
		cc := &conn{Conn: c, ip: ip, set: l.set, lim: l.lim, count: l.count, release: release}
		cc.waitSince.Store(time.Now().UnixNano())
		l.set.add(cc)
		return cc, nil
	}
}

func peerIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

// conn is one client connection, between the socket and go-smtp. It
//
//   - hands go-smtp one command line per Read, so that go-smtp never holds
//     commands it has not asked for (after "500 Too many errors" it would
//     run them on a closed session and panic), and limits their length
//     (go-smtp's own limit would also apply to message lines);
//   - follows DATA as go-smtp's reader does, to hand over a body up to its
//     end in bulk, and to see the "\r\n.\r" go-smtp drops without a word;
//   - enforces the time limits: the idle timeout, a deadline for each
//     command independent of the bytes that trickle in, and a minimum rate
//     for message bodies (go-smtp's ReadTimeout is one deadline for all of
//     DATA, upstream issue #196);
//   - counts commands and replies;
//   - sends replies only when it is about to wait for the client, in one
//     write: a multi-line EHLO reply is one segment rather than one per
//     line (go-smtp flushes each line), and the replies to pipelined
//     commands go together, as RFC 2920 section 3.1 asks of a server;
//   - keeps the client's address out of errors (scrub, peerAddr).
//
// After STARTTLS only ciphertext passes: lines are no longer seen, and the
// phase of the session comes from the session's own calls instead.
type conn struct {
	net.Conn
	ip      netip.Addr // for policy and fairness only; never logged or stored
	set     *connSet
	lim     limits
	count   func(verb string, code int)
	release func() // gives the connection's slot back to the policy; may run twice

	// Read side: touched only by the goroutine go-smtp serves the
	// connection on (Read, Write, and the session's calls).
	mem       [2 * maxCommandLine]byte
	buf       []byte   // read from the socket, not yet handed to go-smtp
	dataMode  bool     // handing a DATA body over, up to its end
	eod       eodState // where DATA stands
	dotCR     bool     // this DATA had "\r\n.\r" without LF: a bare CR
	lineLen   int      // bytes since the last LF, outside DATA
	line      []byte   // the command line being read, up to maxCommandLine
	skip      int64    // bytes of a BDAT chunk still to pass unparsed
	commands  int      // complete command lines read
	pending   []string // verbs whose final reply has not been written
	dataStart time.Time
	dataBytes int64 // body bytes since dataStart
	readErr   error // a timeout, or the end after a failed TLS handshake: every later read fails the same way

	// Write side: the replies held back until the next read would wait
	// (flush). Locked because Close may come from another goroutine.
	wmu  sync.Mutex
	wbuf []byte

	// Shared with shutdown, eviction and the stress poke.
	tls       atomic.Bool  // STARTTLS done: ciphertext from here on
	phase     atomic.Int32 // phaseIdle, phaseMail or phaseEvicted
	receiving atomic.Bool  // a message body is coming in
	waitSince atomic.Int64 // unix ns of our last write: the command clock starts there
	lost      atomic.Bool  // the socket failed or hit EOF: the client is gone
	said421   atomic.Bool  // we said goodbye: go-smtp's later words are dropped
	panicked  atomic.Bool  // go-smtp recovered a panic on this connection
	closed    atomic.Bool
	topMu     sync.Mutex
	top       *tls.Conn // the TLS layer go-smtp talks through, once a session runs on it
	closeOnce sync.Once
}

// Phases that decide whether a connection may be evicted.
const (
	phaseIdle    int32 = iota // no transaction: may be evicted under pressure
	phaseMail                 // from MAIL until the transaction ends
	phaseEvicted              // told to leave; says 421 at its next read
)

// RemoteAddr hides the client's address from go-smtp, which only logs it.
func (c *conn) RemoteAddr() net.Addr { return peerAddr{c} }

func (c *conn) Read(p []byte) (int, error) {
	if c.closed.Load() {
		// go-smtp closed the connection ("500 Too many errors", a panic)
		// but reads on: it must not get the commands still buffered here.
		return 0, net.ErrClosed
	}
	if len(c.buf) == 0 {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	body := c.inBody()
	var b []byte
	switch {
	case c.tls.Load():
		// Ciphertext: handed over as it is.
		b = c.buf
	case c.dataMode:
		b = c.buf
		if i := c.eod.scan(b[:min(len(b), len(p))], &c.dotCR); i >= 0 {
			// What follows the end-of-data line is commands again.
			b = b[:i]
			c.dataMode = false
			c.lineLen = 0
		}
	case c.skip > 0:
		b = c.buf[:min(int64(len(c.buf)), c.skip)]
		c.skip -= int64(min(len(b), len(p)))
	default:
		// Only whole command lines: a line cut short by a timeout or a
		// reset would otherwise run as a command (go-smtp's reader
		// returns a partial line before the error).
		i := bytes.IndexByte(c.buf, '\n')
		for i < 0 {
			if len(c.buf) > maxCommandLine {
				// go-smtp answers this error with 500 5.4.0 and closes.
				return 0, smtp.ErrTooLongLine
			}
			if err := c.fill(); err != nil {
				return 0, err
			}
			i = bytes.IndexByte(c.buf, '\n')
		}
		b = c.buf[:min(i+1, len(p))]
		if err := c.scanCommand(b); err != nil {
			return 0, err
		}
	}
	n := copy(p, b)
	if body {
		c.dataBytes += int64(n)
	}
	c.buf = c.buf[n:]
	return n, nil
}

// fill reads from the socket, after what buf holds already, under the
// connection's deadlines. A wake-up before the deadline (shutdown,
// eviction, the start of stress) looks again at why, and at a deadline
// that may have moved closer.
func (c *conn) fill() error {
	// Nothing more from the client to act on: what we have to say goes
	// out now, before waiting for its next words.
	if err := c.flush(); err != nil {
		return err
	}
	if c.readErr != nil {
		return c.readErr
	}
	have := copy(c.mem[:], c.buf)
	c.buf = c.mem[:have]
	for {
		if err := c.check(); err != nil {
			return err
		}
		dl := c.deadline(time.Now())
		c.Conn.SetReadDeadline(dl)
		// Whoever changes the state below pokes the deadline afterwards;
		// looking again after arming it means no poke is lost.
		if err := c.check(); err != nil {
			return err
		}
		if c.deadline(time.Now()).Before(dl) {
			continue
		}
		n, err := c.Conn.Read(c.mem[have:])
		if n > 0 {
			c.buf = c.mem[:have+n]
			return nil
		}
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			if time.Now().Before(dl) {
				continue // poked
			}
			c.readErr = scrub(err)
			return c.readErr
		}
		c.lost.Store(true)
		return scrub(err)
	}
}

// check ends the connection if the server wants it gone: evicted to make
// room, or shutting down while no message is coming in. io.EOF makes
// go-smtp end the connection quietly.
func (c *conn) check() error {
	if c.phase.Load() == phaseEvicted {
		c.say(sayEvicted)
		return io.EOF
	}
	if c.set.draining.Load() && !c.receiving.Load() {
		c.say(sayShutdown)
		return io.EOF
	}
	return nil
}

// deadline is when the current read must give up: the idle timeout, and
// either the command deadline (counted from our last reply, so a client
// cannot hold a connection by trickling a byte at a time) or, inside a
// message body, a grace plus one second per minRate bytes received.
func (c *conn) deadline(now time.Time) time.Time {
	dl := now.Add(c.lim.idle)
	stressed := c.set.stressed(now)
	wait := c.lim.command
	if c.commands == 0 && !c.tls.Load() {
		wait = c.lim.first
	}
	if stressed {
		wait = min(wait, c.lim.stress)
	}
	var d time.Time
	if c.inBody() {
		grace := c.lim.command
		if stressed {
			grace = min(grace, c.lim.stress)
		}
		d = c.dataStart.Add(grace + time.Duration(c.dataBytes)*time.Second/time.Duration(c.lim.minRate))
	} else {
		d = time.Unix(0, c.waitSince.Load()).Add(wait)
	}
	if d.Before(dl) {
		return d
	}
	return dl
}

// inBody reports whether the bytes being read are a message body.
func (c *conn) inBody() bool {
	if c.tls.Load() {
		return c.receiving.Load()
	}
	return c.dataMode || c.skip > 0
}

// scanCommand follows the command line b (at most one, ending in LF or
// unfinished).
func (c *conn) scanCommand(b []byte) error {
	for _, x := range b {
		if x == '\n' {
			c.endCommand()
			c.lineLen = 0
			continue
		}
		c.line = append(c.line, x)
		c.lineLen++
		if c.lineLen > maxCommandLine {
			// go-smtp answers this error with 500 5.4.0 and closes.
			return smtp.ErrTooLongLine
		}
	}
	return nil
}

// endCommand notes the verb of a command line just read, parsed as
// go-smtp parses it. "BDAT n" is followed by n bytes of message that are
// not command lines (RFC 3030 2): they pass unparsed, whether go-smtp takes
// or refuses the chunk.
func (c *conn) endCommand() {
	c.commands++
	verb, chunk := parseCommand(c.line)
	c.line = c.line[:0]
	if chunk > 0 {
		c.skip = chunk
		c.dataStart, c.dataBytes = time.Now(), 0
	}
	if c.count != nil {
		c.pending = append(c.pending, verb)
	}
}

func (c *conn) Write(p []byte) (int, error) {
	if c.said421.Load() {
		// We already said goodbye (a timeout, a shutdown): go-smtp's
		// own 421 after ours would only repeat it.
		return len(p), nil
	}
	bye := false
	switch {
	case !c.tls.Load():
		bye = c.replies(p)
	case len(p) > 0 && p[0] >= '0' && p[0] <= '9':
		// Plaintext after STARTTLS is go-smtp's reply to a failed
		// handshake (a TLS record starts with a byte below 0x20). It
		// would go on reading commands from a stream the handshake left
		// in pieces: the connection ends after this reply.
		c.readErr, c.buf = io.EOF, nil
	default:
		// Under TLS the end of a body is only seen in the session's
		// reader; a reply surely ends it.
		c.receiving.Store(false)
	}
	// Held until the next read would wait for the client (fill), or the
	// connection closes; a 421 goes at once, as nothing follows it.
	c.wmu.Lock()
	c.wbuf = append(c.wbuf, p...)
	var err error
	if bye || len(c.wbuf) >= maxHeldReplies {
		err = c.flushLocked(c.lim.idle)
	}
	c.wmu.Unlock()
	if bye {
		c.said421.Store(true)
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush sends the replies held back by Write, in one write.
func (c *conn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.flushLocked(c.lim.idle)
}

// flushLocked sends what Write held, giving the client within to take it.
// Nothing follows a goodbye (said421).
func (c *conn) flushLocked(within time.Duration) error {
	if len(c.wbuf) == 0 {
		return nil
	}
	if c.said421.Load() {
		c.wbuf = c.wbuf[:0]
		return nil
	}
	// The command clock starts as the reply leaves: stamped before the
	// write, so that a client which has read the reply always finds its
	// connection's clock started (eviction picks the longest waiting).
	now := time.Now()
	c.waitSince.Store(now.UnixNano())
	c.Conn.SetWriteDeadline(now.Add(within))
	_, err := c.Conn.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	if err != nil {
		c.lost.Store(true)
		return scrub(err)
	}
	return nil
}

// replies follows the plaintext replies in p: it pairs each final reply
// line ("250 ...", not "250-...") with the oldest command waiting for one
// (PIPELINING keeps replies in command order, RFC 2920 3.1), notes a
// STARTTLS that succeeded, and reports a 421, after which nothing more is
// said. go-smtp writes each reply line in one call.
func (c *conn) replies(p []byte) (bye bool) {
	for len(p) >= 4 {
		if p[3] == ' ' || p[3] == '\r' {
			code, err := strconv.Atoi(string(p[:3]))
			if err == nil {
				c.receiving.Store(false)
				bye = code == 421
				if len(c.pending) > 0 {
					verb := c.pending[0]
					c.pending = c.pending[1:]
					if c.count != nil {
						c.count(verb, code)
					}
					if verb == "STARTTLS" && code == 220 {
						// Anything the client sent after STARTTLS
						// in plaintext is dropped, not run after
						// the handshake (RFC 3207 5, CVE-2011-0411).
						c.tls.Store(true)
						c.buf = nil
						return bye
					}
				}
			}
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			break
		}
		p = p[i+1:]
	}
	return bye
}

// startData is called as a DATA body begins: it is handed over up to its
// end-of-data line, under the body's rate limit. go-smtp drains a refused
// body after Session.Data returns, so DATA mode lasts until the end-of-data
// line is read, not until Data returns.
func (c *conn) startData() {
	c.dataMode = !c.tls.Load()
	c.eod = eodBeginLine
	c.dotCR = false
	c.dataStart, c.dataBytes = time.Now(), 0
	c.receiving.Store(true)
}

// bodyRead is called when the session's reader reaches the end of a DATA
// body. It reports a bare CR that go-smtp's reader dropped.
func (c *conn) bodyRead() error {
	c.receiving.Store(false)
	if c.dotCR {
		return errBareCR
	}
	return nil
}

// beginMail marks a transaction as started; false if the connection was
// evicted just before.
func (c *conn) beginMail() bool {
	return c.phase.CompareAndSwap(phaseIdle, phaseMail) || c.phase.Load() == phaseMail
}

// endMail marks the end of a transaction.
func (c *conn) endMail() { c.phase.CompareAndSwap(phaseMail, phaseIdle) }

// setTop records the TLS layer go-smtp talks through (nil when none), so
// that a goodbye from another goroutine is sent encrypted.
func (c *conn) setTop(t *tls.Conn) {
	c.topMu.Lock()
	c.top = t
	c.topMu.Unlock()
}

// say writes the server's last words. Over TLS they go through the TLS
// layer, and only while a session runs on it (not mid-handshake);
// otherwise the connection just closes.
func (c *conn) say(line string) {
	if c.said421.Load() {
		return
	}
	c.topMu.Lock()
	top := c.top
	c.topMu.Unlock()
	switch {
	case top != nil:
		top.Write([]byte(line + "\r\n")) // held by Write, as ciphertext
	case !c.tls.Load():
		c.wmu.Lock()
		c.wbuf = append(c.wbuf, line+"\r\n"...)
		c.wmu.Unlock()
	}
	// Whatever was held goes first, then the goodbye, within a second.
	c.wmu.Lock()
	c.flushLocked(time.Second)
	c.said421.Store(true)
	c.wmu.Unlock()
}

// hangUp ends the connection at the end of the shutdown grace: a client
// still sending a message is told so (421), the others are cut.
func (c *conn) hangUp() {
	if c.receiving.Load() {
		c.say(sayShutdown)
	}
	c.Close()
}

func (c *conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		// The last reply (221 after QUIT, a 5xx before closing), within
		// a second: Close may come from a shutdown that must not wait.
		c.wmu.Lock()
		c.flushLocked(time.Second)
		c.wmu.Unlock()
		c.closed.Store(true)
		c.set.remove(c)
		c.release()
		err = scrub(c.Conn.Close())
	})
	return err
}
