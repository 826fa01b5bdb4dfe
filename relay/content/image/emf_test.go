package image

import (
	"bytes"
	"encoding/binary"
	stdimage "image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"leak/relay/content/refusal"
)

// testdata/drawing.emf is what LibreOffice makes of testdata/drawing.svg:
//
//	soffice --headless --convert-to emf drawing.svg
//
// a dual EMF (GDI records and EMF+ comments) with a text record.

var le = binary.LittleEndian

// emfRecord builds one record of type typ around data, padded to 4 bytes.
func emfRecord(typ uint32, data []byte) []byte {
	data = append(data, make([]byte, (4-len(data)%4)%4)...)
	r := make([]byte, 8, 8+len(data))
	le.PutUint32(r, typ)
	le.PutUint32(r[4:], uint32(8+len(data)))
	return append(r, data...)
}

// emfCommentRecord builds an EMR_COMMENT with the given payload.
func emfCommentRecord(payload []byte) []byte {
	d := make([]byte, 4, 4+len(payload))
	le.PutUint32(d, uint32(len(payload)))
	return emfRecord(emrComment, append(d, payload...))
}

func u32(v uint32) []byte { return le.AppendUint32(nil, v) }

func utf16le(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = le.AppendUint16(b, c)
	}
	return b
}

// emfRecords splits an EMF into its records, up to EOF.
func emfRecords(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var recs [][]byte
	for at := 0; at < len(b); {
		size := int(le.Uint32(b[at+4:]))
		recs = append(recs, b[at:at+size])
		if le.Uint32(b[at:]) == emrEOF {
			break
		}
		at += size
	}
	return recs
}

// windowsEMF makes the LibreOffice picture look as GDI would have
// recorded it on the sender's machine: a 2560 by 1440 display of 677 by
// 381 mm as the reference device, a description naming the program and
// the picture's file, and the comments applications add: a private one,
// an EPS copy (public MULTIFORMATS) and a named group. Bytes follow EOF.
func windowsEMF(t *testing.T) []byte {
	t.Helper()
	recs := emfRecords(t, readTestdata(t, "drawing.emf"))
	h := append([]byte(nil), recs[0]...)
	if len(h) != 108 {
		t.Fatalf("LibreOffice's header is %d bytes, want 108", len(h))
	}
	desc := utf16le("Microsoft Office\x00C:\\Users\\alice.smith\\Pictures\\plan.emf\x00\x00")
	h = append(h, desc...)
	le.PutUint32(h[4:], uint32(len(h)))
	le.PutUint32(h[60:], uint32(len(desc)/2))
	le.PutUint32(h[64:], 108)
	for i, v := range []uint32{2560, 1440, 677, 381, 677333, 381000} {
		at := []int{72, 76, 80, 84, 100, 104}[i]
		le.PutUint32(h[at:], v)
	}
	out := append([]byte(nil), h...)
	out = append(out, emfCommentRecord(append([]byte("MSOF"), "alice.smith@acme.example"...))...)
	out = append(out, emfCommentRecord(bytes.Join([][]byte{u32(commentPublic), u32(0x40000004), []byte("%!PS-Adobe-3.0 EPSF-3.0\n%%For: alice.smith\n")}, nil))...)
	group := bytes.Join([][]byte{u32(commentPublic), u32(publicBeginGroup), make([]byte, 16), u32(12), utf16le("alice's plan")}, nil)
	out = append(out, emfCommentRecord(group)...)
	for _, r := range recs[1 : len(recs)-1] {
		out = append(out, r...)
	}
	out = append(out, emfCommentRecord(bytes.Join([][]byte{u32(commentPublic), u32(publicEndGroup)}, nil))...)
	out = append(out, recs[len(recs)-1]...) // EOF
	out = append(out, "trailing bytes by alice"...)
	le.PutUint32(out[48:], uint32(len(out)))
	return out
}

