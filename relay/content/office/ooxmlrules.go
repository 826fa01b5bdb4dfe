package office

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	"leak/relay/content/filename"
)

// appKept are the extended properties (ECMA-376 Part 1 §22.2) that describe
// the document rather than who made it or where: counts, security flags,
// and the sheet and slide titles Office shows in Explorer. Company,
// Manager, Template, HyperlinkBase, Application, AppVersion and TotalTime
// go.
var appKept = map[string]bool{
	"Pages": true, "Words": true, "Characters": true, "CharactersWithSpaces": true, "Lines": true,
	"Paragraphs": true, "Slides": true, "Notes": true, "HiddenSlides": true, "MMClips": true,
	"PresentationFormat": true, "ScaleCrop": true, "LinksUpToDate": true, "SharedDoc": true,
	"HyperlinksChanged": true, "DocSecurity": true, "HeadingPairs": true, "TitlesOfParts": true,
}

// epoch replaces dates a schema requires (ODF change-info, PowerPoint
// modern comments); optional ones are removed.
const epoch = "1980-01-01T00:00:00Z"

// rulesFor picks the rules for one XML part.
func (p *pkg) rulesFor(key string) (rule, textRule) {
	ids := p.droppedIDs[key]
	var r rule
	var t textRule
	switch {
	case key == "[content_types].xml":
		r = func(_ []name, e *elem) {
			if e.Space == nsTypes && e.Local == "Override" {
				if pn, _ := e.attr("", "PartName"); p.drop[strings.ToLower(strings.TrimPrefix(pn, "/"))] {
					e.drop = true
				}
			}
		}
	case key == "docprops/core.xml":
		// Every core property (Part 2 §11) is about the document's
		// making: creator, lastModifiedBy, dates, revision, title, subject,
		// keywords, category. The root and its namespaces stay.
		r = func(parents []name, e *elem) {
			if len(parents) == 1 {
				e.drop = true
			}
		}
	case key == "docprops/app.xml":
		r = func(parents []name, e *elem) {
			if len(parents) == 1 && !appKept[e.Local] {
				e.drop = true
			}
		}
	case strings.HasPrefix(key, "word/"):
		// Most of a Word package (styles, numbering, fonts, theme) names
		// no one; a byte search spares those parts the token scan.
		if len(ids) == 0 && !containsAny(p.entries[p.parts[key]].data, wordNeedles) {
			return nil, nil
		}
		r = wordRule
	case key == "xl/workbook.xml":
		recalc := p.volatileResults()
		r = func(_ []name, e *elem) {
			// x15ac:absPath is the folder the workbook was last saved in
			// (MS-XLSX); xr:revisionPtr ties it to a cloud document;
			// fileSharing names who reserved it (Part 1, CT_FileSharing).
			// fileVersion's rupBuild, lastEdited and lowestEdited name the
			// exact Excel build that saved it, as the AppVersion dropped
			// from app.xml did, and its codeName is an id of the workbook
			// (Part 1 §18.2.10); appName stays. workbookPr's codeName is
			// the workbook's name in VBA (§18.2.28), in the language of the
			// Excel that made it ("DieseArbeitsmappe"); the VBA project
			// is always dropped, so nothing uses it. calcPr's calcId is
			// the build of the engine that last calculated (§18.2.2); it
			// is optional, and without it Excel recalculates on load
			// rather than trust the cached values. fullCalcOnLoad makes
			// it recalculate even when calculation is manual, where
			// withoutVolatileResults dropped a cell's result.
			// A web page the workbook is published to (webPublishObject,
			// §18.2.30) is a path on the author's disk or server.
			switch {
			case e.Space == nsX15ac && e.Local == "absPath", e.Space == nsXR && e.Local == "revisionPtr":
				e.drop = true
			case e.Local == "fileSharing":
				e.set("", "userName", neutral)
			case e.Local == "fileVersion":
				e.remove(func(space, local, _ string) bool {
					return space == "" && (local == "rupBuild" || local == "lastEdited" || local == "lowestEdited" || local == "codeName")
				})
			case e.Local == "workbookPr":
				e.remove(func(space, local, _ string) bool { return space == "" && local == "codeName" })
			case e.Local == "calcPr":
				e.remove(func(space, local, _ string) bool { return space == "" && local == "calcId" })
				if recalc {
					e.put("fullCalcOnLoad", "1")
				}
			case e.Local == "webPublishObject":
				publishedTo(e)
			}
		}
	case strings.HasPrefix(key, "xl/worksheets/"):
		data := p.entries[p.parts[key]].data
		if containsAny(data, sheetNeedles) {
			r = sheetRule
		}
		if volatileCall(string(data)) {
			r, t = withoutVolatileResults(r)
		}
	case strings.HasPrefix(key, "xl/externallinks/"):
		r = func(_ []name, e *elem) {
			// A DDE link's topic (§18.14.4) is, for a workbook, its path
			// and sheet: "C:\Users\alice\[Book.xlsx]Sheet1" keeps
			// "[Book.xlsx]Sheet1". Another service's topic stays.
			if e.Local == "ddeLink" {
				if v, ok := e.attr("", "ddeTopic"); ok {
					e.set("", "ddeTopic", linkName(v))
				}
			}
		}
	case strings.HasPrefix(key, "xl/pivotcache/pivotcachedefinition"):
		// Excel writes who last refreshed a pivot table and when (Part 1
		// §18.10.1.67): the user name of whoever made it, on every one.
		// Both attributes are optional.
		r = func(_ []name, e *elem) {
			if e.Local == "pivotCacheDefinition" {
				e.set("", "refreshedBy", neutral)
				e.remove(func(space, local, _ string) bool { return space == "" && local == "refreshedDate" })
			}
		}
	case key == "xl/connections.xml":
		// Data connections (Part 1 §18.13) name the files they read and
		// carry connection strings with paths and user ids, on dbPr and
		// on the Data Model's x15:oledbPr (MS-XLSX) alike: every
		// connection attribute is emptied. An SQL command (dbPr@command
		// with commandType 2, the default) is MS Query's, naming the
		// database by its path, and is emptied too; a table's or cube's
		// name stays. A web query of a file on the author's disk keeps
		// its file name. The cached data stays in the sheets; refreshing
		// it needs the author's files anyway.
		r = func(_ []name, e *elem) {
			for _, a := range []string{"sourceFile", "odcFile"} {
				if v, ok := e.attr("", a); ok {
					e.set("", a, baseName(v))
				}
			}
			e.set("", "connection", "")
			switch e.Local {
			case "dbPr":
				if t, ok := e.attr("", "commandType"); !ok || t == "2" {
					e.set("", "command", "")
				} else if v, ok := e.attr("", "command"); ok {
					e.set("", "command", linkName(v))
				}
			case "webPr":
				if v, ok := e.attr("", "url"); ok {
					e.set("", "url", linkName(v))
				}
			}
		}
	case strings.HasPrefix(key, "xl/comments") || strings.HasPrefix(key, "xl/comments/"):
		r, t = p.sheetComments(key)
	case strings.HasPrefix(key, "xl/threadedcomments/"):
		r = func(_ []name, e *elem) {
			if e.Space != nsThreaded {
				return
			}
			switch e.Local {
			case "threadedComment":
				p.mapPerson(e, "personId")
				e.remove(func(_, local, _ string) bool { return local == "dT" })
			case "mention":
				p.mapPerson(e, "mentionpersonId")
			}
		}
	case strings.HasPrefix(key, "xl/persons/"):
		r = func(_ []name, e *elem) {
			// MS-XLSX person: the userId is the account (often the
			// address), providerId the directory it lives in.
			if e.Space == nsThreaded && e.Local == "person" {
				e.set("", "displayName", neutral)
				p.mapPerson(e, "id")
				e.remove(func(_, local, _ string) bool { return local == "userId" || local == "providerId" })
			}
		}
	case key == "ppt/commentauthors.xml":
		r = func(_ []name, e *elem) {
			// p15:presenceInfo (MS-PPTX) holds the account id,
			// often the address.
			if e.Local == "presenceInfo" {
				e.drop = true
			}
			if e.Local == "cmAuthor" {
				e.set("", "name", neutral)
				e.set("", "initials", "A")
			}
		}
	case key == "ppt/authors.xml":
		r = func(_ []name, e *elem) {
			if e.Space == nsP188 && e.Local == "author" {
				e.set("", "name", neutral)
				e.set("", "initials", "A")
				e.set("", "userId", neutral)
				e.set("", "providerId", "None")
			}
		}
	case strings.HasPrefix(key, "ppt/comments/"):
		r = func(_ []name, e *elem) {
			switch {
			case e.Local == "cm" && e.Space != nsP188:
				e.remove(func(_, local, _ string) bool { return local == "dt" })
			case e.Space == nsP188 && (e.Local == "cm" || e.Local == "reply"):
				e.set("", "created", epoch)
			case e.Space == nsP223 && e.Local == "instance":
				// A reaction's time is required (MS-PPTX CT_ReactionInstance);
				// its authorId points into the neutralised authors.xml.
				e.set("", "time", epoch)
			}
		}
	}
	// "title" finds VML's o:title, in Word's legacy pictures and in the
	// .vml drawings of Excel's header and footer pictures and comments.
	if data := p.entries[p.parts[key]].data; containsAny(data, pictureNeedles) {
		r = withPictureNames(r)
	}
	if data := p.entries[p.parts[key]].data; bytes.Contains(data, []byte("lang")) {
		r = withoutLanguages(r)
	}
	if data := p.entries[p.parts[key]].data; bytes.Contains(data, []byte(nsReactions)) {
		r = withoutReactors(r)
	}
	if data := p.entries[p.parts[key]].data; bytes.Contains(data, []byte("datetime")) && bytes.Contains(data, []byte(nsA)) {
		r = withoutDateFields(r)
	}
	if len(ids) > 0 {
		inner := r
		r = func(parents []name, e *elem) {
			if inner != nil {
				inner(parents, e)
			}
			e.remove(func(space, _, value string) bool { return (space == nsRel || space == nsRelStrict) && ids[value] })
		}
	}
	// Last, as its first pass must drop what the edit drops.
	if data := p.entries[p.parts[key]].data; r != nil && strings.HasPrefix(key, "word/") && bytes.Contains(data, []byte("instr")) {
		r = withFields(r, data)
	}
	return r, t
}

