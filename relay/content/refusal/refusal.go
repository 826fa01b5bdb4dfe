// Package refusal names why a piece of content cannot be delivered. The
// content cleaners under relay/content return an *Error for content they
// will not or cannot clean; the anonymizer turns it into an SMTP reply.
// Any other error a cleaner returns is an I/O error of its reader or writer.
package refusal

import "errors"

// Kind classifies a refusal. Each maps to one SMTP reply.
type Kind uint8

const (
	// Malformed content does not parse as the type it claims to be, so it
	// cannot be cleaned (554 5.6.0).
	Malformed Kind = iota + 1
	// Unsupported is a type Leak has no cleaner for (554 5.6.1).
	Unsupported
	// Encrypted content (password-protected documents, S/MIME enveloped
	// data, PGP messages) cannot be inspected, and its recipient lists are
	// in the clear (554 5.7.1).
	Encrypted
	// Identifying content names the sender in a way Leak cannot remove
	// without changing what was written, e.g. the sender's own address typed
	// in the body (550 5.7.1).
	Identifying
	// TooLarge content is over a configured bound (552 5.3.4).
	TooLarge
	// Busy means the shared budget for buffered documents is in use: try
	// again later (451 4.3.1).
	Busy
)

func (k Kind) String() string {
	switch k {
	case Malformed:
		return "malformed"
	case Unsupported:
		return "unsupported"
	case Encrypted:
		return "encrypted"
	case Identifying:
		return "identifying"
	case TooLarge:
		return "too large"
	case Busy:
		return "busy"
	}
	return "unknown"
}

// Error is a refusal. Text is shown to the sender: it names the kind of
// content (never a value taken from it, such as a file name or an author)
// and says what the sender can do instead.
type Error struct {
	Kind Kind
	Text string
}

func (e *Error) Error() string { return "content " + e.Kind.String() + ": " + e.Text }

// New returns a refusal of kind k with text shown to the sender.
func New(k Kind, text string) *Error { return &Error{Kind: k, Text: text} }

// As returns the refusal inside err, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
