package image

import (
	"encoding/binary"
	"fmt"
	"io"

	"leak/relay/content/refusal"
)

const wmfName = "WMF"

// WMF records and escapes ([MS-WMF] RecordType and MetafileEscapes).
const (
	wmfPlaceableKey = 0x9AC6CDD7
	wmfEOF          = 0x0000
	wmfEscape       = 0x0626
)

// wmfDrawingEscapes are the escapes that change how the picture is drawn
// (line caps and joins, a pattern fill, a path to clip to); every other
// escape carries data no screen draws.
var wmfDrawingEscapes = map[uint16]bool{
	0x0015: true, // SETLINECAP
	0x0016: true, // SETLINEJOIN
	0x0017: true, // SETMITERLIMIT
	0x0019: true, // DRAWPATTERNRECT
	0x1000: true, // BEGIN_PATH
	0x1001: true, // CLIP_TO_PATH
	0x1002: true, // END_PATH
}

// WMF copies the Windows Metafile in r to w record by record ([MS-WMF]),
// without the escape records that carry data rather than drawing: the
// comments (MFCOMMENT), in which Windows and LibreOffice embed an EMF
// copy of the picture, with the reference device of the screen it was
// made on (see EMF); PostScript and EPS data, with its %%For and
// %%Creator lines; a print job's document name (STARTDOC); printer
// pass-through data. The header's size and largest record follow. The
// placeable header, which gives the picture's bounds and scale, stays.
func WMF(w io.Writer, r io.Reader) error {
	in, err := io.ReadAll(io.LimitReader(r, MaxEMF+1))
	if err != nil {
		return fmt.Errorf("image: wmf: read: %w", err)
	}
	if len(in) > MaxEMF {
		return fmt.Errorf("image: wmf: %w", refusal.New(refusal.TooLarge,
			"a picture in the document (WMF) is too large to clean; insert it as a PNG instead"))
	}
	out, err := cleanWMF(in)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return writeError(wmfName, err)
	}
	return nil
}

func wmfMalformed(why string) error {
	return fmt.Errorf("image: wmf: %s: %w", why, malformed(wmfName))
}

func cleanWMF(in []byte) ([]byte, error) {
	le := binary.LittleEndian
	at := 0
	if len(in) >= 22 && le.Uint32(in) == wmfPlaceableKey {
		at = 22
	}
	// META_HEADER: type 1 or 2, a header of 9 words, then the size in
	// words at 6, the object count, the largest record at 12.
	if len(in)-at < 18 || le.Uint16(in[at:]) > 2 || le.Uint16(in[at:]) == 0 || le.Uint16(in[at+2:]) != 9 {
		return nil, wmfMalformed("no WMF header")
	}
	out := append(make([]byte, 0, len(in)), in[:at+18]...)
	hdr := at
	at += 18
	largest := uint32(0)
	for {
		if len(in)-at < 6 {
			return nil, wmfMalformed("no EOF record")
		}
		words := le.Uint32(in[at:])
		if words < 3 || uint64(words)*2 > uint64(len(in)-at) {
			return nil, wmfMalformed("record size out of range")
		}
		rec := in[at : at+int(words)*2]
		at += len(rec)
		fn := le.Uint16(rec[4:])
		if fn == wmfEscape && (len(rec) < 8 || !wmfDrawingEscapes[le.Uint16(rec[6:])]) {
			continue
		}
		out = append(out, rec...)
		largest = max(largest, words)
		if fn == wmfEOF {
			break
		}
	}
	size := uint32(len(out)-hdr) / 2
	le.PutUint16(out[hdr+6:], uint16(size))
	le.PutUint16(out[hdr+8:], uint16(size>>16))
	le.PutUint32(out[hdr+12:], largest)
	return out, nil
}
