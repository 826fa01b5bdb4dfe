package pdf

import (
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"leak/relay/content/refusal"
)

// dropKeys are removed from every dictionary, wherever it sits.
var dropKeys = []string{
	"Metadata",     // XMP: creator, tool, user paths, history (14.3.2)
	"PieceInfo",    // application private data, e.g. Illustrator's (14.5)
	"LastModified", // with PieceInfo
	"SpiderInfo",   // web capture: the URLs and times pages were fetched (14.10)
	"IDS",          // web capture name trees: content sets by digital id…
	"URLS",         // …and by the URL they were captured from (7.7.4)
	"OPI",          // prepress: file paths of the high-resolution images (14.11.7)
	"AA",           // additional actions: scripts run on open, close, focus (12.6.3)
	"JS",           // JavaScript of rendition actions (12.6.4.14)
	"JavaScript",   // document-level scripts in the name dictionary (7.7.4)
	"XFA",          // XFA form packets, which carry their own XMP and tool data
	"Perms",        // DocMDP/UR signatures (12.8.4)
	"DSS",          // document security store: signers' certificates (PDF 2.0 12.8.4.3)
	"Thumb",        // page thumbnails, which can show the page as it was before an edit
	"Lang",         // the author's locale ("en-GB"), which Word's and LibreOffice's exports write (14.9.2)
}

// dropActions are the action types (12.6.4) removed with the entry that
// holds them: they run code, open other files, or name local paths. URI
// actions are removed too when their URI is a local path (see dropped).
var dropActions = map[types.Name]bool{
	"JavaScript": true,
	"Launch":     true,
	"GoToR":      true,
	"GoToE":      true,
	"ImportData": true,
	"Rendition":  true,
}

// scrub removes what identifies the author from o and from the direct
// objects inside it, in place. Objects it refers to are scrubbed when they
// are written.
func scrub(xt *model.XRefTable, o types.Object, depth int) (types.Object, error) {
	if depth > maxDepth {
		return nil, malformed(nil)
	}
	switch o := o.(type) {
	case types.Dict:
		return o, scrubDict(xt, o, depth)
	case types.StreamDict:
		return o, scrubDict(xt, o.Dict, depth)
	case types.Array:
		kept := o[:0:0]
		for _, e := range o {
			drop, err := dropped(xt, e)
			if err != nil {
				return nil, err
			}
			if drop {
				continue
			}
			e, err = scrub(xt, e, depth+1)
			if err != nil {
				return nil, err
			}
			kept = append(kept, e)
		}
		return kept, nil
	}
	return o, nil
}

func scrubDict(xt *model.XRefTable, d types.Dict, depth int) error {
	if attached(d) {
		return refusal.New(refusal.Unsupported, textAttachment)
	}
	for _, k := range dropKeys {
		delete(d, k)
	}
	if annotation(d) {
		// The author of a markup annotation (12.5.6.2); on a widget /T is
		// the form field's name, which the form needs.
		if d.NameEntry("Subtype") == nil || *d.NameEntry("Subtype") != "Widget" {
			delete(d, "T")
		}
		delete(d, "M")
		delete(d, "CreationDate")
		delete(d, "NM")
		scrubRichText(xt, d)
	}
	if structElem(d) {
		scrubStructElem(xt, d)
	}
	// The base of relative URIs in the catalog's URI dictionary (12.6.4.8).
	if b, ok := text(xt, d["Base"]); ok && localPath(b) {
		delete(d, "Base")
	}
	if n := d.NameEntry("FT"); n != nil && *n == "Sig" {
		delete(d, "V") // the signature: signer's name, certificate, time
	}
	if n := d.Type(); n != nil && *n == "Thread" {
		delete(d, "I") // a thread's own information dictionary (12.4.3)
	}
	for k, v := range d {
		drop, err := dropped(xt, v)
		if err != nil {
			return err
		}
		if drop {
			delete(d, k)
			continue
		}
		if v, err = scrub(xt, v, depth+1); err != nil {
			return err
		}
		d[k] = v
	}
	return nil
}

// attached reports whether d is, or holds, an embedded file.
func attached(d types.Dict) bool {
	if _, ok := d["EmbeddedFiles"]; ok {
		return true
	}
	if _, ok := d["EF"]; ok {
		return true
	}
	if n := d.Type(); n != nil && *n == "EmbeddedFile" {
		return true
	}
	n := d.NameEntry("Subtype")
	return n != nil && *n == "FileAttachment" && annotation(d)
}

func annotation(d types.Dict) bool {
	_, rect := d["Rect"]
	return rect && d.NameEntry("Subtype") != nil
}

// dropped reports whether the value v (or the object it refers to) goes
// with the entry that holds it: a removed kind of action, a metadata stream,
// a signature dictionary.
func dropped(xt *model.XRefTable, v types.Object) (bool, error) {
	if _, ok := v.(types.IndirectRef); ok {
		var err error
		if v, err = xt.Dereference(v); err != nil {
			return false, malformed(err)
		}
	}
	var d types.Dict
	switch v := v.(type) {
	case types.Dict:
		d = v
	case types.StreamDict:
		d = v.Dict
	default:
		return false, nil
	}
	if s := d.NameEntry("S"); s != nil && dropActions[types.Name(*s)] {
		return true, nil
	}
	// A link to a file on the sender's machine (LibreOffice writes file:
	// URIs for links to local documents) names their account and folders,
	// as a GoToR or Launch action does, and opens nothing for anyone else.
	if s := d.NameEntry("S"); s != nil && *s == "URI" {
		if u, ok := text(xt, d["URI"]); ok && localPath(u) {
			return true, nil
		}
	}
	if t := d.Type(); t != nil && (*t == "Metadata" || *t == "Sig" || *t == "DocTimeStamp") {
		return true, nil
	}
	_, sig := d["ByteRange"]
	return sig, nil
}
