package pdf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

// adobe is an APP14 payload (Adobe TN 5116 §18) image.JPEG keeps.
var adobe = []byte("Adobe\x00\x64\x00\x00\x00\x00\x01")

func gray(t *testing.T) []byte {
	t.Helper()
	var pic bytes.Buffer
	if err := jpeg.Encode(&pic, image.NewGray(image.Rect(0, 0, 16, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return pic.Bytes()
}

func segment(marker byte, payload string) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
}

// taggedJPEG is a 16×8 JPEG as a phone writes it, and worse: EXIF, a
// comment, IPTC and an ICC profile before the frame, a comment and an EXIF
// segment after the scan, and a second picture (MPF) with its own EXIF
// after the end of the image.
func taggedJPEG(t *testing.T) []byte {
	pic := gray(t)
	in := append([]byte{0xFF, 0xD8}, segment(0xE1, "Exif\x00\x00Artist Ottilie Vreeswijk")...)
	in = append(in, segment(0xFE, "shot by ovreeswijk")...)
	in = append(in, segment(0xED, "Photoshop 3.0\x008BIM by Vreeswijk")...)
	in = append(in, segment(0xE2, "ICC_PROFILE\x00\x01\x01"+string(iccProfile()))...)
	in = append(in, segment(0xEE, string(adobe))...)
	in = append(in, pic[2:len(pic)-2]...) // up to the end of the scan
	in = append(in, segment(0xFE, "JaneCOM")...)
	in = append(in, segment(0xE1, "Exif\x00\x00JANELATEEXIF")...)
	in = append(in, 0xFF, 0xD9)
	in = append(in, 0xFF, 0xD8)
	in = append(in, segment(0xE1, "Exif\x00\x00Serial CAMSN778899")...)
	return append(in, pic[2:]...)
}

// iccProfile is a version 2 display profile whose description, copyright
// and manufacturer name its owner, and whose ID is set.
func iccProfile() []byte {
	be := binary.BigEndian
	desc := []byte("desc\x00\x00\x00\x00")
	ascii := "Jane's iMac27\x00"
	desc = be.AppendUint32(desc, uint32(len(ascii)))
	desc = append(desc, ascii...)
	desc = be.AppendUint32(desc, 0) // Unicode language
	u := "Jane's iMac27"
	desc = be.AppendUint32(desc, uint32(len(u)+1))
	for _, r := range u + "\x00" {
		desc = be.AppendUint16(desc, uint16(r))
	}
	desc = append(desc, 0, 0, byte(len(u)+1))
	desc = append(desc, append([]byte(u), make([]byte, 67-len(u))...)...)
	cprt := []byte("text\x00\x00\x00\x00Copyright Jane Corp\x00")
	mluc := []byte("mluc\x00\x00\x00\x00")
	mluc = be.AppendUint32(mluc, 1)
	mluc = be.AppendUint32(mluc, 12)
	mluc = append(mluc, "enUS"...)
	mluc = be.AppendUint32(mluc, 2*uint32(len("JaneMaker")))
	mluc = be.AppendUint32(mluc, 28)
	for _, r := range "JaneMaker" {
		mluc = be.AppendUint16(mluc, uint16(r))
	}
	wtpt := []byte("XYZ \x00\x00\x00\x00\x00\x00\xf6\xd6\x00\x01\x00\x00\x00\x00\xd3\x2d")
	tags := []struct {
		sig  string
		data []byte
	}{{"desc", desc}, {"cprt", cprt}, {"dmnd", mluc}, {"wtpt", wtpt}}
	p := make([]byte, 128)
	copy(p[12:], "mntrRGB XYZ ")
	copy(p[36:], "acsp")
	p[8] = 2
	copy(p[84:], "JANEIDJANEIDJANE")
	p = be.AppendUint32(p, uint32(len(tags)))
	off := 128 + 4 + 12*len(tags)
	var data []byte
	for _, tag := range tags {
		p = append(p, tag.sig...)
		p = be.AppendUint32(p, uint32(off+len(data)))
		p = be.AppendUint32(p, uint32(len(tag.data)))
		data = append(data, tag.data...)
		for len(data)%4 != 0 {
			data = append(data, 0)
		}
	}
	p = append(p, data...)
	be.PutUint32(p, uint32(len(p)))
	return p
}

// jpxCodestream is a JPEG 2000 codestream with a comment in its main
// header (A.9.2); its SIZ and tile are not real.
func jpxCodestream() []byte {
	b := []byte{0xFF, 0x4F}
	b = append(b, segment(0x51, "KEEP-SIZ")...)
	b = append(b, segment(0x64, "\x00\x01Kakadu JaneCOM")...)
	return append(b, "\xFF\x90KEEP-tile\xFF\xD9"...)
}

func box(typ string, p []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(p)+8))
	return append(append(b, typ...), p...)
}

// jp2 is a JP2 file with an ICC profile, an XML box, a UUID box (XMP) and a
// codestream.
func jp2() []byte {
	b := box("jP  ", []byte{0x0D, 0x0A, 0x87, 0x0A})
	b = append(b, box("ftyp", []byte("jp2 \x00\x00\x00\x00jp2 "))...)
	h := box("ihdr", []byte("\x00\x00\x00\x08\x00\x00\x00\x10\x00\x01\x07\x07\x00\x00"))
	h = append(h, box("colr", append([]byte{2, 0, 0}, iccProfile()...))...)
	b = append(b, box("jp2h", h)...)
	b = append(b, box("xml ", []byte("<x>JaneXMLBox</x>"))...)
	b = append(b, box("uuid", []byte("\xbe\x7a\xcf\xcb\x97\xa9\x42\xe8\x9c\x71\x99\x94\x91\xe3\xaf\xacJaneJPXAuthor"))...)
	return append(b, box("jp2c", jpxCodestream())...)
}

