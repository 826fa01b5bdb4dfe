// Package anonymize turns one incoming message into clean copies, one per
// recipient, such that nothing in a delivered copy identifies the sender.
//
// What it promises, for every copy it writes without error:
//   - the top-level header is built from an allowlist: Leak's own Received
//     line, the relay's Date (UTC), an anonymous From naming only the declared
//     relationship, the copy's own To, the sender's Subject decoded and
//     re-encoded, a random Message-ID, MIME-Version and the content fields;
//     nothing else of the sender's header survives (no Received chain, no
//     Message-ID, no Cc/Bcc, no X-*, no client names, no time zone);
//   - every MIME part header keeps only what rendering needs, with new random
//     boundaries, Content-IDs replaced by keyed hashes, file names reduced to
//     their base name, preambles and epilogues dropped;
//   - signatures (PGP/MIME, S/MIME) and attached public keys are removed,
//     because they name their signer; forwarded messages keep only their
//     Subject and content fields;
//   - every leaf passes through the content stage (content.go): text, HTML,
//     pictures, PDFs, office documents, archives, calendars, vCards and TNEF
//     are cleaned of what names the sender by the cleaners under
//     relay/content; anything else is refused (or passed, if the operator
//     lists its type), so nothing Leak cannot clean goes out silently;
//   - every copy shows its footer, in a text part of its own if need be;
//   - output lines end in CRLF and are at most 998 octets long.
//
// What it cannot hide is what the sender chose to write.
//
// It streams: a message is read once, part by part, and each copy is written
// as it goes; memory does not grow with the size of the message or of a
// streamed part, only with the (bounded) size of the headers and the nesting
// depth. Documents that need random access are held in memory within
// MaxDocumentBytes and the Anonymizer's DocumentBudget.
package anonymize

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"leak/relay/content/refusal"
)

// Options configure an Anonymizer. Zero values take the defaults of
// DefaultOptions.
type Options struct {
	Domain          string           // the Leak domain: From address, Message-ID and Content-ID right side
	Hostname        string           // for Leak's Received line; default Domain
	FromLocal       string           // local part of From; default "anonymous"
	MaxHeaderBytes  int              // whole header block, per message and per part; default 64 KiB
	MaxHeaderFields int              // fields per header block; default 1000
	MaxDepth        int              // MIME nesting; default 20
	MaxParts        int              // MIME parts per message; default 500
	MaxReceived     int              // Received fields in the input; default 50
	Now             func() time.Time // default time.Now; the output Date is Now().UTC()
	// DatePrecision rounds the Date and Received times down (e.g. to the
	// minute), so a copy's header does not date its sending to the second.
	DatePrecision time.Duration

	// PassTypes are media types delivered unchanged, without cleaning
	// (the operator's choice; lower case). Every other type is cleaned or
	// refused.
	PassTypes []string
	// MaxDocumentBytes bounds one document held in memory to be cleaned
	// (PDF, office documents, archives, calendars); default 20 MiB, more
	// than a 25 MiB message can carry base64 encoded.
	MaxDocumentBytes int64
	// DocumentBudget bounds the memory of all documents being cleaned at
	// once, across messages, counting each at four times its size; default
	// 256 MiB, and never less than four times MaxDocumentBytes. Past it a
	// document waits up to DocumentWait (default 2 minutes, well inside the
	// 10 minutes a client waits for the reply to DATA, RFC 5321 section
	// 4.5.3.2.6), then the message is deferred (451).
	DocumentBudget int64
	DocumentWait   time.Duration

	passTypes map[string]bool
}

