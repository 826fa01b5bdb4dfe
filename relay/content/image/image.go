// Package image removes metadata that identifies the sender from images
// attached to email: EXIF (GPS position, camera serial number, capture time),
// XMP and IPTC (author, copyright, editing history), ICC profile
// descriptions, PNG text chunks, GIF comments and SVG editor state.
//
// Raster formats are cleaned by dropping segments or chunks, never by
// re-encoding, so the pixels a recipient sees are bit-identical to the
// pixels the sender attached. Each cleaner streams with bounded buffers;
// SVG (re-serialised from its tokens) and the frames of an animated WebP
// (whose RIFF size must be known before they are written) are held in
// memory up to MaxSVG and MaxWebP.
//
// A cleaner returns a *refusal.Error (possibly wrapped) for input it cannot
// read or cannot clean; any other error comes from the reader or writer.
// Error texts never carry a value taken from the image. When a cleaner fails
// the bytes already written are incomplete and must be discarded.
package image

import (
	"errors"
	"fmt"
	"io"

	"leak/relay/content/refusal"
)

// Clean cleans r into w according to mediaType, which must be lower case
// and without parameters. ok is false, and nothing is read or written, for
// types this package has no cleaner for (HEIC, TIFF, BMP...): the caller
// decides what to do with those.
func Clean(mediaType string, w io.Writer, r io.Reader) (ok bool, err error) {
	switch mediaType {
	case "image/jpeg", "image/pjpeg":
		return true, JPEG(w, r)
	case "image/png":
		return true, PNG(w, r)
	case "image/gif":
		return true, GIF(w, r)
	case "image/webp":
		return true, WebP(w, r)
	case "image/svg+xml":
		return true, SVG(w, r)
	}
	return false, nil
}

// malformed is the refusal for input that does not parse as format.
func malformed(format string) error {
	return refusal.New(refusal.Malformed,
		"the attached "+format+" image could not be read; re-save it and send it again")
}

// unsupported is the refusal for a valid image using a feature the cleaner
// cannot clean without changing the picture.
func unsupported(format string) error {
	return refusal.New(refusal.Unsupported,
		"the attached "+format+" image uses a feature Leak cannot clean; save it again as a plain "+format+" and send it again")
}

// readError classifies an error from the input: a short read means the image
// is truncated (a refusal), anything else is the reader's own failure.
func readError(format string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("image: %s: truncated: %w", format, malformed(format))
	}
	return fmt.Errorf("image: %s: read: %w", format, err)
}

// writeError wraps an error from the output.
func writeError(format string, err error) error {
	return fmt.Errorf("image: %s: write: %w", format, err)
}

// copyN copies exactly n bytes from r to w through buf, telling a truncated
// input from a failed write.
func copyN(format string, w io.Writer, r io.Reader, n int64, buf []byte) error {
	for n > 0 {
		k := int64(len(buf))
		if k > n {
			k = n
		}
		if _, err := io.ReadFull(r, buf[:k]); err != nil {
			return readError(format, err)
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return writeError(format, err)
		}
		n -= k
	}
	return nil
}

// drain reads r to its end so that a producer feeding r through a pipe is
// not left blocked on bytes the cleaner has decided to drop (trailers after
// the end of the image).
func drain(format string, r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("image: %s: read trailer: %w", format, err)
	}
	return nil
}
