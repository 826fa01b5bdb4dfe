// Package office cleans the office documents people attach to mail (Office
// Open XML, OpenDocument, RTF, and the zip archives that carry them) of what
// names their author, while the document still opens with its text intact.
//
// It promises: core properties and ODF metadata emptied, extended
// properties cut to counts; comment, revision and annotation authors
// neutralised to "Author" and their dates dropped (or set to 1980 where a
// schema requires one); revision-session ids (rsids), template paths,
// absolute save paths, printer settings, custom properties, SharePoint
// customXml, thumbnails, macros and signatures removed; the moment a
// date field or a formula calling NOW, TODAY, CELL or INFO was last
// computed, and the path and system it was computed on, emptied where
// the reader's application computes them again; archives rebuilt
// without times, extra fields or comments; every part it does not need to
// change kept with the same content; each other embedded file (pictures,
// nested documents) handed to the caller's Member. It refuses, with a
// *refusal.Error, documents that do not parse, are encrypted, are legacy
// binary formats, or decompress past a bound.
package office

import "leak/relay/content/refusal"

// Member cleans one embedded member that is not a document part this package understands
// (images in word/media/, nested documents, files inside a plain zip). It returns the cleaned
// bytes, or keep=false to drop the member, or an error (a *refusal.Error refuses the whole document).
type Member func(name string, data []byte) (out []byte, keep bool, err error)

// DefaultMax is the bound used when a caller passes max <= 0.
const DefaultMax = 32 << 20

// neutral is the name every author, commenter and reviewer becomes. Word,
// Excel, PowerPoint and LibreOffice all accept any non-empty string.
const neutral = "Author"

// The refusals, made fresh for each call so no caller shares one. Their
// texts name the kind of document, never a value taken from it.
func malformed() error {
	return refusal.New(refusal.Malformed,
		"the attached office document could not be read; save it again from the program that made it, or send it as PDF")
}

func encrypted() error {
	return refusal.New(refusal.Encrypted,
		"the attached document is protected by a password; remove the password and send it again")
}

func legacy() error {
	return refusal.New(refusal.Unsupported,
		"the attached document is in an old binary Office format (.doc, .xls or .ppt); save it as .docx/.xlsx/.pptx or PDF and send it again")
}

func binaryWorkbook() error {
	return refusal.New(refusal.Unsupported,
		"the attached workbook is in Excel's binary format (.xlsb); save it as .xlsx or PDF and send it again")
}

func tooLarge() error {
	return refusal.New(refusal.TooLarge,
		"the attached archive or document unpacks to more than this relay accepts; send fewer or smaller files")
}

func malformedRTF() error {
	return refusal.New(refusal.Malformed,
		"the attached RTF document could not be read; save it again, or send it as .docx or PDF")
}
