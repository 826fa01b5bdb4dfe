package anonymize

import (
	"bytes"
	"errors"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"

	"leak/relay/content/calendar"
	"leak/relay/content/filename"
	"leak/relay/content/html"
	"leak/relay/content/image"
	"leak/relay/content/office"
	"leak/relay/content/pdf"
	"leak/relay/content/refusal"
	"leak/relay/content/text"
)

// The content stage. Every leaf of a message passes through leaf, which
// picks what to do by its media type (and, for application/octet-stream,
// by what its bytes and file name say it is):
//
//   - cleaned while streaming: text (plain, HTML and other text/*), JPEG,
//     PNG, GIF, WebP, RTF;
//   - cleaned whole, in memory and within the document budget: PDF, OOXML,
//     ODF, ZIP, SVG, calendars, vCards, TNEF;
//   - passed unchanged: the types the operator lists in PassTypes;
//   - dropped: signatures and keys, text/rfc822-headers;
//   - refused: everything else, with a reply that names the type.
//
// The README's table lists every type and what happens to it.

// Content kinds a leaf can be cleaned as.
const (
	kindText     = "text"
	kindImage    = "image"
	kindPDF      = "pdf"
	kindOOXML    = "ooxml"
	kindODF      = "odf"
	kindZip      = "zip"
	kindRTF      = "rtf"
	kindCalendar = "calendar"
	kindVCard    = "vcard"
	kindTNEF     = "tnef"
)

var (
	errUnknownEncoding = refusal.New(refusal.Malformed, "an attachment has a transfer encoding Leak cannot read; use base64")
	errEncryptedMIME   = refusal.New(refusal.Encrypted, "encrypted messages (S/MIME or PGP) cannot be sent through Leak: their recipient list is readable by anyone and usually names you; send the text unencrypted")
	errTooLargeDoc     = refusal.New(refusal.TooLarge, "an attached document is larger than Leak can clean; send a smaller file")
)

// unsupported is the refusal of a media type Leak has no cleaner for. The
// type is the one the sender's client wrote, so naming it helps the sender
// and tells nobody else anything.
func unsupported(mediaType string) error {
	return refusal.New(refusal.Unsupported, "Leak cannot remove what may identify you from attachments of type "+
		mediaType+", so it does not send them; send the content as plain text, PDF, an office document or a JPEG or PNG image")
}

// leaf cleans one leaf entity.
func (r *rewriter) leaf(h *textproto.Header, ct contentType, body io.Reader, sc scope, emit emitFunc) error {
	if r.opts.passTypes[ct.typ] {
		return r.opaque(h, ct, body, emit)
	}
	switch ct.typ {
	case "text/rfc822-headers":
		return nil // the headers of a returned message name its sender
	case "message/delivery-status", "message/global-delivery-status":
		return r.deliveryStatus(h, ct, body, emit)
	case "message/disposition-notification", "message/global-disposition-notification":
		return nil // a read receipt names the reader's client and address
	case "application/pgp-encrypted":
		return errEncryptedMIME
	}
	cte := transferEncoding(h)
	switch cte {
	case "", "7bit", "8bit", "binary", "base64", "quoted-printable":
	default:
		return errUnknownEncoding
	}
	dec := r.decoder(cte, body)
	if b, ok := dec.(*base64Reader); ok && !strings.HasPrefix(ct.typ, "text/") {
		b.strict = true
	}
	src := r.reader(dec)
	head, err := src.Peek(512)
	if errors.Is(err, errBadBase64) {
		return err
	}
	name := fileName(h, ct)
	if generic(ct.typ) && pgpFile(head, name) {
		return nil // as application/pgp-keys and pgp-signature are
	}
	kind, typ := classify(ct.typ, name, head)
	switch kind {
	case kindText:
		// An HTML file labelled generically is cleaned, and sent, as HTML.
		ct.typ = typ
		if typ == "text/html" {
			r.htmlParts++ // a plain-text part may wait for its signature
		}
		return r.text(h, ct, src, sc, emit)
	case kindImage:
		return r.streamed(h, ct, emit, func(w io.Writer) error {
			ok, err := image.Clean(typ, w, src)
			if !ok {
				return unsupported(ct.typ)
			}
			return err
		})
	case kindRTF:
		return r.streamed(h, ct, emit, func(w io.Writer) error {
			found := text.NewAddressWriter(r.sender.addrs)
			if err := office.RTF(io.MultiWriter(w, found), src); err != nil {
				return err
			}
			return refuseSenderIn(found.Found(), nil)
		})
	case kindCalendar:
		return r.calendar(h, ct, src, emit)
	case kindVCard:
		return r.vcard(h, ct, src, emit)
	case kindTNEF:
		return r.winmail(src, sc, emit)
	case kindPDF, kindOOXML, kindODF, kindZip:
		return r.document(h, ct, kind, src, emit)
	}
	return unsupported(ct.typ)
}