// DrawingML's namespaces: shapes and text, and charts.
const (
	nsA     = "http://schemas.openxmlformats.org/drawingml/2006/main"
	nsChart = "http://schemas.openxmlformats.org/drawingml/2006/chart"
)

// withoutLanguages adds to r the removal of the languages DrawingML writes
// on every run of text (a:rPr, a:endParaRPr, a:defRPr lang and altLang,
// ECMA-376 Part 1 §21.1.2.3.9) and a chart's c:lang (§21.2.2.87): the
// author's locale, as Word's w:lang is, and only for spell checking.
func withoutLanguages(r rule) rule {
	return func(parents []name, e *elem) {
		if r != nil {
			r(parents, e)
		}
		switch e.Space {
		case nsA:
			e.remove(func(space, local, _ string) bool { return space == "" && (local == "lang" || local == "altLang") })
		case nsChart:
			if e.Local == "lang" {
				e.drop = true
			}
		}
	}
}

// withoutReactors adds to r the neutralising of who reacted to a comment
// (MS-OREACTXML cr:user, in Word's commentsExtensible.xml): the user's
// display name, account id (often the address) and directory. The three
// attributes are required; the reaction's dateUtc goes with wordRule's.
func withoutReactors(r rule) rule {
	return func(parents []name, e *elem) {
		if r != nil {
			r(parents, e)
		}
		if e.Space == nsReactions && e.Local == "user" {
			e.set("", "userName", neutral)
			e.set("", "userId", neutral)
			e.set("", "userProvider", "None")
		}
		if e.Space == nsReactions && e.Local == "reactionInfo" {
			e.remove(func(space, local, _ string) bool { return space == "" && local == "dateUtc" })
		}
	}
}

