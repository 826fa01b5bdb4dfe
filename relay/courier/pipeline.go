package courier

import (
	"bufio"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// pipelined runs one transaction on a session whose server offers
// PIPELINING (RFC 2920): MAIL, RCPT and DATA go in one write and their
// replies are read in order, then the body and its end in another, so a
// message costs two round trips instead of four. go-smtp's client sends
// one command at a time, so this part of the dialogue is written here, on
// the connection the client talks through; the client keeps the rest
// (EHLO, AUTH, RSET, QUIT).
func (s *SMTP) pipelined(sess *session, m *Message, b *body, utf8 bool) outcome {
	c := sess.client
	if strings.ContainsAny(m.From, "\r\n") || strings.ContainsAny(m.To, "\r\n") {
		return outcome{err: permanent(AboutMessage, "smtp: an address with a line break"), keep: true, cached: true}
	}
	if sess.replies == nil {
		sess.replies = textproto.NewReader(bufio.NewReader(sess.wire))
		sess.out = bufio.NewWriterSize(sess.wire, 32<<10)
	}
	w := sess.out
	fmt.Fprintf(w, "MAIL FROM:<%s>", m.From)
	if ok, _ := c.Extension("8BITMIME"); ok {
		w.WriteString(" BODY=8BITMIME")
	}
	if ok, _ := c.Extension("SIZE"); ok && m.Size > 0 {
		fmt.Fprintf(w, " SIZE=%d", m.Size)
	}
	if utf8 {
		w.WriteString(" SMTPUTF8")
	}
	fmt.Fprintf(w, "\r\nRCPT TO:<%s>\r\nDATA\r\n", m.To)
	sess.conn.SetDeadline(time.Now().Add(s.opts.CommandTimeout))
	if err := w.Flush(); err != nil {
		return s.failed(sess, stageMail, err)
	}
	// The replies come in command order (RFC 2920 section 3.1), until
	// one ends the session (a 421, or no reply at all).
	var errs [3]error
	stages := [3]stage{stageMail, stageRcpt, stageData}
	want := [3]int{250, 250, 354}
	first, ended := -1, false
	for i := range errs {
		errs[i] = s.reply(sess, want[i])
		if errs[i] != nil && first < 0 {
			first = i
		}
		if ended = errs[i] != nil && (!isReply(errs[i]) || closing(errs[i])); ended {
			break
		}
	}
	if first >= 0 {
		st, err := stages[first], errs[first]
		if first < 2 && errs[2] == nil && !ended {
			// The server took DATA with no recipient (RFC 2920 section
			// 3.1 asks it not to): an empty body ends it.
			w.WriteString(".\r\n")
			if err := w.Flush(); err != nil {
				ended = true
			} else if r := s.reply(sess, 250); r != nil && !isReply(r) {
				ended = true // any reply keeps the dialogue in step; none ends it
			}
		}
		if ended && first < 2 && !closing(err) && refusal(st, err) != nil {
			// The refusal stands; the session went with what followed.
			return outcome{err: refusal(st, err)}
		}
		return s.failed(sess, st, err)
	}

	sess.conn.SetDeadline(time.Time{})
	sess.conn.setLimit(time.Now().Add(s.opts.DataTimeout))
	defer sess.conn.setLimit(time.Time{})
	dw := textproto.NewWriter(w).DotWriter()
	if out, ok := sendBody(dw, m, b); !ok {
		return out
	}
	if err := dw.Close(); err != nil { // the end-of-data line, and a flush
		return outcome{err: temporary("smtp: sending the message", netError(err))}
	}
	text, err := s.replyText(sess, 250)
	if err != nil {
		return s.failed(sess, stageEnd, err)
	}
	if sess.replies.R.Buffered() > 0 {
		// The server said more than it was asked: the message is
		// delivered, but the session is out of step and not used again.
		return outcome{reply: replyText(&smtp.SMTPError{Code: 250, Message: text})}
	}
	return outcome{keep: true, reply: replyText(&smtp.SMTPError{Code: 250, Message: text})}
}

// reply reads one reply, and returns an *smtp.SMTPError if its code is not
// want's, as go-smtp's client would.
func (s *SMTP) reply(sess *session, want int) error {
	_, err := s.replyText(sess, want)
	return err
}

func (s *SMTP) replyText(sess *session, want int) (string, error) {
	code, msg, err := sess.replies.ReadResponse(want)
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return "", replyError(code, msg)
	}
	return msg, err
}

// replyError makes a reply an *smtp.SMTPError, with its enhanced status
// code (RFC 3463) taken off the text when it has one of the reply's class.
func replyError(code int, msg string) *smtp.SMTPError {
	se := &smtp.SMTPError{Code: code, Message: msg}
	if head, rest, ok := strings.Cut(msg, " "); ok {
		parts := strings.Split(head, ".")
		if len(parts) == 3 {
			var ec smtp.EnhancedCode
			valid := true
			for i, p := range parts {
				n, err := strconv.Atoi(p)
				if err != nil || n < 0 || n > 999 || len(p) > 3 {
					valid = false
					break
				}
				ec[i] = n
			}
			if valid && ec[0] == code/100 {
				se.EnhancedCode, se.Message = ec, rest
			}
		}
	}
	return se
}

// isReply reports whether err is a reply of the server, not a failure to
// get one.
func isReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// closing reports a 421: the server is closing the channel (RFC 5321
// section 3.8).
func closing(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code == 421
}
