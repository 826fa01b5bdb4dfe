package office

import (
	"os"
	"strings"
	"testing"
)

// TestOOXMLPackages: whole packages, where a part's relationships and its
// content type go with it or a rule reaches across parts.
func TestOOXMLPackages(t *testing.T) {
	tests := []struct {
		name    string
		members []zipMember
		dropped []string          // parts that must be gone
		gone    []string          // text that must not survive anywhere
		kept    map[string]string // part → text it must still hold
	}{
		{"PowerPoint co-authoring change log dropped with its relationship and content type",
			[]zipMember{
				{name: "[Content_Types].xml", data: `<Types xmlns="` + nsTypes + `"><Override PartName="/ppt/presentation.xml" ContentType="p"/><Override PartName="/ppt/changesInfos/changesInfo1.xml" ContentType="application/vnd.ms-powerpoint.changesinfo+xml"/></Types>`},
				{name: "ppt/presentation.xml", data: `<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`},
				{name: "ppt/_rels/presentation.xml.rels", data: relsHead + `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide1.xml"/><Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2015/10/relationships/changesInfo" Target="changesInfos/changesInfo1.xml"/></Relationships>`},
				{name: "ppt/changesInfos/changesInfo1.xml", data: `<pc:chgInfo xmlns:pc="http://schemas.microsoft.com/office/powerpoint/2013/main/command"><pc:docChgLst><pc:chgData name="Hollis Quartermaine" userId="S::hollis.q@corp.example::6f1c" providerId="AD" clId="Web-{1}" dt="2024-03-05T10:11:12.345"/></pc:docChgLst></pc:chgInfo>`},
				{name: "ppt/changesInfos/_rels/changesInfo1.xml.rels", data: relsHead + `<Relationship Id="rId1" Type="t/x" Target="../slides/slide1.xml"/></Relationships>`},
				{name: "ppt/slides/slide1.xml", data: `<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`},
			},
			[]string{"ppt/changesInfos/changesInfo1.xml", "ppt/changesInfos/_rels/changesInfo1.xml.rels"},
			[]string{"Hollis", "hollis.q", "changesInfo"},
			map[string]string{"ppt/_rels/presentation.xml.rels": `Target="slides/slide1.xml"`, "[Content_Types].xml": `/ppt/presentation.xml`}},
		{"relative links out of the document's folder keep their file name; package parts and web links stay",
			[]zipMember{
				{name: "[Content_Types].xml", data: `<Types xmlns="` + nsTypes + `"/>`},
				{name: "word/document.xml", data: `<w:document xmlns:w="` + nsW + `"/>`},
				{name: "word/media/image1.png", data: "png"},
				{name: "media/image2.png", data: "png"},
				{name: "word/_rels/document.xml.rels", data: relsHead +
					`<Relationship Id="rId1" Type="t/hyperlink" Target="../../../home/hquartermaine/Private/plan-abs.odt" TargetMode="External"/>` +
					`<Relationship Id="rId2" Type="t/hyperlink" Target="..\..\hquartermaine\Desktop\plan.docx" TargetMode="External"/>` +
					`<Relationship Id="rId3" Type="t/image" Target="media/image1.png"/>` +
					`<Relationship Id="rId4" Type="t/image" Target="../media/image2.png"/>` +
					`<Relationship Id="rId5" Type="t/hyperlink" Target="https://example.com/KEEP/../web.html" TargetMode="External"/>` +
					`<Relationship Id="rId6" Type="t/hyperlink" Target="KEEP-same-folder.docx" TargetMode="External"/></Relationships>`},
			},
			nil,
			[]string{"hquartermaine", "Private", "Desktop", "home"},
			map[string]string{"word/_rels/document.xml.rels": `Target="plan-abs.odt" TargetMode="External"/>` +
				`<Relationship Id="rId2" Type="t/hyperlink" Target="plan.docx" TargetMode="External"/>` +
				`<Relationship Id="rId3" Type="t/image" Target="media/image1.png"/>` +
				`<Relationship Id="rId4" Type="t/image" Target="../media/image2.png"/>` +
				`<Relationship Id="rId5" Type="t/hyperlink" Target="https://example.com/KEEP/../web.html" TargetMode="External"/>` +
				`<Relationship Id="rId6" Type="t/hyperlink" Target="KEEP-same-folder.docx" TargetMode="External"/>`}},
		{"percent-encoded local targets keep their file name: escaped separators count as separators",
			[]zipMember{
				{name: "[Content_Types].xml", data: `<Types xmlns="` + nsTypes + `"/>`},
				{name: "word/document.xml", data: `<w:document xmlns:w="` + nsW + `"/>`},
				{name: "word/_rels/document.xml.rels", data: relsHead +
					`<Relationship Id="rId1" Type="t/hyperlink" Target="file:///C:/Users/Hollis%20Quartermaine/Desktop/plan%20one.docx" TargetMode="External"/>` +
					`<Relationship Id="rId2" Type="t/hyperlink" Target="file:///C:%5CUsers%5Chquartermaine%5CDesktop%5Cplan-two.docx" TargetMode="External"/>` +
					`<Relationship Id="rId3" Type="t/hyperlink" Target="..%2F..%2Fhquartermaine%2FPrivate%2Fplan-three.docx" TargetMode="External"/>` +
					`<Relationship Id="rId4" Type="t/image" Target="file:///C:%5cUsers%5cHollis%20Quartermaine%5cPictures%5cIMG_4032.JPG" TargetMode="External"/>` +
					`<Relationship Id="rId5" Type="t/hyperlink" Target="file:///C:/Users/Hollis%20Quartermaine%2F" TargetMode="External"/>` +
					`<Relationship Id="rId6" Type="t/hyperlink" Target="https://example.com/KEEP%2Fweb.html" TargetMode="External"/></Relationships>`},
			},
			nil,
			[]string{"hquartermaine", "Hollis", "Quartermaine", "Private", "Desktop", "Users", "Pictures"},
			map[string]string{"word/_rels/document.xml.rels": `Target="plan%20one.docx" TargetMode="External"/>` +
				`<Relationship Id="rId2" Type="t/hyperlink" Target="plan-two.docx" TargetMode="External"/>` +
				`<Relationship Id="rId3" Type="t/hyperlink" Target="plan-three.docx" TargetMode="External"/>` +
				`<Relationship Id="rId4" Type="t/image" Target="IMG_4032.JPG" TargetMode="External"/>` +
				`<Relationship Id="rId5" Type="t/hyperlink" Target="link" TargetMode="External"/>` +
				`<Relationship Id="rId6" Type="t/hyperlink" Target="https://example.com/KEEP%2Fweb.html" TargetMode="External"/>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := OOXML(makeZip(t, tt.members...), 1<<20, keepAll)
			if err != nil {
				t.Fatal(err)
			}
			m := members(t, out)
			for _, p := range tt.dropped {
				if _, ok := m[p]; ok {
					t.Errorf("%s kept", p)
				}
			}
			for p, b := range m {
				for _, s := range tt.gone {
					if strings.Contains(string(b), s) {
						t.Errorf("%q survives in %s", s, p)
					}
				}
			}
			for p, s := range tt.kept {
				if !strings.Contains(string(m[p]), s) {
					t.Errorf("%q lost from %s:\n%s", s, p, m[p])
				}
			}
		})
	}
}

// TestLocalPath: what counts as a path on the author's machine or network.
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]bool{
		`file:///C:/Users/alice/plan.docx`:      true,
		`C:\Users\alice\plan.docx`:              true,
		`c:/plan.docx`:                          true,
		`\\srv\share\plan.docx`:                 true,
		`../../../home/alice/Private/plan.odt`:  true,
		`..\..\alice\Desktop\plan.docx`:         true,
		`..`:                                    true,
		`sub/../../plan.docx`:                   true,
		`..plan.docx`:                           false,
		`plan..docx`:                            false,
		`media/image1.png`:                      false,
		`https://example.com/a/../b.html`:       false,
		`mailto:alice@example.com?subject=../x`: false,
		`#bookmark`:                             false,
		`plan.docx`:                             false,
		`..%2F..%2Fhquartermaine%2Fplan.docx`:   true,
		`..%5C..%5Chquartermaine%5Cplan.docx`:   true,
		`C%3A%5CUsers%5Chquartermaine%5Cx.docx`: true,
		`%5C%5Cfs01%5Chome$%5Cx.docx`:           true,
		`https://example.com/a%2F..%2Fb`:        false,
		`My%20plan.docx`:                        false,
		`100%.docx`:                             false,
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestOOXMLFieldPaths cleans testdata/field-paths.docx, which LibreOffice
// 7.4 wrote from the document testdata/field-paths.py makes: a hyperlink
// climbing out of the document's folder, one LibreOffice turned into a
// relative "../../C:/Users/..." path, a FILENAME \p field showing the
// path it was converted in, and a DOCPROPERTY field showing a custom
// property (docProps/custom.xml is dropped). The links keep their file
// names, the path its last element, the property's value goes; the
// cleaned document still opens in LibreOffice with its text.
func TestOOXMLFieldPaths(t *testing.T) {
	in, err := os.ReadFile("testdata/field-paths.docx")
	if err != nil {
		t.Fatal(err)
	}
	out, err := OOXML(in, 0, keepAll)
	if err != nil {
		t.Fatal(err)
	}
	m := members(t, out)
	all := strings.ToLower(deepText(out, 0))
	for _, s := range []string{"hquartermaine", "hollis", "lo-gen", "/tmp", "private", "desktop"} {
		if strings.Contains(all, s) {
			t.Errorf("%q survives", s)
		}
	}
	for part, s := range map[string]string{
		"word/_rels/document.xml.rels": `Target="plan-abs.odt" TargetMode="External"`,
		"word/document.xml":            `<w:t>field-paths.fodt</w:t>`,
	} {
		if !strings.Contains(string(m[part]), s) {
			t.Errorf("%s lacks %s", part, s)
		}
	}
	if !strings.Contains(string(m["word/_rels/document.xml.rels"]), `Target="plan-HQ.docx" TargetMode="External"`) {
		t.Errorf("the file link lost its name")
	}
	markers := []string{"KEEP-relative", "KEEP-file", "KEEP-after-author", "KEEP-after-path", "KEEP-after-property"}
	runInterop(t, []interopDoc{{name: "field-paths.docx", app: "writer", data: out, markers: markers}})
}
