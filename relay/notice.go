package relay

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Notices are the messages Leak writes itself: the confirmation link of a
// resubscribe request (web.Notifier), notices to the operator. They
// take the path of accepted mail from the signer on: DKIM-signed with the
// server's keys, durable in the spool before Notice returns, then queued.

// noticeFrom is the From of every notice: nobody reads replies to it.
const noticeFrom = "Leak <noreply@%s>"

// maxNoticeSubject bounds a subject, so that the Subject field, encoded,
// stays far below the 998-octet line limit (RFC 5322 section 2.1.1).
const maxNoticeSubject = 200

// Notice sends one plain-text message from Leak (From: Leak
// <noreply@DOMAIN>) to rcpt, and returns nil once it is durable in the
// spool and queued, as a 250 would. It has the signature of a
// web.Notifier.
//
// rcpt is a bare ASCII address (local@domain); subject one line of UTF-8;
// text UTF-8 with any line endings. The message is marked Auto-Submitted:
// auto-generated (RFC 3834) so that responders do not answer it, and its
// envelope sender is Leak's bounce address, whose bounces Leak drops: a
// notice is not a delivered copy, so it neither waits out Options.Delay
// nor counts towards a recipient's suppression. A recipient in the Leak
// domain, other than Options.Operator, is refused: the notice would loop
// back through the relay. Errors never name rcpt.
func (s *Server) Notice(ctx context.Context, rcpt, subject, text string) error {
	return s.NoticeCopy(ctx, rcpt, subject, text, nil)
}

// NoticeCopy is Notice with a message attached when attached is not nil:
// the clean copy a recipient reported (relay/web). The notice is then
// multipart/mixed, its text first and the copy as a message/rfc822 part
// (7bit when the copy is ASCII in lines of at most 998 octets, as RFC 2046
// section 5.2.1 wants, or else base64 as an application/octet-stream
// file, which no mail system rewrites).
func (s *Server) NoticeCopy(ctx context.Context, rcpt, subject, text string, attached []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("relay: notice: %w", err)
	}
	if err := s.noticeRecipient(rcpt); err != nil {
		return fmt.Errorf("relay: notice: %w", err)
	}
	switch {
	case len(subject) > maxNoticeSubject:
		return fmt.Errorf("relay: notice: subject longer than %d bytes", maxNoticeSubject)
	case strings.ContainsAny(subject, "\r\n\x00") || !utf8.ValidString(subject):
		return errors.New("relay: notice: subject must be one line of UTF-8")
	case strings.ContainsRune(text, 0) || !utf8.ValidString(text):
		return errors.New("relay: notice: text must be UTF-8 without NUL")
	}
	var mid [16]byte
	if _, err := rand.Read(mid[:]); err != nil {
		return fmt.Errorf("relay: notice: message id: %w", err)
	}

	w, err := s.opts.Spool.Create()
	if err != nil {
		s.m.SpoolErrors.WithLabelValues("write").Inc()
		return fmt.Errorf("relay: notice: spool create: %w", err)
	}
	defer w.Abort() // a no-op once committed
	// An operator target is what a notice is to commit: no anonymity
	// delay, no sent-log entry, the address as given.
	c := &copyOut{t: target{operator: rcpt}, w: w}
	if c.signer, err = s.opts.Keys.NewSigner(); err != nil {
		return fmt.Errorf("relay: notice: signer: %w", err)
	}
	defer c.signer.Abort() // a no-op once closed
	if err := writeNotice(io.MultiWriter(w, c.signer), s.opts.Domain, rcpt, subject, text,
		time.Now(), hex.EncodeToString(mid[:]), attached); err != nil {
		return fmt.Errorf("relay: notice: %w", err)
	}
	if err := s.finish(c); err != nil {
		return fmt.Errorf("relay: notice: %w", err)
	}
	s.opts.Queue.Add(c.meta)
	s.log.Info("notice queued", "qid", c.meta.ID)
	return nil
}

