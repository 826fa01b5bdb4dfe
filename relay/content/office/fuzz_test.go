package office

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"leak/relay/content/filename"
)

// seedAttachments adds the smaller corpus documents to a fuzz target's
// seeds; the python-docx ones unpack to 800 KB of styles, which slows the
// fuzzer to a few executions a second.
func seedAttachments(f *testing.F, kinds ...string) {
	entries := loadCorpus(f, corpusDir)
	for _, e := range entries {
		for _, a := range attachments(f, filepath.Join(corpusDir, e.File)) {
			k := Kind(a.mediaType, a.filename)
			for _, want := range kinds {
				if k == want && len(a.data) < 20000 {
					f.Add(a.data)
				}
			}
		}
	}
}

// FuzzZip feeds arbitrary bytes to the three archive cleaners: they may
// refuse, never panic, and what they return must open again.
func FuzzZip(f *testing.F) {
	seedAttachments(f, KindOOXML, KindODF, KindZip)
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		member := func(_ string, b []byte) ([]byte, bool, error) { return b, len(b)%7 != 3, nil }
		// Every file of a plain archive renamed alike, in folders made
		// plain: the names must still come out apart.
		zipRenamed := func(d []byte, max int64, m Member) ([]byte, error) {
			return Zip(d, max, m, func(p string) string {
				p = filename.Path(p)
				if strings.HasSuffix(p, "/") {
					return p
				}
				return p[:strings.LastIndexByte(p, '/')+1] + "photo.jpg"
			})
		}
		for _, clean := range []func([]byte, int64, Member) ([]byte, error){OOXML, ODF, zipRenamed} {
			out, err := clean(data, 1<<20, member)
			if err != nil {
				continue
			}
			if _, err := Zip(out, 1<<20, keepAll, nil); err != nil {
				t.Fatalf("cleaned archive does not open again: %v", err)
			}
		}
	})
}

