package anonymize

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"leak/relay/content/refusal"
	"leak/relay/content/text"
)

// docAddressText refuses a document that still holds the sender's own
// address after cleaning: typed into its text, a link, a comment's
// author, a field, a property no rule knew.
const docAddressText = "An attached document contains your own email address (in its text, a link or its properties), which would identify you; remove it and send again."

// cardAddressText refuses a shared contact card that holds the sender's
// own address.
const cardAddressText = "An attached contact card contains your own email address, which would identify you; remove it and send again."

// The document cleaners remove what names the sender by where it is; the
// sender's own address, wherever it is, is found by looking: the text
// and HTML parts are scanned for it line by line, and an office
// document's XML parts here, RTF, and a PDF, after cleaning. A PDF's
// page text is in compressed streams of glyph codes: its cleaner maps
// them to text (pdf.CleanText, which also gives the file's strings:
// links, form values, bookmarks), and what it cannot map is not searched:
// a composite font without a ToUnicode CMap, glyph names it does not
// know, a stream behind LZW or RunLength.

// senderInDocument reports whether the XML parts of a cleaned OOXML or
// ODF package hold one of the sender's addresses.
func (r *rewriter) senderInDocument(pkg []byte) (bool, error) {
	if len(r.sender.addrs) == 0 {
		return false, nil
	}
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return false, fmt.Errorf("anonymize: reread a cleaned document: %w", err)
	}
	for _, f := range zr.File {
		switch strings.ToLower(path.Ext(f.Name)) {
		case ".xml", ".rels", ".vml", ".rdf":
		default:
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return false, fmt.Errorf("anonymize: reread a cleaned document: %w", err)
		}
		// As written, for attributes and text in one piece; and the text
		// alone, for an address Word split over runs (a spelling mark, an
		// edit in another session: "alice@" in one w:t, the rest in the
		// next).
		raw, chars := text.NewAddressWriter(r.sender.addrs), text.NewAddressWriter(r.sender.addrs)
		_, err = io.Copy(io.MultiWriter(raw, &untagged{w: chars}), rc)
		rc.Close()
		if err != nil {
			return false, fmt.Errorf("anonymize: reread a cleaned document: %w", err)
		}
		if raw.Found() || chars.Found() {
			return true, nil
		}
	}
	return false, nil
}

// refuseSenderIn wraps a cleaner's output check: found refuses.
func refuseSenderIn(found bool, err error) error {
	if err != nil {
		return err
	}
	if found {
		return refusal.New(refusal.Identifying, docAddressText)
	}
	return nil
}

// untagged writes to w what is written to it outside XML tags.
type untagged struct {
	w   io.Writer
	tag bool
}

func (u *untagged) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if u.tag {
			end := bytes.IndexByte(p, '>')
			if end < 0 {
				return n, nil
			}
			u.tag, p = false, p[end+1:]
			continue
		}
		start := bytes.IndexByte(p, '<')
		if start < 0 {
			start = len(p)
		}
		if _, err := u.w.Write(p[:start]); err != nil {
			return 0, err
		}
		if start == len(p) {
			return n, nil
		}
		u.tag, p = true, p[start+1:]
	}
	return n, nil
}
