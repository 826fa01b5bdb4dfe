package image

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"leak/relay/content/refusal"
)

const webpName = "WebP"

// MaxWebP bounds the WebP images WebP cleans. The RIFF header states the
// size of what follows it, and that is known only once every chunk has been
// read, so the kept chunks are held in memory until then.
const MaxWebP = 16 << 20

// WebP copies the WebP image in r to w (RFC 9649) keeping the bitstream
// chunks (VP8, VP8L, ALPH), the animation chunks (ANIM, ANMF) and VP8X,
// whose ICC, EXIF and XMP flags are cleared. ICCP, EXIF, XMP and unknown
// chunks are dropped, inside animation frames too, and the RIFF and frame
// sizes are recomputed. No EXIF Orientation is carried over: browsers and
// libwebp ignore it in WebP, so the picture already shows as it is stored.
func WebP(w io.Writer, r io.Reader) error {
	br := bufio.NewReader(r)
	var h [12]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return readError(webpName, err)
	}
	if string(h[:4]) != "RIFF" || string(h[8:]) != "WEBP" {
		return fmt.Errorf("image: webp: not a RIFF WEBP file: %w", malformed(webpName))
	}
	size := int64(binary.LittleEndian.Uint32(h[4:8]))
	if size > MaxWebP {
		return fmt.Errorf("image: webp: %w", refusal.New(refusal.TooLarge,
			"the attached WebP image is too large to clean; send a smaller picture"))
	}
	if size < 4 {
		return fmt.Errorf("image: webp: RIFF size: %w", malformed(webpName))
	}
	// Read rather than allocate by the header: a lying size costs no more
	// memory than the bytes actually sent.
	body, err := io.ReadAll(io.LimitReader(br, size-4))
	if err != nil {
		return readError(webpName, err)
	}
	if int64(len(body)) < size-4 {
		return readError(webpName, io.ErrUnexpectedEOF)
	}
	out, err := webpChunks(body, true)
	if err != nil {
		return err
	}
	h[4], h[5], h[6], h[7] = 0, 0, 0, 0
	binary.LittleEndian.PutUint32(h[4:8], uint32(4+len(out)))
	if _, err := w.Write(h[:]); err != nil {
		return writeError(webpName, err)
	}
	if _, err := w.Write(out); err != nil {
		return writeError(webpName, err)
	}
	return drain(webpName, br)
}

// webpChunks returns the chunks of b worth keeping, at the top level of
// the file (top) or inside an ANMF frame.
func webpChunks(b []byte, top bool) ([]byte, error) {
	var out []byte
	bitstream, n := false, 0
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, fmt.Errorf("image: webp: short chunk header: %w", malformed(webpName))
		}
		fourcc := string(b[:4])
		size64 := int64(binary.LittleEndian.Uint32(b[4:8]))
		if size64 > int64(len(b)-8) {
			return nil, fmt.Errorf("image: webp: chunk overruns its container: %w", malformed(webpName))
		}
		size := int(size64)
		padded := size + size&1
		data := b[8 : 8+size]
		if padded > len(b)-8 {
			// A missing pad byte after the last chunk is common enough
			// to forgive; the output gets one.
			padded = size
		}
		b = b[8+padded:]
		n++
		switch fourcc {
		case "VP8X":
			if !top || n != 1 || size != 10 {
				return nil, fmt.Errorf("image: webp: misplaced VP8X: %w", malformed(webpName))
			}
			// Flags (RFC 9649 §2.7): keep alpha (0x10) and animation
			// (0x02), clear ICC, EXIF, XMP and the reserved bits.
			x := append([]byte(nil), data...)
			x[0] &= 0x12
			x[1], x[2], x[3] = 0, 0, 0
			out = appendChunk(out, fourcc, x)
		case "VP8 ", "VP8L":
			if bitstream {
				return nil, fmt.Errorf("image: webp: second bitstream: %w", malformed(webpName))
			}
			bitstream = true
			out = appendChunk(out, fourcc, data)
		case "ALPH", "ANIM":
			out = appendChunk(out, fourcc, data)
		case "ANMF":
			if !top || size < 16 {
				return nil, fmt.Errorf("image: webp: misplaced frame: %w", malformed(webpName))
			}
			frame, err := webpChunks(data[16:], false)
			if err != nil {
				return nil, err
			}
			out = appendChunk(out, fourcc, append(append([]byte(nil), data[:16]...), frame...))
			bitstream = true
		}
		// ICCP, EXIF, "XMP " and unknown chunks are dropped.
	}
	if !bitstream {
		return nil, fmt.Errorf("image: webp: no image data: %w", malformed(webpName))
	}
	return out, nil
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
