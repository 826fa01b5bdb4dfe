package pdf

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	address "leak/relay/content/text"
)

const (
	alice = "alice@sender.example"
	carol = "carol@elsewhere.example"
)

// found reports whether the text CleanText writes for in holds addr as
// the anonymizer looks for it.
func found(t *testing.T, in []byte, addr string) bool {
	t.Helper()
	w := address.NewAddressWriter([]string{addr})
	if _, err := CleanText(in, 1<<20, w); err != nil {
		t.Fatalf("CleanText: %v", err)
	}
	return w.Found()
}

// The PDFs address.py made, LibreOffice's exports and hand-written ones:
// the text of each holds the address it shows or links, the sender's in
// the alice files, another person's in the carol files, whether typed in
// a paragraph, drawn in two portions, kerned letter by letter, by glyph
// names, by two-byte codes, in a form or a field's appearance, or only in
// a link.
func TestTextAddress(t *testing.T) {
	files, err := filepath.Glob("testdata/address/*.pdf")
	if err != nil || len(files) < 16 {
		t.Fatalf("%d test files, %v: run address.py", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			own := strings.HasSuffix(f, "-alice.pdf")
			if got := found(t, in, alice); got != own {
				t.Errorf("sender's address found = %v, want %v", got, own)
			}
			if got := found(t, in, carol); got == own {
				t.Errorf("the other address found = %v, want %v", got, !own)
			}
		})
	}
}

