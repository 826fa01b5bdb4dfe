package pdf

import "github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

// isJPEG reports whether the stream's only filter is DCTDecode, so that its
// raw bytes are a JPEG file.
func isJPEG(sd types.StreamDict) bool {
	switch f := sd.Dict["Filter"].(type) {
	case types.Name:
		return f == "DCTDecode"
	case types.Array:
		return len(f) == 1 && f[0] == types.Name("DCTDecode")
	}
	return false
}

// stripJPEG drops the segments of a JPEG that carry metadata rather than
// the picture: APP1 (EXIF with camera, serial number, GPS; XMP), APP3–APP13
// (IPTC/Photoshop with names and captions), APP15 and comments. It keeps
// APP0 (JFIF), APP2 (ICC profile) and APP14 (Adobe colour transform, needed
// to decode CMYK). Segments end at the start of scan; the rest is copied.
// A JPEG whose header does not parse is returned as it is: the viewer will
// not show it either.
func stripJPEG(b []byte) []byte {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return b
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	pos := 2
	for {
		if pos+4 > len(b) || b[pos] != 0xFF {
			return b
		}
		m := b[pos+1]
		if m == 0xFF { // fill byte
			pos++
			continue
		}
		if m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			out = append(out, b[pos], m)
			pos += 2
			continue
		}
		n := int(b[pos+2])<<8 | int(b[pos+3])
		if n < 2 || pos+2+n > len(b) {
			return b
		}
		metadata := m == 0xFE || m == 0xE1 || (m >= 0xE3 && m <= 0xED) || m == 0xEF
		if !metadata {
			out = append(out, b[pos:pos+2+n]...)
		}
		pos += 2 + n
		if m == 0xDA { // start of scan: entropy-coded data follows
			return append(out, b[pos:]...)
		}
	}
}
