package image

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/image/webp"

	"leak/relay/content/refusal"
)

type riffChunk struct {
	fourcc string
	data   []byte
}

// webpTop lists the top-level chunks of a WebP file, checking the RIFF size.
func webpTop(t *testing.T, b []byte) []riffChunk {
	t.Helper()
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		t.Fatal("not RIFF WEBP")
	}
	if n := binary.LittleEndian.Uint32(b[4:]); int(n) != len(b)-8 {
		t.Fatalf("RIFF size %d, file has %d", n, len(b)-8)
	}
	var cs []riffChunk
	for p := 12; p < len(b); {
		n := int(binary.LittleEndian.Uint32(b[p+4:]))
		cs = append(cs, riffChunk{string(b[p : p+4]), b[p+8 : p+8+n]})
		p += 8 + n + n&1
	}
	return cs
}

func TestWebP(t *testing.T) {
	for _, name := range []string{"lossy.webp", "alpha.webp", "anim.webp"} {
		t.Run(name, func(t *testing.T) {
			in := readTestdata(t, name)
			var out bytes.Buffer
			if err := WebP(&out, bytes.NewReader(in)); err != nil {
				t.Fatal(err)
			}
			b := out.Bytes()
			checkNoSecrets(t, b)
			want := map[string][]byte{}
			for _, c := range webpTop(t, in) {
				want[c.fourcc] = append(want[c.fourcc], c.data...)
			}
			got := map[string][]byte{}
			for _, c := range webpTop(t, b) {
				got[c.fourcc] = append(got[c.fourcc], c.data...)
				switch c.fourcc {
				case "VP8X":
					if c.data[0]&^0x12 != 0 {
						t.Errorf("VP8X flags %#x", c.data[0])
					}
				case "EXIF", "XMP ", "ICCP":
					t.Errorf("chunk %q kept", c.fourcc)
				}
			}
			for _, k := range []string{"VP8 ", "VP8L", "ALPH", "ANIM", "ANMF"} {
				if !bytes.Equal(got[k], want[k]) {
					t.Errorf("chunk %q changed", k)
				}
			}
			sameWebPPixels(t, in, b)
			var again bytes.Buffer
			if err := WebP(&again, bytes.NewReader(b)); err != nil || !bytes.Equal(again.Bytes(), b) {
				t.Errorf("cleaning the output again changed it (err %v)", err)
			}
		})
	}
}

// sameWebPPixels decodes both files with x/image/webp and, when it is
// installed, libwebp's dwebp, and compares the pixels. Neither decodes
// animations: for those the byte-identical frame chunks checked by the
// callers stand for the pixels.
func sameWebPPixels(t *testing.T, in, out []byte) {
	if bytes.Contains(in[:min(64, len(in))], []byte("ANIM")) {
		return
	}
	want, err := webp.Decode(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := webp.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	samePixels(t, want, got)
	dwebp, err := exec.LookPath("dwebp")
	if err != nil {
		return
	}
	dir := t.TempDir()
	decode := func(name string, b []byte) []byte {
		src := filepath.Join(dir, name+".webp")
		if err := os.WriteFile(src, b, 0o600); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, name+".pam")
		if msg, err := exec.Command(dwebp, "-quiet", "-pam", src, "-o", dst).CombinedOutput(); err != nil {
			t.Fatalf("dwebp %s: %v: %s", name, err, msg)
		}
		p, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if !bytes.Equal(decode("in", in), decode("out", out)) {
		t.Error("pixels differ")
	}
}

func TestWebPFrames(t *testing.T) {
	// An animation frame holding an unknown chunk next to its bitstream,
	// an odd-sized last chunk without its pad byte, and junk after the
	// RIFF data.
	vp8l := []byte{0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00}
	sub := appendChunk(nil, "VP8L", vp8l)
	sub = appendChunk(sub, "PRIV", []byte("Henrietta Vossberg"))
	frame := append(make([]byte, 16), sub...)
	var body []byte
	body = appendChunk(body, "VP8X", []byte{0x02 | 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	body = appendChunk(body, "ANIM", make([]byte, 6))
	body = appendChunk(body, "ANMF", frame)
	body = append(body, "EXIF"...)
	body = binary.LittleEndian.AppendUint32(body, 9)
	body = append(body, "Pixelcam!"...)
	in := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)))...)
	in = append(append(in, "WEBP"...), body...)
	in = append(in, "trailer hvossberg"...)

	var out bytes.Buffer
	if err := WebP(&out, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	checkNoSecrets(t, out.Bytes())
	cs := webpTop(t, out.Bytes())
	if len(cs) != 3 || cs[2].fourcc != "ANMF" {
		t.Fatalf("chunks %v", cs)
	}
	if want := append(make([]byte, 16), appendChunk(nil, "VP8L", vp8l)...); !bytes.Equal(cs[2].data, want) {
		t.Errorf("frame % x, want % x", cs[2].data, want)
	}
	if cs[0].data[0] != 0x02 {
		t.Errorf("VP8X flags %#x", cs[0].data[0])
	}
}

func TestWebPRefusals(t *testing.T) {
	in := readTestdata(t, "lossy.webp")
	big := []byte("RIFF\xff\xff\xff\x7fWEBPANMF")
	big = binary.LittleEndian.AppendUint32(big, MaxWebP+1)
	overrun := append([]byte(nil), in...)
	binary.LittleEndian.PutUint32(overrun[16:], 1<<20)
	tests := []struct {
		name string
		in   []byte
		kind refusal.Kind
	}{
		{"empty", nil, refusal.Malformed},
		{"not RIFF", []byte("RIFX\x04\x00\x00\x00WEBP"), refusal.Malformed},
		{"truncated", in[:len(in)/2], refusal.Malformed},
		{"truncated in the bitstream", in[:100], refusal.Malformed},
		{"RIFF size beyond the data", append([]byte("RIFF\xff\xff\xff\x7fWEBP"), in[12:]...), refusal.Malformed},
		{"chunk overruns", overrun, refusal.Malformed},
		{"no bitstream", []byte("RIFF\x0c\x00\x00\x00WEBPEXIF\x00\x00\x00\x00"), refusal.Malformed},
		{"too large", big, refusal.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WebP(&bytes.Buffer{}, bytes.NewReader(tt.in))
			r, ok := refusal.As(err)
			if !ok || r.Kind != tt.kind {
				t.Fatalf("err = %v, want a %v refusal", err, tt.kind)
			}
		})
	}
}
