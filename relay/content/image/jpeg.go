package image

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

const jpegName = "JPEG"

// JPEG copies the JPEG image in r to w keeping only what decoding needs
// (ITU-T T.81 Annex B): the frame, tables, scans and their entropy-coded
// data, the JFIF density (APP0, without its thumbnail) and the Adobe colour
// transform (APP14, without which CMYK and YCCK pictures decode with wrong
// colours). Every other application segment and comment is dropped: EXIF
// and XMP (APP1), ICC profiles (APP2), Photoshop and IPTC (APP13), Ducky
// (APP12) and the vendors' private ones. If the EXIF Orientation is not 1, a
// fresh EXIF segment carrying only it is written (see tagOrientation).
// Anything after the end of the image, such as the second picture of a
// multi-picture (MPF) file or a phone's trailer, is read and dropped.
//
// Dropping the ICC profile means viewers assume sRGB, which is what almost
// every photo sent by mail is; a wide-gamut picture looks slightly duller.
// Profiles are not kept because their description and copyright tags can
// name a person or a machine ("Jane's MacBook Pro display").
func JPEG(w io.Writer, r io.Reader) error {
	c := &jpegCleaner{r: bufio.NewReaderSize(r, 32<<10), w: w, orientation: 1}
	return c.run()
}

type jpegCleaner struct {
	r   *bufio.Reader
	w   io.Writer
	seg [65533]byte // the largest segment payload a 16-bit length allows

	orientation int
	headerDone  bool // the first table or frame segment has been written
	jfif, adobe bool // the first of each has been written
	frame, scan bool
}

// JPEG markers (T.81 Table B.1).
const (
	mSOF0 = 0xC0
	mDHT  = 0xC4
	mJPG  = 0xC8
	mDAC  = 0xCC
	mRST0 = 0xD0
	mRST7 = 0xD7
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mAPP0 = 0xE0
	mAPP1 = 0xE1
	mAPPE = 0xEE
	mAPPF = 0xEF
	mJPG0 = 0xF0
	mJPGD = 0xFD
	mCOM  = 0xFE
	mTEM  = 0x01
)

func (c *jpegCleaner) run() error {
	var soi [2]byte
	if _, err := io.ReadFull(c.r, soi[:]); err != nil {
		return readError(jpegName, err)
	}
	if soi != [2]byte{0xFF, mSOI} {
		return fmt.Errorf("image: jpeg: no start of image: %w", malformed(jpegName))
	}
	if err := c.write(soi[:]); err != nil {
		return err
	}
	m, err := c.marker()
	for err == nil {
		switch {
		case m == mEOI:
			if !c.scan {
				return fmt.Errorf("image: jpeg: end of image before any scan: %w", malformed(jpegName))
			}
			if err := c.write([]byte{0xFF, mEOI}); err != nil {
				return err
			}
			return drain(jpegName, c.r)
		case m == mTEM:
			// No payload and no meaning outside arithmetic-coding tests.
		case m == mSOI || (m >= mRST0 && m <= mRST7) || m < mSOF0 && m != mTEM:
			return fmt.Errorf("image: jpeg: marker out of place: %w", malformed(jpegName))
		case m == mJPG || (m >= mJPG0 && m <= mJPGD):
			// JPEG extensions (JPEG-LS, T.84 ...): their segments may
			// hold anything and nothing here knows how to read them.
			return fmt.Errorf("image: jpeg: extension marker: %w", unsupported(jpegName))
		default:
			var p []byte
			if p, err = c.segment(); err != nil {
				return err
			}
			if err = c.handle(m, p); err != nil {
				return err
			}
			if m == mSOS {
				m, err = c.entropy()
				continue
			}
		}
		m, err = c.marker()
	}
	return err
}