// FuzzRTF: the RTF cleaner never panics, and its output, when it accepts
// the input, is accepted again unchanged.
func FuzzRTF(f *testing.F) {
	seedAttachments(f, KindRTF)
	for _, s := range []string{`{\rtf1 a}`, `{\rtf1{\info{\author x}}\bin2 {}}`, `{\rtf1{\*\revtbl{a;}{b;}}}`,
		`{\rtf1{\sp{\sn wzName}{\sv \uc2 C:\\U\\zo\u235\'eb\'eb\\IMG_4032.JPG}}{\pict{\*\picprop{\sp{\sn pibName}{\sv /a/b\{1\}.png}}}\pngblip 00}}`,
		`{\rtf1{\field{\*\fldinst {\b HYPERLINK "C:\\U\\al}{\uc2 i\u233\'82\'a0\\x.doc" \\l "a"}{\*\datafield 00}}{\fldrslt r}}{\*\hl {\hlsrc \\\\s\\h\\}}}`,
		`{\rtf1{\field{\*\fldinst FILENAME}` + "\r\n" + `{\fldrslt {\b C:\\U\\J\'f6}{\uc2 p\u228\'e4\'e4.doc}}}{\field{\*\fldinst AUTHOR}{\fldrslt a\bin1 }b}}{\field{\*\fldinst SAVEDATE}{\*\x}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		if err := RTF(&out, bytes.NewReader(data)); err != nil {
			return
		}
		var again bytes.Buffer
		if err := RTF(&again, bytes.NewReader(out.Bytes())); err != nil {
			t.Fatalf("cleaned RTF refused: %v", err)
		}
		if !bytes.Equal(out.Bytes(), again.Bytes()) {
			t.Fatalf("cleaning is not idempotent:\n%q\n%q", out.Bytes(), again.Bytes())
		}
	})
}

// FuzzXML drives the XML editor straight, past the zip layer the fuzzer
// rarely gets through: whatever it accepts it must accept again, unchanged
// by a second pass.
func FuzzXML(f *testing.F) {
	for _, s := range []string{
		`<w:p xmlns:w="` + nsW + `" w:rsidR="1"><w:ins w:author="a" w:date="d"/><w:rsids/></w:p>`,
		`<office:annotation xmlns:office="` + nsOffice + `" xmlns:dc="` + nsDC + `"><dc:creator>a</dc:creator></office:annotation>`,
		"\xEF\xBB\xBF<a xmlns=\"u\"><b x='&amp;'/>t&lt;<![CDATA[c]]><!-- c --><?pi x?></a>",
	} {
		f.Add([]byte(s))
	}
	f.Add([]byte(`<draw:frame xmlns:draw="` + nsDraw + `" xmlns:svg="` + nsSVG + `" draw:name="IMG_1.JPG"><svg:desc>C:\a\IMG_1.JPG</svg:desc></draw:frame>`))
	rules := []struct {
		r rule
		t textRule
	}{{wordRule, nil}, {odfContentRule, odfContentText}, {metaRule, nil}, {settingsRule, nil}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range rules {
			out, err := edit(data, r.r, r.t)
			if err != nil {
				continue
			}
			again, err := edit(out, r.r, r.t)
			if err != nil {
				t.Fatalf("edited XML does not parse: %v\n%q", err, out)
			}
			if !bytes.Equal(again, out) {
				t.Fatalf("second pass changes it:\n%q\n%q", out, again)
			}
		}
	})
}

// FuzzPackage puts arbitrary bytes in the parts the OOXML and ODF rules
// edit, inside archives that open, so the rules run on them.
func FuzzPackage(f *testing.F) {
	f.Add([]byte(`<authors><author>tc={1}</author><author>Jo</author></authors><t>Jo: x</t>`))
	f.Add([]byte(relsHead + `<Relationship Id="r" Type="t/x" Target="../a b/%41.xml" TargetMode="External"/></Relationships>`))
	f.Add([]byte(`<personList xmlns="` + nsThreaded + `"><person id="{1}" userId="u"/></personList>`))
	f.Add([]byte(`<worksheet xmlns="` + nsX + `"><sheetData><row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="0">NOW()</f><v>1</v></c>` +
		`<c r="B1"><f t="array" ref="B1:C2">CELL("filename")</f><v>x</v></c></row><row r="2"><c r="A2"><f t="shared" si="0"/><v>2</v></c><c r="C2"><v>3</v></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<workbook xmlns="` + nsX + `"><calcPr calcId="1" fullCalcOnLoad="0"/></workbook>`))
	f.Add([]byte(`<p:sld xmlns:p="p" xmlns:a="` + nsA + `"><a:p><a:fld type="datetime1"><a:t>1/2/2024</a:t></a:fld><a:fld type="slidenum"><a:t>1</a:t></a:fld></a:p></p:sld>`))
	f.Add([]byte(`<table:table xmlns:table="` + nsTable + `" xmlns:text="` + nsText + `" xmlns:office="` + nsOffice + `"><table:table-row table:number-rows-repeated="2">` +
		`<table:table-cell table:formula="of:=TODAY()+{1;2}" table:number-matrix-columns-spanned="2" table:number-matrix-rows-spanned="2" office:value="3"><text:p>3</text:p></table:table-cell>` +
		`<table:table-cell office:value="4"><text:p>4</text:p></table:table-cell></table:table-row></table:table>`))
	f.Add([]byte(`<table:table-cell xmlns:table="` + nsTable + `" table:formula="of:=NOW()"/>`))
	f.Add([]byte(`<presentation:date-time-decl xmlns:presentation="` + nsPresent + `" presentation:source="current-date">1/2/2024</presentation:date-time-decl>`))
	f.Fuzz(func(t *testing.T, part []byte) {
		s := string(part)
		ooxml := makeZip(t,
			zipMember{name: "[Content_Types].xml", data: `<Types xmlns="` + nsTypes + `"/>`},
			zipMember{name: "_rels/.rels", data: s},
			zipMember{name: "word/document.xml", data: s},
			zipMember{name: "word/_rels/document.xml.rels", data: s},
			zipMember{name: "xl/comments1.xml", data: s},
			zipMember{name: "xl/persons/person.xml", data: s},
			zipMember{name: "xl/threadedComments/t.xml", data: s},
			zipMember{name: "docProps/app.xml", data: s},
			zipMember{name: "xl/workbook.xml", data: s},
			zipMember{name: "xl/worksheets/sheet1.xml", data: s},
			zipMember{name: "ppt/slides/slide1.xml", data: s},
		)
		odf := makeZip(t,
			zipMember{name: "mimetype", data: "application/vnd.oasis.opendocument.text"},
			zipMember{name: "content.xml", data: s},
			zipMember{name: "meta.xml", data: s},
			zipMember{name: "settings.xml", data: s},
			zipMember{name: "META-INF/manifest.xml", data: s},
		)
		for _, c := range []struct {
			clean func([]byte, int64, Member) ([]byte, error)
			data  []byte
		}{{OOXML, ooxml}, {ODF, odf}} {
			out, err := c.clean(c.data, 1<<20, keepAll)
			if err != nil {
				continue
			}
			again, err := c.clean(out, 1<<20, keepAll)
			if err != nil {
				t.Fatalf("cleaned package refused: %v", err)
			}
			if !bytes.Equal(again, out) {
				t.Fatalf("second pass changes the package")
			}
		}
	})
}
