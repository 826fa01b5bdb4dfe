// Package text cleans text/plain bodies. It removes what the sender's mail
// client added that identifies them — the signature block, device lines such
// as "Sent from my iPhone", attribution lines naming the quoted author and the
// Outlook header blocks above quoted messages, the OpenPGP armor of a
// clearsigned text or a pasted key — unwraps links from the redirectors
// that carry the sender's mailbox (SafeLinks), and refuses a body that still
// names the sender (their own address, also percent-encoded or spelled as a
// OneDrive path, a typed file: link into their home directory) or that
// cannot be cleaned in place (uuencoded files, inline PGP messages).
//
// Clean streams: it holds a window of a few lines, never the whole body. It
// reads and writes UTF-8 with CRLF line endings; the caller converts charsets
// first. Typed text, quoted text included, is copied unchanged apart from the
// links in it.
package text

import (
	"bufio"
	"fmt"
	"io"
	"sync"

	"leak/relay/content/refusal"
)

// Options describes the sender, so their own traces can be recognised.
type Options struct {
	// Sender holds the sender's own addresses (envelope MAIL FROM, header
	// From), lower case. It may be empty.
	Sender []string
	// Names holds the sender's display names from the From header, e.g.
	// "Alice Smith". It may be empty. Where a client wrote the whole name
	// into the body, it becomes Someone.
	Names []string
	// Signatures holds the lines of the sender's stored signature as the
	// message's HTML part showed it (its container, which the HTML
	// cleaner removed). Where those lines appear here, in order, they go.
	Signatures [][]string
	// Places holds the rooms a calendar invitation's organizer booked and
	// the location text they were in (the building's address), as the
	// message's HTML or calendar part found them. The lines that hold
	// one go, and so do Google Maps search links. Empty, nothing is
	// looked for.
	Places []string
}

// IdentifyingText is the refusal text for a body that contains the sender's
// own address after cleaning. The HTML cleaner shares it.
const IdentifyingText = "Your message contains your own email address, which would identify you; remove it and send again."

// localFileText refuses a typed file: URL: its path usually holds the account
// name of the sender's computer (C:\Users\<name>, /home/<name>).
const localFileText = "Your message contains a link to a file on your own computer, whose path can name you; remove it and send again."

// uuencodeText refuses uuencoded files. Pasting "begin 644 name" blocks
// into the text is an old client habit (before MIME attachments, RFC 2045);
// the payload is a file that cannot be cleaned in place.
const uuencodeText = "Uuencoded files inside the text are not supported; attach the file instead."

// chunk bounds the memory for one line. RFC 5322 section 2.1.1 limits lines
// to 998 octets; longer ones are copied in chunks without matching.
const chunk = 4096

// window is how many lines the cleaner looks ahead: enough for an
// attribution wrapped over three lines (Gmail wraps at 78 columns).
const window = 3

// Clean copies a text/plain body from r to w, removing what the sender's
// client added that identifies them. It returns a *refusal.Error for a body
// it will not deliver; output written before the error is to be discarded.
func Clean(w io.Writer, r io.Reader, o Options) error {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		bw.Reset(nil)
		writers.Put(bw)
		br.Reset(nil)
		readers.Put(br)
	}()
	c := &cleaner{
		w:     bw,
		addr:  newScanner(o.Sender),
		names: newNames(o.Names),
		sigs:  NewSignatures(o.Signatures),

		places: o.Places,
	}
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if err := c.long(b, br); err != nil {
				return err
			}
			continue
		}
		if len(b) > 0 {
			l, keep, err := c.pgp.filter(newLine(b))
			if err != nil {
				return err
			}
			if keep {
				c.win = append(c.win, l)
			}
			for len(c.win) >= c.lookahead() {
				if err := c.head(); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("text: read: %w", err)
		}
	}
	if err := c.drain(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("text: write: %w", err)
	}
	return nil
}

// The buffers of Clean, which nothing keeps after it returns: pooled, a
// text part costs no 8 KiB of garbage.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, chunk) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, chunk) }}
)

// refuse builds the refusals of this package.
func refuse(k refusal.Kind, text string) error { return refusal.New(k, text) }
