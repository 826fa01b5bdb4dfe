package image

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"leak/relay/content/refusal"
)

const emfName = "EMF"

// MaxEMF bounds the EMF pictures EMF cleans: the picture is held in memory,
// since dropping records changes the sizes its header gives first. Office
// writes EMF for the previews of embedded objects and for signature lines;
// they are small.
const MaxEMF = 16 << 20

// EMF record types and comment identifiers ([MS-EMF] RecordType enumeration, EMR_COMMENT records).
const (
	emrHeader  = 1
	emrEOF     = 14
	emrComment = 70

	commentEMFPlus = 0x2B464D45 // "EMF+": the EMF+ records of a dual picture
	commentPublic  = 0x43494447 // "GDIC"

	publicBeginGroup = 0x00000002
	publicEndGroup   = 0x00000003
)

// The reference device EMF writes in every header: 320 by 240 mm, with
// the picture's own pixel density.
const (
	emfRefWidthMM  = 320
	emfRefHeightMM = 240
)

// EMF copies the Enhanced Metafile in r to w record by record ([MS-EMF]),
// with what its header and comments say about the machine that made it:
//
//   - The header's reference device is the screen (or printer) the
//     picture was recorded for: Windows writes its size in pixels and
//     millimetres, a display's resolution and size (2560 by 1440 pixels,
//     597 by 336 mm) or a printer's page (A4 or Letter, at its dots per
//     inch). It becomes a 320 by 240 mm device with the same pixels per
//     millimetre, so the picture plays back at the same size: the
//     density stays, as a JPEG's does.
//   - The header's description ("the name of the application that created
//     the picture and the picture's title") is blanked.
//   - Comment records carry what no renderer draws: an application's
//     private data, an EPS or a WMF copy of the picture (public
//     MULTIFORMATS and WINDOWS_METAFILE comments), spooler data. They go,
//     except EMF+ records, which draw a dual picture, and the public
//     BEGINGROUP and ENDGROUP, whose description is blanked.
//
// Drawing records, text among them, are copied as they are: they are the
// picture. Anything after the EOF record is dropped.
//
// EMF+ records can hold a whole file, a PNG or JPEG with its own metadata
// (a photo's EXIF) or another metafile, which this does not clean. A dual
// picture holding one loses its EMF+ records: its GDI records draw the
// same picture, the bitmap as bare pixels. A picture drawn by EMF+ alone
// that holds one is refused.
func EMF(w io.Writer, r io.Reader) error {
	in, err := io.ReadAll(io.LimitReader(r, MaxEMF+1))
	if err != nil {
		return fmt.Errorf("image: emf: read: %w", err)
	}
	if len(in) > MaxEMF {
		return fmt.Errorf("image: emf: %w", refusal.New(refusal.TooLarge,
			"a picture in the document (EMF) is too large to clean; insert it as a PNG instead"))
	}
	out, err := cleanEMF(in)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return writeError(emfName, err)
	}
	return nil
}

// emfMalformed refuses an EMF that does not parse; why says where.
func emfMalformed(why string) error {
	return fmt.Errorf("image: emf: %s: %w", why, malformed(emfName))
}

func cleanEMF(in []byte) ([]byte, error) {
	le := binary.LittleEndian
	var recs [][]byte
	for at := 0; ; {
		if len(in)-at < 8 {
			return nil, emfMalformed("no EOF record")
		}
		typ, size := le.Uint32(in[at:]), le.Uint32(in[at+4:])
		if size < 8 || uint64(size) > uint64(len(in)-at) {
			return nil, emfMalformed("record size out of range")
		}
		rec := in[at : at+int(size)]
		at += int(size)
		switch {
		case len(recs) == 0:
			if typ != emrHeader || size < 88 || le.Uint32(rec[40:]) != 0x464D4520 {
				return nil, emfMalformed("no EMF header")
			}
		case typ == emrHeader:
			return nil, emfMalformed("a second header")
		}
		recs = append(recs, rec)
		if typ == emrEOF {
			break
		}
	}
	embeds, dual := emfPlusPictures(recs)
	if embeds && !dual {
		return nil, fmt.Errorf("image: emf: EMF+ picture inside: %w", refusal.New(refusal.Unsupported,
			"a picture in the document (EMF) holds another picture Leak cannot clean; insert that picture as a PNG or JPEG instead"))
	}
	out := make([]byte, 0, len(in))
	records := uint32(0)
	for i, rec := range recs {
		switch {
		case i == 0:
			rec = append([]byte(nil), rec...)
			neutralHeader(rec)
		case le.Uint32(rec) == emrComment:
			keep, blanked := emfComment(rec)
			// A dual picture's GDI records draw it without the EMF+
			// ones, and without the file they embed.
			if !keep || embeds && le.Uint32(rec[12:]) == commentEMFPlus {
				continue
			}
			rec = blanked
		}
		out = append(out, rec...)
		records++
	}
	// The header's total size and record count.
	le.PutUint32(out[48:], uint32(len(out)))
	le.PutUint32(out[52:], records)
	return out, nil
}

// EMF+ records ([MS-EMFPLUS]) inside EMF comments: each has a type, flags,
// its size and its data's size.
const (
	emfPlusHeader = 0x4001
	emfPlusObject = 0x4008

	emfPlusObjectImage = 5      // ObjectType in bits 8-14 of an object's flags
	emfPlusContinued   = 0x8000 // the object continues in the next records
	emfPlusDual        = 0x0001 // the header's flag: GDI records draw it too
)

