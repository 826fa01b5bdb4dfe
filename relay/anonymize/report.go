package anonymize

import (
	"bufio"
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"

	"leak/relay/content/refusal"
	"leak/relay/content/text"
)

// dsnFields are the per-recipient fields of a delivery status notification
// (RFC 3464 section 2.3) that a forwarded report keeps: what happened and
// to whom. The per-message fields (Reporting-MTA, Arrival-Date,
// Original-Envelope-Id, the MTA's own X- fields) describe the sender's
// mail system and its message, and are dropped.
// Diagnostic-Code goes too: it is the remote server's own text, which often
// names the sender's mail server, its address, or the sender
// ("553 5.1.8 <alice@example.com>: Sender address rejected", "Client host
// [192.0.2.25] blocked"); Status says what happened in a form that names
// no one.
var dsnFields = []string{"Final-Recipient", "Action", "Status"}

// deliveryStatus rewrites a message/delivery-status leaf, keeping only the
// per-recipient fields above, in RFC 3464's layout: an (empty) per-message
// group, then one group per recipient.
func (r *rewriter) deliveryStatus(h *textproto.Header, ct contentType, body io.Reader, emit emitFunc) error {
	data, err := readBounded(decoder(transferEncoding(h), body), 64<<10)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	out.WriteString("Reporting-MTA: dns; " + r.opts.Hostname + "\r\n")
	br := bufio.NewReader(bytes.NewReader(data))
	first := true
	for {
		g, err := textproto.ReadHeader(br)
		if err != nil && err != io.EOF {
			return errMalformed
		}
		if !first && g.Len() > 0 {
			out.WriteString("\r\n")
			for _, k := range dsnFields {
				if v := strings.TrimSpace(g.Get(k)); v != "" {
					if text.HasAddress(v, r.sender.addrs) {
						// The sender's own bounce, forwarded.
						return refusal.New(refusal.Identifying, text.IdentifyingText)
					}
					b, ferr := appendField(nil, k, v, true)
					if ferr != nil {
						return errMalformed
					}
					out.Write(b)
				}
			}
		}
		first = false
		if err == io.EOF {
			break
		}
		if _, perr := br.Peek(1); perr == io.EOF {
			break
		}
	}
	if err := emit(r.leafFields(h, ct, "7bit")); err != nil {
		return err
	}
	_, err = r.out.Write(out.Bytes())
	return err
}
