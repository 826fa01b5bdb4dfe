package bounce

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// DSN is what a delivery status notification (RFC 3464) says about the
// recipients of one copy. It holds no address: the bounce address already
// names the copy, and so its one recipient.
type DSN struct {
	Recipients []RecipientStatus
}

// RecipientStatus is one per-recipient block of a DSN (RFC 3464 section
// 2.3).
type RecipientStatus struct {
	// Action is "failed", "delayed", "delivered", "relayed" or "expanded"
	// (section 2.3.3), lower-case. Blocks with another action are skipped.
	Action string
	// Status is the enhanced status code (RFC 3463), e.g. "5.1.1", or ""
	// when the field is missing or malformed.
	Status string
	// Permanent is true when the delivery failed for good: Action is
	// "failed" and Status is of class 5. A "failed" with a 4.x.x status
	// (an MTA giving up after retries) is not permanent, nor is a missing
	// status: only a clear permanent failure may suppress a recipient.
	Permanent bool
}

// DefaultLimit is the input size ParseDSN reads at most when given a limit
// of zero or less. The delivery-status part comes second in a report
// (RFC 6522 section 3), after a short human-readable part.
const DefaultLimit = 1 << 20

var (
	// ErrNotDSN is returned, with an empty DSN, for a message without a
	// delivery-status part: a plain-text "Undelivered Mail" notice, a
	// vacation reply, an abuse report. It is a bounce to count, not to
	// act on.
	ErrNotDSN = errors.New("bounce: not a delivery status notification")
	// ErrMalformed is wrapped by every error about a message ParseDSN
	// cannot read: broken MIME, a header or the input over its limit, a
	// delivery-status part without a usable recipient block. The error
	// text never quotes the message.
	ErrMalformed = errors.New("bounce: malformed delivery status notification")
)

const (
	maxHeaderBytes = 64 << 10 // one header block
	// headerSlack covers what the bufio.Readers of the nested multipart
	// readers (4 KiB each) may have read ahead of a header.
	headerSlack = 4096 * (maxDepth + 2)
	maxDepth    = 4  // multipart nesting
	maxParts    = 64 // parts in all
)

// ParseDSN reads a bounce from r and returns the status of its recipients
// (RFC 3464 section 2.3), found in the first message/delivery-status part
// of the message's multipart tree.
// It reads at most limit bytes (DefaultLimit if limit ≤ 0), and stops at
// the delivery-status part: the rest, usually the returned original
// message, is left unread in r. Nothing of the original message is kept.
//
// The returned DSN is never nil, and holds recipients only when the error
// is nil. The error is otherwise ErrNotDSN, or wraps ErrMalformed (and r's
// own read error, if that was the cause).
func ParseDSN(r io.Reader, limit int64) (*DSN, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	p := &dsnParser{lr: &limitReader{r: r, left: limit}, limit: limit}
	d := &DSN{}
	br := bufio.NewReader(p.lr)
	p.lr.beginHeader(maxHeaderBytes + headerSlack)
	h, err := textproto.ReadHeader(br)
	p.lr.endHeader()
	if err != nil {
		return d, p.fail(err, "message header")
	}
	mt, params := contentType(h)
	found, err := p.walk(d, mt, params, message.Header{Header: h}, br, 0)
	switch {
	case err != nil:
		d.Recipients = nil
		return d, err
	case found:
		return d, nil
	case mt == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status"):
		return d, fmt.Errorf("%w: report without a delivery-status part", ErrMalformed)
	}
	return d, ErrNotDSN
}

// dsnParser holds the state of one ParseDSN.
type dsnParser struct {
	lr    *limitReader
	limit int64
	parts int
}

// walk looks for the delivery-status part in the entity with media type mt
// and body body, filling d when it finds it. It descends into multipart
// entities only: a delivery-status part inside a returned message
// (message/rfc822) belongs to that message, not to this bounce.
func (p *dsnParser) walk(d *DSN, mt string, params map[string]string, h message.Header, body io.Reader, depth int) (bool, error) {
	switch {
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		// message/global-delivery-status is the SMTPUTF8 form, RFC 6533
		// section 6.
		e, err := message.New(h, body)
		if err != nil {
			return false, fmt.Errorf("%w: delivery-status part: unknown transfer encoding", ErrMalformed)
		}
		rs, err := parseStatus(e.Body)
		if err != nil {
			return false, p.fail(err, "delivery-status part")
		}
		d.Recipients = rs
		return true, nil
	case !strings.HasPrefix(mt, "multipart/"):
		return false, nil
	}
	if depth >= maxDepth {
		return false, fmt.Errorf("%w: multipart nested deeper than %d", ErrMalformed, maxDepth)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return false, fmt.Errorf("%w: multipart without a boundary", ErrMalformed)
	}
	mr := textproto.NewMultipartReader(body, boundary)
	for {
		p.parts++
		if p.parts > maxParts {
			return false, fmt.Errorf("%w: more than %d parts", ErrMalformed, maxParts)
		}
		p.lr.beginHeader(maxHeaderBytes + headerSlack)
		part, err := mr.NextPart()
		p.lr.endHeader()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, p.fail(err, "multipart structure")
		}
		pmt, pparams := contentType(part.Header)
		found, err := p.walk(d, pmt, pparams, message.Header{Header: part.Header}, part, depth+1)
		if found || err != nil {
			return found, err
		}
		// Read the rest of the part (all of it, or a nested multipart's
		// epilogue) here, not inside NextPart, where it would count
		// against the header limit. It is discarded unread.
		if _, err := io.Copy(io.Discard, part); err != nil {
			return false, p.fail(err, "multipart structure")
		}
	}
}

// fail turns an error met while reading into one wrapping ErrMalformed.
// go-message's error texts quote the input, which may hold addresses: only
// the limits hit and r's own errors are passed on.
func (p *dsnParser) fail(err error, where string) error {
	switch p.lr.err {
	case errOverLimit:
		return fmt.Errorf("%w: %s: input over %d bytes", ErrMalformed, where, p.limit)
	case errHeaderSize:
		return fmt.Errorf("%w: %s: header over %d bytes", ErrMalformed, where, maxHeaderBytes)
	}
	if p.lr.rerr != nil {
		return fmt.Errorf("%w: %s: read: %w", ErrMalformed, where, p.lr.rerr)
	}
	if errors.Is(err, ErrMalformed) {
		return err
	}
	return fmt.Errorf("%w: undecodable %s", ErrMalformed, where)
}

// contentType returns the lower-case media type of h and its parameters;
// text/plain when the field is missing or unreadable (RFC 2045 section
// 5.2).
func contentType(h textproto.Header) (string, map[string]string) {
	v := h.Get("Content-Type")
	if v == "" {
		return "text/plain", nil
	}
	mt, params, err := mime.ParseMediaType(v)
	if mt == "" {
		return "text/plain", nil
	}
	if err != nil {
		params = nil
	}
	return mt, params
}
