package bounce

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// maxStatusBytes bounds a delivery-status part: one recipient block
	// takes a few hundred bytes.
	maxStatusBytes = 64 << 10
	// maxRecipients bounds the blocks returned; Leak sends one recipient
	// per copy, so a real bounce of a Leak copy has one.
	maxRecipients = 100
	// maxField bounds the kept value of an Action or Status field,
	// continuation lines included.
	maxField = 256
)

// statusBlock is the part of one field block (RFC 3464 section 2.1) that
// matters here. Final-Recipient, Original-Recipient and Diagnostic-Code are
// never kept: they name the recipient.
type statusBlock struct {
	action, status       string
	hasAction, hasStatus bool
}

// parseStatus reads the body of a delivery-status part: a per-message
// block, then per-recipient blocks, separated by blank lines, each in
// header syntax with folding (RFC 3464 section 2.1). It is lenient where
// real MTAs stray (lines without a colon, white space on blank lines,
// comments after values) and strict about size. A block with an Action
// field is taken as a per-recipient block: the per-message block has none.
func parseStatus(r io.Reader) ([]RecipientStatus, error) {
	br := bufio.NewReaderSize(r, 1024)
	var (
		out   []RecipientStatus
		blk   statusBlock
		field *string // the field value continuation lines go to, if any
		total int
		long  bool // within a line longer than br's buffer
	)
	endBlock := func() {
		if rs, ok := blk.result(); ok && len(out) < maxRecipients {
			out = append(out, rs)
		}
		blk, field = statusBlock{}, nil
	}
	for {
		line, err := br.ReadSlice('\n')
		total += len(line)
		if total > maxStatusBytes {
			return nil, fmt.Errorf("%w: delivery-status part over %d bytes", ErrMalformed, maxStatusBytes)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line this long is no Action or Status field: drop it,
			// and what would continue it.
			long, field = true, nil
			continue
		}
		if long {
			long, line = false, nil // the line's tail
		}
		if len(line) > 0 {
			blk.add(line, &field, endBlock)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: delivery-status part: undecodable", ErrMalformed)
		}
	}
	endBlock()
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: delivery-status part without a recipient block", ErrMalformed)
	}
	return out, nil
}

// add takes one line of a block. A blank line ends the block.
func (b *statusBlock) add(line []byte, field **string, endBlock func()) {
	line = bytes.TrimRight(line, "\r\n")
	if len(bytes.Trim(line, " \t")) == 0 {
		endBlock()
		return
	}
	if line[0] == ' ' || line[0] == '\t' {
		// Folded continuation (RFC 5322 section 2.2.3).
		if f := *field; f != nil && len(*f) < maxField {
			*f = clip(*f + " " + string(bytes.Trim(line, " \t")))
		}
		return
	}
	*field = nil
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return
	}
	name = bytes.Trim(name, " \t")
	v := clip(string(bytes.Trim(value, " \t")))
	switch {
	case !b.hasAction && bytes.EqualFold(name, []byte("Action")):
		b.action, b.hasAction, *field = v, true, &b.action
	case !b.hasStatus && bytes.EqualFold(name, []byte("Status")):
		b.status, b.hasStatus, *field = v, true, &b.status
	}
}

// result turns the block into a RecipientStatus; ok is false unless the
// block has a known Action.
func (b *statusBlock) result() (rs RecipientStatus, ok bool) {
	if !b.hasAction {
		return rs, false
	}
	// RFC 3464 section 2.3.3.
	switch a := strings.ToLower(firstToken(b.action)); a {
	case "failed", "delayed", "delivered", "relayed", "expanded":
		rs.Action = a
	default:
		return rs, false
	}
	if s := firstToken(b.status); validStatus(s) {
		rs.Status = s
	}
	rs.Permanent = rs.Action == "failed" && strings.HasPrefix(rs.Status, "5.")
	return rs, true
}

// firstToken returns the value up to white space, a comment or a ';':
// "5.1.1 (bad mailbox)" gives "5.1.1".
func firstToken(s string) string {
	s = strings.TrimLeft(s, " \t")
	if i := strings.IndexAny(s, " \t(;"); i >= 0 {
		return s[:i]
	}
	return s
}

// validStatus reports whether s is an enhanced status code, RFC 3463
// section 2: class "." subject "." detail, class 2, 4 or 5, subject and
// detail of one to three digits.
func validStatus(s string) bool {
	if len(s) < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return false
	}
	subject, detail, ok := strings.Cut(s[2:], ".")
	return ok && digits(subject) && digits(detail)
}

// digits reports whether s is one to three ASCII digits.
func digits(s string) bool {
	if len(s) == 0 || len(s) > 3 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip cuts a field value to maxField bytes.
func clip(s string) string {
	if len(s) > maxField {
		return s[:maxField]
	}
	return s
}
