package image

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"leak/relay/content/refusal"
)

// fuzzClean checks the properties every cleaner must have on any input: no
// panic, an error is a refusal (the reader and writer here never fail),
// and a cleaned image cleans again to the same bytes.
func fuzzClean(t *testing.T, clean func(io.Writer, io.Reader) error, in []byte) {
	var out bytes.Buffer
	err := clean(&out, bytes.NewReader(in))
	if err != nil {
		if _, ok := refusal.As(err); !ok {
			t.Fatalf("error is not a refusal: %v", err)
		}
		return
	}
	var again bytes.Buffer
	if err := clean(&again, bytes.NewReader(out.Bytes())); err != nil {
		t.Fatalf("output refused: %v", err)
	}
	if !bytes.Equal(again.Bytes(), out.Bytes()) {
		t.Fatalf("cleaning the output changed it:\n% x\n% x", out.Bytes(), again.Bytes())
	}
}

func FuzzEMF(f *testing.F) {
	f.Add(readTestdata(f, "drawing.emf"))
	f.Add(withEMFPlus(f, true, emfPlusComment(emfPlusRecord(emfPlusObject, emfPlusContinued|emfPlusObjectImage<<8|1,
		append(u32(40), emfPlusBitmap(1, []byte("\xFF\xD8"))...)))))
	f.Fuzz(func(t *testing.T, in []byte) { fuzzClean(t, EMF, in) })
}

func FuzzWMF(f *testing.F) {
	f.Add(readTestdata(f, "drawing.wmf"))
	f.Add(wmfWith(f, wmfEscapeRecord(0x0015, []byte{2, 0, 0, 0})))
	f.Fuzz(func(t *testing.T, in []byte) { fuzzClean(t, WMF, in) })
}

func FuzzJPEG(f *testing.F) {
	pic := encodeJPEG(f, testPicture(16, 16))
	f.Add(pic)
	f.Add(withMetadata(pic, cameraTIFF(binary.LittleEndian, 6)))
	f.Add(readTestdata(f, "progressive.jpg"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, in []byte) { fuzzClean(t, JPEG, in) })
}

func FuzzPNG(f *testing.F) {
	f.Add(encodePNG(f, testPicture(8, 8)))
	f.Add(pngWithMetadata(encodePNG(f, testPicture(8, 8)), 8))
	f.Fuzz(func(t *testing.T, in []byte) { fuzzClean(t, PNG, in) })
}

func FuzzGIF(f *testing.F) {
	f.Add(gifWithMetadata(f))
	f.Fuzz(func(t *testing.T, in []byte) { fuzzClean(t, GIF, in) })
}

func FuzzWebP(f *testing.F) {
	for _, n := range []string{"lossy.webp", "alpha.webp", "anim.webp"} {
		f.Add(readTestdata(f, n))
	}
	f.Fuzz(func(t *testing.T, in []byte) { fuzzClean(t, WebP, in) })
}

func FuzzSVG(f *testing.F) {
	f.Add([]byte(inkscapeSVG))
	f.Add([]byte(illustratorSVG))
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="/></svg>`))
	f.Fuzz(func(t *testing.T, in []byte) { fuzzClean(t, SVG, in) })
}