// Writing the text changes nothing in the output but its fresh /ID.
func TestTextSameOutput(t *testing.T) {
	in, err := os.ReadFile("testdata/address/lo-split-alice.pdf")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Clean(in, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	b, err := CleanText(in, 1<<20, &text)
	if err != nil {
		t.Fatal(err)
	}
	id := func(b []byte) []byte { return b[:bytes.LastIndex(b, []byte("/ID"))] }
	if !bytes.Equal(id(a), id(b)) || text.Len() == 0 {
		t.Error("the output differs when the text is written")
	}
}

func TestGlyphText(t *testing.T) {
	for name, want := range map[string]string{
		"at": "@", "period": ".", "hyphen": "-", "underscore": "_", "plus": "+", "a": "a", "Q": "Q",
		"seven": "7", "uni0040": "@", "uni00660069": "fi", "u0040": "@", "u1F600": "😀",
		"a.sc": "a", "f_i": "fi", "at.alt_period": "@", "g123": "", "uniD800": "", "uni004": "", "": "",
	} {
		if got := glyphText(name); got != want {
			t.Errorf("glyphText(%q) = %q, want %q", name, got, want)
		}
	}
}

// A CMap's code space decides how many bytes each code takes; bfchar and
// both forms of bfrange map codes to text; an unmapped code is left out.
func TestCMap(t *testing.T) {
	cmap := `1 begincodespacerange <00> <80> <8140> <9FFC> endcodespacerange
		2 beginbfchar <41> <0040> <8141> /period endbfchar
		2 beginbfrange <61> <7A> <0061> <8150> <8152> [<0061> <00660069> (x)] endbfrange
		1 beginbfrange <0000> <FFFF> <0041> endbfrange`
	f := &font{composite: true}
	entries := 100
	parseCMap(f, []byte(cmap), &entries)
	if len(f.space) != 2 {
		t.Fatalf("code space ranges: %v", f.space)
	}
	got := string(f.decode(nil, []byte("\x41abc\x81\x41\x81\x50\x81\x51\x81\x52\x20\x9f\x00z")))
	if want := "@abc.afiz"; got != want {
		t.Errorf("decoded %q, want %q", got, want)
	}
	// The two-byte range <0000> <FFFF> would add 65,536 entries: the
	// allowance stopped it.
	if entries != 0 || len(f.uni) > 100 {
		t.Errorf("%d entries left, %d mapped", entries, len(f.uni))
	}
}

// Hostile content: a form that draws itself, forms drawing each other
// deeper than maxForms, q without Q, an inline image without EI, an
// unterminated string, a TJ array that never ends. The scan ends, and
// shows what it reached once.
func TestTextHostile(t *testing.T) {
	var objs []string
	objs = append(objs, "<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Count 1/Kids[3 0 R]>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]/Contents 4 0 R/Resources<</XObject<</A 5 0 R/Deep 6 0 R>>>>>>")
	content := "q q q /A Do /Deep Do BT (PAGE-TEXT) Tj [(unclosed) TJ BI /W 1 ID \x00\x01 (x) Tj"
	objs = append(objs, stream("", content))
	objs = append(objs, stream("/Type/XObject/Subtype/Form/BBox[0 0 1 1]/Resources<</XObject<</A 5 0 R>>>>", "BT (SELF) Tj ET /A Do"))
	for i := range 40 {
		objs = append(objs, stream(fmt.Sprintf("/Type/XObject/Subtype/Form/BBox[0 0 1 1]/Resources<</XObject<</N %d 0 R>>>>", 7+i),
			fmt.Sprintf("BT (D%d) Tj ET /N Do", i)))
	}
	objs = append(objs, stream("/Type/XObject/Subtype/Form/BBox[0 0 1 1]", "BT (END) Tj ET (never closed"))
	var text bytes.Buffer
	if _, err := CleanText(file(objs), 1<<20, &text); err != nil {
		t.Fatal(err)
	}
	s := text.String()
	if strings.Count(s, "SELF") != 2 || !strings.Contains(s, "D15\n") || strings.Contains(s, "D16") || !strings.Contains(s, "PAGE-TEXT") || strings.Contains(s, "x\n") {
		t.Errorf("text:\n%s", s)
	}
}

func stream(dict, data string) string {
	return fmt.Sprintf("<<%s/Length %d>>\nstream\n%s\nendstream", dict, len(data), data)
}

// file is a PDF of the objects objs, numbered from 1, the first the
// catalog.
func file(objs []string) []byte {
	var b bytes.Buffer
	var offs []int
	b.WriteString("%PDF-1.7\n")
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// Text strings outside the pages come decoded, one a line: PDFDocEncoding
// (where it is not Latin-1), UTF-16BE, UTF-8 with its mark.
func TestWriteTextString(t *testing.T) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	writeTextString(w, []byte("a\x93b\xe9"))
	writeTextString(w, []byte("\xfe\xff\x00a\x00@\xd8\x3d\xde\x00\x00"))
	writeTextString(w, []byte("\xef\xbb\xbfé"))
	w.Flush()
	if want := "aﬁbé\na@😀\né\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// FuzzText: the content stream and CMap readers on their own, faster than
// through a whole file (FuzzClean runs them there too). A font from the
// CMap, composite or simple, shows what the content does.
//
//	go test -run '^$' -fuzz FuzzText -fuzztime 120s ./relay/content/pdf/
func FuzzText(f *testing.F) {
	f.Add([]byte("1 begincodespacerange <00> <80> <8140> <9FFC> endcodespacerange 1 beginbfchar <41> <0040> endbfchar 1 beginbfrange <8150> <8152> [<0061> /at (x)] endbfrange"),
		[]byte("BT /F1 12 Tf 72 720 Td [(ali)-12(ce)<41>-300(x)] TJ (a) ' 1 2 (b) \" ET q BI /W 1 ID \x00 EI Q /P <</ActualText (alice@x)>> BDC"), true)
	f.Add([]byte("2 beginbfrange <0000> <FFFF> <0041> <00> <01> <D800> endbfrange"), []byte("<0041 00> Tj (\\101\\) \\\n) Tj [( <<"), false)
	f.Fuzz(func(t *testing.T, cmap, content []byte, composite bool) {
		fnt := &font{composite: composite}
		entries := 1 << 12
		parseCMap(fnt, cmap, &entries)
		if entries < 0 {
			t.Fatal("past the allowance")
		}
		var out bytes.Buffer
		s := &pageScan{xt: &model.XRefTable{}, out: bufio.NewWriter(&out), budget: 1 << 20, entries: 1 << 12,
			fonts: map[int]*font{}, seen: map[int]bool{}}
		m := &machine{s: s, font: fnt}
		m.run(content)
		s.flush()
		s.out.Flush()
		// Each code shows at most a CMap destination or a glyph of the
		// encoding, twice; a property list's string is written once.
		if len(s.joined) != 0 || out.Len() > 2*len(content)*(2*len(cmap)+4)+64 {
			t.Fatalf("%d bytes of text from %d of content", out.Len(), len(content))
		}
	})
}
