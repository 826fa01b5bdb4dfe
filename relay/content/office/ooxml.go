package office

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"path"
	"regexp"
	"strings"

	"leak/relay/content/filename"
)

// Namespaces the OOXML rules match (ECMA-376 Part 1 and the Office
// extensions in MS-DOCX, MS-XLSX, MS-PPTX, MS-ODRAWXML).
const (
	nsW         = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	nsWStrict   = "http://purl.oclc.org/ooxml/wordprocessingml/main"
	nsW14       = "http://schemas.microsoft.com/office/word/2010/wordml"
	nsW15       = "http://schemas.microsoft.com/office/word/2012/wordml"
	nsRel       = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsRelStrict = "http://purl.oclc.org/ooxml/officeDocument/relationships"
	nsPkgRels   = "http://schemas.openxmlformats.org/package/2006/relationships"
	nsTypes     = "http://schemas.openxmlformats.org/package/2006/content-types"
	nsX15ac     = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"
	nsXR        = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
	nsThreaded  = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
	nsP188      = "http://schemas.microsoft.com/office/powerpoint/2018/8/main"
	nsW16cex    = "http://schemas.microsoft.com/office/word/2018/wordml/cex"
	nsReactions = "http://schemas.microsoft.com/office/comments/2020/reactions"
	nsP223      = "http://schemas.microsoft.com/office/powerpoint/2022/03/main"
	nsVMLOffice = "urn:schemas-microsoft-com:office:office"
)

// OOXML cleans an Office Open XML package (ECMA-376 Part 2: .docx, .xlsx,
// .pptx and their macro-enabled and template variants). max bounds the
// decompressed size at 4×max; max <= 0 selects DefaultMax.
//
// Macros (vbaProject.bin, vbaData.xml) are dropped with their
// relationships rather than refused: the document still opens, without
// code that carries its author's project names and module paths.
func OOXML(data []byte, max int64, member Member) ([]byte, error) {
	if bytes.HasPrefix(data, olePrefix) {
		return nil, oleRefusal(data)
	}
	remaining := budget(max)
	entries, err := readArchive(data, &remaining)
	if err != nil {
		return nil, fmt.Errorf("office: ooxml: %w", err)
	}
	p := &pkg{parts: map[string]int{}, drop: map[string]bool{}, droppedIDs: map[string]map[string]bool{}}
	for i, e := range entries {
		p.parts[strings.ToLower(e.name)] = i
	}
	if _, ok := p.parts["[content_types].xml"]; !ok {
		return nil, fmt.Errorf("office: ooxml: no [Content_Types].xml: %w", malformed())
	}
	// An .xlsb keeps its cells, comments and authors in binary records
	// (MS-XLSB) this package does not rewrite.
	if _, ok := p.parts["xl/workbook.bin"]; ok {
		return nil, fmt.Errorf("office: ooxml: binary workbook: %w", binaryWorkbook())
	}
	p.entries = entries
	for _, e := range entries {
		if !e.dir && dropPart(strings.ToLower(e.name)) {
			p.drop[strings.ToLower(e.name)] = true
		}
	}
	for i := range entries {
		e := &entries[i]
		key := strings.ToLower(e.name)
		if e.dir || p.drop[key] || isXMLPart(key) {
			continue
		}
		out, keep, err := member(e.name, e.data)
		if err != nil {
			return nil, fmt.Errorf("office: ooxml: member: %w", err)
		}
		if !keep {
			p.drop[key] = true
			continue
		}
		e.data = out
	}
	// A part whose relationships file is left without its source goes too.
	for key := range p.parts {
		if src, ok := relsSource(key); ok && src != "" && p.drop[src] {
			p.drop[key] = true
		}
	}
	if err := p.cleanRels(); err != nil {
		return nil, err
	}
	if err := p.cleanParts(); err != nil {
		return nil, err
	}
	return p.write()
}

// pkg is an OOXML package being cleaned.
type pkg struct {
	entries    []entry
	parts      map[string]int             // lower-case name → index in entries
	drop       map[string]bool            // lower-case names of parts removed
	droppedIDs map[string]map[string]bool // source part → relationship ids removed
	persons    map[string]string          // threaded-comment person id → neutral id
}

