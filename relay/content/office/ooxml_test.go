package office

import (
	"strings"
	"testing"
)

const relsHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<Relationships xmlns="` + nsPkgRels + `">`

// TestOOXMLRules runs the rules the corpus documents do not reach on a
// small package with one part of each kind.
func TestOOXMLRules(t *testing.T) {
	w := `xmlns:w="` + nsW + `" xmlns:r="` + nsRel + `"`
	in := makeZip(t,
		zipMember{name: "[Content_Types].xml", data: `<Types xmlns="` + nsTypes + `"><Override PartName="/word/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/word/document.xml" ContentType="x"/></Types>`},
		zipMember{name: "_rels/.rels", data: relsHead + `<Relationship Id="rId1" Type="t/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="t/digital-signature/origin" Target="_xmlsignatures/origin.sigs"/></Relationships>`},
		zipMember{name: "_xmlsignatures/origin.sigs", data: ""},
		zipMember{name: "_xmlsignatures/sig1.xml", data: `<Signature>CN=Jo Bloggs</Signature>`},
		zipMember{name: "word/document.xml", data: `<w:document ` + w + `><w:body><w:p><w:hyperlink r:id="rId3"><w:r><w:t>KEEP-link</w:t></w:r></w:hyperlink><w:object><o r:id="rId4"/></w:object><pic r:embed="rId5"/></w:p></w:body></w:document>`},
		zipMember{name: "word/_rels/document.xml.rels", data: relsHead +
			`<Relationship Id="rId3" Type="t/hyperlink" Target="https://example.com/KEEP-url" TargetMode="External"/>` +
			`<Relationship Id="rId4" Type="t/oleObject" Target="file:///C:\Users\jbloggs\Book.xlsx" TargetMode="External"/>` +
			`<Relationship Id="rId5" Type="t/image" Target="media/image1.png"/>` +
			`<Relationship Id="rId7" Type="t/hyperlink" Target="file:///C:/Users/jbloggs/Spec.docx" TargetMode="External"/>` +
			`<Relationship Id="rId6" Type="t/vbaProject" Target="vbaProject.bin"/></Relationships>`},
		zipMember{name: "word/media/image1.png", data: "png-bytes"},
		zipMember{name: "word/vbaProject.bin", data: "Sub jbloggs()"},
		zipMember{name: "word/settings.xml", data: `<w:settings ` + w + `><w:mailMerge><w:query w:val="SELECT * FROM C:\Users\jbloggs\list.xlsx"/></w:mailMerge><w:zoom/></w:settings>`},
		zipMember{name: "word/commentsExtensible.xml", data: `<w16cex:commentsExtensible xmlns:w16cex="` + nsW16cex + `"><w16cex:commentExtensible w16cex:durableId="1" w16cex:dateUtc="2026-11-02T10:00:00Z"/></w16cex:commentsExtensible>`},
		zipMember{name: "xl/connections.xml", data: `<connections><connection id="1" name="q"><dbPr connection="Data Source=C:\Users\jbloggs\db.accdb;User ID=jbloggs"/><textPr sourceFile="C:\Users\jbloggs\data.csv"/></connection></connections>`},
		zipMember{name: "ppt/authors.xml", data: `<p188:authorLst xmlns:p188="` + nsP188 + `"><p188:author id="{1}" name="Jo Bloggs" initials="JB" userId="jbloggs@bloggs.example" providerId="AD"/></p188:authorLst>`},
		zipMember{name: "ppt/comments/modernComment_1.xml", data: `<p188:cmLst xmlns:p188="` + nsP188 + `"><p188:cm id="{2}" authorId="{1}" created="2026-11-02T10:00:00.000"><p188:txBody>KEEP-comment</p188:txBody></p188:cm></p188:cmLst>`},
		zipMember{name: "ppt/commentAuthors.xml", data: `<p:cmAuthorLst xmlns:p="p"><p:cmAuthor id="1" name="Jo Bloggs" initials="JB"><p:extLst><p:ext uri="{19B8F6BF}"><p15:presenceInfo xmlns:p15="p15" userId="S::jbloggs@bloggs.example::1" providerId="AD"/></p:ext></p:extLst></p:cmAuthor></p:cmAuthorLst>`},
		zipMember{name: "word/revised.xml", data: `<w:p ` + w + ` xmlns:w16du="http://schemas.microsoft.com/office/word/2023/wordml/word16du"><w:ins w:id="1" w:author="Jo Bloggs" w:date="2026-11-02T10:00:00Z" w16du:dateUtc="2026-11-02T10:00:00Z"/></w:p>`},
		zipMember{name: "docMetadata/LabelInfo.xml", data: `<clbl:labelList><clbl:label siteId="{JB-TENANT}"/></clbl:labelList>`},
		zipMember{name: "[trash]/0001.dat", data: "old draft by jbloggs"},
		zipMember{name: "ppt/revisionInfo.xml", data: `<p1510:revInfo><p1510:client id="{JB-INSTALL}"/></p1510:revInfo>`},
		zipMember{name: "xl/revisions/userNames.xml", data: `<users><userInfo name="Jo Bloggs"/></users>`},
		zipMember{name: "word/drawing.xml", data: `<w:p ` + w + ` xmlns:wp="wp" xmlns:pic="pic"><wp:docPr id="1" name="Picture 1" descr="C:\Users\jbloggs\Pictures\IMG_4032.JPG"/><pic:cNvPr id="0" name="PXL_20261102_175540123.jpg"/><wp:docPr id="2" name="Picture 2" descr="KEEP-alt the sales/costs chart"/></w:p>`},
		zipMember{name: "ppt/slides/slide1.xml", data: `<p:sld xmlns:p="p"><p:cNvPr id="4" name="Picture 3" descr="Screenshot 2026-11-02 at 10.14.22.png"/></p:sld>`},
	)
	dropPNG := func(name string, b []byte) ([]byte, bool, error) { return b, !strings.HasSuffix(name, ".png"), nil }
	out, err := OOXML(in, 1<<20, dropPNG)
	if err != nil {
		t.Fatal(err)
	}
	m := members(t, out)
	for _, gone := range []string{"word/vbaProject.bin", "_xmlsignatures/sig1.xml", "_xmlsignatures/origin.sigs", "word/media/image1.png", "ppt/revisionInfo.xml", "xl/revisions/userNames.xml"} {
		if _, ok := m[gone]; ok {
			t.Errorf("%s kept", gone)
		}
	}
	all := strings.ToLower(deepText(out, 0))
	for _, s := range []string{"jbloggs", "jo bloggs", "jb-install", "jb-tenant", "2026-11-02", "vbaproject", "_xmlsignatures", "rid5", "rid6",
		"img_4032", "pxl_", "20261102"} {
		if strings.Contains(all, s) {
			t.Errorf("%q survives", s)
		}
	}
	for _, k := range []string{"keep-link", "keep-url", "keep-comment", "keep-alt the sales/costs chart", `descr="photo.jpg"`, `name="photo.jpg"`, `descr="screenshot.png"`, `target="book.xlsx"`, `sourcefile="data.csv"`, `r:id="rid4"`, `<w:zoom/>`, `target="spec.docx"`} {
		if !strings.Contains(all, k) {
			t.Errorf("%q lost", k)
		}
	}
}
