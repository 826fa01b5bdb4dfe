package image

import (
	"bytes"
	goimage "image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"testing"

	"leak/relay/content/refusal"
)

// encodeGIF is a real two-frame looping GIF from Go's encoder.
func encodeGIF(t testing.TB) []byte {
	g := &gif.GIF{LoopCount: 0, Config: goimage.Config{ColorModel: color.Palette(palette.Plan9), Width: 30, Height: 20}}
	for f := 0; f < 2; f++ {
		m := goimage.NewPaletted(goimage.Rect(0, 0, 30, 20), palette.Plan9)
		for i := range m.Pix {
			m.Pix[i] = uint8(i*3 + f*50)
		}
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 20)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gifWithMetadata is encodeGIF's picture with, after its global colour
// table, a comment, an XMP application extension (XMP part 3 §1.1.2, with
// its "magic trailer"), an editor's private application extension, an
// unknown extension and a loop extension with bytes in an extra sub-block;
// and junk after the trailer.
func gifWithMetadata(t testing.TB) []byte {
	in := encodeGIF(t)
	start := 13 + 3<<(in[10]&7+1)
	var ext []byte
	ext = append(ext, 0x21, 0xFE, 27)
	ext = append(ext, "drawn by Henrietta Vossberg"...)
	ext = append(ext, 0)
	ext = append(ext, 0x21, 0xFF, 11)
	ext = append(ext, "XMP DataXMP"...)
	ext = append(ext, xmpPacket...)
	ext = append(ext, 1)
	for i := 255; i >= 0; i-- {
		ext = append(ext, byte(i))
	}
	ext = append(ext, 0)
	ext = append(ext, 0x21, 0xFF, 11)
	ext = append(ext, "BRAMBLEWICK"...)
	ext = append(ext, 10)
	ext = append(ext, "hvossberg."...)
	ext = append(ext, 0)
	ext = append(ext, 0x21, 0x77, 4, 'P', 'i', 'x', 'e', 0)
	// A loop extension with bytes stowed in an extra sub-block; Go's own
	// loop extension later in the file wins on decoding.
	ext = append(ext, 0x21, 0xFF, 11)
	ext = append(ext, "NETSCAPE2.0"...)
	ext = append(ext, 3, 1, 5, 0, 9)
	ext = append(ext, "hvossberg"...)
	ext = append(ext, 0)
	out := append(append(append([]byte(nil), in[:start]...), ext...), in[start:]...)
	return append(out, "Pixelcam trailer"...)
}

func TestGIF(t *testing.T) {
	in := gifWithMetadata(t)
	var out bytes.Buffer
	if err := GIF(&out, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	checkNoSecrets(t, b)
	if bytes.Contains(b, []byte("XMP DataXMP")) || bytes.Contains(b, []byte{0x21, 0xFE}) {
		t.Error("XMP or comment extension kept")
	}
	if !bytes.Contains(b, []byte("NETSCAPE2.0")) {
		t.Error("loop count dropped")
	}
	if b[len(b)-1] != 0x3B {
		t.Error("output does not end with the trailer")
	}
	// Go's decoder refuses the unknown extension: decode the picture
	// before the metadata went in.
	want, err := gif.DecodeAll(bytes.NewReader(encodeGIF(t)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := gif.DecodeAll(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	if len(got.Image) != len(want.Image) || got.LoopCount != want.LoopCount {
		t.Fatalf("%d frames loop %d, want %d loop %d", len(got.Image), got.LoopCount, len(want.Image), want.LoopCount)
	}
	for i := range want.Image {
		samePixels(t, want.Image[i], got.Image[i])
		if got.Delay[i] != want.Delay[i] {
			t.Errorf("frame %d delay %d, want %d", i, got.Delay[i], want.Delay[i])
		}
	}
	var again bytes.Buffer
	if err := GIF(&again, bytes.NewReader(b)); err != nil || !bytes.Equal(again.Bytes(), b) {
		t.Errorf("cleaning the output again changed it (err %v)", err)
	}
}

func TestGIFRefusals(t *testing.T) {
	g := gifWithMetadata(t)
	end := bytes.LastIndexByte(g, 0x3B)
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"bad signature", append([]byte("GIF90a"), g[6:]...)},
		{"truncated", g[:len(g)/2]},
		{"no trailer", g[:end]},
		{"no image", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00\x3B")},
		{"unknown block", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00\x99")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := GIF(&bytes.Buffer{}, bytes.NewReader(tt.in))
			r, ok := refusal.As(err)
			if !ok || r.Kind != refusal.Malformed {
				t.Fatalf("err = %v, want a malformed refusal", err)
			}
		})
	}
}