// dropPart names the parts removed whatever refers to them: properties a
// user never sees (custom.xml, thumbnails), SharePoint metadata in
// customXml, sensitivity labels in docMetadata (they name the
// organisation's tenant), parts Office left in [trash]/,
// printer settings (DEVMODE with printer and server names),
// macros, signatures (a certificate names its signer), Word's people
// part (display names and account ids of commenters; Word rebuilds it),
// a shared workbook's revision log (user names and times, Part 1
// §18.11), PowerPoint's revision info (ids of the installations that
// edited the deck, MS-PPTX) and its co-authoring change log
// (ppt/changesInfos/, MS-PPTX: each change's author name, account id,
// client id and time).
func dropPart(key string) bool {
	base := path.Base(key)
	switch {
	case key == "docprops/custom.xml",
		strings.HasPrefix(key, "docprops/thumbnail."),
		strings.HasPrefix(key, "customxml/"),
		strings.HasPrefix(key, "docmetadata/"),
		strings.HasPrefix(key, "[trash]/"),
		strings.HasPrefix(key, "_xmlsignatures/"),
		strings.Contains(key, "/printersettings/"),
		strings.HasPrefix(key, "xl/revisions/"),
		key == "ppt/revisioninfo.xml",
		strings.HasPrefix(key, "ppt/changesinfos/"),
		base == "vbaproject.bin", base == "vbadata.xml",
		key == "word/people.xml":
		return true
	}
	if src, ok := relsSource(key); ok && src != "" && dropPart(src) {
		return true
	}
	return false
}

// isXMLPart tells the parts this package edits or copies from those it
// hands to the caller.
func isXMLPart(key string) bool {
	switch path.Ext(key) {
	case ".xml", ".rels", ".vml":
		return true
	}
	return false
}

// relsSource gives the part a relationships part belongs to: a/_rels/b.rels
// belongs to a/b, _rels/.rels to the package ("") (ECMA-376 Part 2 §9.3).
func relsSource(key string) (string, bool) {
	dir, file := path.Split(key)
	if !strings.HasSuffix(dir, "_rels/") || !strings.HasSuffix(file, ".rels") {
		return "", false
	}
	return strings.TrimPrefix(strings.TrimSuffix(dir, "_rels/")+strings.TrimSuffix(file, ".rels"), "/"), true
}

// resolveTarget turns a relationship target into a lower-case part name.
func resolveTarget(source, target string) string {
	if t, err := url.PathUnescape(target); err == nil {
		target = t
	}
	if strings.HasPrefix(target, "/") {
		return strings.ToLower(path.Clean(strings.TrimPrefix(target, "/")))
	}
	return strings.ToLower(strings.TrimPrefix(path.Clean(path.Join(path.Dir(source), target)), "/"))
}

// relType tails of relationships dropped even when their target is outside
// the package: the template Word attached (a path under the user's
// profile, ECMA-376 Part 1 §17.15.1.6).
func dropExternal(typ string) bool {
	return strings.HasSuffix(typ, "/attachedTemplate")
}

// cleanRels removes relationships to dropped parts and external ones that
// name paths, and neutralises the targets of other external relationships
// (linked pictures, OLE links, external workbooks) to their base name.
// Hyperlinks stay, as they are what the author wrote, unless they point
// into the author's own disk or share, which the reader cannot open anyway.
func (p *pkg) cleanRels() error {
	for i := range p.entries {
		e := &p.entries[i]
		key := strings.ToLower(e.name)
		src, ok := relsSource(key)
		if !ok || p.drop[key] {
			continue
		}
		ids := map[string]bool{}
		out, err := edit(e.data, func(parents []name, el *elem) {
			if el.Space != nsPkgRels || el.Local != "Relationship" {
				return
			}
			target, _ := el.attr("", "Target")
			typ, _ := el.attr("", "Type")
			id, _ := el.attr("", "Id")
			if mode, _ := el.attr("", "TargetMode"); mode == "External" {
				switch {
				case dropExternal(typ):
					el.drop = true
					ids[id] = true
				case strings.HasSuffix(typ, "/hyperlink") && !localPath(target):
				default:
					el.set("", "Target", baseName(target))
				}
				return
			}
			if p.drop[resolveTarget(src, target)] {
				el.drop = true
				ids[id] = true
			}
		}, nil)
		if err != nil {
			return fmt.Errorf("office: ooxml: relationships: %w", err)
		}
		e.data = out
		if len(ids) > 0 {
			p.droppedIDs[src] = ids
		}
	}
	return nil
}

// localPath tells targets on the author's machine or network: file: URLs,
// drive letters, UNC paths, and relative paths that climb out of the
// document's folder. A target is a URL, so it is read with its %XX
// escapes decoded: Office and LibreOffice write a space as %20, and a
// writer may escape the separators too ("file:///C:%5CUsers%5Calice%5C",
// "..%2F..%2Falice%2Fplan.docx").
func localPath(target string) bool {
	t := strings.ToLower(unescape(target))
	return strings.HasPrefix(t, "file:") || strings.HasPrefix(t, `\\`) || len(t) >= 3 && t[1] == ':' && (t[2] == '\\' || t[2] == '/') ||
		climbs(t)
}

