// Package pdf rewrites a PDF attachment so that nothing in it names its
// author, while the pages, links and form values stay as they were.
//
// pdfcpu parses the file (every revision, object streams, broken cross
// reference tables); the rewrite is this package's own. Starting from the
// document catalog it writes each object that is still reachable exactly
// once, renumbered, into a single revision with a classic cross-reference
// table. What it promises about the output:
//
//   - No document information dictionary (Title, Author, Creator, Producer,
//     Keywords, dates) and no trailer entries other than /Size, /Root and a
//     fresh random /ID. pdfcpu's own writer is not used because it always
//     adds an Info dictionary naming itself and the time of the rewrite, and
//     keeps the first half of the old /ID.
//   - One revision: objects that only earlier revisions (incremental saves)
//     or nothing at all point to are not written, so an old Info dictionary
//     or a deleted annotation left in the file are gone.
//   - No XMP metadata (/Metadata on any object), /PieceInfo, /LastModified,
//     web capture information (/SpiderInfo, the /IDS and /URLS name
//     trees), /OPI (file paths of print images), thread info
//     dictionaries, or page thumbnails (/Thumb, which can show a page as it
//     was before an edit).
//   - Pictures are cleaned as attached ones are: a JPEG (DCTDecode, also
//     behind Flate, ASCIIHex or ASCII85, which are undone) keeps only what
//     decoding needs (image.JPEG: no EXIF, XMP, IPTC, ICC profile, comment,
//     or second picture after the first); a JPEG 2000 picture (JPXDecode)
//     keeps only its signature, file type, header and codestream boxes, and
//     its codestream loses the comments of its main header.
//   - ICC profiles (ICCBased colour spaces, output intents, JPEG 2000
//     headers) keep their colour data but have the text of their
//     description, copyright and device tags replaced by spaces and their
//     profile ID zeroed (blankICC).
//   - Structure elements' /Alt and /T (LibreOffice's picture title and
//     description), and /E and /ActualText holding a local path, keep only
//     a path's file name, and a device-made name becomes a plain one
//     (filename.Neutral). Annotations' rich text loses Acrobat's
//     xfa:APIVersion.
//   - Annotations lose their author (/T, except on form widgets, where /T is
//     the field name), their dates (/M, /CreationDate) and their /NM id;
//     their contents, rich text and popups are kept.
//   - No JavaScript: document-level scripts, JavaScript, Launch, GoToR, GoToE,
//     ImportData and Rendition actions and every /AA (additional actions)
//     are removed, and so are URI actions to a local file (a file: URI or
//     an absolute path) and a local URI base. Links (other URI and GoTo
//     actions, destinations) are kept.
//   - No signatures: signature values (/V of /Sig fields), /Perms and the
//     /DSS are removed, because a signature names its signer and the rewrite
//     breaks it anyway. XFA form packets are removed; the AcroForm fields
//     and their values are kept.
//
// Refused, with a reason the sender can act on:
//
//   - encrypted PDFs, including those with only an owner password
//     (refusal.Encrypted);
//   - PDFs with attached files (/EmbeddedFiles, FileAttachment annotations,
//     any embedded file stream, so also PDF/A-3 e-invoices carrying their
//     XML and portfolios): an attachment can be any kind of file with its
//     own metadata, which this package cannot clean, and dropping it would
//     lose what the sender meant to send (refusal.Unsupported);
//   - pictures behind filters other than Flate, ASCIIHex and ASCII85
//     (refusal.Unsupported): they could not be cleaned;
//   - anything that does not parse or makes the parser panic (including a
//     JPEG or JPEG 2000 picture or an ICC profile stream), and input
//     screened out before parsing because it would crash the parser or
//     exhaust the relay: nesting deeper than a PDF plausibly does, streams
//     inflating past 256 MiB, more objects (declared, or object headers)
//     than the file's size allows, stray "stream" keywords, or a parse
//     over 30 s
//     (refusal.Malformed).
//
// Clean holds the input, pdfcpu's model of it and the output in memory,
// a few times the input's size: callers bound how many run at once.
//
// Not cleaned: text drawn on the pages, form field values and names, font
// names and embedded fonts, and the visible appearance of a signature
// field: they are what the sender chose to show. CleanText gives that
// text too, for a caller that looks in it for what the sender did not
// mean to show (their own address).
package pdf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	pdflog "github.com/pdfcpu/pdfcpu/pkg/log"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"leak/relay/content/refusal"
)

// The texts shown to the sender. They never carry a value from the document.
const (
	textMalformed  = "the attached PDF could not be read; save it again (Print to PDF) and resend"
	textEncrypted  = "the attached PDF is password-protected: remove the password and send it again"
	textAttachment = "PDFs with attached files are not supported: send the files separately"
	textTooLarge   = "the attached PDF is too large"
	textImage      = "the attached PDF holds a picture Leak cannot clean; save it again (Print to PDF) and resend"
)

// parseTimeout bounds the time pdfcpu may take to read a file. It checks
// the deadline between objects, not inside every loop: the screens keep out
// the inputs known to make one step slow.
const parseTimeout = 30 * time.Second

