package office

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// Namespaces of OpenDocument 1.3 and LibreOffice's extensions.
const (
	nsOffice    = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
	nsText      = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
	nsConfig    = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
	nsManifest  = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
	nsDC        = "http://purl.org/dc/elements/1.1/"
	nsXLink     = "http://www.w3.org/1999/xlink"
	nsDraw      = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
	nsSVG       = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
	nsOfficeOOo = "http://openoffice.org/2009/office"
	nsLOExt     = "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0"
	nsStyle     = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
	nsFO        = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
	nsTable     = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
	nsPresent   = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
)

// odfDropped are the directories and files removed from an OpenDocument
// package: the thumbnail (a picture of the first page), the user's UI
// configuration, macros, and signatures (a certificate names its signer).
var odfDropped = []string{"thumbnails/", "configurations2/", "basic/", "scripts/",
	"meta-inf/documentsignatures.xml", "meta-inf/macrosignatures.xml"}

func odfDrop(name string) bool {
	key := strings.ToLower(name)
	for _, d := range odfDropped {
		if key == d || strings.HasPrefix(key, d) {
			return true
		}
	}
	return false
}

// ODF cleans an OpenDocument package (.odt, .ods, .odp, .odg; ODF 1.3
// Part 2). The mimetype member stays first and stored (Part 2, "MIME type"), so
// the result is still recognised by its leading bytes.
func ODF(data []byte, max int64, member Member) ([]byte, error) {
	if bytes.HasPrefix(data, olePrefix) {
		return nil, oleRefusal(data)
	}
	remaining := budget(max)
	entries, err := readArchive(data, &remaining)
	if err != nil {
		return nil, fmt.Errorf("office: odf: %w", err)
	}
	dropped := map[string]bool{}
	manifest := -1
	for i := range entries {
		e := &entries[i]
		key := strings.ToLower(e.name)
		if odfDrop(e.name) {
			dropped[e.name] = true
			continue
		}
		if e.dir || key == "mimetype" {
			continue
		}
		var r rule
		var t textRule
		switch base := path.Base(key); {
		case key == "meta-inf/manifest.xml":
			manifest = i
			continue
		case base == "meta.xml":
			r = metaRule
		case base == "content.xml" || base == "styles.xml":
			r, t = withoutVolatileCells(odfContentRule), odfContentText
		case base == "settings.xml":
			r = settingsRule
		case path.Ext(base) == ".xml" || path.Ext(base) == ".rdf":
			continue
		default:
			out, keep, err := member(e.name, e.data)
			if err != nil {
				return nil, fmt.Errorf("office: odf: member: %w", err)
			}
			if !keep {
				dropped[e.name] = true
			}
			e.data = out
			continue
		}
		if e.data, err = edit(e.data, r, t); err != nil {
			return nil, fmt.Errorf("office: odf: part: %w", err)
		}
	}
	if manifest < 0 {
		return nil, fmt.Errorf("office: odf: no manifest: %w", malformed())
	}
	m := &entries[manifest]
	enc := false
	m.data, err = edit(m.data, func(_ []name, e *elem) {
		if e.Space != nsManifest {
			return
		}
		switch e.Local {
		case "encryption-data":
			enc = true // Part 2, manifest:encryption-data: the member is encrypted
		case "file-entry":
			if fp, _ := e.attr(nsManifest, "full-path"); dropped[fp] || odfDrop(fp) {
				e.drop = true
			}
		}
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("office: odf: manifest: %w", err)
	}
	if enc {
		return nil, fmt.Errorf("office: odf: encrypted members: %w", encrypted())
	}
	return writeODF(entries, dropped)
}

func writeODF(entries []entry, dropped map[string]bool) ([]byte, error) {
	w := newWriter()
	for _, e := range entries {
		if e.name == "mimetype" {
			if err := w.add(e.name, e.data, true); err != nil {
				return nil, fmt.Errorf("office: odf: %w", err)
			}
		}
	}
	for _, e := range entries {
		if e.name == "mimetype" || dropped[e.name] {
			continue
		}
		var err error
		if e.dir {
			err = w.dir(e.name)
		} else {
			err = w.add(e.name, e.data, false)
		}
		if err != nil {
			return nil, fmt.Errorf("office: odf: %w", err)
		}
	}
	return w.bytes()
}

// metaRule empties office:meta (Part 3, "Metadata"): generator, initial creator,
// creator, dates, editing cycles and duration, template, user-defined
// fields and statistics all describe the making of the document.
func metaRule(parents []name, e *elem) {
	if len(parents) == 2 && parents[1].Space == nsOffice && parents[1].Local == "meta" {
		e.drop = true
	}
}

// odfContentRule neutralises who and when in annotations (Part 3,
// office:annotation) and tracked changes (office:change-info, where dc:date is
// required and so becomes the epoch), the text fields that repeat what
// metaRule and settingsRule remove (see odfField), and the languages of the
// text.
func odfContentRule(parents []name, e *elem) {
	// LibreOffice marks the text typed in each editing session with a
	// revision-session id on its automatic styles, as Word does with
	// rsids: they link every draft the author saved.
	e.remove(func(space, local, _ string) bool {
		return space == nsOfficeOOo && (local == "rsid" || local == "paragraph-rsid")
	})
	// Links and linked pictures on the author's disk or share name it;
	// the reader cannot open them anyway.
	if v, ok := e.attr(nsXLink, "href"); ok && (localPath(v) || strings.HasPrefix(v, "/")) {
		e.set(nsXLink, "href", odfLocal(v))
	}
	// A shape's name: LibreOffice carries a Word picture's name (its file
	// name, "IMG_4032.JPG") over to draw:name when it saves a .docx as
	// .odt, as it does the title and description (odfPictureText).
	if v, ok := e.attr(nsDraw, "name"); ok && e.Space == nsDraw && v != "" {
		e.set(nsDraw, "name", pictureName(v))
	}
	// A signature line (Insert > Signature Line) keeps the suggested
	// signer's e-mail address for the signing dialog; nothing shows it.
	// The name and title stay: they are drawn in the line's picture, text
	// the author chose to show.
	if e.Space == nsLOExt && e.Local == "signatureline" {
		e.remove(func(space, local, _ string) bool { return local == "suggested-signer-email" })
	}
	// The language, script and country of the text (Part 3, §20.202
	// fo:language, §20.222 fo:script, §20.188 fo:country, §20.302,
	// §20.356, §20.256 for Asian text, §20.303, §20.357, §20.257 for
	// complex text, and style:rfc-language-tag*, the same as a BCP 47
	// tag) are the author's locale, set on the default style by the
	// language of their installation, as Word's w:lang is. They choose
	// the spelling and hyphenation dictionaries (and what the reader's
	// own default language does instead); which font and layout a run
	// gets is style:script-type's (§20.358), which stays. The languages
	// of data styles (number:*) stay: they spell a date's month.
	if e.Space == nsStyle && e.Local == "text-properties" {
		e.remove(func(space, local, _ string) bool {
			return space == nsFO && (local == "language" || local == "country" || local == "script") ||
				space == nsStyle && (strings.HasPrefix(local, "language-") || strings.HasPrefix(local, "country-") ||
					strings.HasPrefix(local, "script-") && local != "script-type" || strings.HasPrefix(local, "rfc-language-tag"))
		})
	}
	for i, a := range e.attrs {
		if e.spaces[i] == nsTable && strings.Contains(a.Value, "'#") {
			e.set(nsTable, a.Name.Local, externalRefs(a.Value))
		}
	}
	if odfDatabase(e) || e.Space == nsText && odfField(e) {
		return
	}
	// A presentation's header and footer date (Part 3, presentation:
	// date-time-decl) that shows the current date is computed when the
	// slide is shown; a text it holds is the date it was last shown at,
	// which LibreOffice does not write but another writer may. A fixed
	// one's text is the date the author typed.
	if e.Space == nsPresent && e.Local == "date-time-decl" {
		if src, _ := e.attr(nsPresent, "source"); src == "current-date" {
			e.setText("")
		}
		return
	}
	in := false
	for _, p := range parents {
		if p.Local == "annotation" && (p.Space == nsOffice || p.Space == nsOfficeOOo) || p.Local == "change-info" {
			in = true
			break
		}
	}
	if !in {
		return
	}
	switch {
	case e.Space == nsDC && e.Local == "creator":
		e.setText(neutral)
	case e.Space == nsDC && e.Local == "date":
		e.setText(strings.TrimSuffix(epoch, "Z"))
	case e.Local == "sender-initials" || e.Local == "creator-initials":
		e.drop = true
	}
}

// odfField neutralises a text field (Part 3, "Document Fields" and
// "Metadata Fields") that prints what metaRule removes, and tells whether
// e is in the text namespace:
// the author (text:author-name, text:creator, text:initial-creator)
// becomes "Author", as in annotations, and so does who printed it last
// (text:printed-by); the sender's details (text:sender-*) and the value
// of a user-defined property (text:user-defined, the value of a
// meta:user-defined gone from meta.xml) become empty. A template's or
// file's path (text:template-name, text:file-name with text:display
// "full", the default) keeps its last element (odfContentText); shown as
// "path" it becomes empty. The fields that show when the document was
// created, modified and printed, how long it was edited and how often it
// was saved (odfMetaFields) become empty and lose the values they were
// shown from: they are the author's working hours and time zone, as the
// dates metaRule drops. So do text:date and text:time that are not fixed
// (text:fixed, Part 3 §19.867): their value and text are the moment they
// were last computed, when the author last opened or saved the document,
// shown as they are by a reader that computes no fields (see fieldResult);
// LibreOffice computes them anew on opening. Fixed, they are a date the
// author chose to keep, and stay.
func odfField(e *elem) bool {
	if e.Space != nsText {
		return false
	}
	switch {
	case e.Local == "author-name" || e.Local == "initial-creator" || e.Local == "creator" || e.Local == "printed-by":
		e.setText(neutral)
	case e.Local == "author-initials":
		e.setText("A")
	case strings.HasPrefix(e.Local, "sender-"):
		e.setText("")
	case e.Local == "user-defined":
		// The value attributes (office:value, office:string-value ...)
		// hold what the text shows, in its type.
		e.remove(func(space, local, _ string) bool {
			return space == nsOffice && strings.HasSuffix(local, "value") && local != "value-type"
		})
		e.setText("")
	case odfMetaFields[e.Local] || (e.Local == "date" || e.Local == "time") && !odfFixed(e):
		// Part 3, §7.5 "Document Metadata Fields": the dates' and
		// times' text:date-value and text:time-value, the duration's
		// text:duration; and office:date-value and office:time-value,
		// which a writer could take from text:user-defined.
		e.remove(func(space, local, _ string) bool {
			return (space == nsText || space == nsOffice) && (local == "date-value" || local == "time-value") ||
				space == nsText && local == "duration"
		})
		e.setText("")
	case e.Local == "template-name" || e.Local == "file-name":
		if d, _ := e.attr(nsText, "display"); d == "path" {
			e.setText("")
		}
	}
	return true
}

// odfFixed tells a field whose text:fixed is true.
func odfFixed(e *elem) bool {
	v, _ := e.attr(nsText, "fixed")
	return v == "true"
}

// odfMetaFields are the text fields that show meta:creation-date,
// meta:date, meta:print-date, meta:editing-duration and
// meta:editing-cycles.
var odfMetaFields = map[string]bool{
	"creation-date": true, "creation-time": true, "modification-date": true, "modification-time": true,
	"print-date": true, "print-time": true, "editing-duration": true, "editing-cycles": true,
}

// odfDatabase blanks the data source a database field or range reads
// (Part 3: text:database-display, text:database-name and the other
// "Database Fields"; table:database-source-sql, -table and -query of a
// database range or a DataPilot table): the name of the
// author's registered database, its tables and queries, and a query's
// SQL. settingsRule drops the same source (CurrentDatabaseDataSource).
// The names are blanked, not the elements dropped, so that a DataPilot
// table keeps the source it requires; what the field or range last read
// stays in the document. It tells whether e is such an element.
func odfDatabase(e *elem) bool {
	var names []string
	switch {
	case e.Space == nsText && strings.HasPrefix(e.Local, "database-"):
		names = []string{"database-name", "table-name"}
		if e.Local == "database-name" {
			// This field prints the database's and table's names.
			e.setText("")
		}
	case e.Space == nsTable && strings.HasPrefix(e.Local, "database-source-"):
		names = []string{"database-name", "database-table-name", "query-name", "sql-statement"}
	default:
		return false
	}
	for _, n := range names {
		e.set(e.Space, n, "")
	}
	return true
}

// externalRefs cuts to their last element the local files a formula
// reads from ('file:///home/NAME/x.ods'#$Sheet1.A1, an OpenFormula
// external source), in table:formula and in the name of the table where
// LibreOffice caches such a sheet: the formula reads '../x.ods'#$Sheet1.A1,
// the file beside the document (see odfLocal). A quote inside a quoted
// name is written twice.
func externalRefs(v string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(v, '\'')
		if i < 0 {
			b.WriteString(v)
			return b.String()
		}
		j := i + 1
		for j < len(v) && (v[j] != '\'' || j+1 < len(v) && v[j+1] == '\'') {
			if v[j] == '\'' {
				j++
			}
			j++
		}
		if j >= len(v) {
			b.WriteString(v)
			return b.String()
		}
		src := strings.ReplaceAll(v[i+1:j], "''", "'")
		b.WriteString(v[:i+1])
		if j+1 < len(v) && v[j+1] == '#' && localTarget(src) {
			b.WriteString(strings.ReplaceAll(odfLocal(src), "'", "''"))
		} else {
			b.WriteString(v[i+1 : j])
		}
		b.WriteByte('\'')
		v = v[j+1:]
	}
}