func cleanEMFBytes(t *testing.T, in []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := EMF(&out, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestEMF(t *testing.T) {
	in := windowsEMF(t)
	out := cleanEMFBytes(t, in)
	for _, s := range []string{"alice", "Microsoft", "%%For", "EPSF", "MSOF"} {
		if bytes.Contains(out, []byte(s)) || bytes.Contains(out, utf16le(s)) {
			t.Errorf("%q survives", s)
		}
	}
	recs := emfRecords(t, out)
	h := recs[0]
	// 320 by 240 mm at the display's density, 2560 px over 677 mm and 1440
	// over 381; the micrometres at the density they gave, 2560 over 677,333.
	for at, want := range map[int]uint32{72: 1210, 76: 907, 80: 320, 84: 240, 100: 320146, 104: 239977, 60: 0} {
		if got := le.Uint32(h[at:]); got != want {
			t.Errorf("header at %d: %d, want %d", at, got, want)
		}
	}
	if got := le.Uint32(h[48:]); got != uint32(len(out)) {
		t.Errorf("header says %d bytes, the picture has %d", got, len(out))
	}
	if got := le.Uint32(h[52:]); got != uint32(len(recs)) {
		t.Errorf("header says %d records, the picture has %d", got, len(recs))
	}
	// Every drawing record and EMF+ comment of LibreOffice's picture is
	// there, in order, unchanged; so are the group's bounds.
	want := emfRecords(t, readTestdata(t, "drawing.emf"))[1:]
	var got [][]byte
	groups := 0
	for _, r := range recs[1:] {
		if le.Uint32(r) == emrComment && le.Uint32(r[12:]) == commentPublic {
			groups++
			continue
		}
		got = append(got, r)
	}
	if groups != 2 {
		t.Errorf("%d group comments kept, want BEGINGROUP and ENDGROUP", groups)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("record %d changed", i)
		}
	}
	if again := cleanEMFBytes(t, out); !bytes.Equal(again, out) {
		t.Errorf("cleaning the cleaned picture changes it")
	}
}

// TestEMFDensity: LibreOffice's own header rounds the millimetres (59 for
// 59.86); each density is kept by its own fields.
func TestEMFDensity(t *testing.T) {
	in := readTestdata(t, "drawing.emf")
	out := cleanEMFBytes(t, in)
	for i := range 2 {
		dev, mm, um := float64(le.Uint32(in[72+4*i:])), float64(le.Uint32(in[80+4*i:])), float64(le.Uint32(in[100+4*i:]))
		dev2, mm2, um2 := float64(le.Uint32(out[72+4*i:])), float64(le.Uint32(out[80+4*i:])), float64(le.Uint32(out[100+4*i:]))
		if r := (dev2 / mm2) / (dev / mm); r < 0.999 || r > 1.001 {
			t.Errorf("axis %d: pixels per mm %.4f, was %.4f", i, dev2/mm2, dev/mm)
		}
		if r := (dev2 / um2) / (dev / um); r < 0.999 || r > 1.001 {
			t.Errorf("axis %d: pixels per µm %.6f, was %.6f", i, dev2/um2, dev/um)
		}
	}
}

func TestEMFRefusals(t *testing.T) {
	good := readTestdata(t, "drawing.emf")
	badSig := append([]byte(nil), good...)
	copy(badSig[40:], "XXXX")
	tooBig := append([]byte(nil), good...)
	le.PutUint32(tooBig[4:], uint32(len(good)+4))
	small := append([]byte(nil), good...)
	le.PutUint32(small[108+4:], 4) // the second record's size
	for name, in := range map[string][]byte{
		"empty":            nil,
		"truncated":        good[:len(good)-20],
		"not EMF":          badSig,
		"record too long":  tooBig,
		"record too short": small,
		"second header":    append(append([]byte(nil), good[:108]...), good...),
	} {
		err := EMF(&bytes.Buffer{}, bytes.NewReader(in))
		if _, ok := refusal.As(err); !ok {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	var big bytes.Buffer
	err := EMF(&big, bytes.NewReader(make([]byte, MaxEMF+1)))
	if r, ok := refusal.As(err); !ok || r.Kind != refusal.TooLarge {
		t.Errorf("too large: %v", err)
	}
}

// TestEMFInterop renders the picture as the sender's Windows recorded it,
// and cleaned, with LibreOffice: the same drawing at the same size, but
// for the anti-aliasing the last pixel's rounding moves. It runs where
// soffice is installed (CI installs it), and LEAK_INTEROP=1 demands it.
func TestEMFInterop(t *testing.T) {
	in := windowsEMF(t)
	// A control: the same picture recorded for another display scales
	// differently, which shows the comparison can fail.
	other := append([]byte(nil), in...)
	le.PutUint32(other[80:], 640)
	r := renderLibreOffice(t, map[string][]byte{"sent.emf": in, "cleaned.emf": cleanEMFBytes(t, in), "other.emf": other})
	sent, cleaned, control := r["sent"], r["cleaned"], r["other"]
	box, n := inkDiff(sent, cleaned)
	t.Logf("cleaned: %d of %d pixels differ", n, box)
	if n > box/50 {
		t.Errorf("cleaned picture renders differently: %d of %d pixels", n, box)
	}
	box, n = inkDiff(sent, control)
	t.Logf("control: %d of %d pixels differ", n, box)
	if n <= box/50 {
		t.Errorf("the control renders like the original (%d of %d pixels differ): the comparison cannot fail", n, box)
	}
}

// renderLibreOffice draws each picture file with LibreOffice and returns
// the PNGs, by file name without extension. It skips where soffice is not
// installed (CI installs it), unless LEAK_INTEROP=1 demands it, and with
// -short.
func renderLibreOffice(t *testing.T, files map[string][]byte) map[string]stdimage.Image {
	t.Helper()
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatal("LEAK_INTEROP=1 but soffice is not installed")
		}
		t.Skip("soffice not installed")
	}
	if testing.Short() {
		t.Skip("-short: LibreOffice not asked")
	}
	dir := t.TempDir()
	args := []string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--headless", "--convert-to", "png", "--outdir", dir}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, filepath.Join(dir, name))
	}
	if out, err := exec.Command(soffice, args...).CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	images := map[string]stdimage.Image{}
	for name := range files {
		base := strings.TrimSuffix(name, filepath.Ext(name))
		images[base] = renderOf(t, dir, base)
	}
	return images
}

