package pdf

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"fmt"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"leak/policy/testutil"
	"leak/relay/content/refusal"
	address "leak/relay/content/text"
)

// synth is testutil.SynthPDF: a valid PDF of about size bytes whose
// author, private page data and marker text the tests look for.
func synth(size int) []byte { return testutil.SynthPDF(size) }

func TestSynth(t *testing.T) {
	in := synth(64 << 10)
	out, err := Clean(in, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	view := deepView(out)
	if contains(view, "Authorsson") || contains(view, "Synthia") {
		t.Error("author survived")
	}
	if !contains(view, "KEEP-SYNTH-page 0") {
		t.Error("page text lost")
	}
	// The output is itself a PDF this package can clean.
	if _, err := Clean(out, 1<<20); err != nil {
		t.Errorf("cleaning the output again: %v", err)
	}
	qpdfCheck(t, in, out)
}

func kind(err error) refusal.Kind {
	if r, ok := refusal.As(err); ok {
		return r.Kind
	}
	return 0
}

func TestRefusals(t *testing.T) {
	good := synth(1)
	deep := []byte("%PDF-1.4\n1 0 obj\n<</Type/Catalog/X " + strings.Repeat("[", 3<<20) + ">>\nendobj\n")
	for _, c := range []struct {
		name string
		data []byte
		max  int64
		want refusal.Kind
	}{
		{"too large", good, int64(len(good)) - 1, refusal.TooLarge},
		{"empty", nil, 1 << 20, refusal.Malformed},
		{"header only", []byte("%PDF-1.7\n"), 1 << 20, refusal.Malformed},
		{"not a PDF", []byte("<html><body>hello</body></html>"), 1 << 20, refusal.Malformed},
		{"truncated", good[:len(good)/3], 1 << 20, refusal.Malformed},
		{"nested three million deep", deep, 16 << 20, refusal.Malformed},
		{"deflate bomb", bomb(), 16 << 20, refusal.Malformed},
		{"a million tiny objects", objects(1 << 20), 64 << 20, refusal.Malformed},
		{"a million stray stream keywords", []byte("%PDF-1.4\n1 0 obj\n" + strings.Repeat("stream\n", 1<<20)), 16 << 20, refusal.Malformed},
		{"xref stream /Index of two billion", xrefStream("1", "[1 4 2]", "/Index[0 2000000000]"), 1 << 20, refusal.Malformed},
		{"xref stream /Size of two billion", xrefStream("1", "[1 4 2]", "/Size 2000000000"), 1 << 20, refusal.Malformed},
		{"xref stream escaped /Index", xrefStream("1", "[1 4 2]", "/In#64ex %c\n[0 %c\n 2000000000]"), 1 << 20, refusal.Malformed},
		{"xref stream without widths", xrefStream("1", "[0 0 0]", ""), 1 << 20, refusal.Malformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := Clean(c.data, c.max)
			if kind(err) != c.want {
				t.Fatalf("Clean = %d bytes, %v; want a %v refusal", len(out), err, c.want)
			}
			if strings.Contains(err.Error(), "pdfcpu") {
				t.Errorf("refusal text names the parser: %v", err)
			}
		})
	}
}

// objects is a PDF of n tiny objects and no cross-reference table.
func objects(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n")
	for i := 3; i < n; i++ {
		fmt.Fprintf(&b, "%d 0 obj\n%d\nendobj\n", i, i)
	}
	return b.Bytes()
}

