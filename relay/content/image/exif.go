package image

import "encoding/binary"

// Orientation is the only EXIF value Leak carries over. It tells a viewer
// how to turn the stored pixels for display (EXIF 2.32 §4.6.4 A, tag 0x0112:
// 1 upright, 6 turn 90° clockwise, 8 turn 90° anticlockwise, 2-5 and 7
// mirrored variants). Phones store portrait photos as landscape pixels plus
// Orientation 6 or 8; dropping it would show them on their side. Rotating
// the pixels instead would mean re-encoding (or, losslessly, picture sizes
// that are multiples of the MCU), so Leak writes a fresh EXIF block holding
// Orientation alone: the pixels stay bit-identical and the block tells a
// recipient one of eight values, which the picture itself already shows.
const tagOrientation = 0x0112

// exifOrientation returns the Orientation in IFD0 of a TIFF-structured EXIF
// block (starting at the byte-order mark), or 1 if it is missing, out of
// range or the block does not parse. Every offset is bounds-checked: the
// block comes from the sender.
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := bo.Uint32(tiff[4:8])
	if ifd < 8 || uint64(ifd)+2 > uint64(len(tiff)) {
		return 1
	}
	n := int(bo.Uint16(tiff[ifd:]))
	entries := tiff[ifd+2:]
	for i := 0; i < n && (i+1)*12 <= len(entries); i++ {
		e := entries[i*12 : (i+1)*12]
		if bo.Uint16(e[0:2]) != tagOrientation || bo.Uint32(e[4:8]) != 1 {
			continue
		}
		var v uint32
		switch bo.Uint16(e[2:4]) {
		case 3: // SHORT, left-justified in the value field
			v = uint32(bo.Uint16(e[8:10]))
		case 4: // LONG, written by a few tools against the spec
			v = bo.Uint32(e[8:12])
		default:
			return 1
		}
		if v >= 1 && v <= 8 {
			return int(v)
		}
		return 1
	}
	return 1
}

// orientationTIFF returns a big-endian TIFF structure whose only IFD holds
// one entry, Orientation o, with no next IFD.
func orientationTIFF(o int) []byte {
	b := []byte{
		'M', 'M', 0, 42, 0, 0, 0, 8, // header, IFD0 at offset 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, // Orientation, SHORT, count 1, value
		0, 0, 0, 0, // no IFD1 (and so no thumbnail)
	}
	return b
}
