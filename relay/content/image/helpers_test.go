package image

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	goimage "image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// The sender these tests plant in every image. Each string must be gone
// after cleaning.
var secrets = []string{
	"Pixelcam", "Vossberg", "hvossberg", "SN-ZX-4471902", "2026:03:14 15:09:26",
	"Bramblewick", "HV-MacBook", "/Users/hvossberg", "Hollowmere",
}

// gpsLatitude is the GPSLatitude value planted in the EXIF blocks (52° 22'
// 48.6"), matched as bytes in both byte orders.
var gpsLatitude = []uint32{52, 1, 22, 1, 486, 10}

func checkNoSecrets(t *testing.T, out []byte) {
	t.Helper()
	low := bytes.ToLower(out)
	for _, s := range secrets {
		if bytes.Contains(low, bytes.ToLower([]byte(s))) {
			t.Errorf("secret %q survived", s)
		}
	}
	for _, bo := range []order{binary.BigEndian, binary.LittleEndian} {
		var g []byte
		for _, v := range gpsLatitude {
			g = bo.AppendUint32(g, v)
		}
		if bytes.Contains(out, g) {
			t.Errorf("GPS latitude survived (%v)", bo)
		}
	}
}

// testPicture is a picture with detail in every 8x8 block, so that the
// encoders produce non-trivial entropy-coded data (and 0xFF bytes in it).
func testPicture(w, h int) *goimage.RGBA {
	m := goimage.NewRGBA(goimage.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x*7 + y*13) % 256), 255})
		}
	}
	return m
}

func encodeJPEG(t testing.TB, m goimage.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, m goimage.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// order is a byte order that can also append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// ifdEntry is one TIFF IFD entry; val is already in the file's byte order.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	val      []byte
}

func asciiEntry(tag uint16, s string) ifdEntry {
	return ifdEntry{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)}
}

func shortEntry(bo order, tag uint16, v uint16) ifdEntry {
	return ifdEntry{tag, 3, 1, bo.AppendUint16(nil, v)}
}

func rationalEntry(bo order, tag uint16, v ...uint32) ifdEntry {
	var b []byte
	for _, x := range v {
		b = bo.AppendUint32(b, x)
	}
	return ifdEntry{tag, 5, uint32(len(v) / 2), b}
}

// buildTIFF lays out a TIFF structure as cameras write it: IFD0 with
// pointers to an Exif IFD and a GPS IFD when those are given.
func buildTIFF(bo order, ifd0, exif, gps []ifdEntry) []byte {
	b := []byte("MM\x00*")
	if bo == binary.LittleEndian {
		b = []byte("II*\x00")
	}
	b = bo.AppendUint32(b, 8)
	var ptrs []int // where to patch sub-IFD offsets, in the order exif, gps
	if exif != nil {
		ifd0 = append(ifd0, ifdEntry{0x8769, 4, 1, make([]byte, 4)})
	}
	if gps != nil {
		ifd0 = append(ifd0, ifdEntry{0x8825, 4, 1, make([]byte, 4)})
	}
	writeIFD := func(es []ifdEntry) {
		start := len(b)
		b = bo.AppendUint16(b, uint16(len(es)))
		b = append(b, make([]byte, 12*len(es)+4)...)
		for i, e := range es {
			p := start + 2 + 12*i
			bo.PutUint16(b[p:], e.tag)
			bo.PutUint16(b[p+2:], e.typ)
			bo.PutUint32(b[p+4:], e.count)
			if e.tag == 0x8769 || e.tag == 0x8825 {
				ptrs = append(ptrs, p+8)
			}
			if len(e.val) <= 4 {
				copy(b[p+8:], e.val)
				continue
			}
			if len(b)%2 == 1 {
				b = append(b, 0)
			}
			bo.PutUint32(b[p+8:], uint32(len(b)))
			b = append(b, e.val...)
		}
	}
	writeIFD(ifd0)
	for _, sub := range [][]ifdEntry{exif, gps} {
		if sub == nil {
			continue
		}
		if len(b)%2 == 1 {
			b = append(b, 0)
		}
		bo.PutUint32(b[ptrs[0]:], uint32(len(b)))
		ptrs = ptrs[1:]
		writeIFD(sub)
	}
	return b
}

// cameraTIFF is the EXIF of a phone photo: make, model, orientation, time,
// serial number, GPS position.
func cameraTIFF(bo order, orientation uint16) []byte {
	ifd0 := []ifdEntry{
		asciiEntry(0x010F, "Pixelcam"),
		asciiEntry(0x0110, "Pixelcam Z9"),
		shortEntry(bo, 0x0112, orientation),
		asciiEntry(0x0131, "Bramblewick Studio 4.2"),
		asciiEntry(0x0132, "2026:03:14 15:09:26"),
		asciiEntry(0x013B, "Henrietta Vossberg"),
	}
	exif := []ifdEntry{
		asciiEntry(0x9003, "2026:03:14 15:09:26"),
		asciiEntry(0xA431, "SN-ZX-4471902"),
		asciiEntry(0xA430, "hvossberg"),
	}
	gps := []ifdEntry{
		asciiEntry(0x0001, "N"),
		rationalEntry(bo, 0x0002, gpsLatitude...),
		asciiEntry(0x0003, "E"),
		rationalEntry(bo, 0x0004, 4, 1, 53, 1, 3312, 100),
	}
	return buildTIFF(bo, ifd0, exif, gps)
}

