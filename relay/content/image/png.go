package image

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

const pngName = "PNG"

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// pngKeep lists the ancillary chunks that change how the picture is shown
// and hold only numbers (PNG Third Edition §11.3; APNG's acTL, fcTL, fdAT).
// Every other ancillary chunk is dropped: tEXt, zTXt and iTXt (author,
// software, local paths, XMP), eXIf, tIME, iCCP (a profile named by the
// sender), sPLT (a named palette) and whatever private chunks an editor
// adds.
var pngKeep = map[string]bool{
	"tRNS": true, "gAMA": true, "cHRM": true, "sRGB": true, "sBIT": true,
	"bKGD": true, "pHYs": true, "hIST": true, "cICP": true, "mDCV": true,
	"cLLI": true, "acTL": true, "fcTL": true, "fdAT": true,
}

// maxEXIf bounds the eXIf chunk read for its Orientation; a larger one is
// dropped unread, as if it had none.
const maxEXIf = 64 << 10

// PNG copies the PNG image in r to w keeping the critical chunks and the
// rendering chunks in pngKeep. If an eXIf chunk before the image data has
// an Orientation other than 1, a fresh eXIf holding only that is written
// (see tagOrientation). Every chunk's CRC is checked; an unknown critical
// chunk (Apple's CgBI, for one) is refused because dropping it would change
// the picture. Anything after IEND is read and dropped.
func PNG(w io.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 32<<10)
	buf := make([]byte, 32<<10)
	sig := make([]byte, len(pngSignature))
	if _, err := io.ReadFull(br, sig); err != nil {
		return readError(pngName, err)
	}
	if !bytes.Equal(sig, pngSignature) {
		return fmt.Errorf("image: png: bad signature: %w", malformed(pngName))
	}
	if _, err := w.Write(sig); err != nil {
		return writeError(pngName, err)
	}
	orientation := 1
	first, idat := true, false
	for {
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return readError(pngName, err)
		}
		n := binary.BigEndian.Uint32(h[:4])
		typ := string(h[4:])
		if n > 1<<31-1 || !pngChunkType(h[4:]) {
			return fmt.Errorf("image: png: bad chunk header: %w", malformed(pngName))
		}
		if first != (typ == "IHDR") {
			return fmt.Errorf("image: png: IHDR is not the first chunk: %w", malformed(pngName))
		}
		first = false
		critical := h[4]&0x20 == 0
		switch {
		case typ == "IHDR" || typ == "PLTE" || typ == "IDAT" || typ == "IEND" || pngKeep[typ]:
			if typ == "IDAT" && !idat {
				idat = true
				if orientation != 1 {
					if err := writeChunk(w, "eXIf", orientationTIFF(orientation)); err != nil {
						return err
					}
				}
			}
			if err := copyChunk(w, br, h, buf); err != nil {
				return err
			}
			if typ == "IEND" {
				if !idat {
					return fmt.Errorf("image: png: no image data: %w", malformed(pngName))
				}
				return drain(pngName, br)
			}
		case critical:
			return fmt.Errorf("image: png: unknown critical chunk: %w", unsupported(pngName))
		case typ == "eXIf" && !idat && n <= maxEXIf:
			p, err := readChunk(br, h, int(n))
			if err != nil {
				return err
			}
			// Some writers keep the JPEG APP1 prefix.
			p = bytes.TrimPrefix(p, []byte("Exif\x00\x00"))
			if o := exifOrientation(p); o != 1 && orientation == 1 {
				orientation = o
			}
		default:
			if err := copyChunk(io.Discard, br, h, buf); err != nil {
				return err
			}
		}
	}
}

// pngChunkType reports whether t is four ASCII letters (PNG §5.3).
func pngChunkType(t []byte) bool {
	for _, c := range t {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// copyChunk copies the data and CRC of the chunk with header h from r to w,
// checking the CRC. On a CRC mismatch the chunk has already been written:
// the caller discards the output of a failed clean.
func copyChunk(w io.Writer, r io.Reader, h [8]byte, buf []byte) error {
	if _, err := w.Write(h[:]); err != nil {
		return writeError(pngName, err)
	}
	crc := crc32.NewIEEE()
	crc.Write(h[4:])
	n := int64(binary.BigEndian.Uint32(h[:4]))
	if err := copyN(pngName, io.MultiWriter(w, crc), r, n, buf); err != nil {
		return err
	}
	var c [4]byte
	if _, err := io.ReadFull(r, c[:]); err != nil {
		return readError(pngName, err)
	}
	if binary.BigEndian.Uint32(c[:]) != crc.Sum32() {
		return fmt.Errorf("image: png: CRC mismatch: %w", malformed(pngName))
	}
	if _, err := w.Write(c[:]); err != nil {
		return writeError(pngName, err)
	}
	return nil
}

// readChunk reads the n data bytes and the CRC of a chunk, checking the CRC.
func readChunk(r io.Reader, h [8]byte, n int) ([]byte, error) {
	p := make([]byte, n+4)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, readError(pngName, err)
	}
	crc := crc32.NewIEEE()
	crc.Write(h[4:])
	crc.Write(p[:n])
	if binary.BigEndian.Uint32(p[n:]) != crc.Sum32() {
		return nil, fmt.Errorf("image: png: CRC mismatch: %w", malformed(pngName))
	}
	return p[:n], nil
}

func writeChunk(w io.Writer, typ string, data []byte) error {
	b := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(b, uint32(len(data)))
	copy(b[4:], typ)
	b = append(b, data...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
	if _, err := w.Write(b); err != nil {
		return writeError(pngName, err)
	}
	return nil
}