// Copy is one clean copy to write: one recipient, one writer.
type Copy struct {
	To           string        // the decoded recipient address (a UTF-8 local part is written raw, RFC 6532)
	Relationship string        // noun phrase: "someone", "a friend", "a coworker", ...
	MessageID    string        // the copy's Message-ID, "<id@leak-domain>"; empty: a random one
	Extra        []HeaderField // extra top-level fields, written after the allowlisted ones
	Footer       Footer        // appended to the copy's body text parts
	W            io.Writer     // where this copy goes
	// Date is when the copy is dated (its Date and Received fields, a
	// calendar's DTSTAMP), rounded down by DatePrecision: the time it is
	// to leave, when delivery is delayed, so that the date does not tell
	// the recipient when the sender sent. Zero: the time of the rewrite.
	Date time.Time
}

// Footer is appended, per copy, at the end of every body text part: Text to
// text/plain parts, HTML to text/html parts (neither to attachments nor to
// forwarded messages). Both must be ASCII, so they suit any ASCII-compatible
// charset; they are quoted-printable encoded with the part.
type Footer struct{ Text, HTML string }

// HeaderField is one header field the caller adds to a copy. Value must not
// contain CR or LF; it is folded on output.
type HeaderField struct{ Key, Value string }

// Reason classifies why a message was refused.
type Reason uint8

// Reasons a message is refused. The session maps each to an SMTP reply.
const (
	HeaderTooLarge Reason = iota + 1 // a header block over MaxHeaderBytes or MaxHeaderFields
	MIMETooComplex                   // nesting over MaxDepth or more than MaxParts parts
	Malformed                        // a structure that cannot be read safely
	Loop                             // Leak's own Received line, or too many Received lines
	Content                          // content Leak will not deliver: see Error.Kind
)