// classify tells how a leaf is cleaned, from its declared media type, its
// file name and its first octets. typ is the media type the image cleaner
// should read it as. A specific declared type wins; a generic one
// (application/octet-stream and the like) is resolved by the content's
// signature first and the name's extension second.
func classify(mediaType, name string, head []byte) (kind, typ string) {
	switch mediaType {
	case "text/html":
		return kindText, mediaType
	case "text/calendar", "application/ics", "text/x-vcalendar":
		return kindCalendar, mediaType
	case "text/vcard", "text/x-vcard", "text/directory":
		return kindVCard, mediaType
	case "text/rtf", "application/rtf", "text/richtext":
		return kindRTF, mediaType
	case "application/pdf", "application/x-pdf":
		return kindPDF, mediaType
	case "application/ms-tnef", "application/vnd.ms-tnef":
		return kindTNEF, mediaType
	case "image/svg+xml":
		return kindImage, mediaType
	}
	if k := office.Kind(mediaType, name); k != "" {
		return k, mediaType
	}
	if strings.HasPrefix(mediaType, "image/") {
		if alias, ok := imageAliases[mediaType]; ok {
			return kindImage, alias
		}
		return kindImage, mediaType
	}
	if strings.HasPrefix(mediaType, "text/") {
		// A calendar or a card under another text type is still one,
		// and is cleaned as one; as text, its organizer, attendees and
		// X- properties would pass.
		if k, t := sniffDirectory(head, ""); k != "" {
			return k, t
		}
		return kindText, mediaType
	}
	if !generic(mediaType) {
		return "", mediaType
	}
	if k, t := sniffDirectory(head, name); k != "" {
		return k, t
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		return kindImage, "image/jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return kindImage, "image/png"
	case bytes.HasPrefix(head, []byte("GIF8")):
		return kindImage, "image/gif"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return kindImage, "image/webp"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return kindPDF, "application/pdf"
	case bytes.HasPrefix(head, []byte{0x78, 0x9f, 0x3e, 0x22}):
		return kindTNEF, "application/ms-tnef"
	case bytes.HasPrefix(head, []byte(`{\rtf`)):
		return kindRTF, "application/rtf"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte{0xd0, 0xcf, 0x11, 0xe0}):
		// A zip, or an OLE compound file (a legacy or encrypted Office
		// document, which the office cleaner refuses with advice).
		return office.Sniff(head), "application/octet-stream"
	case looksLikeText(head) && looksLikeHTML(head, name):
		return kindText, "text/html"
	case looksLikeText(head):
		// A text file a client did not know how to label (a log, a
		// configuration, a .bin that is text): cleaned as text.
		return kindText, "text/plain"
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".jpg", ".jpeg", ".jpe":
		return kindImage, "image/jpeg"
	case ".png":
		return kindImage, "image/png"
	case ".gif":
		return kindImage, "image/gif"
	case ".webp":
		return kindImage, "image/webp"
	case ".svg":
		return kindImage, "image/svg+xml"
	case ".pdf":
		return kindPDF, "application/pdf"
	case ".ics", ".ical", ".ifb":
		return kindCalendar, "text/calendar"
	case ".vcf", ".vcard":
		return kindVCard, "text/vcard"
	case ".dat":
		if strings.EqualFold(name, "winmail.dat") {
			return kindTNEF, "application/ms-tnef"
		}
	case ".txt", ".text", ".csv", ".log", ".md":
		return kindText, "text/plain"
	}
	return "", mediaType
}