func renderOf(t *testing.T, dir, name string) stdimage.Image {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// inkBox is the box holding the non-white pixels of img.
func inkBox(img stdimage.Image) stdimage.Rectangle {
	ink := stdimage.Rectangle{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if cr, cg, cb, _ := img.At(x, y).RGBA(); cr&cg&cb < 0xf000 {
				ink = ink.Union(stdimage.Rect(x, y, x+1, y+1))
			}
		}
	}
	return ink
}

// inkDiff counts the pixels that differ between a and b within the box
// holding the ink of either, and gives the box's area.
func inkDiff(a, b stdimage.Image) (box, differ int) {
	if a.Bounds() != b.Bounds() {
		return 1, 1
	}
	ink := inkBox(a).Union(inkBox(b))
	for y := ink.Min.Y; y < ink.Max.Y; y++ {
		for x := ink.Min.X; x < ink.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if ar != br || ag != bg || ab != bb {
				differ++
			}
		}
	}
	return max(1, ink.Dx()*ink.Dy()), differ
}

// emfPlusComment wraps EMF+ records in an EMR_COMMENT.
func emfPlusComment(records ...[]byte) []byte {
	return emfCommentRecord(append(u32(commentEMFPlus), bytes.Join(records, nil)...))
}

// emfPlusRecord builds one EMF+ record.
func emfPlusRecord(typ, flags uint16, data []byte) []byte {
	r := le.AppendUint16(nil, typ)
	r = le.AppendUint16(r, flags)
	r = le.AppendUint32(r, uint32(12+len(data)))
	r = le.AppendUint32(r, uint32(len(data)))
	return append(r, data...)
}

// emfPlusBitmap is an EmfPlusImage holding a bitmap of the given type (0
// pixels, 1 a compressed file) with data after its header.
func emfPlusBitmap(bitmapType uint32, data []byte) []byte {
	return bytes.Join([][]byte{u32(0xDBC01002), u32(1), u32(4), u32(4), u32(16), u32(0x0026200A), u32(bitmapType), data}, nil)
}

