package relay

import (
	"bytes"
	"context"
	"mime"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"leak/metrics"
	"leak/relay/address"
)

// Submission is one message written in Leak's web form or sent to its API
// (relay/web): what an SMTP sender would have put in the relay address,
// the Subject field and a plain-text body. It carries nothing about the
// sender: the web keeps no address, IP or browser to give.
type Submission struct {
	// To is the recipient's own address, bob@example.com, not the relay
	// address: Submit encodes it with Relationship and decodes it again, so
	// it passes exactly the checks of an SMTP RCPT.
	To           string
	Relationship address.Relationship
	// Subject is one line of UTF-8, possibly empty.
	Subject string
	// Text is the message, UTF-8 plain text with any line endings.
	Text string
	// Encrypted tells whether the message reached Leak over TLS (HTTPS).
	// It is counted in leak_smtp_tls_total as STARTTLS is.
	Encrypted bool
	// Source is what abuse reports of this message count against: the
	// keyed hash of the client's network (policy.Engine.NetworkSource),
	// never the network itself. A blocked source is refused; "" counts
	// against no one.
	Source string
}

// MaxSubjectBytes bounds a Submission's Subject, so that the encoded field
// stays within the 998-octet line limit (RFC 5322 section 2.1.1) whatever
// its characters.
const MaxSubjectBytes = 250

// Submit takes one message from the web through the path SMTP mail takes:
// the shutdown and spool-space checks of MAIL, the address codec and the
// policy decisions of RCPT (operator mailboxes, opt-out, suppression,
// per-recipient and global limits, deny lists, the destination domain in
// MX mode), then the anonymizer, DKIM signing, the spool and the queue.
//
// It returns nil only once the clean copy is fsync'd in the spool and
// queued, as a 250 would mean. Any other answer is an *smtp.SMTPError
// carrying the reply an SMTP sender would get for the same message (for
// example 550 5.7.1 "this recipient does not accept Leak messages", 450
// 4.7.1 with a retry hint, 552 5.3.4); on error nothing of the message is
// left in the spool. Causes go to the log, never into the reply.
func (s *Server) Submit(ctx context.Context, sub Submission) error {
	if s.conns.draining.Load() {
		return errShutdown
	}
	if !s.hasSpace() {
		s.m.Messages.WithLabelValues("rejected", metrics.ReasonInternal).Inc()
		return errNoSpace
	}
	msg, rep, reason := submissionMessage(sub, s.opts.MaxMessageBytes)
	if rep != nil {
		s.m.Messages.WithLabelValues("rejected", reason).Inc()
		return rep
	}
	if sub.Relationship.Prefix() == "" {
		s.m.Recipients.WithLabelValues("rejected", metrics.ReasonInvalidRcpt).Inc()
		return reply(550, smtp.EnhancedCode{5, 1, 1}, "Unknown relationship: use someone, a friend, a coworker, a family member or a friend of a friend")
	}

	// The relay address an SMTP sender would have written, decided by the
	// same function as RCPT. Encode puts the relationship's prefix first,
	// so the result is never an operator or bounce address.
	to := address.Encode(sub.Relationship, strings.TrimSpace(sub.To), s.opts.Domain)
	t, rep, reason := s.recipient(ctx, to)
	if rep == nil && (t.operator != "" || t.bounce != "") {
		rep, reason = reply(550, smtp.EnhancedCode{5, 1, 1}, "Not a recipient's address"), metrics.ReasonInvalidRcpt
	}
	if rep != nil {
		s.m.Recipients.WithLabelValues("rejected", reason).Inc()
		s.log.Info("recipient rejected", "reason", reason, "source", "web")
		return rep
	}
	s.m.Recipients.WithLabelValues("accepted", metrics.ReasonOK).Inc()

	if p := s.opts.Policy; p != nil {
		if rep := s.refusedBy("web", p.Source(ctx, sub.Source)); rep != nil {
			s.m.Messages.WithLabelValues("rejected", metrics.ReasonPolicy).Inc()
			return rep
		}
	}

	id := newLogID()
	s.log.Info("message from the web", "mid", id)
	if err := s.acceptFrom(ctx, id, bytes.NewReader(msg), "", sub.Source, []target{t}, sub.Encrypted, nil); err != nil {
		rep, reason := dataReply(err)
		s.m.Messages.WithLabelValues("rejected", reason).Inc()
		if reason == metrics.ReasonInternal {
			s.log.Error("message failed", "mid", id, "err", err)
		} else {
			s.log.Info("message rejected", "mid", id, "reason", reason, "code", rep.Code)
		}
		return rep
	}
	s.m.Messages.WithLabelValues("accepted", metrics.ReasonOK).Inc()
	return nil
}

// submissionMessage writes sub as the RFC 5322 message a mail client
// would have sent: Subject (trimmed of white space), a UTF-8 text/plain
// body in quoted-printable (so no line is over 76 octets and no bare CR or
// LF is left), CRLF line endings. Date, Message-ID and From are left to
// the anonymizer, which writes its own. A subject or text the message
// cannot carry is refused with the reply SMTP gives to the same fault.
func submissionMessage(sub Submission, max int64) ([]byte, *smtp.SMTPError, string) {
	switch {
	case len(sub.Subject) > MaxSubjectBytes:
		return nil, reply(552, smtp.EnhancedCode{5, 3, 4}, "Subject too long"), metrics.ReasonHeader
	case strings.ContainsAny(sub.Subject, "\r\n"):
		return nil, reply(554, smtp.EnhancedCode{5, 6, 0}, "The subject must be one line"), metrics.ReasonHeader
	case strings.ContainsRune(sub.Subject, 0) || strings.ContainsRune(sub.Text, 0):
		return nil, reply(554, smtp.EnhancedCode{5, 6, 0}, "NUL characters are not allowed in messages"), metrics.ReasonLineEnding
	case !utf8.ValidString(sub.Subject) || !utf8.ValidString(sub.Text):
		return nil, reply(554, smtp.EnhancedCode{5, 6, 0}, "The message must be UTF-8 text"), metrics.ReasonMIME
	case int64(len(sub.Text)) > max:
		return nil, errTooBig, metrics.ReasonSize
	}

	var b bytes.Buffer
	b.Grow(len(sub.Text) + len(sub.Text)/4 + 512)
	// White space around the subject is not kept: a reader takes a header
	// field's value without it (RFC 5322 section 3.2.2), so a subject of
	// only spaces is no subject.
	if subject := strings.TrimSpace(sub.Subject); subject != "" {
		// Encoded-words are folded between words, where the space is not
		// part of the text (RFC 2047 section 6.2).
		subj := strings.ReplaceAll(mime.QEncoding.Encode("utf-8", subject), "?= =?", "?=\r\n =?")
		b.WriteString("Subject: " + subj + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n" +
		"\r\n")
	text := strings.ReplaceAll(strings.ReplaceAll(sub.Text, "\r\n", "\n"), "\r", "\n")
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	qp := quotedprintable.NewWriter(&b)
	// Line breaks written to the encoder come out as CRLF; everything
	// else that is not printable is escaped.
	qp.Write([]byte(text)) // a bytes.Buffer does not fail
	qp.Close()
	if int64(b.Len()) > max {
		return nil, errTooBig, metrics.ReasonSize
	}
	return b.Bytes(), nil, ""
}
