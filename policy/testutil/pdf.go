package testutil

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"math/rand/v2"
	"strings"
)

// SynthPDF builds a valid PDF of about size bytes, for the tests of the
// PDF cleaner and of the content stage's cost: pages whose Flate content
// streams draw a marker, each with a Flate image of noise, an Info
// dictionary and catalog XMP naming an author.
func SynthPDF(size int) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(body string, stream []byte) int {
		offs = append(offs, b.Len())
		n := len(offs)
		if stream == nil {
			fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
		} else {
			fmt.Fprintf(&b, "%d 0 obj\n<<%s/Length %d>>\nstream\n", n, body, len(stream))
			b.Write(stream)
			b.WriteString("\nendstream\nendobj\n")
		}
		return n
	}
	deflate := func(p []byte) []byte {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(p)
		w.Close()
		return z.Bytes()
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj("<</Type/Catalog/Pages 2 0 R/Metadata 3 0 R>>", nil)
	obj("", nil) // the page tree, written last
	obj("/Type/Metadata/Subtype/XML", []byte("<x:xmpmeta><dc:creator>Synthia Authorsson</dc:creator></x:xmpmeta>"))
	font := obj("<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>", nil)
	info := obj("<</Author(Synthia Authorsson)/Producer(synth)>>", nil)
	rng := rand.New(rand.NewPCG(1, 2))
	var kids []string
	for i := 0; b.Len() < size || i == 0; i++ {
		noise := make([]byte, 96*96*3)
		for j := range noise {
			noise[j] = byte(rng.Uint32())
		}
		img := obj("/Type/XObject/Subtype/Image/Width 96/Height 96/ColorSpace/DeviceRGB/BitsPerComponent 8/Filter/FlateDecode", deflate(noise))
		content := obj("/Filter/FlateDecode", deflate([]byte(fmt.Sprintf(
			"BT /F1 12 Tf 72 720 Td (KEEP-SYNTH-page %d) Tj ET q 96 0 0 96 72 500 cm /Im1 Do Q", i))))
		page := obj(fmt.Sprintf("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents %d 0 R/Resources<</Font<</F1 %d 0 R>>/XObject<</Im1 %d 0 R>>>>/PieceInfo<</X<</Private(Synthia)>>>>>>", content, font, img), nil)
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
	}
	pages := b.Len()
	fmt.Fprintf(&b, "2 0 obj\n<</Type/Pages/Count %d/Kids[%s]>>\nendobj\n", len(kids), strings.Join(kids, " "))
	offs[1] = pages
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R/Info %d 0 R/ID[<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>]>>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, info, xref)
	return b.Bytes()
}