// imageAliases are the non-standard names clients give common pictures.
var imageAliases = map[string]string{
	"image/jpg": "image/jpeg", "image/jpe": "image/jpeg", "image/x-citrix-jpeg": "image/jpeg",
	"image/x-png": "image/png", "image/x-citrix-png": "image/png", "image/svg": "image/svg+xml",
}

// looksLikeText reports whether the first octets of a file are UTF-8 text
// without control characters other than white space. A cut in the middle
// of a multi-octet character at the end of head is allowed.
func looksLikeText(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	for i := 0; i < len(head); {
		c := head[i]
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n <= 1 {
			return len(head)-i < utf8.UTFMax && !utf8.FullRune(head[i:])
		}
		i += n
	}
	return true
}

// generic reports whether a declared media type says nothing of the
// content: clients label what they do not know this way.
// pgpFile tells an OpenPGP key or detached signature sent under a generic
// type ("OpenPGP_0x5607463F30D03B8A.asc", "signature.asc", "msg.sig"):
// a key's user id is its owner's name and address, and a signature names
// the key that made it. An encrypted file (.gpg) is not one: it is refused
// as any file Leak cannot look into.
func pgpFile(head []byte, name string) bool {
	first := bytes.TrimLeft(head, "\ufeff \t\r\n")
	if bytes.HasPrefix(first, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) ||
		bytes.HasPrefix(first, []byte("-----BEGIN PGP SIGNATURE-----")) {
		return true
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".sig":
		return true
	case ".asc":
		// Armored, so text: an .asc that is not a key or signature (an
		// encrypted message, say) is left to the text cleaner.
		return !looksLikeText(head)
	}
	return false
}

// sniffDirectory tells a calendar or a vCard by its first line or, failing
// that, by its file name's extension (name is empty when the declared
// type, a text one, is to be trusted over it).
func sniffDirectory(head []byte, name string) (kind, typ string) {
	first := bytes.TrimLeft(head, "\ufeff \t\r\n")
	switch {
	case len(first) >= 15 && bytes.EqualFold(first[:15], []byte("BEGIN:VCALENDAR")):
		return kindCalendar, "text/calendar"
	case len(first) >= 11 && bytes.EqualFold(first[:11], []byte("BEGIN:VCARD")):
		return kindVCard, "text/vcard"
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".ics", ".ical", ".ifb", ".vcs":
		return kindCalendar, "text/calendar"
	case ".vcf", ".vcard":
		return kindVCard, "text/vcard"
	}
	return "", ""
}

// looksLikeHTML tells an HTML document by its name or its first tag: as
// plain text, its remote pictures, signatures and meta tags would pass.
func looksLikeHTML(head []byte, name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".html", ".htm", ".xhtml":
		return true
	}
	first := bytes.ToLower(bytes.TrimLeft(head, "\ufeff \t\r\n"))
	return bytes.HasPrefix(first, []byte("<!doctype html")) || bytes.HasPrefix(first, []byte("<html"))
}

func generic(mediaType string) bool {
	switch mediaType {
	case "application/octet-stream", "application/binary", "application/unknown",
		"application/x-download", "application/force-download", "binary/octet-stream":
		return true
	}
	return false
}

// fileName returns the base name of an entity's file, from its
// Content-Disposition or, failing that, its Content-Type name.
func fileName(h *textproto.Header, ct contentType) string {
	_, params := parseParams(h.Get("Content-Disposition"))
	if n := baseName(params["filename"]); n != "" {
		return n
	}
	return baseName(ct.params["name"])
}

