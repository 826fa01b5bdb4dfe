// Package courier delivers one copy of a message to its one recipient.
//
// A Courier either delivers the copy (nil), fails in a way that will never
// succeed (an *Error with Permanent set), or fails in any other way, which
// the queue retries later. Network errors, timeouts and local I/O errors
// are temporary.
//
// Every *Error also says what it is About: the recipient, the message, or
// the next hop (the way there, including Leak's own setup). Only a failure
// about the recipient may count against the recipient: a next hop that
// refuses the sender, the content or the size, or is misconfigured, says
// nothing about whether the recipient exists.
package courier

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Message is one copy to deliver.
type Message struct {
	ID   string    // spool id; safe as a file name
	From string    // envelope sender (Leak's bounce address), "" for the null sender
	To   string    // the one recipient
	UTF8 bool      // needs SMTPUTF8 (RFC 6531)
	Size int64     // len of Body when known, 0 if unknown
	Body io.Reader // DKIM prefix then the message, CRLF line endings
	// Report, if set, is filled by Deliver with what the attempt learnt
	// of the way to the next hop, delivered or not (the delivery log).
	Report *Report
}

// Courier delivers a message. Deliver must honour ctx and must not keep
// Body after it returns.
type Courier interface {
	Deliver(ctx context.Context, m *Message) error
}

// Report is what one delivery attempt learnt, for a log line like
// Postfix's "relay=… status=…": the next hop, the TLS of the session, the
// next hop's last reply. Fields of steps never reached stay empty; a
// courier that has no next hop (Dir) leaves them all empty.
type Report struct {
	// Step is the last step of the delivery that was reached: StepDNS,
	// StepSTS, StepConnect, StepTLS or StepSMTP. A failure happened there.
	Step string
	Host string // the next hop: the MX host or the smarthost, by name
	// Addr is the address connected to, or last tried, as "ip:port" ("name:port"
	// for a smarthost that could not be reached).
	Addr string
	TLS  string // the session's TLS version ("TLSv1.3"), or TLSNone
	// Code and Text are the next hop's last reply: 250 and its text when
	// it took the copy, or its refusal. Text is one line without control
	// characters, the enhanced status code first when there is one; it
	// may quote the recipient.
	Code int
	Text string
}

// The steps of a delivery, as Report.Step names them.
const (
	StepDNS     = "dns"     // looking up the MX hosts, or a host's addresses
	StepSTS     = "sts"     // the recipient domain's MTA-STS policy (RFC 8461)
	StepConnect = "connect" // opening the TCP connection
	StepTLS     = "tls"     // the TLS handshake, implicit or after STARTTLS
	StepSMTP    = "smtp"    // the SMTP dialogue, from the greeting to the end of DATA
)

// Error is a classified delivery failure.
type Error struct {
	// Permanent is set when retrying the same thing would fail the same way
	// (a 5xx reply, RFC 5321 section 4.2.1; an address that cannot be
	// written). Otherwise the failure is temporary.
	Permanent bool
	// About says what the failure is about. The queue bounces a permanent
	// failure only when it is about the recipient; a permanent failure
	// about the message or the next hop is retried for a bounded time,
	// since a relay misconfigured for a few minutes says so too.
	About About
	Code  int    // SMTP reply code, 0 when not from a server
	Text  string // reply text or a short description
	Err   error  // underlying error, if any
}

func (e *Error) Error() string {
	s := e.Text
	if e.Code != 0 {
		s = fmt.Sprintf("%d %s", e.Code, e.Text)
	}
	switch {
	case e.Err != nil && s != "":
		return s + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	case s != "":
		return s
	}
	return "delivery failed"
}

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err is (or wraps) an *Error marked
// Permanent. Every other error, including network errors and timeouts, is
// temporary.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// temporary wraps a failure on the way to the next hop (or of the next hop)
// as a temporary *Error.
func temporary(text string, err error) *Error {
	return &Error{Text: text, Err: err}
}

// localFailure wraps a failure of Leak's own I/O (reading the spool,
// writing a file) as a temporary *Error.
func localFailure(text string, err error) *Error {
	return &Error{About: AboutLocal, Text: text, Err: err}
}

// permanent returns a permanent *Error about about.
func permanent(about About, text string) *Error {
	return &Error{Permanent: true, About: about, Text: text}
}