func jpegSegment(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(payload)+2))
	return append(b, payload...)
}

const xmpPacket = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<dc:creator><rdf:Seq><rdf:li>Henrietta Vossberg</rdf:li></rdf:Seq></dc:creator>
<xmp:CreatorTool>Bramblewick Studio 4.2</xmp:CreatorTool>
<xmp:Label>/Users/hvossberg/Pictures/Hollowmere</xmp:Label>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>`

// iptcBlock is a Photoshop image resource block holding IPTC IIM records
// (byline, city), as APP13 carries it.
func iptcBlock() []byte {
	var iim []byte
	for _, r := range []struct {
		ds byte
		v  string
	}{{80, "Henrietta Vossberg"}, {90, "Hollowmere"}, {116, "(c) hvossberg"}} {
		iim = append(iim, 0x1C, 2, r.ds, 0, byte(len(r.v)))
		iim = append(iim, r.v...)
	}
	b := []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00")
	b = binary.BigEndian.AppendUint32(b, uint32(len(iim)))
	b = append(b, iim...)
	if len(iim)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// iccProfile is a small ICC profile whose description tag names a machine.
func iccProfile() []byte {
	desc := []byte("desc\x00\x00\x00\x00\x00\x00\x00\x0cHV-MacBook display\x00")
	p := make([]byte, 128+4+12)
	copy(p[36:], "acsp")
	binary.BigEndian.PutUint32(p[128:], 1)
	copy(p[132:], "desc")
	binary.BigEndian.PutUint32(p[136:], uint32(len(p)))
	binary.BigEndian.PutUint32(p[140:], uint32(len(desc)))
	p = append(p, desc...)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
}

// withMetadata inserts, after the SOI of a Go-encoded JPEG, the segments a
// phone and a photo editor write, and appends a trailer after EOI.
func withMetadata(jpg []byte, tiff []byte) []byte {
	var b bytes.Buffer
	b.Write(jpg[:2])
	b.Write(jpegSegment(0xE0, []byte("JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x01\x01\xff\x00\x00"))) // 1x1 thumbnail
	b.Write(jpegSegment(0xE1, append([]byte("Exif\x00\x00"), tiff...)))
	b.Write(jpegSegment(0xE1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmpPacket...)))
	b.Write(jpegSegment(0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), iccProfile()...)))
	b.Write(jpegSegment(0xEC, []byte("Ducky\x00\x01\x00\x04\x00\x00\x00\x50hvossberg")))
	b.Write(jpegSegment(0xED, iptcBlock()))
	b.Write(jpegSegment(0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01")))
	b.Write(jpegSegment(0xFE, []byte("edited by hvossberg on HV-MacBook")))
	b.Write(jpg[2:])
	b.WriteString("SEFT trailer: /Users/hvossberg/DCIM")
	return b.Bytes()
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func deflate(s string) []byte {
	var b bytes.Buffer
	z := zlib.NewWriter(&b)
	z.Write([]byte(s))
	z.Close()
	return b.Bytes()
}

// pngWithMetadata inserts after IHDR the chunks Photoshop, macOS and
// libpng write, and appends a trailer after IEND.
func pngWithMetadata(p []byte, orientation uint16) []byte {
	const ihdrEnd = 8 + 25
	var b bytes.Buffer
	b.Write(p[:ihdrEnd])
	b.Write(pngChunk("gAMA", []byte{0, 0, 0xB1, 0x8F}))
	b.Write(pngChunk("iCCP", append([]byte("HV-MacBook display\x00\x00"), deflate(string(iccProfile()))...)))
	b.Write(pngChunk("tEXt", []byte("Author\x00Henrietta Vossberg")))
	b.Write(pngChunk("tEXt", []byte("Source\x00/Users/hvossberg/Desktop/Hollowmere.psd")))
	b.Write(pngChunk("zTXt", append([]byte("Comment\x00\x00"), deflate("drawn by hvossberg")...)))
	b.Write(pngChunk("iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), xmpPacket...)))
	b.Write(pngChunk("iTXt", append([]byte("Description\x00\x01\x00\x00\x00"), deflate("Bramblewick")...)))
	b.Write(pngChunk("eXIf", cameraTIFF(binary.LittleEndian, orientation)))
	b.Write(pngChunk("tIME", []byte{0x07, 0xEA, 3, 14, 15, 9, 26}))
	b.Write(pngChunk("pHYs", []byte{0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1}))
	b.Write(pngChunk("prVt", []byte("Pixelcam private")))
	b.Write(p[ihdrEnd:])
	b.WriteString("trailing Vossberg")
	return b.Bytes()
}

func samePixels(t *testing.T, want, got goimage.Image) {
	t.Helper()
	if want.Bounds() != got.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	r := want.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := want.At(x, y).RGBA()
			r2, g2, b2, a2 := got.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				t.Fatalf("pixel (%d,%d) differs", x, y)
			}
		}
	}
}