// pictureNeedles are the local names withPictureNames acts on.
var pictureNeedles = [][]byte{[]byte("cNvPr"), []byte("docPr"), []byte("title"), []byte("suggestedsigneremail")}

// wordNeedles are the local names wordRule and withPictureNames act on.
var wordNeedles = append([][]byte{[]byte("rsid"), []byte("author"), []byte("attachedTemplate"), []byte("mailMerge"), []byte("docId"), []byte("dateUtc"),
	[]byte("docVars"), []byte("lang"), []byte("themeFontLang"), []byte("permStart"), []byte("activeWritingStyle"), []byte("instr")}, pictureNeedles...)

// withPictureNames adds to r the cleaning of a drawing's names: Word,
// PowerPoint and Excel write an inserted picture's file name into the
// name and descr (alternative text) of its non-visual properties
// (pic:cNvPr, p:cNvPr, xdr:cNvPr, wp:docPr; Part 1 §20.1.2.2.8), older
// Word the whole path ("C:\Users\hollis\Pictures\IMG_4032.JPG"). A path
// keeps its last element, and a file name a device made up becomes a
// plain one ("photo.jpg"); "Picture 1" and written alt text stay.
// VML, in Word's legacy pictures and Excel's header and footer pictures,
// keeps the inserted file's name in o:title (v:imagedata, v:fill).
// A signature line (VML o:signatureline, ECMA-376 Part 4) keeps the
// suggested signer's e-mail address for the signing dialog, which
// nothing shows; it goes. The name and title stay: they are drawn in the
// line's picture, text the author chose to show.
func withPictureNames(r rule) rule {
	return func(parents []name, e *elem) {
		if r != nil {
			r(parents, e)
		}
		if e.Space == nsVMLOffice && e.Local == "signatureline" {
			e.remove(func(_, local, _ string) bool { return local == "suggestedsigneremail" })
		}
		if v, ok := e.attr(nsVMLOffice, "title"); ok && v != "" {
			e.set(nsVMLOffice, "title", pictureName(v))
		}
		if e.Local != "cNvPr" && e.Local != "docPr" {
			return
		}
		for _, a := range []string{"name", "descr", "title"} {
			if v, ok := e.attr("", a); ok && v != "" {
				e.set("", a, pictureName(v))
			}
		}
	}
}

