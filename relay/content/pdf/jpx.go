package pdf

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// JPEG 2000 (ISO/IEC 15444-1 Annex I) file boxes.
var (
	jp2Signature = []byte{0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}
	// jp2Keep are the top-level boxes a picture needs; the others are
	// metadata (xml, uuid with XMP or EXIF, uinf/ulst/url, jp2i).
	jp2Keep = map[string]bool{"jP  ": true, "ftyp": true, "jp2h": true, "res ": true, "jp2c": true}
	// jp2hKeep are the boxes of the JP2 header (I.5.3).
	jp2hKeep = map[string]bool{"ihdr": true, "bpcc": true, "colr": true, "pclr": true, "cmap": true, "cdef": true, "res ": true}
)

var errJPX = errors.New("pdf: JPEG 2000 data does not parse")

// cleanJPX cleans the data of a JPXDecode stream: a JP2 file keeps only the
// boxes in jp2Keep, its ICC profile is blanked (blankICC), and the
// codestream loses the comments (COM) of its main header, which name the
// encoder. A bare codestream only loses those comments. Comments in
// tile-part headers are left: removing them would change the tile-part
// lengths.
func cleanJPX(b []byte) ([]byte, error) {
	if len(b) >= 4 && b[0] == 0xFF && b[1] == 0x4F && b[2] == 0xFF && b[3] == 0x51 {
		return codestream(b)
	}
	if !bytes.HasPrefix(b, jp2Signature) {
		return nil, malformed(errJPX)
	}
	var out []byte
	err := boxes(b, func(typ string, p []byte) error {
		if !jp2Keep[typ] {
			return nil
		}
		var err error
		switch typ {
		case "jp2h":
			var h []byte
			err = boxes(p, func(typ string, p []byte) error {
				if !jp2hKeep[typ] {
					return nil
				}
				// Methods 2 and 3 carry an ICC profile (I.5.3.3).
				if typ == "colr" && len(p) > 3 && (p[0] == 2 || p[0] == 3) {
					blankICC(p[3:])
				}
				h = appendBox(h, typ, p)
				return nil
			})
			p = h
		case "jp2c":
			p, err = codestream(p)
		}
		out = appendBox(out, typ, p)
		return err
	})
	if err != nil {
		return nil, malformed(err)
	}
	return out, nil
}

// boxes calls f with the type and contents of each box in b (I.4).
func boxes(b []byte, f func(typ string, p []byte) error) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return errJPX
		}
		n := uint64(binary.BigEndian.Uint32(b))
		typ := string(b[4:8])
		head := uint64(8)
		switch n {
		case 0: // to the end
			n = uint64(len(b))
		case 1: // XLBox
			if len(b) < 16 {
				return errJPX
			}
			n, head = binary.BigEndian.Uint64(b[8:]), 16
		}
		if n < head || n > uint64(len(b)) {
			return errJPX
		}
		if err := f(typ, b[head:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func appendBox(out []byte, typ string, p []byte) []byte {
	if n := uint64(len(p)) + 8; n <= 0xFFFFFFFF {
		out = binary.BigEndian.AppendUint32(out, uint32(n))
		return append(append(out, typ...), p...)
	}
	out = binary.BigEndian.AppendUint32(out, 1)
	out = append(out, typ...)
	out = binary.BigEndian.AppendUint64(out, uint64(len(p))+16)
	return append(out, p...)
}

// codestream drops the COM segments of a codestream's main header, which
// runs from SOC to the first SOT (A.4, A.9.2).
func codestream(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0x4F {
		return nil, malformed(errJPX)
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:2]...)
	pos := 2
	for {
		if pos+4 > len(b) || b[pos] != 0xFF {
			return nil, malformed(errJPX)
		}
		if b[pos+1] == 0x90 { // SOT: tile-parts follow
			return append(out, b[pos:]...), nil
		}
		n := int(binary.BigEndian.Uint16(b[pos+2:]))
		if n < 2 || pos+2+n > len(b) {
			return nil, malformed(errJPX)
		}
		if b[pos+1] != 0x64 { // COM
			out = append(out, b[pos:pos+2+n]...)
		}
		pos += 2 + n
	}
}