// streamed writes a binary leaf cleaned while it streams, base64 encoded.
func (r *rewriter) streamed(h *textproto.Header, ct contentType, emit emitFunc, clean func(io.Writer) error) error {
	if err := emit(r.leafFields(h, ct, "base64")); err != nil {
		return err
	}
	enc := newBase64Writer(r.out)
	if err := clean(enc); err != nil {
		return err
	}
	return enc.Close()
}

// text cleans a text leaf: the body is decoded, converted to UTF-8, cleaned
// (signatures, device lines and attributions; HTML re-serialised from an
// allowlist) and encoded as quoted-printable. Body text parts end with the
// copy's footer: after the sender's HTML, which the cleaner has closed, so
// nothing the sender wrote can hide it.
func (r *rewriter) text(h *textproto.Header, ct contentType, src io.Reader, sc scope, emit emitFunc) error {
	utf8Src, ok := toUTF8(ct.params["charset"], src)
	if ok {
		ct = ct.with("charset", "utf-8")
	}
	if err := emit(r.leafFields(h, ct, "quoted-printable")); err != nil {
		return err
	}
	enc := &qpWriter{w: r.out}
	isHTML := ct.typ == "text/html"
	var err error
	if isHTML {
		err = html.Clean(enc, utf8Src, html.Options{Sender: r.sender.addrs, Names: r.sender.names, CID: r.cidOf, Signature: r.addSignature, Places: r.addPlaces})
	} else {
		err = text.Clean(enc, utf8Src, text.Options{Sender: r.sender.addrs, Names: r.sender.names, Signatures: r.sigs, Places: r.places})
	}
	if err != nil {
		return err
	}
	body := (ct.typ == "text/plain" || isHTML) && !sc.forwarded && !sc.quiet && !isAttachment(h)
	if r.textEnd == nil || !body {
		if isHTML {
			if _, err := io.WriteString(enc, html.End); err != nil {
				return err
			}
		}
		return enc.Close()
	}
	r.footered = true
	// Per-copy ending: each copy continues from the same encoder state.
	for i := range r.copies {
		e := *enc
		e.w = r.out.one(i)
		end := r.textEnd(i, ct.typ)
		if isHTML {
			end = append(end, html.End...)
		}
		if _, err := e.Write(end); err != nil {
			return err
		}
		if err := e.Close(); err != nil {
			return err
		}
	}
	return nil
}

// toUTF8 returns src converted from charset cs to UTF-8. ok is false when
// the charset is unknown: the octets then pass as they are, under their
// own label, and the cleaners match what ASCII they can.
func toUTF8(cs string, src io.Reader) (io.Reader, bool) {
	switch strings.ToLower(cs) {
	case "", "utf-8", "us-ascii", "utf8", "ascii":
		return src, true
	}
	conv, err := charset.Reader(cs, src)
	if err != nil {
		return src, false
	}
	return conv, true
}

// cidOf maps the id of a cid: URL, already percent-decoded by the HTML
// cleaner (RFC 2392 section 2), to the replacement of the Content-ID it
// names.
func (r *rewriter) cidOf(id string) string { return r.cid([]byte(id)) }

