package anonymize

import (
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// The footer (Leak's notice and the recipient's opt-out link) is in every
// copy, visibly: it is appended to every body text part, after the
// sender's text (HTML is re-serialised first, so nothing the sender left
// open can hide it), and a message with no body text part gets one.

// needsFooterPart reports whether a top-level entity is neither a
// multipart nor a body text part, so that it needs a text part beside it.
func needsFooterPart(h *textproto.Header) bool {
	ct := contentTypeOf(h, false)
	switch {
	case strings.HasPrefix(ct.typ, "multipart/"):
		return false
	case ct.typ == "message/rfc822" || ct.typ == "message/global":
		return true
	case ct.typ == "text/plain" || ct.typ == "text/html":
		return isAttachment(h)
	case droppedTypes[ct.typ]:
		return false
	}
	return ct.typ != "application/pkcs7-mime" && ct.typ != "application/x-pkcs7-mime"
}

// wrapped writes a top-level leaf as the first part of a multipart/mixed
// whose second part is the footer.
func (r *rewriter) wrapped(h *textproto.Header, body io.Reader, emit emitFunc) error {
	out := r.newParts()
	if err := emit(out.mixed()); err != nil {
		return err
	}
	if err := r.entity(h, body, scope{depth: 1}, out.emit); err != nil {
		return err
	}
	if err := r.footerPart(out.emit); err != nil {
		return err
	}
	return out.close()
}

// footerPart writes a text/plain part that holds only each copy's footer.
func (r *rewriter) footerPart(emit emitFunc) error {
	if err := emit([]HeaderField{
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}); err != nil {
		return err
	}
	r.footered = true
	for i := range r.copies {
		e := &qpWriter{w: r.out.one(i)}
		if _, err := e.Write(r.textEnd(i, "text/plain")); err != nil {
			return err
		}
		if err := e.Close(); err != nil {
			return err
		}
	}
	return nil
}