// withEMFPlus inserts comments after LibreOffice's picture's own EMF+
// records (its header among them), and sets the header's dual flag.
func withEMFPlus(t testing.TB, dual bool, comments ...[]byte) []byte {
	t.Helper()
	recs := emfRecords(t, readTestdata(t, "drawing.emf"))
	var out []byte
	for i, r := range recs {
		r = append([]byte(nil), r...)
		if le.Uint32(r) == emrComment && le.Uint32(r[12:]) == commentEMFPlus && le.Uint16(r[16:]) == emfPlusHeader && !dual {
			le.PutUint16(r[18:], 0)
		}
		out = append(out, r...)
		if i == 1 {
			for _, c := range comments {
				out = append(out, c...)
			}
		}
	}
	le.PutUint32(out[48:], uint32(len(out)))
	return out
}

// TestEMFPlusPictures: a file inside EMF+ records (a photo with its EXIF)
// is not cleaned; a dual picture loses its EMF+ records and is drawn by
// its GDI ones, an EMF+-only one is refused.
func TestEMFPlusPictures(t *testing.T) {
	photo := append([]byte("\xFF\xD8\xFF\xE1\x00\x20Exif\x00\x00alice's iPhone 15 Pro"), make([]byte, 100)...)
	whole := emfPlusComment(emfPlusRecord(emfPlusObject, emfPlusObjectImage<<8|1, emfPlusBitmap(1, photo)))
	// The same object in two pieces, as GDI+ writes large ones: each
	// piece starts with the object's whole size.
	obj := emfPlusBitmap(1, photo)
	half := len(obj) / 2
	pieces := [][]byte{
		emfPlusComment(emfPlusRecord(emfPlusObject, emfPlusContinued|emfPlusObjectImage<<8|2, append(u32(uint32(len(obj))), obj[:half]...))),
		emfPlusComment(emfPlusRecord(emfPlusObject, emfPlusContinued|emfPlusObjectImage<<8|2, append(u32(uint32(len(obj))), obj[half:]...))),
	}
	metafile := emfPlusComment(emfPlusRecord(emfPlusObject, emfPlusObjectImage<<8|3, bytes.Join([][]byte{u32(0xDBC01002), u32(2), u32(3), u32(8), []byte("EMF by alice")}, nil)))
	pixels := emfPlusComment(emfPlusRecord(emfPlusObject, emfPlusObjectImage<<8|4, emfPlusBitmap(0, make([]byte, 64))))

	for name, in := range map[string][]byte{
		"compressed bitmap": withEMFPlus(t, true, whole),
		"continued object":  withEMFPlus(t, true, pieces...),
		"metafile":          withEMFPlus(t, true, metafile),
	} {
		out := cleanEMFBytes(t, in)
		if bytes.Contains(out, []byte("alice")) {
			t.Errorf("%s: the embedded file survives", name)
		}
		for _, r := range emfRecords(t, out) {
			if le.Uint32(r) == emrComment && le.Uint32(r[12:]) == commentEMFPlus {
				t.Errorf("%s: an EMF+ record kept", name)
				break
			}
		}
		var draws int
		for _, r := range emfRecords(t, out)[1:] {
			if le.Uint32(r) != emrComment {
				draws++
			}
		}
		if want := len(emfRecords(t, readTestdata(t, "drawing.emf"))) - 1 - 3; draws != want {
			t.Errorf("%s: %d GDI records, want LibreOffice's %d", name, draws, want)
		}
	}

	err := EMF(&bytes.Buffer{}, bytes.NewReader(withEMFPlus(t, false, whole)))
	if r, ok := refusal.As(err); !ok || r.Kind != refusal.Unsupported {
		t.Errorf("EMF+ only, with a photo inside: %v, want an Unsupported refusal", err)
	}

	// Pixels are no file: the EMF+ records stay.
	out := cleanEMFBytes(t, withEMFPlus(t, false, pixels))
	if !bytes.Contains(out, pixels) {
		t.Errorf("an EMF+ bitmap of pixels was dropped")
	}
}
