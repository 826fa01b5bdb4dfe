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
		zipMember{name: "word/footer1.xml", data: `<w:ftr ` + w + ` xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="` + nsVMLOffice + `"><w:p><w:r><w:pict><v:shape id="s1"><o:signatureline v:ext="edit" id="{A1}" provid="{00000000-0000-0000-0000-000000000000}" o:suggestedsigner="KEEP-signer" o:suggestedsigner2="KEEP-title" o:suggestedsigneremail="jbloggs@bloggs.example" issignatureline="t"/></v:shape></w:pict></w:r></w:p></w:ftr>`},
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
	for _, k := range []string{"keep-link", "keep-url", "keep-comment", "keep-alt the sales/costs chart", `descr="photo.jpg"`, `name="photo.jpg"`, `descr="screenshot.png"`, `target="book.xlsx"`, `sourcefile="data.csv"`, `r:id="rid4"`, `<w:zoom/>`, `target="spec.docx"`, `o:suggestedsigner="keep-signer"`, `o:suggestedsigner2="keep-title"`, `issignatureline="t"`} {
		if !strings.Contains(all, k) {
			t.Errorf("%q lost", k)
		}
	}
}

// TestOOXMLParts: one part at a time, what must go and what must stay.
func TestOOXMLParts(t *testing.T) {
	const (
		w   = `xmlns:w="` + nsW + `" xmlns:r="` + nsRel + `"`
		vml = `xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="` + nsVMLOffice + `"`
		x   = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="` + nsRel + `"`
	)
	tests := []struct {
		name, part, data string
		gone, kept       []string
	}{
		{"pivot cache refresher neutralised, refresh date dropped", "xl/pivotCache/pivotCacheDefinition1.xml",
			`<pivotCacheDefinition ` + x + ` r:id="rId1" refreshedBy="Jo Bloggs" refreshedDate="45981.447291666664" createdVersion="8" recordCount="2"><cacheFields count="1"><cacheField name="KEEP-region"><sharedItems count="1"><s v="North"/></sharedItems></cacheField></cacheFields></pivotCacheDefinition>`,
			[]string{"Jo Bloggs", "refreshedDate", "45981"},
			[]string{`refreshedBy="Author"`, `recordCount="2"`, `name="KEEP-region"`, `<s v="North"/>`}},
		{"document variables dropped", "word/settings.xml",
			`<w:settings ` + w + `><w:zoom w:percent="100"/><w:docVars><w:docVar w:name="UserName" w:val="Jo Bloggs"/><w:docVar w:name="UserEmail" w:val="jbloggs@bloggs.example"/></w:docVars><w:defaultTabStop w:val="720"/></w:settings>`,
			[]string{"Jo Bloggs", "jbloggs", "docVar"},
			[]string{`<w:zoom w:percent="100"/><w:defaultTabStop w:val="720"/>`}},
		{"languages dropped from styles", "word/styles.xml",
			`<w:styles ` + w + `><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:asciiTheme="minorHAnsi"/><w:lang w:val="en-GB" w:eastAsia="en-US" w:bidi="ar-SA"/></w:rPr></w:rPrDefault></w:docDefaults><w:style w:styleId="Normal"><w:rPr><w:lang w:val="de-AT"/></w:rPr></w:style></w:styles>`,
			[]string{"en-GB", "en-US", "ar-SA", "de-AT", "w:lang"},
			[]string{`<w:rPr><w:rFonts w:asciiTheme="minorHAnsi"/></w:rPr>`, `w:styleId="Normal"`}},
		{"languages dropped from runs and settings", "word/settings.xml",
			`<w:settings ` + w + `><w:themeFontLang w:val="en-GB" w:eastAsia="ja-JP"/><w:zoom/></w:settings>`,
			[]string{"en-GB", "ja-JP"},
			[]string{`<w:zoom/>`}},
		{"languages dropped from a slide's text", "ppt/slides/slide1.xml",
			`<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="` + nsA + `"><p:txBody><a:p><a:r><a:rPr lang="en-GB" altLang="en-US" dirty="0"/><a:t>KEEP-slide</a:t></a:r><a:endParaRPr lang="en-GB"/></a:p></p:txBody></p:sld>`,
			[]string{"en-GB", "en-US", "lang="},
			[]string{`<a:rPr dirty="0"/><a:t>KEEP-slide</a:t>`}},
		{"a chart's language dropped", "word/charts/chart1.xml",
			`<c:chartSpace xmlns:c="` + nsChart + `" xmlns:a="` + nsA + `"><c:date1904 val="0"/><c:lang val="en-GB"/><c:chart><c:title><c:tx><c:rich><a:p><a:r><a:rPr lang="en-GB"/><a:t>KEEP-chart</a:t></a:r></a:p></c:rich></c:tx></c:title></c:chart></c:chartSpace>`,
			[]string{"en-GB", "c:lang"},
			[]string{`<c:date1904 val="0"/><c:chart>`, "KEEP-chart"}},
		{"languages dropped from the body", "word/document.xml",
			`<w:document ` + w + `><w:body><w:p><w:r><w:rPr><w:b/><w:lang w:val="fr-CA"/></w:rPr><w:t>KEEP-text</w:t></w:r></w:p></w:body></w:document>`,
			[]string{"fr-CA"},
			[]string{`<w:rPr><w:b/></w:rPr><w:t>KEEP-text</w:t>`}},
		{"legacy Word picture's title", "word/document.xml",
			`<w:document ` + w + ` ` + vml + `><w:body><w:p><w:r><w:pict><v:shape id="_x0000_i1025" style="width:100pt"><v:imagedata r:id="rId9" o:title="PXL_20261102_175540123"/></v:shape></w:pict></w:r><w:r><w:t>KEEP-text</w:t></w:r></w:p></w:body></w:document>`,
			[]string{"PXL_", "20261102"},
			[]string{`<v:imagedata r:id="rId9" o:title="file"/>`, "KEEP-text"}},
		{"Excel header picture's title", "xl/drawings/vmlDrawingHF1.vml",
			`<xml ` + vml + `><v:shape id="CH" style="width:120pt"><v:imagedata o:relid="rId1" o:title="IMG_4032"/></v:shape><v:shape id="LH"><v:imagedata o:relid="rId2" o:title="KEEP-floor plan"/></v:shape></xml>`,
			[]string{"IMG_4032"},
			[]string{`<v:imagedata o:relid="rId1" o:title="file"/>`, `o:title="KEEP-floor plan"`}},
		{"Excel build dropped", "xl/workbook.xml",
			`<workbook ` + x + `><fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="28526" codeName="{1D2C3B4A-0000-4000-8000-00000000AAAA}"/><sheets><sheet name="KEEP-sheet" sheetId="1" r:id="rId1"/></sheets></workbook>`,
			[]string{"28526", "lastEdited", "lowestEdited", "1D2C3B4A"},
			[]string{`<fileVersion appName="xl"/>`, `name="KEEP-sheet"`}},
		{"Word comment reactions' users neutralised", "word/commentsExtensible.xml",
			`<w16cex:commentsExtensible xmlns:w16cex="` + nsW16cex + `" xmlns:w16="http://schemas.microsoft.com/office/word/2018/wordml" xmlns:cr="` + nsReactions + `"><w16cex:commentExtensible w16cex:durableId="1"><w16cex:extLst><w16:ext w16:uri="{7B0D5B6B}"><cr:reactions><cr:reaction reactionType="1"><cr:reactionInfo dateUtc="2024-03-05T10:11:12Z"><cr:user userId="S::hollis.q@corp.example::6f1c" userName="Hollis Quartermaine" userProvider="AD"/></cr:reactionInfo></cr:reaction></cr:reactions></w16:ext></w16cex:extLst></w16cex:commentExtensible></w16cex:commentsExtensible>`,
			[]string{"Hollis", "hollis.q", "AD", "2024-03-05"},
			[]string{`<cr:reaction reactionType="1"><cr:reactionInfo><cr:user userId="Author" userName="Author" userProvider="None"/>`}},
		{"PowerPoint comment reactions' times fixed", "ppt/comments/modernComment_1.xml",
			`<p188:cmLst xmlns:p188="` + nsP188 + `" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p188:cm id="{2}" authorId="{1}" created="2024-03-05T10:11:12.345"><p188:extLst><p:ext uri="{6A6F3B3C}"><p223:reactions xmlns:p223="` + nsP223 + `"><p223:reaction type="&#x1F44D;"><p223:instance time="2024-03-05T10:11:12.345" authorId="{1}"/></p223:reaction></p223:reactions></p:ext></p188:extLst><p188:txBody>KEEP-comment</p188:txBody></p188:cm></p188:cmLst>`,
			[]string{"2024-03-05"},
			[]string{`<p223:instance time="` + epoch + `" authorId="{1}"/>`, "KEEP-comment"}},
		{"PowerPoint's date placeholders on a master lose the date they last showed; the slide number and a typed date stay", "ppt/slideMasters/slideMaster1.xml",
			`<p:sldMaster xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="` + nsA + `"><p:cSld><p:spTree><p:sp><p:txBody><a:p>` +
				`<a:fld id="{A1}" type="datetimeFigureOut"><a:rPr/><a:t>3/5/2024</a:t></a:fld>` +
				`<a:fld id="{A2}" type="datetime8"><a:rPr/><a:pPr/><a:t>3/5/2024 7:41 AM</a:t></a:fld>` +
				`<a:fld id="{A3}" type="slidenum"><a:rPr/><a:t>KEEP-‹#›</a:t></a:fld>` +
				`<a:r><a:rPr/><a:t>KEEP-5 March 2024</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sldMaster>`,
			[]string{"2024 7:41", "3/5/2024"},
			[]string{`<a:fld id="{A1}" type="datetimeFigureOut"><a:rPr/><a:t></a:t></a:fld>`, `<a:fld id="{A2}" type="datetime8"><a:rPr/><a:pPr/><a:t></a:t></a:fld>`, `<a:t>KEEP-‹#›</a:t>`, `<a:t>KEEP-5 March 2024</a:t>`}},
		{"a notes master's time field loses the time it last showed", "ppt/notesMasters/notesMaster1.xml",
			`<p:notesMaster xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="` + nsA + `"><a:p><a:fld id="{B1}" type="datetime13"><a:t>7:41:09 AM</a:t></a:fld><a:r><a:t>KEEP-notes</a:t></a:r></a:p></p:notesMaster>`,
			[]string{"7:41:09"},
			[]string{`<a:fld id="{B1}" type="datetime13"><a:t></a:t></a:fld><a:r><a:t>KEEP-notes</a:t>`}},
		{"cells computing the moment, the file or the system lose what they cached: shared and array formulas' other cells too", "xl/worksheets/sheet1.xml",
			`<worksheet ` + x + `><sheetData><row r="1">` +
				`<c r="A1" s="1"><f>NOW()</f><v>45356.3201</v></c>` +
				`<c r="B1" t="str"><f>CELL("filename",A1)</f><v>C:\Users\hquartermaine\Documents\[budget.xlsx]Sheet1</v></c>` +
				`<c r="C1" t="str"><f>"Due "&amp;TEXT(Today()+30,"yyyy-mm-dd")</f><v>Due 2024-04-04</v></c>` +
				`<c r="D1" t="str"><f>INFO("directory")</f><v>C:\Users\hquartermaine\Documents\</v></c>` +
				`<c r="E1"><f>KNOW(1)+SNOW()</f><v>KEEP-7</v></c><c r="F1" s="1"><v>KEEP-36518</v></c></row>` +
				`<row r="2"><c r="A2"><f t="shared" ref="A2:A3" si="0">HOUR(NOW())</f><v>45356.3202</v></c>` +
				`<c r="B2"><f t="shared" ref="B2:B3" si="1">A2+1</f><v>KEEP-8</v></c>` +
				`<c r="C2"><f t="array" ref="C2:D3">NOW()+{0,1;2,3}</f><v>45356.3203</v></c><c r="D2"><v>45357.3203</v></c>` +
				`<c r="E2"><f t="array" ref="E2:E3">ROW(E2:E3)</f><v>KEEP-2</v></c></row>` +
				`<row r="3"><c r="A3"><f t="shared" si="0"/><v>45356.3204</v></c><c r="B3"><f t="shared" si="1"/><v>KEEP-9</v></c>` +
				`<c r="C3"><v>45358.3203</v></c><c r="D3"><v>45359.3203</v></c><c r="E3"><v>KEEP-3</v></c></row>` +
				`<row r="4"><c r="C4"><v>KEEP-4</v></c></row></sheetData></worksheet>`,
			[]string{"45356", "45357", "45358", "45359", "hquartermaine", "2024-04-04"},
			[]string{`<c r="A1" s="1"><f>NOW()</f></c>`, `<c r="B1" t="str"><f>CELL("filename",A1)</f></c>`, `<c r="D1" t="str"><f>INFO("directory")</f></c>`,
				`<c r="A3"><f t="shared" si="0"/></c>`, `<c r="D2"></c>`, `<c r="C3"></c><c r="D3"></c>`,
				"KEEP-7", "KEEP-36518", "KEEP-8", "KEEP-9", "KEEP-2", "KEEP-3", "KEEP-4"}},
		{"protected ranges lose the editors' account SIDs", "xl/worksheets/sheet1.xml",
			`<worksheet ` + x + ` xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData/><sheetProtection sheet="1"/><protectedRanges><protectedRange name="KEEP-range" sqref="A1:B2" securityDescriptor="O:WDG:WDD:(A;;CC;;;S-1-5-21-2127521184-1604012920-1887927527-1107)"/><protectedRange name="KEEP-range2" sqref="C1"><securityDescriptor>O:WDG:WDD:(A;;CC;;;S-1-5-21-2127521184-1604012920-1887927527-1108)</securityDescriptor></protectedRange></protectedRanges><extLst><ext uri="{FC87AEE6}"><x14:protectedRanges><x14:protectedRange name="KEEP-range3" securityDescriptor="O:WDG:WDD:(A;;CC;;;S-1-5-21-2127521184-1604012920-1887927527-1109)"><xm:sqref>D1</xm:sqref></x14:protectedRange></x14:protectedRanges></ext></extLst></worksheet>`,
			[]string{"S-1-5-21", "securityDescriptor"},
			[]string{`<protectedRange name="KEEP-range" sqref="A1:B2"/>`, `<protectedRange name="KEEP-range2" sqref="C1"></protectedRange>`, `<x14:protectedRange name="KEEP-range3"><xm:sqref>D1</xm:sqref>`, `<sheetProtection sheet="1"/>`}},
		{"scenario author neutralised, Excel's comment on it dropped", "xl/worksheets/sheet1.xml",
			`<worksheet ` + x + `><sheetData/><scenarios current="0"><scenario name="KEEP-best case" locked="1" count="1" user="Hollis Quartermaine" comment="Created by Hollis Quartermaine on 05/03/2024"><inputCells r="B2" val="12"/></scenario></scenarios></worksheet>`,
			[]string{"Hollis", "comment=", "05/03/2024"},
			[]string{`<scenario name="KEEP-best case" locked="1" count="1" user="Author"><inputCells r="B2" val="12"/>`}},
		{"web publishing targets and VBA code names", "xl/worksheets/sheet1.xml",
			`<worksheet ` + x + `><sheetPr codeName="Tabelle1" filterMode="0"/><sheetData/><webPublishItems count="1"><webPublishItem id="1" divId="KEEP-div" sourceType="range" sourceRef="A1:B2" destinationFile="C:\Users\hquartermaine\Documents\Page-HQ.htm"/></webPublishItems></worksheet>`,
			[]string{"hquartermaine", "Documents", "Tabelle1"},
			[]string{`<sheetPr filterMode="0"/>`, `divId="KEEP-div" sourceType="range" sourceRef="A1:B2" destinationFile="Page-HQ.htm"/>`}},
		{"workbook's code name, calculation engine build and web page target", "xl/workbook.xml",
			`<workbook ` + x + `><workbookPr codeName="DieseArbeitsmappe" defaultThemeVersion="166925"/><sheets><sheet name="KEEP-sheet" sheetId="1" r:id="rId1"/></sheets><calcPr calcId="191029" fullCalcOnLoad="1"/><webPublishObjects count="1"><webPublishObject id="1" divId="KEEP-div" sourceObject="Sheet1" destinationFile="\\fs01\home$\hquartermaine\Page-HQ.htm"/></webPublishObjects></workbook>`,
			[]string{"DieseArbeitsmappe", "191029", "hquartermaine", "fs01"},
			[]string{`<workbookPr defaultThemeVersion="166925"/>`, `<calcPr fullCalcOnLoad="1"/>`, `sourceObject="Sheet1" destinationFile="Page-HQ.htm"/>`}},
		{"DDE link topic keeps its workbook and sheet", "xl/externalLinks/externalLink1.xml",
			`<externalLink ` + x + `><ddeLink ddeService="Excel" ddeTopic="C:\Users\hquartermaine\Documents\[Budget-HQ.xlsx]Sheet1"><ddeItems><ddeItem name="R1C1" advise="1"/></ddeItems></ddeLink></externalLink>`,
			[]string{"hquartermaine", "Documents"},
			[]string{`<ddeLink ddeService="Excel" ddeTopic="[Budget-HQ.xlsx]Sheet1"><ddeItems><ddeItem name="R1C1" advise="1"/>`}},
		{"DDE link to a service keeps its topic", "xl/externalLinks/externalLink2.xml",
			`<externalLink ` + x + `><ddeLink ddeService="KEEP-service" ddeTopic="KEEP-topic"/></externalLink>`,
			nil,
			[]string{`<ddeLink ddeService="KEEP-service" ddeTopic="KEEP-topic"/>`}},
		{"data connections lose SQL, local web queries and every connection string", "xl/connections.xml",
			`<connections ` + x + ` xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"><connection id="1" name="KEEP-query" type="1" refreshedVersion="8"><dbPr connection="DSN=MS Access Database;DBQ=C:\Users\hquartermaine\contacts.accdb;" command="SELECT Contacts.Name FROM ` + "`" + `C:\Users\hquartermaine\Documents\contacts.accdb` + "`" + `.Contacts Contacts"/></connection>` +
				`<connection id="2" name="KEEP-web" type="4"><webPr url="file:///C:/Users/hquartermaine/Desktop/rates-HQ.htm" htmlTables="1"/></connection>` +
				`<connection id="3" name="KEEP-www" type="4"><webPr url="https://example.com/KEEP-rates"/></connection>` +
				`<connection id="4" name="ThisWorkbookDataModel" type="5"><dbPr connection="" command="Model" commandType="1"/><extLst><ext uri="{DE250136}"><x15:connection id="" model="1"><x15:oledbPr connection="Provider=MSOLAP.8;Data Source=C:\Users\hquartermaine\AppData\Local\Temp\model.xlsx"><x15:dbTables><x15:dbTable name="KEEP-table"/></x15:dbTables></x15:oledbPr></x15:connection></ext></extLst></connection></connections>`,
			[]string{"hquartermaine", "Desktop", "SELECT", "MSOLAP"},
			[]string{`name="KEEP-query"`, `<dbPr connection="" command=""/>`, `<webPr url="rates-HQ.htm" htmlTables="1"/>`, `url="https://example.com/KEEP-rates"`, `<x15:oledbPr connection=""><x15:dbTables><x15:dbTable name="KEEP-table"/>`, `<dbPr connection="" command="Model" commandType="1"/>`}},
		{"editing permission for one user becomes one for everyone", "word/document.xml",
			`<w:document ` + w + `><w:body><w:p><w:permStart w:id="1" w:ed="CORP\hquartermaine"/><w:r><w:t>KEEP-range</w:t></w:r><w:permEnd w:id="1"/><w:permStart w:id="2" w:edGrp="editors" w:ed="hollis.q@corp.example" w:colFirst="0"/><w:permEnd w:id="2"/></w:p></w:body></w:document>`,
			[]string{"hquartermaine", "hollis.q", "w:ed="},
			[]string{`<w:permStart w:id="1" w:edGrp="everyone"/><w:r><w:t>KEEP-range</w:t></w:r><w:permEnd w:id="1"/>`, `<w:permStart w:id="2" w:edGrp="editors" w:colFirst="0"/>`}},
		{"grammar checker's locale dropped, field calculation symbols kept", "word/settings.xml",
			`<w:settings ` + w + `><w:zoom w:percent="100"/><w:activeWritingStyle w:appName="MSWord" w:lang="is-IS" w:vendorID="64" w:dllVersion="4096" w:nlCheck="1" w:checkStyle="0"/><w:decimalSymbol w:val=","/><w:listSeparator w:val=";"/></w:settings>`,
			[]string{"is-IS", "activeWritingStyle", "dllVersion"},
			[]string{`<w:zoom w:percent="100"/><w:decimalSymbol w:val=","/><w:listSeparator w:val=";"/>`}},
		{"field instructions' local paths, in one run or split", "word/document.xml",
			`<w:document ` + w + `><w:body><w:p>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "C:\\Users\\hquartermaine\\Pictures\\IMG_4032.JPG" \d </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>KEEP-picture</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK "file:///C:/Users/hquarter</w:instrText></w:r><w:r><w:rPr><w:b/></w:rPr><w:instrText>maine/Desktop/plan-HQ.docx" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>KEEP-link</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`<w:fldSimple w:instr=" INCLUDETEXT &quot;\\\\fs01\\home$\\hquartermaine\\boilerplate.docx&quot; "><w:r><w:t>KEEP-included</w:t></w:r></w:fldSimple>` +
				`<w:del w:id="1" w:author="Hollis Quartermaine"><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:delInstrText> LINK Excel.Sheet.12 "C:\\Users\\hquartermaine\\Documents\\Budget-HQ.xlsx" "" \a </w:delInstrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:del>` +
				`</w:p></w:body></w:document>`,
			[]string{"hquartermaine", "Users", "Desktop", "fs01"},
			[]string{`<w:instrText xml:space="preserve"> INCLUDEPICTURE "IMG_4032.JPG" \d </w:instrText>`,
				`<w:instrText xml:space="preserve"> HYPERLINK "</w:instrText></w:r><w:r><w:rPr><w:b/></w:rPr><w:instrText>plan-HQ.docx" </w:instrText>`,
				`<w:fldSimple w:instr=" INCLUDETEXT &quot;boilerplate.docx&quot; ">`, `<w:delInstrText> LINK Excel.Sheet.12 "Budget-HQ.xlsx" "" \a </w:delInstrText>`,
				"KEEP-picture", "KEEP-link", "KEEP-included"}},
		{"field results that show the author, the paths and properties", "word/document.xml",
			`<w:document ` + w + `><w:body><w:p>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> AUTHOR </w:instrText></w:r><w:r><w:instrText>\* MERGEFORMAT </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>Hollis</w:t></w:r><w:r><w:t xml:space="preserve"> Quartermaine</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`<w:r><w:t xml:space="preserve"> KEEP-between </w:t></w:r>` +
				`<w:fldSimple w:instr=" TEMPLATE \p "><w:r><w:t>C:\Users\hquartermaine\AppData\Roaming\Microsoft\Templates\Brief-HQ.dotm</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr=" FILENAME \p \* MERGEFORMAT "><w:r><w:t>\\fs01\home$\hquartermaine\plan.docx</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr=" DOCPROPERTY  Department "><w:r><w:t>Hollis's desk</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr="USERINITIALS"><w:r><w:t>HQ</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr="USERADDRESS"><w:r><w:t>1 Quartermaine Lane</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr="INFO LastSavedBy"><w:r><w:t>hollis.q</w:t></w:r></w:fldSimple>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> USERNAME </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Hollis Q.</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>KEEP-3</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`</w:p></w:body></w:document>`,
			[]string{"Hollis", "hquartermaine", "Quartermaine", "HQ<", "fs01", "hollis"},
			[]string{`<w:r><w:rPr><w:b/></w:rPr><w:t>Author</w:t></w:r><w:r><w:t xml:space="preserve"></w:t></w:r>`,
				"KEEP-between", `<w:t>Brief-HQ.dotm</w:t>`, `<w:t>plan.docx</w:t>`, `<w:fldSimple w:instr=" DOCPROPERTY  Department "><w:r><w:t></w:t></w:r></w:fldSimple>`,
				`<w:t>A</w:t>`, `<w:fldSimple w:instr="USERADDRESS"><w:r><w:t></w:t></w:r>`, `<w:fldSimple w:instr="INFO LastSavedBy"><w:r><w:t>Author</w:t>`,
				`<w:t>Author</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/>`, "KEEP-3"}},
		{"field results that show when the document was saved, created, printed, edited and last computed DATE or TIME go; locked DATE and TIME stay", "word/document.xml",
			`<w:document ` + w + `><w:body><w:p>` +
				`<w:fldSimple w:instr=" SAVEDATE \@ &quot;d MMMM yyyy HH:mm&quot; "><w:r><w:t>14 March 2024 23:47</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr="CREATEDATE"><w:r><w:t>3/2/2024 6:05 AM</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr=" INFO PrintDate "><w:r><w:t>15.03.2024 02:11</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr=" info savedate "><w:r><w:t>16.03.2024 03:12</w:t></w:r></w:fldSimple>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PRINTDATE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>3/17/2024</w:t></w:r><w:r><w:t xml:space="preserve"> 1:30 AM</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> EDITTIME </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>4321</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`<w:fldSimple w:instr="INFO CreateDate"><w:r><w:t>4/2/2024</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr="INFO EditTime"><w:r><w:t>8765</w:t></w:r></w:fldSimple>` +
				`<w:fldSimple w:instr=" DATE \@ &quot;yyyy-MM-dd&quot; "><w:r><w:t>2024-05-01</w:t></w:r></w:fldSimple>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> TIME </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>06:42</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> DATE \@ "dd MMMM yyyy </w:instrText></w:r><w:r><w:instrText xml:space="preserve">HH:mm" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>02 May</w:t></w:r><w:r><w:t xml:space="preserve"> 2024 05:17</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`<w:fldSimple w:instr=" DATE " w:fldLock="1"><w:r><w:t>KEEP-2024-05-03</w:t></w:r></w:fldSimple>` +
				`<w:r><w:fldChar w:fldCharType="begin" w:fldLock="true"/></w:r><w:r><w:instrText xml:space="preserve"> TIME </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>KEEP-10:00</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`</w:p></w:body></w:document>`,
			[]string{"2024 23:47", "6:05", "02:11", "03:12", "3/17/2024", "1:30", "4321", "4/2/2024", "8765", "2024-05-01", "06:42", "02 May", "05:17"},
			[]string{`<w:fldSimple w:instr=" SAVEDATE \@ &quot;d MMMM yyyy HH:mm&quot; "><w:r><w:t></w:t></w:r></w:fldSimple>`,
				`<w:fldSimple w:instr="CREATEDATE"><w:r><w:t></w:t></w:r></w:fldSimple>`,
				`<w:r><w:rPr><w:b/></w:rPr><w:t></w:t></w:r><w:r><w:t xml:space="preserve"></w:t></w:r>`,
				`<w:fldSimple w:instr=" DATE \@ &quot;yyyy-MM-dd&quot; "><w:r><w:t></w:t></w:r></w:fldSimple>`,
				"KEEP-2024-05-03", "KEEP-10:00"}},
		{"a nested field between the pieces of an instruction stays in place", "word/document.xml",
			`<w:document ` + w + `><w:body><w:p>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "C:\\Users\\hquartermaine\\Pictures\\</w:instrText></w:r>` +
				`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> MERGEFIELD Photo </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>KEEP-merged</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`<w:r><w:instrText>.jpg" \d </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>KEEP-shown</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
				`</w:p></w:body></w:document>`,
			[]string{"hquartermaine", "Pictures"},
			[]string{`<w:instrText xml:space="preserve"> INCLUDEPICTURE "</w:instrText></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> MERGEFIELD Photo </w:instrText>`,
				`<w:t>KEEP-merged</w:t>`, `<w:instrText>.jpg" \d </w:instrText>`, "KEEP-shown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := makeZip(t,
				zipMember{name: "[Content_Types].xml", data: `<Types xmlns="` + nsTypes + `"/>`},
				zipMember{name: tt.part, data: tt.data})
			out, err := OOXML(in, 1<<20, keepAll)
			if err != nil {
				t.Fatal(err)
			}
			got := string(members(t, out)[tt.part])
			for _, s := range tt.gone {
				if strings.Contains(got, s) {
					t.Errorf("%q survives", s)
				}
			}
			for _, s := range tt.kept {
				if !strings.Contains(got, s) {
					t.Errorf("%q lost", s)
				}
			}
			if t.Failed() {
				t.Logf("cleaned %s:\n%s", tt.part, got)
			}
		})
	}
}

// A VML part that is not XML (Excel writes bare <br> tags into its form
// controls' and comments' text) still loses its pictures' made-up names,
// and the workbook is not refused for it.
func TestVMLNotXML(t *testing.T) {
	vml := `<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">` +
		`<v:shape id="CH"><v:imagedata o:relid="rId1" o:title="IMG_4032"/></v:shape>` +
		`<v:shape id="_x0000_s1025"><v:textbox><div>first line<br>second line</div></v:textbox></v:shape></xml>`
	got := string(vmlTitles([]byte(vml)))
	if strings.Contains(got, "IMG_4032") || !strings.Contains(got, `o:title="file"`) || !strings.Contains(got, "first line<br>second line") {
		t.Errorf("got %s", got)
	}
	if _, err := edit([]byte(vml), func([]name, *elem) {}, nil); err == nil {
		t.Fatal("the test's VML parses as XML: it tests nothing")
	}
}
