package image

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"testing/iotest"
)

// samples are one picture of each type with metadata to remove.
func samples(t *testing.T) map[string][]byte {
	return map[string][]byte{
		"image/jpeg":    withMetadata(encodeJPEG(t, testPicture(300, 200)), cameraTIFF(binary.LittleEndian, 6)),
		"image/pjpeg":   readTestdata(t, "progressive.jpg"),
		"image/png":     pngWithMetadata(encodePNG(t, testPicture(300, 200)), 8),
		"image/gif":     gifWithMetadata(t),
		"image/webp":    readTestdata(t, "alpha.webp"),
		"image/svg+xml": []byte(inkscapeWithPhoto(t)),
	}
}

// TestReaders checks that the output does not depend on how the input
// arrives: one byte at a time, in halves, or with EOF on the last data.
func TestReaders(t *testing.T) {
	for mt, in := range samples(t) {
		var want bytes.Buffer
		if ok, err := Clean(mt, &want, bytes.NewReader(in)); !ok || err != nil {
			t.Fatalf("%s: %v %v", mt, ok, err)
		}
		for name, r := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(bytes.NewReader(in)),
			"half":     iotest.HalfReader(bytes.NewReader(in)),
			"data+EOF": iotest.DataErrReader(bytes.NewReader(in)),
		} {
			var got bytes.Buffer
			if _, err := Clean(mt, &got, r); err != nil {
				t.Errorf("%s, %s reader: %v", mt, name, err)
			} else if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s, %s reader: different output", mt, name)
			}
		}
	}
}

func TestCleanTypes(t *testing.T) {
	for _, mt := range []string{"image/heic", "image/heif", "image/tiff", "image/bmp", "image/avif", "image/x-icon", "image/JPEG", "text/plain", ""} {
		in := []byte("\xff\xd8 not read")
		r := bytes.NewReader(in)
		var out bytes.Buffer
		ok, err := Clean(mt, &out, r)
		if ok || err != nil || out.Len() != 0 || r.Len() != len(in) {
			t.Errorf("Clean(%q) = %v, %v, wrote %d, read %d", mt, ok, err, out.Len(), len(in)-r.Len())
		}
	}
}

// TestJPEGLongScan checks entropy-coded data longer than the read buffer
// without a single 0xFF byte in it.
func TestJPEGLongScan(t *testing.T) {
	pic := encodeJPEG(t, testPicture(16, 16))
	_, _, sos := jpegSegments(t, pic)
	n := int(binary.BigEndian.Uint16(pic[sos+2:]))
	in := append([]byte(nil), pic[:sos+2+n]...)
	in = append(in, bytes.Repeat([]byte{0x5A}, 100<<10)...)
	in = append(in, 0xFF, 0x00, 0xFF, 0xD3, 0x11, 0xFF, 0xFF, 0xD9)
	var out bytes.Buffer
	if err := JPEG(&out, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	// The fill byte before EOI goes; everything else is copied.
	want := append(in[:len(in)-3:len(in)-3], 0xFF, 0xD9)
	if !bytes.Equal(out.Bytes(), want) {
		t.Error("scan data changed")
	}
}
