package image

import (
	"bufio"
	"fmt"
	"io"
)

const gifName = "GIF"

// GIF copies the GIF image in r to w block by block (GIF89a §§17-27),
// dropping Comment Extensions and every Application Extension except the
// animation loop count (NETSCAPE2.0 and its twin ANIMEXTS1.0, written as
// NETSCAPE2.0): the others carry XMP ("XMP DataXMP") or an editor's
// private data. Images, Graphic
// Control and Plain Text Extensions (text drawn on the picture, so part of
// it) are kept. Anything after the trailer is read and dropped.
func GIF(w io.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 32<<10)
	buf := make([]byte, 768)
	// Header and Logical Screen Descriptor (§§17-18).
	h := buf[:13]
	if _, err := io.ReadFull(br, h); err != nil {
		return readError(gifName, err)
	}
	if v := string(h[:6]); v != "GIF87a" && v != "GIF89a" {
		return fmt.Errorf("image: gif: bad signature: %w", malformed(gifName))
	}
	if _, err := w.Write(h); err != nil {
		return writeError(gifName, err)
	}
	if err := colorTable(w, br, h[10], buf); err != nil {
		return err
	}
	images := 0
	for {
		b, err := br.ReadByte()
		if err != nil {
			return readError(gifName, err)
		}
		switch b {
		case 0x3B: // Trailer
			if images == 0 {
				return fmt.Errorf("image: gif: no image: %w", malformed(gifName))
			}
			if _, err := w.Write([]byte{b}); err != nil {
				return writeError(gifName, err)
			}
			return drain(gifName, br)
		case 0x2C: // Image Descriptor, local colour table, LZW code size
			d := buf[:11]
			d[0] = b
			if _, err := io.ReadFull(br, d[1:]); err != nil {
				return readError(gifName, err)
			}
			if _, err := w.Write(d[:10]); err != nil {
				return writeError(gifName, err)
			}
			if err := colorTable(w, br, d[9], buf); err != nil {
				return err
			}
			// The code size byte was read with the descriptor but
			// follows the colour table.
			if _, err := w.Write([]byte{d[10]}); err != nil {
				return writeError(gifName, err)
			}
			if err := subBlocks(w, br, buf); err != nil {
				return err
			}
			images++
		case 0x21:
			if err := extension(w, br, buf); err != nil {
				return err
			}
		default:
			return fmt.Errorf("image: gif: unknown block: %w", malformed(gifName))
		}
	}
}

// colorTable copies the colour table that flags (of the screen or an image
// descriptor) announce, if any.
func colorTable(w io.Writer, r io.Reader, flags byte, buf []byte) error {
	if flags&0x80 == 0 {
		return nil
	}
	return copyN(gifName, w, r, 3<<(flags&7+1), buf)
}

// extension copies or drops the extension whose introducer was just read.
func extension(w io.Writer, r *bufio.Reader, buf []byte) error {
	label, err := r.ReadByte()
	if err != nil {
		return readError(gifName, err)
	}
	switch label {
	case 0xF9, 0x01: // Graphic Control, Plain Text
		if _, err := w.Write([]byte{0x21, label}); err != nil {
			return writeError(gifName, err)
		}
		return subBlocks(w, r, buf)
	case 0xFF: // Application: an 11-byte identifier block first
		n, err := r.ReadByte()
		if err != nil {
			return readError(gifName, err)
		}
		id := buf[:n]
		if _, err := io.ReadFull(r, id); err != nil {
			return readError(gifName, err)
		}
		if s := string(id); n != 11 || s != "NETSCAPE2.0" && s != "ANIMEXTS1.0" {
			return subBlocks(io.Discard, r, buf)
		}
		return loopCount(w, r, buf)
	}
	// Comment (0xFE) and extensions no decoder knows.
	return subBlocks(io.Discard, r, buf)
}

// loopCount writes the NETSCAPE2.0 extension, whose identifier was just
// read, holding only its loop-count sub-block (ID 1, then the count); the
// other sub-blocks, or bytes stowed in more of them, are dropped. Without a
// loop count the extension is dropped whole.
func loopCount(w io.Writer, r *bufio.Reader, buf []byte) error {
	var loop []byte
	for {
		n, err := r.ReadByte()
		if err != nil {
			return readError(gifName, err)
		}
		if n == 0 {
			break
		}
		p := buf[:n]
		if _, err := io.ReadFull(r, p); err != nil {
			return readError(gifName, err)
		}
		if n == 3 && p[0] == 1 && loop == nil {
			loop = append([]byte(nil), p...)
		}
	}
	if loop == nil {
		return nil
	}
	b := append([]byte("\x21\xff\x0bNETSCAPE2.0\x03"), loop...)
	if _, err := w.Write(append(b, 0)); err != nil {
		return writeError(gifName, err)
	}
	return nil
}

// subBlocks copies data sub-blocks up to and including the block
// terminator (§15).
func subBlocks(w io.Writer, r *bufio.Reader, buf []byte) error {
	for {
		n, err := r.ReadByte()
		if err != nil {
			return readError(gifName, err)
		}
		if _, err := w.Write([]byte{n}); err != nil {
			return writeError(gifName, err)
		}
		if n == 0 {
			return nil
		}
		if err := copyN(gifName, w, r, int64(n), buf); err != nil {
			return err
		}
	}
}
