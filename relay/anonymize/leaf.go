package anonymize

import (
	"bufio"
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// droppedTypes are dropped wherever they occur: a signature or a public
// key names its owner (RFC 3156, RFC 8551), and two kinds of alternative
// are redundant.
var droppedTypes = map[string]bool{
	"application/pgp-signature":     true,
	"application/pkcs7-signature":   true,
	"application/x-pkcs7-signature": true,
	"application/pgp-keys":          true,
	// Alternatives to the HTML part for a watch and for AMP for Email:
	// the HTML part, which carries the same message, is cleaned and kept,
	// these would need a cleaner of their own (AMP's amp-img, watch-only
	// markup) to carry nothing more.
	"text/watch-html": true,
	"text/x-amp-html": true,
}

// oidSignedData is the DER encoding of the CMS SignedData content type,
// 1.2.840.113549.1.7.2 (RFC 5652 section 5.1).
var oidSignedData = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}

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

// smime handles application/pkcs7-mime. Enveloped (encrypted) data is
// refused: its RecipientInfos name, in the clear, every certificate it was
// encrypted to, and clients encrypt to the sender's own certificate too.
// Signed data carries the signer's certificate and cannot be unwrapped
// without changing what was signed, so it is refused as well; a
// certificate bundle is dropped like a signature.
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
	}
	return errEncryptedMIME
}