// pictureName is what a picture's name, title or description becomes: a
// path on the author's disk its last element, a name a device made up a
// plain one ("photo.jpg"); anything else stays.
func pictureName(v string) string {
	if localPath(v) || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "~/") {
		v = baseName(v)
	}
	return filename.Neutral(v)
}

func containsAny(data []byte, needles [][]byte) bool {
	for _, n := range needles {
		if bytes.Contains(data, n) {
			return true
		}
	}
	return false
}

func isW(space string) bool { return space == nsW || space == nsWStrict }

// wordRule cleans WordprocessingML parts (ECMA-376 Part 1 §17): revision
// and comment authors become "Author" and lose their dates (§17.13: w:date
// is optional), revision-session ids go (w:rsids in settings,
// w:rsid in styles, w:rsid* attributes; they link every draft a user
// saved), as do the attached template (§17.15.1.6), the mail-merge data
// source and query (§17.14, paths and SQL naming files on the user's
// disk), the document variables (§17.15.1.31: macros and templates store
// the user's name and address there) and the w14/w15 document ids.
// The run languages (w:lang, §17.3.2.20) and the theme font languages
// (w:themeFontLang) go too: they name the author's locale, as HTML's lang
// does, and only steer spell checking and the choice of theme fonts; so
// does the grammar checker that last ran (w:activeWritingStyle, §17.15.1:
// its language and the version of its library).
// The decimal symbol and list separator (w:decimalSymbol,
// w:listSeparator, §17.15.1) stay: they are the author's locale too, but
// Word reads the numbers and lists of formula fields (= 1,5 + 2;
// =SUM(1;2)) with them, and a comma or a point says less than the
// document's own language.
// A range only one user may edit (w:permStart w:ed, §17.13.7) names that
// user's account or address; it becomes one everyone may edit
// (w:edGrp="everyone"), so the range and its protection stay.
func wordRule(_ []name, e *elem) {
	switch {
	case isW(e.Space) && (e.Local == "rsids" || e.Local == "rsid" || e.Local == "attachedTemplate" || e.Local == "mailMerge" ||
		e.Local == "docVars" || e.Local == "lang" || e.Local == "themeFontLang" || e.Local == "activeWritingStyle"):
		e.drop = true
		return
	case (e.Space == nsW14 || e.Space == nsW15) && e.Local == "docId":
		e.drop = true
		return
	case isW(e.Space) && e.Local == "permStart":
		everyone(e)
	}
	if _, ok := e.attr(e.Space, "author"); ok && isW(e.Space) {
		e.set(e.Space, "author", neutral)
		e.set(e.Space, "initials", "A")
		e.remove(func(space, local, _ string) bool { return isW(space) && local == "date" })
	}
	// w16cex:dateUtc on comments, w16du:dateUtc on revisions (Word 2023).
	e.remove(func(_, local, _ string) bool { return local == "dateUtc" })
	e.remove(func(space, local, _ string) bool { return isW(space) && strings.HasPrefix(local, "rsid") })
}

// everyone gives a permission range to the group of all editors in place
// of a single one: w:ed becomes w:edGrp="everyone", unless the range names
// a group already, where w:ed goes.
func everyone(e *elem) {
	_, grp := e.attr(e.Space, "edGrp")
	for i, a := range e.attrs {
		if a.Name.Local != "ed" || e.spaces[i] != e.Space {
			continue
		}
		if grp {
			e.remove(func(space, local, _ string) bool { return space == e.Space && local == "ed" })
			return
		}
		e.attrs[i].Name.Local, e.attrs[i].Value = "edGrp", "everyone"
		e.changed = true
		return
	}
}

