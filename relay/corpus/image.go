package corpus

import (
	"bytes"
	"encoding/binary"
	"image"
	_ "image/gif" // decoders for displaySize
	_ "image/jpeg"
	_ "image/png"
)

// maxPixels is the largest picture displaySize decodes.
const maxPixels = 1 << 26

// displaySize returns the size a picture is shown at: it must decode, and
// an EXIF orientation of 5 to 8 (a quarter turn) swaps width and height,
// as viewers that honour EXIF do. WebP, which the standard library cannot
// decode, counts as decoding when its RIFF header and frame size parse.
func displaySize(data []byte) (w, h int, ok bool) {
	if w, h, ok := webpSize(data); ok {
		return w, h, true
	}
	// A header can claim any size; refuse to allocate for a bomb, as
	// PIL does.
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width*cfg.Height > maxPixels {
		return 0, 0, false
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, 0, false
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	if o := orientation(data); o >= 5 && o <= 8 {
		w, h = h, w
	}
	return w, h, true
}

// orientation returns the EXIF Orientation tag (0x0112) of a JPEG (APP1
// "Exif") or PNG (eXIf chunk), or 1 (upright) when there is none.
func orientation(data []byte) int {
	if tiff := exifJPEG(data); tiff != nil {
		return tiffOrientation(tiff)
	}
	if tiff := exifPNG(data); tiff != nil {
		return tiffOrientation(tiff)
	}
	return 1
}

func exifJPEG(data []byte) []byte {
	if !bytes.HasPrefix(data, []byte{0xff, 0xd8}) {
		return nil
	}
	for pos := 2; pos+4 <= len(data); {
		if data[pos] != 0xff {
			return nil
		}
		marker := data[pos+1]
		if marker == 0xd8 || marker == 0x01 || marker >= 0xd0 && marker <= 0xd7 || marker == 0xff {
			pos += 2
			if marker == 0xff {
				pos--
			}
			continue
		}
		if marker == 0xda || marker == 0xd9 {
			return nil
		}
		n := int(binary.BigEndian.Uint16(data[pos+2:]))
		if n < 2 {
			return nil
		}
		seg := data[min(pos+4, len(data)):min(pos+2+n, len(data))]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		pos += 2 + n
	}
	return nil
}

func exifPNG(data []byte) []byte {
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return nil
	}
	for pos := 8; pos+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[pos:]))
		if string(data[pos+4:pos+8]) == "eXIf" {
			return data[pos+8 : min(pos+8+n, len(data))]
		}
		pos += 12 + n
	}
	return nil
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if string(t[:2]) == "MM" {
		bo = binary.BigEndian
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 0 || ifd+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[ifd:]))
	for i := 0; i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(t) {
			break
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			return int(bo.Uint16(t[e+8:]))
		}
	}
	return 1
}

// webpSize parses the frame size of a WebP file (RIFF "WEBP" with a VP8,
// VP8L or VP8X chunk).
func webpSize(d []byte) (w, h int, ok bool) {
	if len(d) < 30 || string(d[:4]) != "RIFF" || string(d[8:12]) != "WEBP" {
		return 0, 0, false
	}
	c := d[20:]
	switch string(d[12:16]) {
	case "VP8 ":
		if c[3] != 0x9d || c[4] != 0x01 || c[5] != 0x2a {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(c[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(c[8:]) & 0x3fff), true
	case "VP8L":
		if c[0] != 0x2f {
			return 0, 0, false
		}
		bits := binary.LittleEndian.Uint32(c[1:])
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, true
	case "VP8X":
		w := int(c[4]) | int(c[5])<<8 | int(c[6])<<16
		h := int(c[7]) | int(c[8])<<8 | int(c[9])<<16
		return w + 1, h + 1, true
	}
	return 0, 0, false
}