// calendar cleans a text/calendar leaf once per copy: the organizer (or the
// replying attendee) becomes Leak's address under the copy's own
// relationship, so each copy gets its own rewrite.
func (r *rewriter) calendar(h *textproto.Header, ct contentType, src io.Reader, emit emitFunc) error {
	data, held, err := r.budget.readDocument(src, r.opts.MaxDocumentBytes)
	if err != nil {
		return err
	}
	defer r.budget.release(held)
	utf8Data, ok := toUTF8(ct.params["charset"], bytes.NewReader(data))
	if ok {
		ct = ct.with("charset", "utf-8")
	}
	if data, err = io.ReadAll(utf8Data); err != nil {
		return refusal.New(refusal.Malformed, "an attached calendar could not be read")
	}
	if r.held != nil {
		// A text part waits (mime.go): it shows the rooms and the
		// location too.
		id := calendar.Identity{Address: r.anonAddress(), Sender: r.sender.addrs, Names: r.sender.names, UIDKey: r.uidKey}
		places, err := calendar.Places(bytes.NewReader(data), id)
		if err != nil {
			return err
		}
		r.addPlaces(places)
	}
	outs := make([][]byte, len(r.copies))
	sigs := text.NewSignatures(r.sigs)
	for i := range r.copies {
		var b bytes.Buffer
		id := calendar.Identity{Address: r.anonAddress(), Name: r.displayName(i), Sender: r.sender.addrs, Names: r.sender.names,
			UIDKey: r.uidKey, Stamp: r.dateOf(i), Signatures: sigs}
		if err := calendar.Calendar(&b, bytes.NewReader(data), id); err != nil {
			return err
		}
		outs[i] = b.Bytes()
	}
	if err := emit(r.leafFields(h, ct, "quoted-printable")); err != nil {
		return err
	}
	for i, b := range outs {
		e := &qpWriter{w: r.out.one(i)}
		if _, err := e.Write(b); err != nil {
			return err
		}
		if err := e.Close(); err != nil {
			return err
		}
	}
	return nil
}

// vcard drops the sender's own card (Thunderbird and others attach it to
// every message) and keeps the others; a part left with no card is dropped.
func (r *rewriter) vcard(h *textproto.Header, ct contentType, src io.Reader, emit emitFunc) error {
	data, held, err := r.budget.readDocument(src, r.opts.MaxDocumentBytes)
	if err != nil {
		return err
	}
	defer r.budget.release(held)
	var b bytes.Buffer
	kept, err := calendar.VCard(&b, bytes.NewReader(data), calendar.Identity{Address: r.anonAddress(), Sender: r.sender.addrs, Names: r.sender.names})
	if err != nil || kept == 0 {
		return err
	}
	// A card the sender shares may still name them: "Assistant to
	// alice@…" in a NOTE, a RELATED mailto:. Their own address refuses
	// it, as it refuses a text part.
	found := text.NewAddressWriter(r.sender.addrs)
	found.Write(b.Bytes())
	if found.Found() {
		return refusal.New(refusal.Identifying, cardAddressText)
	}
	if err := emit(r.leafFields(h, ct, "quoted-printable")); err != nil {
		return err
	}
	enc := &qpWriter{w: r.out}
	if _, err := enc.Write(b.Bytes()); err != nil {
		return err
	}
	return enc.Close()
}

// document cleans a container that needs random access (PDF, OOXML, ODF,
// ZIP): it is held in memory, within MaxDocumentBytes and under the
// daemon-wide document budget until it is written out, base64 encoded.
func (r *rewriter) document(h *textproto.Header, ct contentType, kind string, src io.Reader, emit emitFunc) error {
	data, held, err := r.budget.readDocument(src, r.opts.MaxDocumentBytes)
	if err != nil {
		return err
	}
	defer r.budget.release(held)
	out, err := r.cleanBytes(kind, "", data)
	if err != nil {
		return err
	}
	return r.streamed(h, ct, emit, func(w io.Writer) error {
		_, err := w.Write(out)
		return err
	})
}