func init() {
	// Without this, pdfcpu's first default configuration creates a
	// configuration directory under the user's home, installs fonts there,
	// and calls os.Exit if it cannot. It is a package variable, so it is set
	// once here, before any concurrent use.
	model.ConfigPath = "disable"
	// pdfcpu's loggers are off unless set; say so, since they print parts
	// of the document.
	pdflog.DisableLoggers()
}

// Clean returns a rewritten copy of the PDF in data. max bounds the input
// size (refusal.TooLarge past it). Any error it returns is a *refusal.Error.
// It is safe for concurrent use.
func Clean(data []byte, max int64) ([]byte, error) {
	return CleanText(data, max, nil)
}

// CleanText is Clean that also writes to text, unless it is nil, the text
// the output holds, for a caller that looks for something in it:
//
//   - every string object, one a line: text strings (PDFDocEncoding or
//     UTF-16BE) such as link URIs, form field values, bookmarks and
//     annotations' contents, and the strings of marked content's
//     properties in the pages (/ActualText, /Alt);
//   - what the pages, the form XObjects they draw and their annotations'
//     appearances show, mapped to Unicode through each font's ToUnicode
//     CMap or a simple font's encoding and glyph names, codes neither
//     maps left out. Each page's text comes twice, each copy ending in a
//     line break: joined, as shown one piece after the other, so an
//     address drawn in pieces (a bold domain, kerned letters) is whole;
//     then with a line break wherever the text is moved (a new line or
//     text object, a TJ gap wider than a fifth of an em), so an address
//     drawn right after other text with no space glyph between is too.
//
// Streams are read once each, within the bound on inflated data; text in
// a stream behind a filter other than Flate, ASCIIHex and ASCII85, or past
// the bound, is not written. Writing to text does not change the output.
func CleanText(data []byte, max int64, text io.Writer) (out []byte, err error) {
	if int64(len(data)) > max {
		return nil, refusal.New(refusal.TooLarge, textTooLarge)
	}
	if err := screen(data); err != nil {
		return nil, err
	}
	defer func() {
		// pdfcpu panics on some hostile input (index out of range, nil
		// dereferences). Such a file is malformed, not a reason to crash.
		if r := recover(); r != nil {
			out, err = nil, malformed(fmt.Errorf("pdf: parser panic: %v", r))
		}
	}()
	ctx, err := read(data)
	if err != nil {
		return nil, err
	}
	var tw *bufio.Writer
	if text != nil {
		tw = bufio.NewWriterSize(text, 32<<10)
	}
	w, err := rewrite(ctx, tw)
	if err != nil {
		return nil, err
	}
	if tw != nil {
		pageText(ctx, w.num, tw)
		tw.Flush()
	}
	return w.out.Bytes(), nil
}

// read parses data with pdfcpu and refuses encrypted documents.
func read(data []byte) (*model.Context, error) {
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.DecodeAllStreams = false
	conf.Offline = true
	c, cancel := context.WithTimeout(context.Background(), parseTimeout)
	defer cancel()
	ctx, err := pdfcpu.ReadWithContext(c, bytes.NewReader(data), conf)
	if err != nil {
		// pdfcpu fails on encrypted files it cannot open (a user password,
		// an unknown security handler) with errors that have no common
		// type; the trailer names the encryption dictionary in clear text.
		if errors.Is(err, pdfcpu.ErrWrongPassword) || bytes.Contains(data, []byte("/Encrypt")) {
			return nil, refusal.New(refusal.Encrypted, textEncrypted)
		}
		return nil, malformed(err)
	}
	if ctx.XRefTable == nil || ctx.Root == nil {
		return nil, malformed(errors.New("pdf: no document catalog"))
	}
	// Without a catalog dictionary and a page tree there is no document to
	// write, only a file no viewer opens.
	root, err := ctx.DereferenceDict(*ctx.Root)
	if err != nil || root == nil {
		return nil, malformed(err)
	}
	pages, err := ctx.DereferenceDict(root["Pages"])
	if err != nil || pages == nil {
		return nil, malformed(err)
	}
	// The root of the page tree is a Pages node (7.7.3.2); one that is
	// something else (an action, which rewrite drops) leaves no pages.
	// Writers that forget its Type still give it an array of Kids; a Kids
	// that is no array (a reference to a missing object, which rewrite
	// writes as null) would make the output a file this refuses.
	kids, _ := ctx.Dereference(pages["Kids"])
	if _, ok := kids.(types.Array); !ok {
		if t := pages.Type(); t == nil || *t != "Pages" {
			return nil, malformed(errors.New("pdf: the page tree's root is no Pages node"))
		}
	}
	if ctx.Encrypt != nil || ctx.E != nil {
		// pdfcpu opened it with the empty user password: an owner password
		// only. Its permissions say the author wanted it locked; refuse
		// rather than strip them.
		return nil, refusal.New(refusal.Encrypted, textEncrypted)
	}
	return ctx, nil
}

// malformed refuses a file that does not parse. The cause is dropped, not
// wrapped: pdfcpu's messages can quote the document (an object, a string),
// and this error reaches logs and, as text, the sender.
func malformed(error) error {
	return refusal.New(refusal.Malformed, textMalformed)
}