// bomb is a PDF whose one stream inflates past maxInflated.
func bomb() []byte {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zero := make([]byte, 1<<20)
	for i := 0; i < maxInflated>>20+1; i++ {
		w.Write(zero)
	}
	w.Close()
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n")
	fmt.Fprintf(&b, "2 0 obj\n<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>\nstream\n", z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	return b.Bytes()
}

// xrefStream is a PDF 1.5 file whose catalog sits in an object stream of
// n objects, found through a cross-reference stream with widths w and the
// extra dictionary entries extra.
func xrefStream(n, w, extra string) []byte {
	deflate := func(p []byte) []byte {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(p)
		zw.Close()
		return z.Bytes()
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n")
	o2 := b.Len()
	b.WriteString("2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n")
	o3 := b.Len()
	objs := deflate([]byte("1 0 <</Type/Catalog/Pages 2 0 R>>"))
	fmt.Fprintf(&b, "3 0 obj<</Type/ObjStm/N %s/First 4/Filter/FlateDecode/Length %d>>stream\n%s\nendstream endobj\n", n, len(objs), objs)
	o4 := b.Len()
	rows := deflate([]byte{
		0, 0, 0, 0, 0, 255, 255,
		2, 0, 0, 0, 3, 0, 0,
		1, 0, 0, byte(o2 >> 8), byte(o2), 0, 0,
		1, 0, 0, byte(o3 >> 8), byte(o3), 0, 0,
		1, 0, 0, byte(o4 >> 8), byte(o4), 0, 0,
	})
	size := "/Size 5"
	if strings.Contains(extra, "Size") {
		size = ""
	}
	fmt.Fprintf(&b, "4 0 obj<</Type/XRef/W%s%s%s/Root 1 0 R/Filter/FlateDecode/Length %d>>stream\n%s\nendstream endobj\nstartxref\n%d\n%%%%EOF\n", w, size, extra, len(rows), rows, o4)
	return b.Bytes()
}

func TestObjectStream(t *testing.T) {
	var in, out []byte
	// qpdf rightly refuses the input with /N 99999999, so it checks the
	// output of the first.
	for _, n := range []string{"99999999", "1"} {
		var err error
		in = xrefStream(n, "[1 4 2]", "")
		if out, err = Clean(in, 1<<20); err != nil {
			t.Fatalf("/N %s: %v", n, err)
		}
		if !bytes.Contains(out, []byte("/Type /Catalog")) || bytes.Contains(out, []byte("ObjStm")) {
			t.Errorf("/N %s: catalog not unpacked from its object stream:\n%s", n, out)
		}
	}
	qpdfCheck(t, in, out)
}

func TestFewObjects(t *testing.T) {
	for _, c := range []struct {
		extra string
		want  bool
	}{
		{"", true},
		{"/Index[0 5]", true},
		{"/Index[0 2000000000]", false},
		{"/In#64ex %c\n[0 %c\n 2000000000]", false},
		{"/Index[0 200000 300000 200000]", false},
		{"/Size 2000000000", false},
		{"/Sizes 2000000000", true},
	} {
		if got := fewObjects(xrefStream("1", "[1 4 2]", c.extra)); got != c.want {
			t.Errorf("fewObjects(%q) = %v, want %v", c.extra, got, c.want)
		}
	}
}

func TestCleanJPEG(t *testing.T) {
	in := taggedJPEG(t)
	out, err := cleanJPEG(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"vreeswijk", "CAMSN778899", "iMac27", "JaneCOM"} {
		if contains(out, s) {
			t.Errorf("%q survived", s)
		}
	}
	if !bytes.Contains(out, adobe) {
		t.Error("APP14 lost")
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil || img.Bounds().Dx() != 16 {
		t.Fatalf("cleaned JPEG does not decode: %v", err)
	}
	// Some producers leave out the end-of-image marker.
	if _, err := cleanJPEG(bytes.TrimSuffix(gray(t), eoi)); err != nil {
		t.Errorf("JPEG without EOI: %v", err)
	}
	for _, bad := range [][]byte{nil, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, []byte("not a jpeg")} {
		if _, err := cleanJPEG(bad); kind(err) != refusal.Malformed {
			t.Errorf("cleanJPEG(%q) = %v, want a malformed refusal", bad, err)
		}
	}
}

func TestBlankICC(t *testing.T) {
	p := iccProfile()
	n := len(p)
	if !blankICC(p) {
		t.Fatal("not recognised as a profile")
	}
	if len(p) != n || string(p[36:40]) != "acsp" {
		t.Error("structure changed")
	}
	if !bytes.Equal(p[84:100], make([]byte, 16)) {
		t.Error("profile ID kept")
	}
	for _, s := range []string{"iMac27", "Jane Corp", "JaneMaker"} {
		if contains(p, s) {
			t.Errorf("%q survived", s)
		}
	}
	if !bytes.Contains(p, []byte("XYZ ")) {
		t.Error("colour tag lost")
	}
	for _, bad := range [][]byte{nil, []byte("not a profile"), iccProfile()[:140]} {
		blankICC(bad) // must not panic
	}
}

func TestCleanJPX(t *testing.T) {
	out, err := cleanJPX(jp2())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"JaneXMLBox", "JaneJPXAuthor", "JaneCOM", "iMac27"} {
		if contains(out, s) {
			t.Errorf("%q survived", s)
		}
	}
	for _, s := range []string{"ihdr", "colr", "jp2c", "KEEP-SIZ", "KEEP-tile"} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("%q lost", s)
		}
	}
	// The rewritten boxes still parse, and their lengths add up.
	if err := boxes(out, func(string, []byte) error { return nil }); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]byte{nil, []byte("not jpeg 2000"), jp2()[:30], {0xFF, 0x4F, 0xFF, 0x51, 0xFF}} {
		if _, err := cleanJPX(bad); kind(err) != refusal.Malformed {
			t.Errorf("cleanJPX(%q) = %v, want a malformed refusal", bad, err)
		}
	}
}

