package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	goimage "image"
	"image/color"
	"image/jpeg"
	"os"
	"testing"

	"leak/relay/content/refusal"
)

// jpegSegments lists the markers and payloads of a JPEG up to its first
// SOS, and the offset where that SOS begins.
func jpegSegments(t *testing.T, b []byte) (markers []byte, payloads [][]byte, sos int) {
	t.Helper()
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Fatalf("no SOI")
	}
	for p := 2; p+4 <= len(b); {
		if b[p] != 0xFF {
			t.Fatalf("no marker at %d", p)
		}
		m := b[p+1]
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		markers = append(markers, m)
		payloads = append(payloads, b[p+4:p+2+n])
		if m == 0xDA {
			return markers, payloads, p
		}
		p += 2 + n
	}
	t.Fatalf("no SOS")
	return
}

// restartJPEG builds a real baseline JPEG with a restart interval: Go's
// encoder has none, but the entropy-coded data of each 8-line strip of a
// grey picture, encoded on its own, is exactly one restart interval (DC
// predictors start from zero, the last byte is padded with ones).
func restartJPEG(t *testing.T, strips int) []byte {
	const w = 32
	var out bytes.Buffer
	out.Write([]byte{0xFF, 0xD8})
	for i := 0; i < strips; i++ {
		m := goimage.NewGray(goimage.Rect(0, 0, w, 8))
		for y := 0; y < 8; y++ {
			for x := 0; x < w; x++ {
				m.SetGray(x, y, color.Gray{uint8((x*37 + (y+8*i)*11) % 256)})
			}
		}
		enc := encodeJPEG(t, m)
		markers, payloads, sos := jpegSegments(t, enc)
		if i == 0 {
			for k, mk := range markers {
				p := payloads[k]
				if mk == 0xC0 {
					p = append([]byte(nil), p...)
					binary.BigEndian.PutUint16(p[1:], uint16(8*strips))
				}
				if mk == 0xDA {
					out.Write(jpegSegment(0xDD, []byte{0, w / 8}))
				}
				out.Write(jpegSegment(mk, p))
			}
		} else {
			out.Write([]byte{0xFF, 0xD0 + byte((i-1)%8)})
		}
		n := int(binary.BigEndian.Uint16(enc[sos+2:]))
		out.Write(enc[sos+2+n : len(enc)-2])
	}
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJPEG(t *testing.T) {
	pic := encodeJPEG(t, testPicture(64, 48))
	tests := []struct {
		name        string
		in          []byte
		orientation int
	}{
		{"upright big-endian", withMetadata(pic, cameraTIFF(binary.BigEndian, 1)), 1},
		{"orientation 6 little-endian", withMetadata(pic, cameraTIFF(binary.LittleEndian, 6)), 6},
		{"orientation 8 big-endian", withMetadata(pic, cameraTIFF(binary.BigEndian, 8)), 8},
		{"orientation out of range", withMetadata(pic, cameraTIFF(binary.BigEndian, 9)), 1},
		{"restart markers", withMetadata(restartJPEG(t, 12), cameraTIFF(binary.LittleEndian, 3)), 3},
		{"progressive from libjpeg", readTestdata(t, "progressive.jpg"), 6},
		{"CMYK with Adobe APP14", readTestdata(t, "cmyk.jpg"), 6},
		{"no metadata", pic, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := JPEG(&out, bytes.NewReader(tt.in)); err != nil {
				t.Fatal(err)
			}
			b := out.Bytes()
			checkNoSecrets(t, b)
			if !bytes.HasSuffix(b, []byte{0xFF, 0xD9}) {
				t.Error("output does not end with EOI")
			}
			markers, payloads, sos := jpegSegments(t, b)
			exif := 0
			for i, m := range markers {
				switch {
				case m == 0xE0:
					if p := payloads[i]; len(p) != 14 || p[12] != 0 || p[13] != 0 {
						t.Errorf("JFIF segment kept a thumbnail: % x", p)
					}
				case m == 0xE1:
					exif++
					want := append([]byte("Exif\x00\x00"), orientationTIFF(tt.orientation)...)
					if !bytes.Equal(payloads[i], want) {
						t.Errorf("EXIF segment is % x, want % x", payloads[i], want)
					}
				case m == 0xEE:
					if !bytes.HasPrefix(payloads[i], []byte("Adobe")) {
						t.Error("APP14 that is not Adobe's kept")
					}
				case m >= 0xE1 && m <= 0xEF, m == 0xFE:
					t.Errorf("segment %#x kept", m)
				}
			}
			if want := b2i(tt.orientation != 1); exif != want {
				t.Errorf("%d EXIF segments, want %d", exif, want)
			}
			if got := exifOrientationOf(t, b); got != tt.orientation {
				t.Errorf("orientation %d, want %d", got, tt.orientation)
			}
			// Scans and entropy-coded data are copied byte for byte.
			if !bytes.Contains(tt.in, b[sos:]) {
				t.Error("scan data changed")
			}
			want, err := jpeg.Decode(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("output does not decode: %v", err)
			}
			samePixels(t, want, got)
			var again bytes.Buffer
			if err := JPEG(&again, bytes.NewReader(b)); err != nil || !bytes.Equal(again.Bytes(), b) {
				t.Errorf("cleaning the output again changed it (err %v)", err)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// exifOrientationOf returns the Orientation of the first EXIF segment of a
// JPEG, 1 if there is none.
func exifOrientationOf(t *testing.T, b []byte) int {
	markers, payloads, _ := jpegSegments(t, b)
	for i, m := range markers {
		if m == 0xE1 && bytes.HasPrefix(payloads[i], []byte("Exif\x00\x00")) {
			return exifOrientation(payloads[i][6:])
		}
	}
	return 1
}

func TestJPEGRefusals(t *testing.T) {
	pic := encodeJPEG(t, testPicture(32, 32))
	_, _, sos := jpegSegments(t, pic)
	tests := []struct {
		name string
		in   []byte
		kind refusal.Kind
	}{
		{"empty", nil, refusal.Malformed},
		{"not a JPEG", []byte("GIF89a and some more bytes"), refusal.Malformed},
		{"SOI only", pic[:2], refusal.Malformed},
		{"truncated in a segment", pic[:30], refusal.Malformed},
		{"truncated in the scan", pic[:len(pic)-40], refusal.Malformed},
		{"no EOI", pic[:len(pic)-2], refusal.Malformed},
		{"EOI before any scan", []byte{0xFF, 0xD8, 0xFF, 0xD9}, refusal.Malformed},
		{"scan before frame", append([]byte{0xFF, 0xD8}, pic[sos:]...), refusal.Malformed},
		{"garbage between segments", append([]byte{0xFF, 0xD8, 0x00, 0x01}, pic[2:]...), refusal.Malformed},
		{"segment length below 2", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01}, refusal.Malformed},
		{"JPEG-LS", []byte{0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0}, refusal.Unsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := JPEG(&bytes.Buffer{}, bytes.NewReader(tt.in))
			r, ok := refusal.As(err)
			if !ok || r.Kind != tt.kind {
				t.Fatalf("err = %v, want a %v refusal", err, tt.kind)
			}
		})
	}
}

// failingWriter fails after accepting n bytes.
type failingWriter struct{ n int }

var errDisk = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errDisk
	}
	w.n -= len(p)
	return len(p), nil
}

// failingReader returns its bytes, then an error that is not EOF.
type failingReader struct{ b []byte }

var errNet = errors.New("connection reset")

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errNet
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestIOErrors checks that every cleaner passes its reader's and writer's
// errors through, not as refusals.
func TestIOErrors(t *testing.T) {
	inputs := map[string][]byte{
		"image/jpeg":    withMetadata(encodeJPEG(t, testPicture(64, 48)), cameraTIFF(binary.BigEndian, 6)),
		"image/png":     pngWithMetadata(encodePNG(t, testPicture(64, 48)), 6),
		"image/gif":     gifWithMetadata(t),
		"image/webp":    readTestdata(t, "alpha.webp"),
		"image/svg+xml": []byte(inkscapeWithPhoto(t)),
	}
	for mt, in := range inputs {
		var full bytes.Buffer
		if _, err := Clean(mt, &full, bytes.NewReader(in)); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 10, 100, full.Len() - 1} {
			_, err := Clean(mt, &failingWriter{n: n}, bytes.NewReader(in))
			if !errors.Is(err, errDisk) {
				t.Errorf("%s, writer failing after %d bytes: err = %v", mt, n, err)
			}
			if _, ok := refusal.As(err); ok {
				t.Errorf("%s: a write error became a refusal", mt)
			}
		}
		for _, n := range []int{0, 20, len(in) / 2} {
			_, err := Clean(mt, &bytes.Buffer{}, &failingReader{b: in[:n]})
			if !errors.Is(err, errNet) {
				t.Errorf("%s, reader failing after %d bytes: err = %v", mt, n, err)
			}
		}
	}
}
