package image

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"leak/relay/content/refusal"
)

const webpName = "WebP"

// MaxWebP bounds what WebP holds in memory: the chunks before a still
// picture's bitstream (VP8X, ALPH) or all the frames of an animation. The
// RIFF header states the size of the chunks that follow it, which is known
// only once the chunks to drop have been found, so those kept before that
// point wait in memory. A still picture's bitstream itself, the bulk of
// it, is streamed.
const MaxWebP = 16 << 20

// WebP copies the WebP image in r to w (RFC 9649) keeping the bitstream
// chunks (VP8, VP8L, ALPH), the animation chunks (ANIM, ANMF) and VP8X,
// whose ICC, EXIF and XMP flags are cleared. ICCP, EXIF, XMP and unknown
// chunks are dropped, inside animation frames too, and the RIFF and frame
// sizes are recomputed. Chunks after a still picture's bitstream are read
// and dropped unexamined: the format allows only metadata there (§2.7).
//
// No EXIF Orientation is carried over: browsers and libwebp ignore it in
// WebP, so the picture already shows as it is stored.
func WebP(w io.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 32<<10)
	var h [12]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return readError(webpName, err)
	}
	if string(h[:4]) != "RIFF" || string(h[8:]) != "WEBP" {
		return fmt.Errorf("image: webp: not a RIFF WEBP file: %w", malformed(webpName))
	}
	left := int64(binary.LittleEndian.Uint32(h[4:8])) - 4
	var head []byte // kept chunks waiting for the RIFF size
	first, animated, frames := true, false, false
	for left > 0 {
		var ch [8]byte
		if left < 8 {
			return fmt.Errorf("image: webp: short chunk header: %w", malformed(webpName))
		}
		if _, err := io.ReadFull(br, ch[:]); err != nil {
			return readError(webpName, err)
		}
		left -= 8
		fourcc := string(ch[:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		if size > left {
			return fmt.Errorf("image: webp: chunk overruns the file: %w", malformed(webpName))
		}
		// A missing pad byte after the last chunk is common enough to
		// forgive; the output gets one.
		pad := min(size&1, left-size)
		left -= size + pad
		isFirst := first
		first = false
		switch fourcc {
		case "VP8 ", "VP8L":
			if animated {
				return fmt.Errorf("image: webp: still bitstream in an animation: %w", malformed(webpName))
			}
			return webpStill(w, br, head, ch, size, pad, left)
		case "VP8X":
			if !isFirst || size != 10 {
				return fmt.Errorf("image: webp: misplaced VP8X: %w", malformed(webpName))
			}
			x, err := webpRead(br, size, pad)
			if err != nil {
				return err
			}
			// Flags (§2.7): keep alpha (0x10) and animation (0x02),
			// clear ICC, EXIF, XMP and the reserved bits.
			x[0] &= 0x12
			x[1], x[2], x[3] = 0, 0, 0
			animated = x[0]&0x02 != 0
			head = appendChunk(head, fourcc, x)
		case "ALPH", "ANIM", "ANMF":
			if int64(len(head))+size > MaxWebP {
				return fmt.Errorf("image: webp: %w", refusal.New(refusal.TooLarge,
					"the attached WebP image is too large to clean; send a smaller picture"))
			}
			p, err := webpRead(br, size, pad)
			if err != nil {
				return err
			}
			switch fourcc {
			case "ANMF":
				if p, err = webpFrame(p); err != nil {
					return err
				}
				frames = true
			case "ANIM":
				// Background colour and loop count (§2.7.1.1); bytes
				// beyond them are no decoder's business.
				if len(p) < 6 {
					return fmt.Errorf("image: webp: short ANIM: %w", malformed(webpName))
				}
				p = p[:6]
			}
			head = appendChunk(head, fourcc, p)
		default: // ICCP, EXIF, "XMP " and unknown chunks
			if err := copyN(webpName, io.Discard, br, size+pad, make([]byte, 4096)); err != nil {
				return err
			}
		}
	}
	if !frames {
		return fmt.Errorf("image: webp: no image data: %w", malformed(webpName))
	}
	if err := webpWrite(w, riffHeader(len(head)), head); err != nil {
		return err
	}
	return drain(webpName, br)
}

// webpStill writes the RIFF header, the chunks kept so far and the
// bitstream chunk with header ch, streaming its data, then drops the left
// bytes of the RIFF data and anything after them.
func webpStill(w io.Writer, r *bufio.Reader, head []byte, ch [8]byte, size, pad, left int64) error {
	n := int64(len(head)) + 8 + size + size&1
	if n > 1<<32-1-4 {
		return fmt.Errorf("image: webp: RIFF size: %w", malformed(webpName))
	}
	if err := webpWrite(w, riffHeader(int(n)), head, ch[:]); err != nil {
		return err
	}
	if err := copyN(webpName, w, r, size, make([]byte, 32<<10)); err != nil {
		return err
	}
	if size&1 == 1 {
		if err := webpWrite(w, []byte{0}); err != nil {
			return err
		}
	}
	// Read what the RIFF header announced, so that a truncated file is
	// refused like any other.
	if err := copyN(webpName, io.Discard, r, pad+left, make([]byte, 4096)); err != nil {
		return err
	}
	return drain(webpName, r)
}

// webpFrame returns the ANMF payload p with only its frame header and its
// ALPH, VP8 or VP8L chunks (§2.7.1.1: a frame may also hold unknown chunks).
func webpFrame(p []byte) ([]byte, error) {
	if len(p) < 16 {
		return nil, fmt.Errorf("image: webp: short frame: %w", malformed(webpName))
	}
	out := append([]byte(nil), p[:16]...)
	bitstream := false
	for b := p[16:]; len(b) > 0; {
		if len(b) < 8 {
			return nil, fmt.Errorf("image: webp: short chunk header: %w", malformed(webpName))
		}
		fourcc := string(b[:4])
		size := int64(binary.LittleEndian.Uint32(b[4:8]))
		if size > int64(len(b)-8) {
			return nil, fmt.Errorf("image: webp: chunk overruns its frame: %w", malformed(webpName))
		}
		data := b[8 : 8+size]
		b = b[8+min(size+size&1, int64(len(b)-8)):]
		switch fourcc {
		case "VP8 ", "VP8L":
			if bitstream {
				return nil, fmt.Errorf("image: webp: second bitstream in a frame: %w", malformed(webpName))
			}
			bitstream = true
			out = appendChunk(out, fourcc, data)
		case "ALPH":
			out = appendChunk(out, fourcc, data)
		}
	}
	if !bitstream {
		return nil, fmt.Errorf("image: webp: frame without a bitstream: %w", malformed(webpName))
	}
	return out, nil
}

// webpRead reads a chunk's size bytes of data and its pad bytes.
func webpRead(r io.Reader, size, pad int64) ([]byte, error) {
	p := make([]byte, size+pad)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, readError(webpName, err)
	}
	return p[:size], nil
}

func riffHeader(n int) []byte {
	h := []byte("RIFF\x00\x00\x00\x00WEBP")
	binary.LittleEndian.PutUint32(h[4:], uint32(4+n))
	return h
}

func webpWrite(w io.Writer, bs ...[]byte) error {
	for _, b := range bs {
		if _, err := w.Write(b); err != nil {
			return writeError(webpName, err)
		}
	}
	return nil
}

func appendChunk(out []byte, fourcc string, data []byte) []byte {
	out = append(out, fourcc...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(data)))
	out = append(out, data...)
	if len(data)&1 == 1 {
		out = append(out, 0)
	}
	return out
}
