package anonymize

import (
	"bufio"
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// signatureTypes are dropped wherever they occur: a signature or a public
// key names its owner (RFC 3156, RFC 8551).
var signatureTypes = map[string]bool{
	"application/pgp-signature":     true,
	"application/pkcs7-signature":   true,
	"application/x-pkcs7-signature": true,
	"application/pgp-keys":          true,
}

// oidSignedData is the DER encoding of the CMS SignedData content type,
// 1.2.840.113549.1.7.2 (RFC 5652 section 5.1).
var oidSignedData = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}

// text rewrites a text/plain or text/html leaf: the body is decoded
// (leniently), cid: references in HTML are rewritten, and the result is
// encoded as quoted-printable, whatever it came in. The charset is kept;
// the octets are not converted.
func (r *rewriter) text(h *textproto.Header, ct contentType, body io.Reader, sc scope, emit emitFunc) error {
	cte := transferEncoding(h)
	switch cte {
	case "", "7bit", "8bit", "binary", "base64", "quoted-printable":
	default:
		// An encoding we cannot decode: pass it on as it is rather than
		// relabel it (RFC 2045 section 6.4).
		return r.opaque(h, ct, body, emit)
	}
	if err := emit(r.leafFields(h, ct, "quoted-printable")); err != nil {
		return err
	}
	enc := &qpWriter{w: r.out}
	var w io.Writer = enc
	var cw *cidWriter
	if ct.typ == "text/html" {
		cw = &cidWriter{w: enc, cid: r.cid}
		w = cw
	}
	if _, err := io.CopyBuffer(w, decoder(cte, body), r.buf); err != nil {
		return err
	}
	if cw != nil {
		if err := cw.Close(); err != nil {
			return err
		}
	}
	if r.textEnd == nil || sc.forwarded || isAttachment(h) {
		return enc.Close()
	}
	// Per-copy ending: each copy continues from the same encoder state.
	for i := range r.copies {
		e := *enc
		e.w = r.out.one(i)
		if _, err := e.Write(r.textEnd(i, ct.typ)); err != nil {
			return err
		}
		if err := e.Close(); err != nil {
			return err
		}
	}
	return nil
}

// decoder returns a reader of body with transfer encoding cte undone;
// base64 and quoted-printable are decoded leniently.
func decoder(cte string, body io.Reader) io.Reader {
	switch cte {
	case "base64":
		return &base64Reader{r: body}
	case "quoted-printable":
		return newQPReader(body)
	}
	return body
}

// smime handles application/pkcs7-mime. Enveloped (encrypted) data is for
// the recipient and passes through; signed data carries the signer's
// certificate and cannot be unwrapped without changing what was signed, so
// it is refused; a certificate bundle is dropped like a signature.
func (r *rewriter) smime(h *textproto.Header, ct contentType, body io.Reader, emit emitFunc) error {
	switch strings.ToLower(ct.params["smime-type"]) {
	case "signed-data":
		return errOpaqueSigned
	case "certs-only":
		return nil
	case "":
		// Older clients leave smime-type out: look at the CMS content type
		// at the start of the body.
		br := bufio.NewReaderSize(body, 512)
		head, _ := br.Peek(400)
		if transferEncoding(h) == "base64" {
			head, _ = io.ReadAll(&base64Reader{r: bytes.NewReader(head)})
		}
		if bytes.Contains(head[:min(len(head), 64)], oidSignedData) {
			return errOpaqueSigned
		}
		body = br
	}
	return r.opaque(h, ct, body, emit)
}
