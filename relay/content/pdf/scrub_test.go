package pdf

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"leak/relay/content/refusal"
)

// build writes objects 1…n (object 1 the catalog) into a PDF with a
// classic cross-reference table and an Info dictionary.
func build(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	info := len(objs) + 1
	offs = append(offs, b.Len())
	fmt.Fprintf(&b, "%d 0 obj\n<</Author(Wenceslas Informant)>>\nendobj\n", info)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R/Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, info, xref)
	return b.Bytes()
}

// page is object 3 in the documents of TestScrub: its dictionary entries
// are extra.
func scrubDoc(catalog, page string, more ...string) []byte {
	objs := []string{
		"<</Type/Catalog/Pages 2 0 R" + catalog + ">>",
		"<</Type/Pages/Kids[3 0 R]/Count 1>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]" + page + ">>",
	}
	return build(append(objs, more...)...)
}

func TestScrub(t *testing.T) {
	for _, c := range []struct {
		name       string
		in         []byte
		gone, kept []string
	}{
		{"signature field", scrubDoc("/AcroForm<</Fields[4 0 R]/SigFlags 3>>/Perms<</DocMDP 5 0 R>>/DSS<</Certs[]>>", "/Annots[4 0 R]",
			"<</Type/Annot/Subtype/Widget/FT/Sig/T(Signature1)/Rect[0 0 10 10]/P 3 0 R/V 5 0 R>>",
			"<</Type/Sig/Filter/Adobe.PPKLite/Name(Wenceslas Signer)/M(D:20261101)/ByteRange[0 1 2 3]/Contents<00>>>"),
			[]string{"Wenceslas", "/Perms", "/DSS", "/V ", "ByteRange"}, []string{"(Signature1)", "/FT /Sig"}},
		{"form field value", scrubDoc("/AcroForm<</Fields[4 0 R]>>", "/Annots[4 0 R]",
			"<</Type/Annot/Subtype/Widget/FT/Tx/T(customer)/V(KEEP-value)/M(D:20261101)/Rect[0 0 10 10]/P 3 0 R/AA<</K<</S/JavaScript/JS(AFNumber_Format)>>>>>>"),
			[]string{"/M ", "/AA", "AFNumber"}, []string{"(customer)", "(KEEP-value)"}},
		{"link actions", scrubDoc("/OpenAction<</S/GoTo/D[3 0 R/Fit]>>", "/Annots[4 0 R 5 0 R 6 0 R 7 0 R]",
			"<</Type/Annot/Subtype/Link/Rect[0 0 10 10]/A<</S/URI/URI(https://shop.example/KEEP)>>>>",
			"<</Type/Annot/Subtype/Link/Rect[0 0 10 10]/A<</S/Launch/F(C:\\\\Users\\\\wenceslas\\\\run.exe)>>>>",
			"<</Type/Annot/Subtype/Link/Rect[0 0 10 10]/A<</S/GoToR/F(/home/wenceslas/other.pdf)/D[0/Fit]>>>>",
			"<</Type/Annot/Subtype/Link/Rect[0 0 10 10]/A<</S/URI/URI(https://a.example/)/Next[8 0 R]>>>>",
			"<</S/JavaScript/JS(app.alert\\(1\\))>>"),
			[]string{"wenceslas", "Launch", "GoToR", "JavaScript", "app.alert"}, []string{"https://shop.example/KEEP", "/OpenAction", "/S /GoTo"}},
		{"thumbnails, threads, OPI, web capture", scrubDoc("/Threads[4 0 R]/SpiderInfo<</V 1.0>>", "/Thumb 5 0 R/Resources<</XObject<</Im1 6 0 R>>>>",
			"<</Type/Thread/I<</Title(t)/Author(Wenceslas Threader)>>>>",
			"<</Width 1/Height 1/BitsPerComponent 8/ColorSpace/DeviceGray/Length 1>>\nstream\nW\nendstream",
			"<</Type/XObject/Subtype/Image/Width 1/Height 1/BitsPerComponent 8/ColorSpace/DeviceGray/OPI<</2.0<</F(/Volumes/wenceslas/hires.tif)>>>>/Length 1>>\nstream\nK\nendstream"),
			[]string{"Wenceslas", "/Thumb", "/OPI", "/SpiderInfo"}, []string{"/Threads", "/Type /Thread", "/Im1"}},
		{"links to local files", scrubDoc("/URI<</Base(file:///home/wenceslas/)>>", "/Annots[4 0 R 5 0 R 6 0 R 7 0 R 8 0 R]",
			"<</Type/Annot/Subtype/Link/Rect[0 0 10 10]/A<</S/URI/URI(file:///home/wenceslas/Documents/plan.ods)>>>>",
			"<</Type/Annot/Subtype/Link/Rect[0 0 10 10]/A<</S/URI/URI(FILE:///C:/Users/Wenceslas/a.docx)>>>>",
			"<</Type/Annot/Subtype/Link/Rect[0 0 10 10]/A<</S/URI/URI(C:\\\\Users\\\\wenceslas\\\\b.xlsx)>>>>",
			"<</Type/Annot/Subtype/Link/Rect[0 0 10 10]/A<</S/URI/URI<"+hex.EncodeToString([]byte(`\\\\fileserver\\wenceslas\\c.pdf`))+">>>>>",
			"<</Type/Annot/Subtype/Link/Rect[0 0 10 10]/A<</S/URI/URI(https://shop.example/KEEP/file:x)>>>>"),
			[]string{"wenceslas", "file:///", "/Base"}, []string{"https://shop.example/KEEP/file:x", "/Subtype /Link"}},
		{"structure element text", scrubDoc("/StructTreeRoot 4 0 R/MarkInfo<</Marked true>>", "",
			"<</Type/StructTreeRoot/K[5 0 R 6 0 R 7 0 R]>>",
			"<</Type/StructElem/S/Figure/P 4 0 R/Alt<"+utf16Hex(`C:\Users\wenceslas\Pictures\IMG_4032.JPG`)+">/T(IMG_4032.JPG)>>",
			"<</Type/StructElem/S/Figure/P 4 0 R/Alt(KEEP a red bicycle)/T(KEEP-Title)/E(/home/wenceslas/abbr.txt)/ActualText(KEEP-actual)>>",
			"<</S/Figure/P 4 0 R/Alt(~/wenceslas/Desktop/IMG_4033.JPG)>>"),
			[]string{"wenceslas", "IMG_4032", "IMG_4033", "Pictures"}, []string{"(photo.jpg)", "(KEEP a red bicycle)", "(KEEP-Title)", "(abbr.txt)", "(KEEP-actual)"}},
		{"rich text", scrubDoc("", "/Annots[4 0 R]",
			`<</Type/Annot/Subtype/FreeText/Rect[0 0 10 10]/RC(<?xml version="1.0"?><body xmlns="http://www.w3.org/1999/xhtml" xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/" xfa:APIVersion="Acrobat:23.1.0" xfa:spec="2.0.2"><p>KEEP-rich</p></body>)>>`),
			[]string{"APIVersion", "Acrobat:23"}, []string{"KEEP-rich", `xfa:spec="2.0.2"`}},
		{"language", scrubDoc("/Lang(en-GB)/MarkInfo<</Marked true>>", ""),
			[]string{"/Lang", "en-GB"}, []string{"/MarkInfo"}},
		{"markup annotation", scrubDoc("", "/Annots[4 0 R 5 0 R]",
			"<</Type/Annot/Subtype/FreeText/Rect[0 0 10 10]/T(wenceslas)/NM(wenceslas-1)/CreationDate(D:2026)/M(D:2026)/Contents(KEEP-text)/Popup 5 0 R/IRT 4 0 R>>",
			"<</Type/Annot/Subtype/Popup/Rect[0 0 10 10]/T(wenceslas)/Parent 4 0 R>>"),
			[]string{"wenceslas", "/CreationDate", "/NM", "/M "}, []string{"(KEEP-text)", "/Popup", "/IRT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := Clean(c.in, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			view := string(deepView(out))
			for _, s := range append(c.gone, "Informant", "/Info") {
				if strings.Contains(strings.ToLower(view), strings.ToLower(s)) {
					t.Errorf("%q survived", s)
				}
			}
			for _, s := range c.kept {
				if !strings.Contains(view, s) {
					t.Errorf("%q lost", s)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
			qpdfCheck(t, c.in, out)
		})
	}
}

func TestAttachmentsRefused(t *testing.T) {
	for name, in := range map[string][]byte{
		"name tree": scrubDoc("/Names<</EmbeddedFiles<</Names[(a.txt) 4 0 R]>>>>", "",
			"<</Type/Filespec/F(a.txt)/EF<</F 5 0 R>>>>", "<</Type/EmbeddedFile/Length 1>>\nstream\nx\nendstream"),
		"annotation": scrubDoc("", "/Annots[4 0 R]",
			"<</Type/Annot/Subtype/FileAttachment/Rect[0 0 10 10]/FS<</Type/Filespec/F(a.txt)>>>>"),
		"file stream": scrubDoc("/X 4 0 R", "", "<</Type/EmbeddedFile/Length 1>>\nstream\nx\nendstream"),
	} {
		if _, err := Clean(in, 1<<20); kind(err) != refusal.Unsupported {
			t.Errorf("%s: %v, want an unsupported refusal", name, err)
		}
	}
}

// utf16Hex is s as the hex digits of a UTF-16BE text string with its byte
// order mark (7.9.2.2).
func utf16Hex(s string) string {
	b := []byte{0xFE, 0xFF}
	for _, r := range utf16.Encode([]rune(s)) {
		b = append(b, byte(r>>8), byte(r))
	}
	return hex.EncodeToString(b)
}
