// Package courier delivers one copy of a message to its one recipient.
//
// A Courier either delivers the copy (nil), fails in a way that will never
// succeed (an *Error with Permanent set: the queue bounces it), or fails in
// any other way, which the queue retries later. Network errors, timeouts and
// local I/O errors are temporary.
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
}

// Courier delivers a message. Deliver must honour ctx and must not keep
// Body after it returns.
type Courier interface {
	Deliver(ctx context.Context, m *Message) error
}

// Error is a classified delivery failure.
type Error struct {
	// Permanent is set when retrying can never succeed (a 5xx reply,
	// RFC 5321 section 4.2.1; an address that cannot be written). The
	// message is bounced. Otherwise it is retried.
	Permanent bool
	Code      int    // SMTP reply code, 0 when not from a server
	Text      string // reply text or a short description
	Err       error  // underlying error, if any
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

// temporary wraps a local failure as a temporary *Error.
func temporary(text string, err error) *Error {
	return &Error{Text: text, Err: err}
}

// permanent returns a permanent *Error.
func permanent(text string) *Error {
	return &Error{Permanent: true, Text: text}
}