// handle writes or drops the segment p introduced by marker m.
func (c *jpegCleaner) handle(m byte, p []byte) error {
	switch {
	case m == mAPP0:
		// JFIF (JFIF 1.02 §4): identifier, version, units, densities,
		// then an optional thumbnail, dropped because it can show the
		// picture before it was cropped.
		if c.jfif || len(p) < 14 || !bytes.HasPrefix(p, []byte("JFIF\x00")) {
			return nil
		}
		c.jfif = true
		q := append([]byte(nil), p[:14]...)
		q[12], q[13] = 0, 0
		return c.writeSegment(mAPP0, q)
	case m == mAPP1:
		if !c.headerDone && c.orientation == 1 && bytes.HasPrefix(p, []byte("Exif\x00\x00")) {
			c.orientation = exifOrientation(p[6:])
		}
		return nil
	case m == mAPPE:
		// Adobe (Adobe TN 5116 §18): identifier, version, two flag words
		// and the colour transform; nothing of the sender in it.
		if c.adobe || len(p) < 12 || !bytes.HasPrefix(p, []byte("Adobe")) {
			return nil
		}
		c.adobe = true
		return c.writeSegment(m, p[:12])
	case m > mAPP1 && m <= mAPPF, m == mCOM:
		return nil
	case m == mSOS:
		if !c.frame {
			return fmt.Errorf("image: jpeg: scan before frame: %w", malformed(jpegName))
		}
		c.scan = true
	case m >= mSOF0 && m <= 0xCF && m != mDHT && m != mDAC:
		if c.frame {
			return fmt.Errorf("image: jpeg: second frame: %w", malformed(jpegName))
		}
		c.frame = true
	}
	// DQT, DHT, DAC, DRI, DNL, DHP, EXP, SOFn and SOS.
	if err := c.header(); err != nil {
		return err
	}
	return c.writeSegment(m, p)
}

// header writes the fresh EXIF segment, if one is needed, once: before the
// first segment that is not an application segment, where EXIF readers
// expect it (EXIF 2.32 §4.5.4).
func (c *jpegCleaner) header() error {
	if c.headerDone {
		return nil
	}
	c.headerDone = true
	if c.orientation == 1 {
		return nil
	}
	return c.writeSegment(mAPP1, append([]byte("Exif\x00\x00"), orientationTIFF(c.orientation)...))
}

// marker reads the next marker outside entropy-coded data, skipping fill
// bytes (T.81 B.1.1.2).
func (c *jpegCleaner) marker() (byte, error) {
	b, err := c.r.ReadByte()
	if err != nil {
		return 0, readError(jpegName, err)
	}
	if b != 0xFF {
		return 0, fmt.Errorf("image: jpeg: expected a marker: %w", malformed(jpegName))
	}
	for b == 0xFF {
		if b, err = c.r.ReadByte(); err != nil {
			return 0, readError(jpegName, err)
		}
	}
	if b == 0 {
		return 0, fmt.Errorf("image: jpeg: stuffed byte outside a scan: %w", malformed(jpegName))
	}
	return b, nil
}

// segment reads the payload of a marker segment into c.seg.
func (c *jpegCleaner) segment() ([]byte, error) {
	var l [2]byte
	if _, err := io.ReadFull(c.r, l[:]); err != nil {
		return nil, readError(jpegName, err)
	}
	n := int(binary.BigEndian.Uint16(l[:]))
	if n < 2 {
		return nil, fmt.Errorf("image: jpeg: segment length: %w", malformed(jpegName))
	}
	p := c.seg[:n-2]
	if _, err := io.ReadFull(c.r, p); err != nil {
		return nil, readError(jpegName, err)
	}
	return p, nil
}

// entropy copies entropy-coded data up to the next marker that is not a
// restart marker or a stuffed zero (T.81 B.1.1.5, F.1.2.3) and returns that
// marker. Fill bytes before it are dropped.
func (c *jpegCleaner) entropy() (byte, error) {
	for {
		chunk, err := c.r.ReadSlice(0xFF)
		data := chunk
		if err == nil {
			data = chunk[:len(chunk)-1]
		}
		if len(data) > 0 {
			if werr := c.write(data); werr != nil {
				return 0, werr
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return 0, readError(jpegName, err)
		}
		b, err := c.r.ReadByte()
		for err == nil && b == 0xFF {
			b, err = c.r.ReadByte()
		}
		if err != nil {
			return 0, readError(jpegName, err)
		}
		if b != 0 && (b < mRST0 || b > mRST7) {
			return b, nil
		}
		if err := c.write([]byte{0xFF, b}); err != nil {
			return 0, err
		}
	}
}

func (c *jpegCleaner) writeSegment(m byte, p []byte) error {
	h := [4]byte{0xFF, m}
	binary.BigEndian.PutUint16(h[2:], uint16(len(p)+2))
	if err := c.write(h[:]); err != nil {
		return err
	}
	return c.write(p)
}

func (c *jpegCleaner) write(b []byte) error {
	if _, err := c.w.Write(b); err != nil {
		return writeError(jpegName, err)
	}
	return nil
}