// noticeRecipient checks rcpt: a bare address that needs neither quoting
// nor SMTPUTF8, outside the Leak domain unless it is the operator's.
func (s *Server) noticeRecipient(rcpt string) error {
	a, err := mail.ParseAddress(rcpt)
	if err != nil || a.Name != "" || a.Address != rcpt || len(rcpt) > 254 {
		return errors.New("recipient is not a bare address (local@domain)")
	}
	for i := range len(rcpt) {
		if c := rcpt[i]; c <= ' ' || c >= 0x7f {
			return errors.New("recipient is not printable ASCII (notices do not use SMTPUTF8)")
		}
	}
	domain := strings.ToLower(strings.TrimSuffix(rcpt[strings.LastIndexByte(rcpt, '@')+1:], "."))
	own := strings.ToLower(s.opts.Domain)
	if (domain == own || strings.HasSuffix(domain, "."+own)) && !strings.EqualFold(rcpt, s.opts.Operator) {
		return errors.New("recipient is in the Leak domain: the notice would loop through the relay")
	}
	return nil
}

// writeNotice writes the message: header, empty line, body, CRLF line
// endings. The body goes as 7bit when it is ASCII in lines of at most 998
// octets, as quoted-printable otherwise.
func writeNotice(w io.Writer, domain, rcpt, subject, text string, now time.Time, mid string, attached []byte) error {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	cte := "7bit"
	if !plainASCII(text) {
		cte = "quoted-printable"
	}
	// Encoded-words longer than a line are folded between words, where
	// the space is not part of the text (RFC 2047 section 6.2).
	subj := strings.ReplaceAll(mime.QEncoding.Encode("utf-8", subject), "?= =?", "?=\r\n =?")
	hdr := "From: " + fmt.Sprintf(noticeFrom, domain) + "\r\n" +
		"To: " + rcpt + "\r\n" +
		"Subject: " + subj + "\r\n" +
		"Date: " + now.UTC().Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <" + mid + "@" + domain + ">\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Auto-Submitted: auto-generated\r\n" +
		// Exchange's own way of saying it (no out-of-office replies).
		"X-Auto-Response-Suppress: All\r\n"
	textHdr := "Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: " + cte + "\r\n\r\n"
	if attached == nil {
		if _, err := io.WriteString(w, hdr+textHdr); err != nil {
			return err
		}
		return writeText(w, text, cte)
	}
	boundary := "leak-" + mid
	if _, err := io.WriteString(w, hdr+"Content-Type: multipart/mixed; boundary=\""+boundary+"\"\r\n\r\n"+
		"--"+boundary+"\r\n"+textHdr); err != nil {
		return err
	}
	if err := writeText(w, text, cte); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\r\n--"+boundary+"\r\n"); err != nil {
		return err
	}
	if err := writeAttached(w, attached); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\r\n--"+boundary+"--\r\n")
	return err
}

// writeText writes text (LF line endings, ending in one) in cte.
func writeText(w io.Writer, text, cte string) error {
	if cte == "7bit" {
		_, err := io.WriteString(w, strings.ReplaceAll(text, "\n", "\r\n"))
		return err
	}
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, text); err != nil {
		return err
	}
	return qp.Close()
}

// writeAttached writes the attached copy as one MIME part, header
// included, without a line break after it.
func writeAttached(w io.Writer, msg []byte) error {
	if plainASCII(strings.ReplaceAll(string(msg), "\r\n", "\n")) && !strings.Contains(strings.ReplaceAll(string(msg), "\r\n", ""), "\r") {
		body := strings.TrimSuffix(strings.ReplaceAll(strings.ReplaceAll(string(msg), "\r\n", "\n"), "\n", "\r\n"), "\r\n")
		_, err := io.WriteString(w, "Content-Type: message/rfc822\r\n"+
			"Content-Disposition: attachment; filename=\"reported-message.eml\"\r\n"+
			"Content-Transfer-Encoding: 7bit\r\n\r\n"+body)
		return err
	}
	if _, err := io.WriteString(w, "Content-Type: application/octet-stream; name=\"reported-message.eml\"\r\n"+
		"Content-Disposition: attachment; filename=\"reported-message.eml\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n"); err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(msg)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	_, err := io.WriteString(w, b.String())
	return err
}

// plainASCII reports whether text (with LF line endings) can go as 7bit:
// printable ASCII and tabs, no line over 998 octets.
func plainASCII(text string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if len(line) > 998 {
			return false
		}
		for i := range len(line) {
			if c := line[i]; (c < ' ' && c != '\t') || c >= 0x7f {
				return false
			}
		}
	}
	return true
}