// emfPlusPictures reports whether the EMF+ records of recs embed a file:
// an image object holding a compressed bitmap (a PNG, JPEG, GIF or TIFF
// with its own metadata: a photo's EXIF) or a metafile. dual is the
// header's flag that the GDI records draw the picture too.
func emfPlusPictures(recs [][]byte) (embeds, dual bool) {
	le := binary.LittleEndian
	remaining := map[byte]uint32{} // a continued object's bytes still to come
	for _, rec := range recs[1:] {
		if le.Uint32(rec) != emrComment || len(rec) < 16 || le.Uint32(rec[12:]) != commentEMFPlus {
			continue
		}
		data := rec[16:max(16, min(len(rec), 12+int(le.Uint32(rec[8:]))))]
		for len(data) >= 12 {
			typ, flags := le.Uint16(data), le.Uint16(data[2:])
			size, dataSize := le.Uint32(data[4:]), le.Uint32(data[8:])
			if size < 12 || uint64(size) > uint64(len(data)) || uint64(dataSize) > uint64(size)-12 {
				break
			}
			body := data[12 : 12+dataSize]
			data = data[size:]
			switch typ {
			case emfPlusHeader:
				dual = flags&emfPlusDual != 0
			case emfPlusObject:
				if byte(flags>>8)&0x7F != emfPlusObjectImage {
					continue
				}
				id := byte(flags)
				if flags&emfPlusContinued != 0 {
					if len(body) < 4 {
						continue
					}
					if left := remaining[id]; left > 0 {
						// A later piece of an object already looked at.
						remaining[id] = left - min(left, uint32(len(body)-4))
						continue
					}
					remaining[id] = le.Uint32(body) - min(le.Uint32(body), uint32(len(body)-4))
					body = body[4:]
				}
				if imageEmbedsFile(body) {
					embeds = true
				}
			}
		}
	}
	return embeds, dual
}

// imageEmbedsFile reads the start of an EmfPlusImage object: its version,
// its type (1 a bitmap, 2 a metafile) and, for a bitmap, its width,
// height, stride and pixel format before its type (0 pixels, 1 a
// compressed file).
func imageEmbedsFile(obj []byte) bool {
	le := binary.LittleEndian
	if len(obj) < 8 {
		return false
	}
	switch le.Uint32(obj[4:]) {
	case 2:
		return true
	case 1:
		return len(obj) >= 28 && le.Uint32(obj[24:]) == 1
	}
	return false
}

// neutralHeader rewrites, in place, a header record of at least 88 bytes
// ([MS-EMF] EMR_HEADER with its Header object and extensions).
func neutralHeader(h []byte) {
	le := binary.LittleEndian
	// The header's fixed part ends where the record, the description or
	// the pixel format starts; 100 bytes and more hold the first
	// extension, 108 and more the second.
	fixed := uint64(len(h))
	n, off := le.Uint32(h[60:]), le.Uint32(h[64:])
	if off >= 88 {
		fixed = min(fixed, uint64(off))
	}
	if fixed >= 100 {
		if cb, off := le.Uint32(h[88:]), le.Uint32(h[92:]); cb > 0 && off >= 88 {
			fixed = min(fixed, uint64(off))
		}
	}
	// The description: nDescription characters of UTF-16 at offDescription.
	if end := uint64(off) + 2*uint64(n); n > 0 && off >= 88 && end <= uint64(len(h)) {
		clear(h[off:end])
	}
	// Its offset stays, marking where the fixed part ends for the next
	// reader as it did for this one.
	le.PutUint32(h[60:], 0)
	// The reference device: pixels at 72, millimetres at 80, and, in a
	// header with the second extension (108 bytes), micrometres at 100.
	// GDI and LibreOffice scale the picture by pixels per millimetre;
	// other readers by pixels per micrometre, which writers do not always
	// keep equal (LibreOffice rounds the millimetres). Each keeps its own.
	for i, mm := range []int64{emfRefWidthMM, emfRefHeightMM} {
		dev := int64(int32(le.Uint32(h[72+4*i:])))
		oldMM := int64(int32(le.Uint32(h[80+4*i:])))
		px := mm * 96 * 10 / 254 // a device that gives none: 96 dpi
		if dev > 0 && oldMM > 0 {
			px = max(1, min(int64(math.Round(float64(mm)*float64(dev)/float64(oldMM))), math.MaxInt32))
		}
		le.PutUint32(h[72+4*i:], uint32(px))
		le.PutUint32(h[80+4*i:], uint32(mm))
		if fixed < 108 {
			continue
		}
		um := mm * 1000
		if old := int64(int32(le.Uint32(h[100+4*i:]))); dev > 0 && old > 0 {
			um = max(1, min(int64(math.Round(float64(px)*float64(old)/float64(dev))), math.MaxInt32))
		}
		le.PutUint32(h[100+4*i:], uint32(um))
	}
}

// emfComment decides a comment record's fate ([MS-EMF] EMR_COMMENT): EMF+
// records stay; a public group's begin stays with its description
// blanked, and its end stays; the rest goes.
func emfComment(rec []byte) (keep bool, out []byte) {
	le := binary.LittleEndian
	if len(rec) < 16 {
		return false, nil
	}
	switch le.Uint32(rec[12:]) {
	case commentEMFPlus:
		return true, rec
	case commentPublic:
		if len(rec) < 20 {
			return false, nil
		}
		switch le.Uint32(rec[16:]) {
		case publicEndGroup:
			return true, rec
		case publicBeginGroup:
			// Rectangle (16 bytes) at 20, nDescription at 36, the
			// description's UTF-16 after it.
			if len(rec) < 40 {
				return false, nil
			}
			out = append([]byte(nil), rec...)
			clear(out[40:])
			le.PutUint32(out[36:], 0)
			return true, out
		}
	}
	return false, nil
}
