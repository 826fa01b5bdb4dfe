package image

import (
	"bytes"
	"encoding/binary"
	goimage "image"
	"image/color"
	"image/png"
	"testing"

	"leak/relay/content/refusal"
)

// pngChunks lists the chunk types and data of a PNG.
func pngChunks(t *testing.T, b []byte) (types []string, data [][]byte) {
	t.Helper()
	if !bytes.HasPrefix(b, pngSignature) {
		t.Fatal("no PNG signature")
	}
	for p := 8; p < len(b); {
		if p+12 > len(b) {
			t.Fatalf("short chunk at %d", p)
		}
		n := int(binary.BigEndian.Uint32(b[p:]))
		types = append(types, string(b[p+4:p+8]))
		data = append(data, b[p+8:p+8+n])
		p += 12 + n
	}
	return types, data
}

// apng builds a real two-frame APNG (APNG 1.0) from two Go-encoded PNGs of
// the same size: the first frame's IDAT is the default image, the second
// frame's IDAT data becomes fdAT.
func apng(t *testing.T) []byte {
	a := encodePNG(t, testPicture(40, 30))
	bm := testPicture(40, 30)
	for i := range bm.Pix {
		bm.Pix[i] ^= 0x5A
	}
	b := encodePNG(t, bm)
	ta, da := pngChunks(t, a)
	tb, db := pngChunks(t, b)
	fctl := func(seq uint32) []byte {
		p := binary.BigEndian.AppendUint32(nil, seq)
		p = binary.BigEndian.AppendUint32(p, 40)
		p = binary.BigEndian.AppendUint32(p, 30)
		p = append(p, make([]byte, 8)...)
		return append(p, 0, 1, 0, 10, 0, 0) // delay 1/10 s, no dispose, source blend
	}
	out := append([]byte(nil), pngSignature...)
	seq := uint32(0)
	for i, typ := range ta {
		switch typ {
		case "IHDR":
			out = append(out, pngChunk(typ, da[i])...)
			out = append(out, pngChunk("acTL", []byte{0, 0, 0, 2, 0, 0, 0, 0})...)
			out = append(out, pngChunk("tEXt", []byte("Author\x00Henrietta Vossberg"))...)
			out = append(out, pngChunk("fcTL", fctl(seq))...)
			seq++
		case "IDAT":
			out = append(out, pngChunk(typ, da[i])...)
		}
	}
	out = append(out, pngChunk("fcTL", fctl(seq))...)
	seq++
	for i, typ := range tb {
		if typ == "IDAT" {
			out = append(out, pngChunk("fdAT", append(binary.BigEndian.AppendUint32(nil, seq), db[i]...))...)
			seq++
		}
	}
	return append(out, pngChunk("IEND", nil)...)
}

func TestPNG(t *testing.T) {
	pal := goimage.NewPaletted(goimage.Rect(0, 0, 20, 20), color.Palette{
		color.NRGBA{0, 0, 0, 0}, color.NRGBA{200, 10, 10, 255}, color.NRGBA{10, 10, 200, 128},
	})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	tests := []struct {
		name        string
		in          []byte
		orientation int
		keep        []string // chunk types the output must have
	}{
		{"Photoshop upright", pngWithMetadata(encodePNG(t, testPicture(64, 48)), 1), 1, []string{"gAMA", "pHYs"}},
		{"orientation 6", pngWithMetadata(encodePNG(t, testPicture(64, 48)), 6), 6, []string{"eXIf"}},
		{"orientation 8", pngWithMetadata(encodePNG(t, testPicture(48, 64)), 8), 8, []string{"eXIf"}},
		{"palette with transparency", pngWithMetadata(encodePNG(t, pal), 1), 1, []string{"PLTE", "tRNS"}},
		{"APNG", apng(t), 1, []string{"acTL", "fcTL", "fdAT"}},
		{"no metadata", encodePNG(t, testPicture(8, 8)), 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := PNG(&out, bytes.NewReader(tt.in)); err != nil {
				t.Fatal(err)
			}
			b := out.Bytes()
			checkNoSecrets(t, b)
			types, data := pngChunks(t, b)
			if types[0] != "IHDR" || types[len(types)-1] != "IEND" {
				t.Errorf("chunks %v", types)
			}
			have := map[string]bool{}
			for i, typ := range types {
				have[typ] = true
				switch typ {
				case "tEXt", "zTXt", "iTXt", "tIME", "iCCP", "prVt":
					t.Errorf("chunk %s kept", typ)
				case "eXIf":
					if !bytes.Equal(data[i], orientationTIFF(tt.orientation)) {
						t.Errorf("eXIf is % x", data[i])
					}
				}
			}
			for _, k := range tt.keep {
				if !have[k] {
					t.Errorf("chunk %s dropped", k)
				}
			}
			if have["eXIf"] != (tt.orientation != 1) {
				t.Errorf("eXIf present %v, orientation %d", have["eXIf"], tt.orientation)
			}
			want, err := png.Decode(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("output does not decode: %v", err)
			}
			samePixels(t, want, got)
			var again bytes.Buffer
			if err := PNG(&again, bytes.NewReader(b)); err != nil || !bytes.Equal(again.Bytes(), b) {
				t.Errorf("cleaning the output again changed it (err %v)", err)
			}
		})
	}
}

func TestPNGRefusals(t *testing.T) {
	p := encodePNG(t, testPicture(16, 16))
	badCRC := append([]byte(nil), p...)
	badCRC[45] ^= 1 // inside IDAT's data
	cgbi := append(append(append([]byte(nil), pngSignature...), pngChunk("CgBI", []byte{0x50, 0, 0x20, 6})...), p[8:]...)
	tests := []struct {
		name string
		in   []byte
		kind refusal.Kind
	}{
		{"empty", nil, refusal.Malformed},
		{"bad signature", append([]byte("\x89PNG\n\r\x1a\n"), p[8:]...), refusal.Malformed},
		{"bad CRC", badCRC, refusal.Malformed},
		{"truncated", p[:len(p)-20], refusal.Malformed},
		{"no IEND", p[:len(p)-12], refusal.Malformed},
		{"IHDR not first", append(append(append([]byte(nil), pngSignature...), pngChunk("gAMA", []byte{0, 0, 0xB1, 0x8F})...), p[8:]...), refusal.Malformed},
		{"bad chunk type", append(append(append([]byte(nil), p[:33]...), pngChunk("t3Xt", nil)...), p[33:]...), refusal.Malformed},
		{"IEND without IDAT", append(append([]byte(nil), p[:33]...), pngChunk("IEND", nil)...), refusal.Malformed},
		{"Apple CgBI", cgbi, refusal.Malformed}, // CgBI before IHDR
		{"unknown critical chunk", append(append(append([]byte(nil), p[:33]...), pngChunk("ZZZZ", []byte("x"))...), p[33:]...), refusal.Unsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := PNG(&bytes.Buffer{}, bytes.NewReader(tt.in))
			r, ok := refusal.As(err)
			if !ok || r.Kind != tt.kind {
				t.Fatalf("err = %v, want a %v refusal", err, tt.kind)
			}
		})
	}
}