// sheetNeedles are the local names sheetRule acts on.
var sheetNeedles = [][]byte{[]byte("protectedRange"), []byte("scenario"), []byte("webPublishItem"), []byte("codeName")}

// sheetRule cleans a worksheet (Part 1 §18.3). A protected range's
// security descriptor (§18.3.1.68, an attribute, or elements in later
// editions and MS-XLSX's x14:protectedRange) lists the Windows accounts,
// by SID, that may edit it without the password; without it the password
// alone guards the range. A scenario (§18.3.1.76) names the user who
// made it, and Excel writes "Created by NAME on DATE" as its comment; a
// comment the user typed cannot be told from Excel's, so the comment
// goes. A web page the sheet is published to (webPublishItem,
// §18.3.1.97) keeps its file name. sheetPr's codeName is the sheet's
// name in VBA, in the language of the Excel that made it ("Tabelle1");
// the VBA project is always dropped.
func sheetRule(parents []name, e *elem) {
	switch e.Local {
	case "protectedRange":
		e.remove(func(space, local, _ string) bool { return space == "" && local == "securityDescriptor" })
	case "securityDescriptor":
		if n := len(parents); n > 0 && parents[n-1].Local == "protectedRange" {
			e.drop = true
		}
	case "scenario":
		e.set("", "user", neutral)
		e.remove(func(space, local, _ string) bool { return space == "" && local == "comment" })
	case "webPublishItem":
		publishedTo(e)
	case "sheetPr":
		e.remove(func(space, local, _ string) bool { return space == "" && local == "codeName" })
	}
}

// publishedTo cuts the destination of a published web page to its file
// name.
func publishedTo(e *elem) {
	if v, ok := e.attr("", "destinationFile"); ok && v != "" {
		e.set("", "destinationFile", baseName(v))
	}
}

// sheetComments neutralises a legacy comments part (Part 1 §18.7): the
// author list, and the "Name:" Excel puts at the start of each comment's
// text. A "tc=" author links a threaded comment and keeps its link.
func (p *pkg) sheetComments(key string) (rule, textRule) {
	var authors []string
	collect := func(parents []name, text string) (string, bool) {
		if n := len(parents); n > 0 && parents[n-1].Local == "author" && !strings.HasPrefix(text, "tc=") {
			if a := strings.TrimSpace(text); a != "" {
				authors = append(authors, a)
			}
		}
		return "", false
	}
	if _, err := edit(p.entries[p.parts[key]].data, func([]name, *elem) {}, collect); err != nil {
		authors = nil // the real pass reports the error
	}
	sort.Slice(authors, func(i, j int) bool { return len(authors[i]) > len(authors[j]) })
	t := func(parents []name, text string) (string, bool) {
		n := len(parents)
		if n == 0 {
			return "", false
		}
		switch parents[n-1].Local {
		case "author":
			if id, ok := strings.CutPrefix(text, "tc="); ok {
				if m, ok := p.persons[strings.ToLower(id)]; ok {
					return "tc=" + m, true
				}
				return "", false
			}
			return neutral, text != neutral
		case "t":
			lead := len(text) - len(strings.TrimLeft(text, " \t\r\n"))
			for _, a := range authors {
				if rest, ok := strings.CutPrefix(text[lead:], a+":"); ok {
					return text[:lead] + neutral + ":" + rest, true
				}
			}
		}
		return "", false
	}
	return func([]name, *elem) {}, t
}

// collectPersons gives each threaded-comment person a neutral id, the same
// in persons, threaded comments and legacy "tc=" authors.
func (p *pkg) collectPersons() {
	p.persons = map[string]string{}
	var ids []string
	for key, i := range p.parts {
		if !strings.HasPrefix(key, "xl/persons/") || path.Ext(key) != ".xml" || p.drop[key] {
			continue
		}
		_, _ = edit(p.entries[i].data, func(_ []name, e *elem) {
			if e.Space == nsThreaded && e.Local == "person" {
				if id, ok := e.attr("", "id"); ok {
					ids = append(ids, strings.ToLower(id))
				}
			}
		}, nil)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, ok := p.persons[id]; !ok {
			p.persons[id] = fmt.Sprintf("{00000000-0000-4000-8000-%012X}", len(p.persons)+1)
		}
	}
}

func (p *pkg) mapPerson(e *elem, attr string) {
	if v, ok := e.attr("", attr); ok {
		if m, ok := p.persons[strings.ToLower(v)]; ok {
			e.set("", attr, m)
		} else {
			e.set("", attr, "{00000000-0000-4000-8000-000000000000}")
		}
	}
}