// cleanBytes cleans a document or an embedded member held in memory. name
// is the member's name inside its container, if it is one.
func (r *rewriter) cleanBytes(kind, name string, data []byte) ([]byte, error) {
	max := r.opts.MaxDocumentBytes
	if kind == kindZip {
		// The first octets showed a zip; the whole of it tells an office
		// document whose [Content_Types].xml is not its first member.
		kind = office.Sniff(data)
	}
	switch kind {
	case kindPDF:
		if len(r.sender.addrs) == 0 {
			return pdf.Clean(data, max)
		}
		found := text.NewAddressWriter(r.sender.addrs)
		out, err := pdf.CleanText(data, max, found)
		if err != nil {
			return nil, err
		}
		if err := refuseSenderIn(found.Found(), nil); err != nil {
			return nil, err
		}
		return out, nil
	case kindOOXML, kindODF:
		clean := office.OOXML
		if kind == kindODF {
			clean = office.ODF
		}
		out, err := clean(data, max, r.embedded)
		if err != nil {
			return nil, err
		}
		if err := refuseSenderIn(r.senderInDocument(out)); err != nil {
			return nil, err
		}
		return out, nil
	case kindZip:
		return office.Zip(data, max, r.member, filename.Path)
	}
	var b bytes.Buffer
	var err error
	switch kind {
	case kindRTF:
		if err = office.RTF(&b, bytes.NewReader(data)); err == nil {
			w := text.NewAddressWriter(r.sender.addrs)
			w.Write(b.Bytes())
			err = refuseSenderIn(w.Found(), nil)
		}
	case kindText:
		err = text.Clean(&b, bytes.NewReader(data), text.Options{Sender: r.sender.addrs, Names: r.sender.names})
	case kindImage:
		_, typ := classify("application/octet-stream", name, data[:min(len(data), 512)])
		var ok bool
		if ok, err = image.Clean(typ, &b, bytes.NewReader(data)); !ok {
			err = unsupported("a file inside an archive")
		}
	default:
		err = unsupported("a file inside an archive")
	}
	return b.Bytes(), err
}

// member cleans one file of a plain ZIP archive by its type; a file Leak
// cannot clean refuses the archive, as it would as an attachment.
func (r *rewriter) member(name string, data []byte) ([]byte, bool, error) {
	kind, _ := classify("application/octet-stream", name, data[:min(len(data), 512)])
	switch kind {
	case kindCalendar, kindVCard, kindTNEF, "":
		return nil, false, unsupported("a file inside an archive (" + strings.ToLower(path.Ext(name)) + ")")
	}
	out, err := r.cleanBytes(kind, name, data)
	return out, err == nil, err
}

// embedded cleans a member of an office document that is not one of its
// XML parts: pictures are cleaned, nested documents recursively; what Leak
// cannot clean (OLE objects, fonts, other binaries) is dropped, and the
// document opens without it.
func (r *rewriter) embedded(name string, data []byte) ([]byte, bool, error) {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".emf", ".wmf":
		// The pictures Office writes for embedded objects' previews,
		// equations and signature lines: recorded for the sender's
		// screen or printer (EMF), or carrying an EMF copy (WMF).
		clean := image.EMF
		if ext == ".wmf" {
			clean = image.WMF
		}
		var out bytes.Buffer
		if err := clean(&out, bytes.NewReader(data)); err != nil {
			return nil, false, err
		}
		return out.Bytes(), true, nil
	case ".xml", ".rels":
		return data, true, nil
	case ".odttf", ".ttf", ".otf", ".fntdata":
		// Embedded fonts: their names are the type designer's.
		return data, true, nil
	}
	kind, _ := classify("application/octet-stream", name, data[:min(len(data), 512)])
	switch kind {
	case kindImage, kindPDF, kindOOXML, kindODF:
		out, err := r.cleanBytes(kind, name, data)
		return out, err == nil, err
	}
	return nil, false, nil
}

// readBounded reads src whole, refusing it past max octets.
func readBounded(src io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(src, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, errTooLargeDoc
	}
	return data, nil
}

// anonAddress is Leak's anonymous From address.
func (r *rewriter) anonAddress() string { return r.opts.FromLocal + "@" + r.opts.Domain }

// displayName is copy i's From display name, "A friend, anonymously".
func (r *rewriter) displayName(i int) string {
	return capitalise(relationship(r.copies[i].Relationship)) + ", anonymously"
}

// with returns ct with one parameter set.
func (ct contentType) with(key, val string) contentType {
	p := make(map[string]string, len(ct.params)+1)
	for k, v := range ct.params {
		p[k] = v
	}
	p[key] = val
	return contentType{typ: ct.typ, params: p}
}