func deflate(p []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(p)
	zw.Close()
	return z.Bytes()
}

// imageDoc is a one-page document showing the image whose data is data
// under the filters filter, with extra image dictionary entries and extra
// objects from 5 on.
func imageDoc(filter string, data []byte, extra string, more ...string) []byte {
	return scrubDoc("", "/Resources<</XObject<</Im1 4 0 R>>>>", append([]string{
		fmt.Sprintf("<</Type/XObject/Subtype/Image/Width 16/Height 8/BitsPerComponent 8/ColorSpace/DeviceGray%s/Filter%s/Length %d>>\nstream\n%s\nendstream",
			extra, filter, len(data), data)}, more...)...)
}

// streamAfter returns the data of the first stream after key in out.
func streamAfter(out []byte, key string) []byte {
	i := bytes.Index(out, []byte(key))
	if i < 0 {
		return nil
	}
	rest := out[i:]
	j := bytes.Index(rest, []byte("\nstream\n"))
	k := bytes.Index(rest, []byte("\nendstream"))
	if j < 0 || k < j {
		return nil
	}
	return rest[j+len("\nstream\n") : k]
}

// TestImageStreams cleans pictures and colour profiles inside a PDF as
// attached ones are cleaned.
func TestImageStreams(t *testing.T) {
	tagged := taggedJPEG(t)
	icc := iccProfile()
	secrets := []string{"Vreeswijk", "CAMSN778899", "JaneCOM", "JANELATEEXIF", "iMac27", "Jane Corp", "JaneMaker", "JANEIDJANEID",
		"JaneXMLBox", "JaneJPXAuthor"}
	for _, c := range []struct {
		name   string
		in     []byte
		filter string // the filter the image must be written with
		kept   []string
	}{
		{"JPEG", imageDoc("/DCTDecode", tagged, ""), "/Filter /DCTDecode", nil},
		{"Flate and DCT", imageDoc("[/FlateDecode/DCTDecode]", deflate(tagged), "/DecodeParms[null<</ColorTransform 0>>]"),
			"/Filter /DCTDecode", []string{"/DecodeParms <</ColorTransform 0>>"}},
		{"ASCIIHex, Flate and DCT", imageDoc("[/ASCIIHexDecode/FlateDecode/DCTDecode]", []byte(hex.EncodeToString(deflate(tagged))+">"), ""),
			"/Filter /DCTDecode", nil},
		{"ICC profiles", scrubDoc("/OutputIntents[<</Type/OutputIntent/S/GTS_PDFA1/OutputConditionIdentifier(sRGB)/DestOutputProfile 6 0 R>>]",
			"/Resources<</XObject<</Im1 4 0 R>>>>",
			fmt.Sprintf("<</Type/XObject/Subtype/Image/Width 16/Height 8/BitsPerComponent 8/ColorSpace[/ICCBased 5 0 R]/Filter/DCTDecode/Length %d>>\nstream\n%s\nendstream", len(tagged), tagged),
			fmt.Sprintf("<</N 1/Filter/FlateDecode/Length %d>>\nstream\n%s\nendstream", len(deflate(icc)), deflate(icc)),
			fmt.Sprintf("<</N 3/Length %d>>\nstream\n%s\nendstream", len(icc), icc)),
			"/Filter /DCTDecode", []string{"/ICCBased", "/DestOutputProfile", "acsp"}},
		{"JP2", imageDoc("/JPXDecode", jp2(), ""), "/Filter /JPXDecode", []string{"jp2c", "KEEP-SIZ", "KEEP-tile"}},
		{"JPEG 2000 codestream", imageDoc("/JPXDecode", jpxCodestream(), ""), "/Filter /JPXDecode", []string{"KEEP-SIZ", "KEEP-tile"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := Clean(c.in, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			view := deepView(out)
			for _, s := range secrets {
				if contains(view, s) {
					t.Errorf("%q survived", s)
				}
			}
			for _, s := range append(c.kept, c.filter) {
				if !contains(view, s) {
					t.Errorf("%q lost", s)
				}
			}
			if c.filter == "/Filter /DCTDecode" {
				img, err := jpeg.Decode(bytes.NewReader(streamAfter(out, c.filter)))
				if err != nil || img.Bounds().Dx() != 16 {
					t.Errorf("the picture does not decode: %v", err)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%q", out)
			}
			qpdfCheck(t, c.in, out)
		})
	}
}

// A picture behind a filter this package does not decode cannot be
// cleaned: the PDF is refused.
func TestImageFilterRefused(t *testing.T) {
	in := imageDoc("[/LZWDecode/DCTDecode]", []byte("\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01"), "")
	if _, err := Clean(in, 1<<20); kind(err) != refusal.Unsupported {
		t.Errorf("Clean = %v, want an unsupported refusal", err)
	}
	if _, err := Clean(imageDoc("/DCTDecode", []byte("JaneCOM not a JPEG"), ""), 1<<20); !strings.Contains(fmt.Sprint(err), "could not be read") {
		t.Errorf("Clean of a broken JPEG = %v, want a malformed refusal", err)
	}
}
