package office

import (
	"strings"
	"testing"
)

func TestEdit(t *testing.T) {
	const w = `xmlns:q="` + nsW + `"`
	tests := []struct {
		name, in, want string
	}{
		{"prefixes kept, rsid and date removed",
			`<?xml version="1.0"?>` + "\n" + `<q:document ` + w + `><q:p q:rsidR="00A1" q:x="1"><q:ins q:id="1" q:author="Jo &amp; Co" q:date="2026-01-01T00:00:00Z"/></q:p></q:document>`,
			`<?xml version="1.0"?>` + "\n" + `<q:document ` + w + `><q:p q:x="1"><q:ins q:id="1" q:author="Author"/></q:p></q:document>`},
		{"default namespace resolves",
			`<document xmlns="` + nsW + `"><p rsidR="1"/></document>`,
			`<document xmlns="` + nsW + `"><p rsidR="1"/></document>`},
		{"element dropped with content",
			`<w:settings xmlns:w="` + nsW + `"><w:rsids><w:rsid w:val="1"/><w:rsid w:val="2"></w:rsid></w:rsids><w:zoom/></w:settings>`,
			`<w:settings xmlns:w="` + nsW + `"><w:zoom/></w:settings>`},
		{"self-closing dropped",
			`<w:settings xmlns:w="` + nsW + `"><w:attachedTemplate r:id="rId1"/><w:zoom/></w:settings>`,
			`<w:settings xmlns:w="` + nsW + `"><w:zoom/></w:settings>`},
		{"other namespace with the same prefix untouched",
			`<w:p xmlns:w="urn:other" w:rsidR="1" w:author="x"/>`,
			`<w:p xmlns:w="urn:other" w:rsidR="1" w:author="x"/>`},
		{"bom kept",
			"\xEF\xBB\xBF" + `<w:p xmlns:w="` + nsW + `" w:rsidR="1">a&lt;b` + "\n" + `</w:p>`,
			"\xEF\xBB\xBF" + `<w:p xmlns:w="` + nsW + `">a&lt;b` + "\n" + `</w:p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := edit([]byte(tt.in), wordRule, nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestEditText(t *testing.T) {
	in := `<office:annotation xmlns:office="` + nsOffice + `" xmlns:dc="` + nsDC + `"><dc:creator>Jo <![CDATA[x]]></dc:creator><dc:date>2026</dc:date><text:p xmlns:text="` + nsText + `">keep
me</text:p></office:annotation>`
	got, err := edit([]byte(in), odfContentRule, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `<office:annotation xmlns:office="` + nsOffice + `" xmlns:dc="` + nsDC + `"><dc:creator>Author</dc:creator><dc:date>1980-01-01T00:00:00</dc:date><text:p xmlns:text="` + nsText + `">keep
me</text:p></office:annotation>`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEditMalformed(t *testing.T) {
	for _, in := range []string{`<a>`, `<a></b></a>`, `<a>&bogus;</a>`, `</a>`, `<a x="1" x="2"/>`} {
		if _, err := edit([]byte(in), func([]name, *elem) {}, nil); err == nil && !strings.Contains(in, `x="1"`) {
			t.Errorf("edit(%q) accepted", in)
		}
	}
}

func TestODFLocalLinks(t *testing.T) {
	in := `<text:p xmlns:text="` + nsText + `" xmlns:xlink="` + nsXLink + `"><text:a xlink:href="file:///home/jbloggs/x.odt">a</text:a><text:a xlink:href="https://example.com/KEEP">b</text:a><draw:image xlink:href="Pictures/1.png"/></text:p>`
	got, err := edit([]byte(in), odfContentRule, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(got); strings.Contains(s, "jbloggs") || !strings.Contains(s, `"../x.odt"`) || !strings.Contains(s, "https://example.com/KEEP") || !strings.Contains(s, `"Pictures/1.png"`) {
		t.Errorf("got %s", got)
	}
}

// Links written with escaped separators, as a URL may spell a Windows
// path, keep their last element as plain ones do.
func TestODFEscapedLinks(t *testing.T) {
	in := `<text:p xmlns:text="` + nsText + `" xmlns:xlink="` + nsXLink + `"><text:a xlink:href="file:///C:%5CUsers%5Chquartermaine%5Cplan-a.odt">a</text:a><text:a xlink:href="..%2F..%2F..%2Fhome%2Fhquartermaine%2Fplan-b.odt">b</text:a><text:a xlink:href="https://example.com/KEEP%2Fc">c</text:a></text:p>`
	got, err := edit([]byte(in), odfContentRule, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	if strings.Contains(s, "hquartermaine") || strings.Contains(s, "Users") {
		t.Errorf("the path survives: %s", s)
	}
	for _, k := range []string{`"../plan-a.odt"`, `"../plan-b.odt"`, `"https://example.com/KEEP%2Fc"`} {
		if !strings.Contains(s, k) {
			t.Errorf("no %s: %s", k, s)
		}
	}
}

// A signature line, as LibreOffice writes it (xmloff's
// ImpExportSignatureLine): the address goes, what the picture shows stays.
func TestODFSignatureLine(t *testing.T) {
	in := `<draw:frame xmlns:draw="` + nsDraw + `" xmlns:loext="` + nsLOExt + `" draw:name="Signature Line 1"><loext:signatureline loext:id="{6E5B7C2A}" loext:suggested-signer-name="Jo Bloggs" loext:suggested-signer-title="Buyer" loext:suggested-signer-email="jo@bloggs.example" loext:show-sign-date="true" loext:can-add-comment="false"/></draw:frame>`
	got, err := edit([]byte(in), odfContentRule, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	if strings.Contains(s, "jo@bloggs") || strings.Contains(s, "suggested-signer-email") {
		t.Errorf("the address survives: %s", s)
	}
	for _, k := range []string{`loext:suggested-signer-name="Jo Bloggs"`, `loext:suggested-signer-title="Buyer"`, `loext:show-sign-date="true"`} {
		if !strings.Contains(s, k) {
			t.Errorf("%s lost: %s", k, s)
		}
	}
}

// A picture's name, title and description, as LibreOffice writes a Word
// picture's into an .odt: the made-up name becomes plain, the path its last
// element; names and descriptions the author wrote stay.
func TestODFPictureNames(t *testing.T) {
	ns := ` xmlns:draw="` + nsDraw + `" xmlns:svg="` + nsSVG + `"`
	for _, c := range []struct{ in, want string }{
		{`<draw:frame` + ns + ` draw:name="IMG_5127.JPG"><draw:image/><svg:title>IMG_5127</svg:title><svg:desc>C:\Users\tbergstrom\Pictures\IMG_5127.JPG</svg:desc></draw:frame>`,
			`<draw:frame` + ns + ` draw:name="photo.jpg"><draw:image/><svg:title>file</svg:title><svg:desc>photo.jpg</svg:desc></draw:frame>`},
		{`<draw:frame` + ns + ` draw:name="Image1"><svg:title>Floor plan</svg:title><svg:desc>The north wall, before the repair</svg:desc></draw:frame>`,
			`<draw:frame` + ns + ` draw:name="Image1"><svg:title>Floor plan</svg:title><svg:desc>The north wall, before the repair</svg:desc></draw:frame>`},
		{`<draw:custom-shape` + ns + ` draw:name="/home/tb/Screenshot 2026-12-05 at 10.14.22.png"/>`,
			`<draw:custom-shape` + ns + ` draw:name="screenshot.png"/>`},
	} {
		got, err := edit([]byte(c.in), odfContentRule, odfPictureText)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("got\n%s\nwant\n%s", got, c.want)
		}
	}
}

// LibreOffice's revision-session ids, in settings and on the automatic
// styles of content and styles, go; the styles' formatting stays.
func TestODFRsid(t *testing.T) {
	const ns = `xmlns:office="` + nsOffice + `" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:officeooo="` + nsOfficeOOo + `" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"`
	const styles = `<style:style style:name="P1" style:family="paragraph"><style:paragraph-properties fo:margin-top="0cm" officeooo:paragraph-rsid="000b8872"/><style:text-properties fo:font-weight="bold" officeooo:rsid="000b8872" officeooo:paragraph-rsid="000b8872"/></style:style>`
	in := makeZip(t,
		zipMember{name: "mimetype", data: "application/vnd.oasis.opendocument.text"},
		zipMember{name: "content.xml", data: `<office:document-content ` + ns + `><office:automatic-styles>` + styles + `</office:automatic-styles><office:body><text:p xmlns:text="` + nsText + `" text:style-name="P1">KEEP-text</text:p></office:body></office:document-content>`},
		zipMember{name: "styles.xml", data: `<office:document-styles ` + ns + `><office:styles>` + styles + `</office:styles></office:document-styles>`},
		zipMember{name: "settings.xml", data: `<office:document-settings xmlns:office="` + nsOffice + `" xmlns:config="` + nsConfig + `"><office:settings><config:config-item-set config:name="ooo:configuration-settings"><config:config-item config:name="Rsid" config:type="int">755698</config:config-item><config:config-item config:name="RsidRoot" config:type="int">755698</config:config-item><config:config-item config:name="KEEP-setting" config:type="boolean">true</config:config-item></config:config-item-set></office:settings></office:document-settings>`},
		zipMember{name: "META-INF/manifest.xml", data: `<manifest:manifest xmlns:manifest="` + nsManifest + `"/>`},
	)
	out, err := ODF(in, 1<<20, keepAll)
	if err != nil {
		t.Fatal(err)
	}
	m := members(t, out)
	for part, kept := range map[string][]string{
		"content.xml":  {`<style:paragraph-properties fo:margin-top="0cm"/><style:text-properties fo:font-weight="bold"/>`, "KEEP-text"},
		"styles.xml":   {`<style:paragraph-properties fo:margin-top="0cm"/><style:text-properties fo:font-weight="bold"/>`},
		"settings.xml": {`config:name="KEEP-setting"`},
	} {
		got := string(m[part])
		for _, s := range []string{"000b8872", "755698", "rsid", "Rsid"} {
			if strings.Contains(got, s) {
				t.Errorf("%s: %q survives", part, s)
			}
		}
		for _, s := range kept {
			if !strings.Contains(got, s) {
				t.Errorf("%s: %q lost:\n%s", part, s, got)
			}
		}
	}
}
