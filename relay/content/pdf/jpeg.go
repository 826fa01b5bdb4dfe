package pdf

import (
	"bytes"
	"io"

	"leak/relay/content/image"
)

// eoi is the JPEG end-of-image marker (T.81 B.1.1.3).
var eoi = []byte{0xFF, 0xD9}

// cleanJPEG cleans the data of a DCTDecode stream as an attached JPEG is
// cleaned (image.JPEG): only the frame, tables, scans, JFIF density and
// Adobe colour transform are kept. Application segments and comments
// between progressive scans go, and so does everything after the first end
// of image, such as the second picture of a phone's multi-picture file with
// its own EXIF. ICC profiles (APP2) go too: the colour space in the image
// dictionary, not the profile in the JPEG, is what a PDF viewer uses (8.9.5).
//
// The end-of-image marker is appended because some producers leave it out;
// image.JPEG drops it with the trailer when the data has one. Data that does
// not parse is refused: it cannot be cleaned, and copied as it is it would
// carry whatever it holds.
func cleanJPEG(b []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(b))
	if err := image.JPEG(&out, io.MultiReader(bytes.NewReader(b), bytes.NewReader(eoi))); err != nil {
		return nil, malformed(err)
	}
	return out.Bytes(), nil
}