// odfLocal is what a link to a local file becomes: its last element,
// beside the document. A relative reference in a package is resolved
// against the package itself (ODF 1.3 Part 2, "IRIs"), so a bare name
// would point at a member ("Pictures/1.png" does), and LibreOffice
// refuses a document whose picture names a member it lacks; "../" leaves
// the package for the folder it is in, as LibreOffice writes a link to a
// file next to the document.
func odfLocal(v string) string {
	return "../" + baseName(v)
}

// odfContentText cleans the text of content and styles: a shape's title
// and description (odfPictureText) and the path a template-name or
// file-name field prints (odfField), which keeps its last element.
func odfContentText(parents []name, text string) (string, bool) {
	if p := parents[len(parents)-1]; p.Space == nsText && (p.Local == "template-name" || p.Local == "file-name") {
		if strings.ContainsAny(text, `/\`) {
			return baseName(text), true
		}
		return "", false
	}
	return odfPictureText(parents, text)
}

// odfPictureText cleans a shape's svg:title and svg:desc as its name is
// cleaned: older Word wrote the inserted file's whole path as a picture's
// description, and LibreOffice keeps it there.
func odfPictureText(parents []name, text string) (string, bool) {
	if p := parents[len(parents)-1]; p.Space != nsSVG || p.Local != "title" && p.Local != "desc" {
		return "", false
	}
	if v := pictureName(text); v != text {
		return v, true
	}
	return "", false
}

// settingsDropped are the configuration items that name the user's
// printer (PrinterSetup holds the driver's job setup, with queue and
// host) or files on their disk, and the revision-session ids of the
// document's first and last editing sessions (Rsid, RsidRoot; see
// odfContentRule).
var settingsDropped = map[string]bool{"PrinterName": true, "PrinterSetup": true, "PrintFaxName": true,
	"CurrentDatabaseDataSource": true, "CurrentDatabaseCommand": true, "CurrentDatabaseCommandType": true,
	"Rsid": true, "RsidRoot": true}

func settingsRule(_ []name, e *elem) {
	if e.Space != nsConfig || e.Local != "config-item" {
		return
	}
	n, _ := e.attr(nsConfig, "name")
	if settingsDropped[n] || strings.Contains(n, "URL") || strings.Contains(n, "Path") {
		e.drop = true
	}
}