// TestConcurrent cleans the corpus from several goroutines at once; run it
// with -race.
func TestConcurrent(t *testing.T) {
	var inputs [][]byte
	for _, e := range loadCorpus(t) {
		inputs = append(inputs, attachments(t, e.File)...)
	}
	inputs = append(inputs, synth(256<<10))
	want := make([]refusal.Kind, len(inputs))
	for i, in := range inputs {
		_, err := Clean(in, 64<<20)
		want[i] = kind(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, in := range inputs {
				if _, err := Clean(in, 64<<20); kind(err) != want[i] {
					t.Errorf("input %d: %v, want %v", i, err, want[i])
				}
			}
		}()
	}
	wg.Wait()
}

// TestSilent checks that cleaning, refusing and recovering print nothing:
// pdfcpu can log parts of the document.
func TestSilent(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	for _, e := range loadCorpus(t) {
		for _, in := range attachments(t, e.File) {
			Clean(in, 64<<20)
			Clean(in[:len(in)/2], 64<<20)
		}
	}
	os.Stdout, os.Stderr = stdout, stderr
	w.Close()
	if b, _ := io.ReadAll(r); len(b) > 0 {
		t.Errorf("Clean printed %q", b)
	}
}

// FuzzClean: the seeds run with every go test; fuzz for a bounded time with
//
//	go test -run '^$' -fuzz FuzzClean -fuzztime 120s ./relay/content/pdf/
func FuzzClean(f *testing.F) {
	for _, e := range loadCorpus(f) {
		for _, in := range attachments(f, e.File) {
			f.Add(in)
		}
	}
	f.Add(synth(1))
	f.Add([]byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj trailer<</Root 1 0 R>>"))
	addresses, _ := filepath.Glob("testdata/address/*-alice.pdf")
	for _, name := range addresses {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// With the text scan, as the anonymizer runs it.
		out, err := CleanText(data, 1<<20, address.NewAddressWriter([]string{"alice@sender.example"}))
		if err != nil {
			if _, ok := refusal.As(err); !ok {
				t.Fatalf("error is not a refusal: %v", err)
			}
			return
		}
		if n := bytes.Count(out, []byte("%%EOF")); n < 1 {
			t.Fatal("output has no end-of-file marker")
		}
		if err := cleanAgain(out); err != nil {
			t.Fatalf("cleaning the output again: %v", err)
		}
	})
}

// cleanAgain cleans out, a cleaned file, text scan included, as CleanText
// does but without its recover: a panic in the rewrite or the scan, which
// CleanText would answer as a malformed file, fails the fuzzer. (Comparing
// CleanText's answer with Clean's cannot tell it: pdfcpu reads some broken
// files differently from one run to the next.)
func cleanAgain(out []byte) error {
	if err := screen(out); err != nil {
		return err
	}
	ctx, err := read(out)
	if err != nil {
		return err
	}
	text := bufio.NewWriter(io.Discard)
	w, err := rewrite(ctx, text)
	if err != nil {
		return err
	}
	pageText(ctx, w.num, text)
	return nil
}