func (r Reason) String() string {
	switch r {
	case HeaderTooLarge:
		return "header too large"
	case MIMETooComplex:
		return "MIME too complex"
	case Malformed:
		return "malformed"
	case Loop:
		return "loop"
	case Content:
		return "content"
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// Error is a refusal of the message itself (as opposed to an I/O error).
// Text is generic and safe to show to the sender.
type Error struct {
	Reason Reason
	Kind   refusal.Kind // for Reason Content
	Text   string
}

func (e *Error) Error() string { return "anonymize: " + e.Reason.String() + ": " + e.Text }

var (
	errHeaderTooLarge = &Error{Reason: HeaderTooLarge, Text: "message header too large"}
	errTooComplex     = &Error{Reason: MIMETooComplex, Text: "MIME structure too deep or too many parts"}
	errMalformed      = &Error{Reason: Malformed, Text: "malformed MIME structure"}
	errLoop           = &Error{Reason: Loop, Text: "mail loop detected"}
	errOpaqueSigned   = &Error{Reason: Malformed, Text: "opaque S/MIME signed messages are not supported; send it clear-signed"}
	errPartial        = &Error{Reason: Malformed, Text: "fragmented messages (message/partial) are not supported"}
	errAmbiguous      = &Error{Reason: Malformed, Text: "a MIME header has two Content-Type, Content-Transfer-Encoding or Content-Disposition fields"}
)

// Anonymizer rewrites messages. It is safe for concurrent use.
type Anonymizer struct {
	opts   Options
	budget *budget

	// textEnd, when set, replaces the copies' Footer (tests): it is called
	// once per copy at the end of every body text part, and what it returns
	// is appended to that copy's part before its encoding is closed.
	textEnd func(copy int, mediaType string) []byte
}

// New returns an Anonymizer with opts, defaults filled in.
func New(opts Options) *Anonymizer {
	def := DefaultOptions()
	if opts.Hostname == "" {
		opts.Hostname = opts.Domain
	}
	if opts.FromLocal == "" {
		opts.FromLocal = def.FromLocal
	}
	for _, f := range []struct{ v, d *int }{
		{&opts.MaxHeaderBytes, &def.MaxHeaderBytes}, {&opts.MaxHeaderFields, &def.MaxHeaderFields},
		{&opts.MaxDepth, &def.MaxDepth}, {&opts.MaxParts, &def.MaxParts}, {&opts.MaxReceived, &def.MaxReceived},
	} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxDocumentBytes <= 0 {
		opts.MaxDocumentBytes = def.MaxDocumentBytes
	}
	if opts.DocumentBudget <= 0 {
		opts.DocumentBudget = def.DocumentBudget
	}
	opts.DocumentBudget = max(opts.DocumentBudget, opts.MaxDocumentBytes*documentCost)
	if opts.DocumentWait <= 0 {
		opts.DocumentWait = def.DocumentWait
	}
	opts.passTypes = map[string]bool{}
	for _, t := range opts.PassTypes {
		opts.passTypes[strings.ToLower(strings.TrimSpace(t))] = true
	}
	return &Anonymizer{opts: opts, budget: newBudget(opts.DocumentBudget, opts.DocumentWait)}
}

// Rewrite reads the DATA of one message from src (CRLF line endings) and
// writes one clean copy to each of copies, all in one pass. mailFrom is the
// envelope sender: with the addresses of the message's own From, Sender and
// Reply-To fields, it is what the content cleaners look for in the body. It reads src to
// its end even when it refuses the message, so the SMTP dialogue stays in
// step. On error the copies hold partial output and must be discarded.
//
// A refusal is an *Error; any other error is an I/O error (of src or of a
// copy's writer, wrapped) or a mistake of the caller's (copies or options
// that cannot be written).
func (a *Anonymizer) Rewrite(src io.Reader, copies []Copy, mailFrom ...string) error {
	if err := a.check(copies); err != nil {
		return err
	}
	r := newRewriter(a, src, copies, mailFrom)
	defer r.release()
	err := r.run()
	if err == nil {
		if err = r.out.finish(); err != nil {
			return fmt.Errorf("anonymize: write copy: %w", err)
		}
		return nil
	}
	return r.classify(err)
}

// check refuses options and copies the caller got wrong: they would end up
// in header fields, where a CR or LF would let one field become several.
func (a *Anonymizer) check(copies []Copy) error {
	o := &a.opts
	if !isAtom(o.Domain) || !isAtom(o.Hostname) || !isAtom(o.FromLocal) {
		return errors.New("anonymize: Options.Domain, Hostname and FromLocal must be non-empty and free of spaces and specials")
	}
	if len(copies) == 0 {
		return errors.New("anonymize: no copies to write")
	}
	for i, c := range copies {
		if c.W == nil {
			return fmt.Errorf("anonymize: copy %d has no writer", i)
		}
		if !validAddress(c.To) {
			return fmt.Errorf("anonymize: copy %d: recipient address is not usable in a header", i)
		}
		if c.MessageID != "" && (!validFieldValue(c.MessageID) || !strings.HasPrefix(c.MessageID, "<") || !strings.HasSuffix(c.MessageID, "@"+o.Domain+">")) {
			return fmt.Errorf("anonymize: copy %d: Message-ID must be <id@%s>", i, o.Domain)
		}
		for _, f := range c.Extra {
			if !validFieldName(f.Key) || !validFieldValue(f.Value) {
				return fmt.Errorf("anonymize: copy %d: extra field %q is not a valid header field", i, f.Key)
			}
		}
	}
	return nil
}

// classify turns the error that stopped a rewrite into what Rewrite returns.
// The rest of src is read first: if the source itself fails (the session's
// strict reader, a timeout), that cause wins over whatever it made us see.
func (r *rewriter) classify(err error) error {
	if derr := r.in.Drain(r.buf); derr != nil {
		return fmt.Errorf("anonymize: read message: %w", derr)
	}
	if r.out.err != nil {
		return fmt.Errorf("anonymize: write copy: %w", r.out.err)
	}
	var e *Error
	var ce *refusal.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &ce):
		return &Error{Reason: Content, Kind: ce.Kind, Text: ce.Text}
	case r.headerTooLarge:
		return errHeaderTooLarge
	}
	// Anything else comes from go-message's parsers or from our own readers
	// meeting what they cannot follow (a bare line ending, an unterminated
	// multipart): the message is at fault.
	return errMalformed
}
