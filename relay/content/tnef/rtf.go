package tnef

import (
	"encoding/binary"
	"hash/crc32"
)

// Compressed RTF ([MS-OXRTFCP]) is an LZ77 variant over a 4096-byte
// circular dictionary that starts filled with this RTF prefix (section
// 2.1.2.1), so that common control words compress from the first byte.
const rtfPrefix = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman " +
	"\\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier" +
	"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"

const (
	rtfCompressed   = 0x75465A4C // "LZFu"
	rtfUncompressed = 0x414C454D // "MELA"
)

// rtfCRC is the CRC-32 of [MS-OXRTFCP] section 2.1.3.2: the usual table,
// but with no initial or final inversion.
var rtfTable = crc32.MakeTable(crc32.IEEE)

func rtfCRC(b []byte) uint32 {
	var c uint32
	for _, x := range b {
		c = rtfTable[byte(c)^x] ^ c>>8
	}
	return c
}

// decompressRTF decompresses a PidTagRtfCompressed value. Output is
// bounded by max and by what the input can expand to (a run of one
// control byte and 16 bytes of references yields at most 8 × 17 bytes),
// whatever the header claims.
func decompressRTF(b []byte, max int64) ([]byte, error) {
	if len(b) < 16 {
		return nil, errMalformed
	}
	compSize := binary.LittleEndian.Uint32(b)
	rawSize := binary.LittleEndian.Uint32(b[4:])
	typ := binary.LittleEndian.Uint32(b[8:])
	crc := binary.LittleEndian.Uint32(b[12:])
	// COMPSIZE counts the contents and the 12 header bytes after itself.
	if compSize < 12 || uint64(compSize)+4 > uint64(len(b)) {
		return nil, errMalformed
	}
	contents := b[16 : compSize+4]
	if int64(rawSize) > max {
		return nil, errTooLarge
	}
	switch typ {
	case rtfUncompressed:
		if uint64(rawSize) > uint64(len(contents)) {
			return nil, errMalformed
		}
		return contents[:rawSize:rawSize], nil
	case rtfCompressed:
		if rtfCRC(contents) != crc {
			return nil, errMalformed
		}
		return lzfu(contents, int(rawSize))
	}
	return nil, errMalformed
}

// lzfu decodes [MS-OXRTFCP] section 2.1.3.1: a control byte whose bits,
// least significant first, mark 8 tokens as literals (0) or references
// (1); a reference is a big-endian word, 12 bits of dictionary offset and
// 4 bits of length minus 2. A reference to the write position ends the
// data.
func lzfu(in []byte, rawSize int) ([]byte, error) {
	var dict [4096]byte
	copy(dict[:], rtfPrefix)
	w := len(rtfPrefix)
	limit := min(rawSize, len(in)*9)
	out := make([]byte, 0, limit)
	for i := 0; i < len(in); {
		ctl := in[i]
		i++
		for bit := 0; bit < 8 && i < len(in); bit++ {
			if ctl&(1<<bit) == 0 {
				if len(out) >= rawSize {
					return nil, errMalformed
				}
				dict[w] = in[i]
				out = append(out, in[i])
				w = (w + 1) % len(dict)
				i++
				continue
			}
			if i+2 > len(in) {
				return nil, errMalformed
			}
			ref := int(in[i])<<8 | int(in[i+1])
			i += 2
			off, n := ref>>4, ref&0xF+2
			if off == w {
				return out, nil
			}
			if len(out)+n > rawSize {
				return nil, errMalformed
			}
			for k := 0; k < n; k++ {
				c := dict[(off+k)%len(dict)]
				dict[w] = c
				out = append(out, c)
				w = (w + 1) % len(dict)
			}
		}
	}
	// The end reference is missing; some writers stop at RAWSIZE.
	if len(out) != rawSize {
		return nil, errMalformed
	}
	return out, nil
}