// BenchmarkClean cleans synth's documents (a picture and a line of text a
// page) with and without the text scan ("+text", as the anonymizer runs
// it), and a document of text alone: 100 pages of 50 kerned lines.
func BenchmarkClean(b *testing.B) {
	docs := []struct {
		name string
		in   []byte
	}{{"1MiB", synth(1 << 20)}, {"10MiB", synth(10 << 20)}, {"text-100p", textPDF(100)}}
	for _, d := range docs {
		for _, scan := range []bool{false, true} {
			name := d.name
			if scan {
				name += "+text"
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(d.in)))
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if scan {
						_, err = CleanText(d.in, 64<<20, address.NewAddressWriter([]string{"alice@sender.example"}))
					} else {
						_, err = Clean(d.in, 64<<20)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// textPDF is a document of pages pages of text in a font with a ToUnicode
// CMap, each line a TJ array kerned as LibreOffice writes it.
func textPDF(pages int) []byte {
	cmap := "1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <20> <7E> <0020> endbfrange"
	objs := []string{"<</Type/Catalog/Pages 2 0 R>>", "",
		"<</Type/Font/Subtype/TrueType/BaseFont/ABCDEF+Serif/ToUnicode 4 0 R>>", deflated("", cmap)}
	var kids []string
	line := "[(Lor)-2(em ip)3(sum do)-1(lor sit a)2(met, con)-3(sec)1(te)-2(tur a)2(di)-1(pis)3(cing e)-2(lit, sed do)] TJ\n"
	for range pages {
		var c strings.Builder
		for l := range 50 {
			fmt.Fprintf(&c, "BT 56.8 %d Td /F1 12 Tf ", 770-14*l)
			c.WriteString(line + "ET\n")
		}
		kids = append(kids, fmt.Sprintf("%d 0 R", len(objs)+1))
		objs = append(objs, fmt.Sprintf("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents %d 0 R>>", len(objs)+2),
			deflated("", c.String()))
	}
	objs[1] = fmt.Sprintf("<</Type/Pages/Count %d/Kids[%s]>>", pages, strings.Join(kids, " "))
	return file(objs)
}

func deflated(dict, data string) string {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write([]byte(data))
	w.Close()
	return fmt.Sprintf("<<%s/Filter/FlateDecode/Length %d>>\nstream\n%s\nendstream", dict, z.Len(), z.Bytes())
}

// Brackets inside a stream's data are not nesting: a picture's ASCII85 or
// DCT data can hold thousands more "[" than "]" (ReportLab's photos did),
// and the parser never reads them as objects.
func TestBracketsInStreamData(t *testing.T) {
	data := bytes.Repeat([]byte("[[[["), 5000) // 20,000 unbalanced brackets
	var b bytes.Buffer
	var offs []int
	obj := func(s string) { offs = append(offs, b.Len()); b.WriteString(s) }
	b.WriteString("%PDF-1.4\n")
	obj("1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n")
	obj("2 0 obj\n<</Type/Pages/Count 1/Kids[3 0 R]>>\nendobj\n")
	obj("3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im1 4 0 R>>>>/Contents 5 0 R>>\nendobj\n")
	obj(fmt.Sprintf("4 0 obj\n<</Type/XObject/Subtype/Image/Width 100/Height 200/ColorSpace/DeviceGray/BitsPerComponent 8/Length %d>>\nstream\n%s\nendstream\nendobj\n", len(data), data))
	content := "q 100 0 0 200 72 500 cm /Im1 Do Q BT /F1 12 Tf (KEEP-brackets) Tj ET"
	obj(fmt.Sprintf("5 0 obj\n<</Length %d>>\nstream\n%s\nendstream\nendobj\n", len(content), content))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	out, err := Clean(b.Bytes(), 1<<20)
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	if !bytes.Contains(out, []byte("KEEP-brackets")) || !bytes.Contains(out, data) {
		t.Error("the page or the picture's data was lost")
	}
}
