package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// client is a minimal SMTP client that pipelines MAIL, RCPT and DATA
// (RFC 2920) and reuses its connection for many messages. go-smtp's
// client sends one command at a time, which would measure round trips
// rather than the relay.
type client struct {
	conn       net.Conn
	r          *bufio.Reader
	w          *bufio.Writer
	timeout    time.Duration
	pipelining bool
	size       bool
}

// replyError is a negative reply to a command.
type replyError struct {
	stage  string // MAIL, RCPT, DATA, DATA-end, greeting, EHLO
	code   int
	text   string
	closed bool // the connection is no longer usable
}

func (e *replyError) Error() string {
	return fmt.Sprintf("%s: %d %s", e.stage, e.code, e.text)
}

// errorKey names an error for the report: the reply code with its
// enhanced status code and the command it answered, or the kind of
// network failure. The set of keys stays small.
func errorKey(err error) string {
	var re *replyError
	if errors.As(err, &re) {
		key := fmt.Sprintf("%d", re.code)
		if f := strings.Fields(re.text); len(f) > 0 && isEnhanced(f[0]) {
			key += " " + f[0]
		}
		return key + " at " + re.stage
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "net: timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "net: closed by peer"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "net: connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "net: connection reset"
	}
	return "net: other"
}

// isEnhanced tells whether s looks like an enhanced status code (RFC 3463).
func isEnhanced(s string) bool {
	p := strings.Split(s, ".")
	if len(p) != 3 || (p[0] != "2" && p[0] != "4" && p[0] != "5") {
		return false
	}
	for _, x := range p[1:] {
		if _, err := strconv.Atoi(x); err != nil || len(x) > 3 {
			return false
		}
	}
	return true
}

// deadlineConn pushes the deadline forward on every read and write, so
// that a long message is bounded by progress rather than by its size.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c deadlineConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

func (c deadlineConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// dial connects, reads the greeting and says EHLO.
func dial(addr, helo string, timeout time.Duration) (*client, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	dc := deadlineConn{Conn: nc, timeout: timeout}
	c := &client{conn: nc, r: bufio.NewReaderSize(dc, 4096), w: bufio.NewWriterSize(dc, 64<<10), timeout: timeout}
	if code, text, _, err := c.reply(); err != nil {
		nc.Close()
		return nil, err
	} else if code != 220 {
		nc.Close()
		return nil, &replyError{stage: "greeting", code: code, text: text}
	}
	if err := c.command("EHLO " + helo); err != nil {
		nc.Close()
		return nil, err
	}
	code, text, lines, err := c.reply()
	if err != nil {
		nc.Close()
		return nil, err
	}
	if code != 250 {
		nc.Close()
		return nil, &replyError{stage: "EHLO", code: code, text: text}
	}
	for _, l := range lines[1:] {
		switch kw := strings.ToUpper(strings.Fields(l + " x")[0]); kw {
		case "PIPELINING":
			c.pipelining = true
		case "SIZE":
			c.size = true
		}
	}
	return c, nil
}

func (c *client) command(line string) error {
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return err
	}
	return c.w.Flush()
}

// reply reads one reply, possibly multi-line, and returns its code, the
// text of its last line and the texts of all its lines.
func (c *client) reply() (int, string, []string, error) {
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return 0, "", nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 {
			return 0, "", nil, fmt.Errorf("smtp: malformed reply %q", line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			return 0, "", nil, fmt.Errorf("smtp: malformed reply %q", line)
		}
		text := ""
		if len(line) > 4 {
			text = line[4:]
		}
		lines = append(lines, text)
		if len(line) == 3 || line[3] != '-' {
			return code, text, lines, nil
		}
	}
}

// send runs one transaction and returns the time from the end of the
// data (the final ".") to the reply. A negative reply is a *replyError;
// after one the transaction is reset and the connection stays usable
// unless the error says it is closed (a 421, or the server hung up).
func (c *client) send(from, rcpt string, m *message) (time.Duration, error) {
	mail := "MAIL FROM:<" + from + ">"
	if c.size {
		mail += " SIZE=" + strconv.Itoa(m.Len())
	}
	cmds := []struct{ stage, line string }{{"MAIL", mail}, {"RCPT", "RCPT TO:<" + rcpt + ">"}, {"DATA", "DATA"}}
	var first *replyError
	codes := make([]int, len(cmds))
	if c.pipelining {
		for _, cmd := range cmds {
			c.w.WriteString(cmd.line + "\r\n")
		}
		if err := c.w.Flush(); err != nil {
			return 0, err
		}
		for i, cmd := range cmds {
			code, text, _, err := c.reply()
			if err != nil {
				if first != nil {
					// The server gave a reason before it hung up.
					first.closed = true
					return 0, first
				}
				return 0, err
			}
			codes[i] = code
			if first == nil && !positive(cmd.stage, code) {
				first = &replyError{stage: cmd.stage, code: code, text: text}
			}
		}
	} else {
		for i, cmd := range cmds {
			if err := c.command(cmd.line); err != nil {
				return 0, err
			}
			code, text, _, err := c.reply()
			if err != nil {
				return 0, err
			}
			codes[i] = code
			if !positive(cmd.stage, code) {
				first = &replyError{stage: cmd.stage, code: code, text: text}
				break
			}
		}
	}
	if codes[2] == 354 && first != nil {
		// DATA was accepted although an earlier command failed: end it
		// empty so that the dialogue stays in step.
		if err := c.command("."); err != nil {
			return 0, err
		}
		if _, _, _, err := c.reply(); err != nil {
			return 0, err
		}
	}
	if first != nil {
		return 0, c.afterFailure(first)
	}
	if _, err := m.WriteTo(c.w); err != nil {
		return 0, err
	}
	if _, err := c.w.WriteString(".\r\n"); err != nil {
		return 0, err
	}
	if err := c.w.Flush(); err != nil {
		return 0, err
	}
	start := time.Now()
	code, text, _, err := c.reply()
	lat := time.Since(start)
	if err != nil {
		return 0, err
	}
	if code != 250 {
		return 0, c.afterFailure(&replyError{stage: "DATA-end", code: code, text: text})
	}
	return lat, nil
}

func positive(stage string, code int) bool {
	if stage == "DATA" {
		return code == 354
	}
	return code/100 == 2
}

// afterFailure resets the transaction after a negative reply, so the next
// message starts clean, and returns err, marked closed if the connection
// is no longer usable.
func (c *client) afterFailure(err *replyError) error {
	if err.code == 421 {
		err.closed = true
		return err
	}
	if c.command("RSET") != nil {
		err.closed = true
		return err
	}
	if code, _, _, rerr := c.reply(); rerr != nil || code != 250 {
		err.closed = true
	}
	return err
}

// quit ends the session politely and closes the connection.
func (c *client) quit() {
	c.conn.SetDeadline(time.Now().Add(2 * time.Second))
	if c.command("QUIT") == nil {
		c.reply()
	}
	c.conn.Close()
}
