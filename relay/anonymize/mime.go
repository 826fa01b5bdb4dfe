package anonymize

import (
	"bufio"
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// entity rewrites one entity (the message, a part, a forwarded message).
func (r *rewriter) entity(h *textproto.Header, body io.Reader, sc scope, emit emitFunc) error {
	ct := contentTypeOf(h, sc.digest)
	switch {
	case droppedTypes[ct.typ]:
		return nil
	case ct.typ == "application/pkcs7-mime" || ct.typ == "application/x-pkcs7-mime":
		return r.smime(h, ct, body, emit)
	case ct.typ == "multipart/encrypted":
		return errEncryptedMIME
	case strings.HasPrefix(ct.typ, "multipart/"):
		if sc.depth >= r.opts.MaxDepth {
			return errTooComplex
		}
		if ct.typ == "multipart/signed" {
			return r.signed(ct, body, sc, emit)
		}
		return r.multipart(ct, body, sc, emit)
	case ct.typ == "message/rfc822" || ct.typ == "message/global":
		if sc.depth >= r.opts.MaxDepth {
			return errTooComplex
		}
		return r.message(h, ct, body, sc, emit)
	case ct.typ == "message/partial":
		return errPartial
	}
	return r.leaf(h, ct, body, sc, emit)
}

// multipart rewrites a multipart with a fresh boundary, no preamble and no
// epilogue.
func (r *rewriter) multipart(ct contentType, body io.Reader, sc scope, emit emitFunc) error {
	mr, g, err := r.openMultipart(body, ct.params["boundary"])
	if err != nil {
		return err
	}
	out := r.newParts()
	if err := emit([]HeaderField{{"Content-Type", r.typeValue(ct, out.boundary)}}); err != nil {
		return err
	}
	child := scope{depth: sc.depth + 1, forwarded: sc.forwarded, digest: ct.typ == "multipart/digest", quiet: sc.quiet}
	outer := !sc.forwarded && !r.outerFound
	r.outerFound = true
	// Once the HTML part after a waiting text part has ended, the text
	// part waits for one more part if it is a calendar: Google's
	// invitation puts it last, and what it drops (the rooms, the
	// building's address) the text shows too (calendar.Places).
	late := false
	for {
		p, err := r.nextPart(mr, g)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		cal := late && contentTypeOf(&p.Header, false).typ == "text/calendar"
		if late && !cal {
			if err := r.unhold(); err != nil {
				return err
			}
		}
		late = false
		if ct.typ == "multipart/alternative" && r.holds(&p.Header) {
			err = r.hold(p, out, child)
		} else {
			err = r.entity(&p.Header, p, child, out.emit)
		}
		if err != nil {
			return err
		}
		if err := r.drain(p); err != nil {
			return err
		}
		if r.waitsFor(out) {
			if !cal {
				late = true
				continue
			}
			if err := r.unhold(); err != nil {
				return err
			}
		}
	}
	if r.held != nil && r.held.owner == out {
		// No HTML part came after the text part.
		if err := r.unhold(); err != nil {
			return err
		}
	}
	if outer && r.textEnd != nil && !r.footered {
		// No body text part carried the footer (only attachments, or
		// only a calendar): it gets a text part of its own.
		if err := r.footerPart(out.emit); err != nil {
			return err
		}
	}
	return out.close()
}

// signed replaces a multipart/signed (RFC 1847) by the content it signed:
// the signature names its signer. The signature part is read and dropped.
func (r *rewriter) signed(ct contentType, body io.Reader, sc scope, emit emitFunc) error {
	mr, g, err := r.openMultipart(body, ct.params["boundary"])
	if err != nil {
		return err
	}
	p, err := r.nextPart(mr, g)
	if err == io.EOF {
		return errMalformed
	}
	if err != nil {
		return err
	}
	child := scope{depth: sc.depth + 1, forwarded: sc.forwarded}
	if err := r.entity(&p.Header, p, child, emit); err != nil {
		return err
	}
	for {
		if err := r.drain(p); err != nil {
			return err
		}
		if p, err = r.nextPart(mr, g); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// message rewrites a forwarded message: its own header keeps only Subject
// and the content fields (its From, To, Date and Message-ID name people),
// and its body is rewritten like any other.
func (r *rewriter) message(h *textproto.Header, ct contentType, body io.Reader, sc scope, emit emitFunc) error {
	cte := transferEncoding(h)
	src := body
	switch cte {
	case "", "7bit", "8bit", "binary":
	case "base64", "quoted-printable":
		// Not allowed (RFC 2046 section 5.2.1) but sent: decode, check the
		// lines like the input, and label the result 8bit.
		src = newInput(r.decoder(cte, body))
		cte = "8bit"
	default:
		return errMalformed
	}
	if err := emit(r.leafFields(h, ct, cte)); err != nil {
		return err
	}
	g := &guard{r: src, tripped: &r.headerTooLarge}
	br := r.reader(g)
	nh, err := r.readHeader(g, br)
	if err != nil {
		return err
	}
	subject := normaliseText(decodeText(nh.Get("Subject")))
	done := false
	nestedEmit := func(fields []HeaderField) error {
		done = true
		b := r.hbuf[:0]
		var err error
		if subject != "" {
			if b, err = appendField(b, "Subject", encodeText(subject), false); err != nil {
				return err
			}
		}
		b, _ = appendField(b, "MIME-Version", "1.0", true)
		return r.writeFields(b, entityFields(fields))
	}
	child := scope{depth: sc.depth + 1, forwarded: true}
	if err := r.entity(&nh, br, child, nestedEmit); err != nil {
		return err
	}
	if !done {
		if err := nestedEmit(emptyText); err != nil {
			return err
		}
	}
	return r.drain(br)
}

// opaque passes a leaf through: its body unchanged, with its transfer
// encoding, whatever that body holds.
func (r *rewriter) opaque(h *textproto.Header, ct contentType, body io.Reader, emit emitFunc) error {
	cte := transferEncoding(h)
	if cte != "" && !isToken(cte) {
		return errMalformed
	}
	if err := emit(r.leafFields(h, ct, cte)); err != nil {
		return err
	}
	_, err := io.CopyBuffer(r.out, body, r.buf)
	return err
}

// openMultipart starts reading a multipart body. The preamble is skipped
// here, outside the header budget, and the multipart reader starts at the
// first boundary line.
func (r *rewriter) openMultipart(body io.Reader, boundary string) (*textproto.MultipartReader, *guard, error) {
	if boundary == "" || len(boundary) > 200 {
		return nil, nil, errMalformed
	}
	g := &guard{r: body, tripped: &r.headerTooLarge}
	br := r.reader(g)
	first, err := skipPreamble(br, "--"+boundary)
	if err != nil {
		return nil, nil, err
	}
	return textproto.NewMultipartReader(io.MultiReader(bytes.NewReader(first), br), boundary), g, nil
}

// skipPreamble reads lines up to and including the first boundary line,
// which it returns.
func skipPreamble(br *bufio.Reader, dash string) ([]byte, error) {
	for {
		line, err := br.ReadSlice('\n')
		if isBoundaryLine(line, dash) {
			return bytes.Clone(line), nil
		}
		for err == bufio.ErrBufferFull {
			_, err = br.ReadSlice('\n')
		}
		if err == io.EOF {
			return nil, errMalformed // no boundary at all
		}
		if err != nil {
			return nil, err
		}
	}
}

// isBoundaryLine reports whether line is "--boundary" or "--boundary--",
// optionally followed by white space (RFC 2046 section 5.1.1).
func isBoundaryLine(line []byte, dash string) bool {
	rest, ok := bytes.CutPrefix(line, []byte(dash))
	if !ok {
		return false
	}
	rest = bytes.TrimPrefix(rest, []byte("--"))
	return len(bytes.TrimRight(rest, " \t\r\n")) == 0
}

// nextPart reads the next part's header within the limits.
func (r *rewriter) nextPart(mr *textproto.MultipartReader, g *guard) (*textproto.Part, error) {
	g.arm(r.opts.MaxHeaderBytes + headerSlack)
	p, err := mr.NextPart()
	g.disarm()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, r.headerErr(err)
	}
	if r.parts++; r.parts > r.opts.MaxParts {
		return nil, errTooComplex
	}
	return p, r.checkHeader(&p.Header)
}