// climbs tells a relative reference with a ".." segment, in either
// separator: Word saves a link to a file on the document's drive relative
// to it ("..\..\alice\Desktop\plan.docx"), LibreOffice one on the same
// file system ("../../../home/alice/plan.odt"), and the folders above the
// document name the author's. A URL with a scheme (RFC 3986 §3.1: the
// first ":" before any "/", "?" or "#") is no such path, nor is what
// follows its query or fragment.
func climbs(t string) bool {
	if i := strings.IndexAny(t, `:/\?#`); i >= 0 && t[i] == ':' {
		return false
	}
	if i := strings.IndexAny(t, "?#"); i >= 0 {
		t = t[:i]
	}
	for _, seg := range strings.FieldsFunc(t, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return true
		}
	}
	return false
}

// baseName keeps the last path segment of a file path or URL, unless that
// is an account's home folder ("C:\Users\alice", "file:///home/alice/")
// or a server's share (\\srv\alice$), whose name is often the account's.
// The separators are read escaped as well (%2F, %5C), and the last
// element is kept as written, its other escapes with it.
func baseName(target string) string {
	elems := pathElems(target)
	if n := len(elems); n == 0 || n >= 2 && filename.HomeRoot(unescape(elems[n-2])) {
		return "link"
	}
	u := unescape(target)
	if unc := strings.HasPrefix(u, `\\`) || strings.HasPrefix(u, "//"); unc && len(elems) <= 2 {
		return "link" // a server's share, often the account's home (\\srv\alice$)
	}
	return elems[len(elems)-1]
}

// pathElems splits a path or URL at its separators, / and \ and their
// escaped forms %2F and %5C, into its non-empty elements as written.
func pathElems(t string) []string {
	var elems []string
	start := 0
	for i := 0; i < len(t); {
		n := 0
		switch {
		case t[i] == '/' || t[i] == '\\':
			n = 1
		case t[i] == '%' && i+2 < len(t) && (strings.EqualFold(t[i:i+3], "%2f") || strings.EqualFold(t[i:i+3], "%5c")):
			n = 3
		}
		if n == 0 {
			i++
			continue
		}
		if i > start {
			elems = append(elems, t[start:i])
		}
		i += n
		start = i
	}
	if start < len(t) {
		elems = append(elems, t[start:])
	}
	return elems
}

// unescape decodes the %XX escapes of s; a % not followed by two hex
// digits stays as it is, where url.PathUnescape would give up on the
// whole string.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// cleanParts edits every XML part that can name its author.
func (p *pkg) cleanParts() error {
	p.collectPersons()
	for i := range p.entries {
		e := &p.entries[i]
		key := strings.ToLower(e.name)
		if e.dir || p.drop[key] || !isXMLPart(key) {
			continue
		}
		if _, ok := relsSource(key); ok {
			continue
		}
		r, t := p.rulesFor(key)
		if r == nil {
			continue
		}
		out, err := edit(e.data, r, t)
		if err != nil && strings.HasSuffix(key, ".vml") {
			// Office writes VML that is not always XML (Excel's form
			// controls and comments hold bare <br> tags): its picture
			// titles are cleaned in place instead.
			out, err = vmlTitles(e.data), nil
		}
		if err != nil {
			return fmt.Errorf("office: ooxml: part: %w", err)
		}
		e.data = out
	}
	return nil
}

// write builds the cleaned package, [Content_Types].xml first as Office
// writes it, in the original order otherwise.
func (p *pkg) write() ([]byte, error) {
	w := newWriter()
	ct := p.parts["[content_types].xml"]
	order := append([]int{ct}, make([]int, 0, len(p.entries))...)
	for i := range p.entries {
		if i != ct {
			order = append(order, i)
		}
	}
	for _, i := range order {
		e := p.entries[i]
		if p.drop[strings.ToLower(e.name)] {
			continue
		}
		var err error
		if e.dir {
			err = w.dir(e.name)
		} else {
			err = w.add(e.name, e.data, false)
		}
		if err != nil {
			return nil, fmt.Errorf("office: ooxml: %w", err)
		}
	}
	return w.bytes()
}

// vmlTitle is an o:title attribute, as Office writes it in VML.
var vmlTitle = regexp.MustCompile(`\bo:title="([^"<>]*)"`)

// vmlTitles cleans the picture titles of a VML part that does not parse as
// XML, as withPictureNames does those of one that does.
func vmlTitles(data []byte) []byte {
	return vmlTitle.ReplaceAllFunc(data, func(m []byte) []byte {
		v := html.UnescapeString(string(vmlTitle.FindSubmatch(m)[1]))
		return []byte(`o:title="` + html.EscapeString(pictureName(v)) + `"`)
	})
}
