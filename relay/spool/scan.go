package spool

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// scanned is one sound live record found in a segment.
type scanned struct {
	id      string
	off     int64 // of the record header
	bodyLen int64
	metaLen int64
}

// damage is a span of a segment that could not be read back.
type damage struct {
	off, end int64
	lost     int64  // records the span held, as far as the record numbers tell
	record   bool   // one record with a sound header: it can be marked removed
	wiped    bool   // a record whose removal was half kept: zeros, but not marked
	id       string // the damaged record's id, if its meta still names one
	cause    string
}

// scanResult is what reading a segment found.
type scanResult struct {
	recs []scanned // sound live records, in file order
	// next is, for format 2, the number after that of the last record
	// read; for format 1, the number of records read.
	next int64
	// end is the end of the last record read: live, removed or damaged.
	end int64
	// gapLost is the number of records in the spans skipped to find the
	// next record after damage (format 2).
	gapLost int64
	// tail is where bytes start that could not be read as records and
	// run to the end of the file; the file size if there are none.
	tail int64
	// torn says the tail looks like a write cut short: a partial header,
	// a record whose lengths run past the end of the file, or zeros.
	torn bool
}

// scanSegment reads the records of a segment of format v (1 or 2) and the
// given size. Removed records are skipped: their body and meta are zeros,
// or about to be. Every span that cannot be read is reported to bad, in
// file order, and the scan goes on after it where it can: in format 2 at
// the next record whose header checks out (resync), in format 1 only past
// a record whose framing is intact. Only read errors other than an early
// end of file are returned.
func scanSegment(r io.ReaderAt, size int64, v int, salt *[saltLen]byte, br *bufio.Reader, bad func(damage)) (scanResult, error) {
	if v == 1 {
		return scanV1(r, size, br, bad)
	}
	return scanV2(r, size, salt, br, bad)
}

// recordReader reads the body and meta of records sequentially, checking
// their sum.
type recordReader struct {
	br *bufio.Reader
	h  hash.Hash32
	js []byte
}

// check reads the body and meta of the record with header h (whose bytes
// are hdr, of format v) and reports whether they match its sum. js is the
// meta, valid until the next call. A short read returns io.ErrUnexpectedEOF.
func (rr *recordReader) check(v int, hdr []byte, h recHeader) (js []byte, ok bool, err error) {
	rr.h.Reset()
	if v == 1 {
		rr.h.Write(hdr[4:12])
	}
	if _, err := io.CopyN(rr.h, rr.br, h.bodyLen); err != nil {
		return nil, false, err
	}
	if int64(cap(rr.js)) < h.metaLen {
		rr.js = make([]byte, h.metaLen)
	}
	rr.js = rr.js[:h.metaLen]
	if _, err := io.ReadFull(rr.br, rr.js); err != nil {
		return nil, false, err
	}
	rr.h.Write(rr.js)
	return rr.js, rr.h.Sum32() == h.sum, nil
}

// sound handles a live record whose header was believed: a sound one is
// added to res, a damaged one reported. A record whose sum fails and whose
// meta is all zeros was wiped by a removal whose dead mark a power loss
// lost: it is reported as wiped, which is no loss.
func (res *scanResult) sound(off, end int64, h recHeader, js []byte, sumOK bool, bad func(damage)) {
	if !sumOK {
		if h.metaLen > 0 && allZero(js) {
			bad(damage{off: off, end: end, record: true, wiped: true, cause: "wiped, not marked removed"})
			return
		}
		bad(damage{off: off, end: end, lost: 1, record: true, id: idHint(js), cause: "record checksum mismatch"})
		return
	}
	m, err := decodeMeta(js, h.bodyLen)
	if err != nil {
		bad(damage{off: off, end: end, lost: 1, record: true, id: idHint(js), cause: err.Error()})
		return
	}
	res.recs = append(res.recs, scanned{id: m.ID, off: off, bodyLen: h.bodyLen, metaLen: h.metaLen})
}

func scanV2(r io.ReaderAt, size int64, salt *[saltLen]byte, br *bufio.Reader, bad func(damage)) (scanResult, error) {
	res := scanResult{end: int64(segHdrLen), tail: size}
	rr := recordReader{br: br, h: crc32.New(castagnoli)}
	var hdr [recHdrLen]byte
	off := int64(segHdrLen)
	br.Reset(io.NewSectionReader(r, off, size-off))
	for off < size {
		if size-off < recHdrLen {
			res.tail, res.torn = off, true
			break
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			res.tail, res.torn = off, true
			return res, readErr(err)
		}
		h, ok := parseHeader(hdr[:], salt)
		if !ok || h.recNo < res.next {
			p, ph, err := resync(r, off+1, size, salt, res.next)
			if err != nil {
				return res, err
			}
			if p < 0 {
				res.tail = off
				res.torn, err = zeroRange(r, off, size)
				return res, err
			}
			lost := ph.recNo - res.next
			res.gapLost += lost
			res.next = ph.recNo
			bad(damage{off: off, end: p, lost: lost, cause: "unreadable bytes; resumed at the next record"})
			off = p
			br.Reset(io.NewSectionReader(r, off, size-off))
			continue
		}
		end := off + recHdrLen + h.bodyLen + h.metaLen
		if end > size {
			res.tail, res.torn = off, true
			break
		}
		if h.recNo > res.next {
			// Numbers skipped with the framing intact: not written so,
			// but counted rather than believed.
			lost := h.recNo - res.next
			res.gapLost += lost
			bad(damage{off: off, end: off, lost: lost, cause: "record numbers skipped"})
		}
		res.next = h.recNo + 1
		if h.dead {
			if _, err := br.Discard(int(h.bodyLen + h.metaLen)); err != nil {
				res.tail, res.torn = off, true
				return res, readErr(err)
			}
		} else {
			js, sumOK, err := rr.check(2, hdr[:], h)
			if err != nil {
				res.tail, res.torn = off, true
				return res, readErr(err)
			}
			res.sound(off, end, h, js, sumOK, bad)
		}
		res.end, off = end, end
	}
	return res, nil
}

// resync looks for the first record header at or after from whose checksum
// matches and whose number is at least next. It returns its offset and
// header, or -1.
func resync(r io.ReaderAt, from, size int64, salt *[saltLen]byte, next int64) (int64, recHeader, error) {
	buf := make([]byte, 64<<10)
	pre := []byte(recMagic[:deadAt])
	for pos := from; pos+recHdrLen <= size; {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-pos)], pos)
		if err != nil && !errors.Is(err, io.EOF) {
			return -1, recHeader{}, fmt.Errorf("spool: read segment: %w", err)
		}
		chunk := buf[:n]
		for i := 0; ; {
			j := bytes.Index(chunk[i:], pre)
			if j < 0 || i+j+recHdrLen > len(chunk) {
				break // a candidate cut by the chunk's end is read again below
			}
			k := i + j
			if h, ok := parseHeader(chunk[k:k+recHdrLen], salt); ok && h.recNo >= next {
				return pos + int64(k), h, nil
			}
			i = k + 1
		}
		if n < recHdrLen || pos+int64(n) >= size {
			break
		}
		pos += int64(n - (recHdrLen - 1))
	}
	return -1, recHeader{}, nil
}

// zeroRange reports whether the bytes from off to end are all zeros: what
// a power loss leaves of a write whose blocks were allocated but not
// written, or what an earlier recovery left of damaged bytes.
func zeroRange(r io.ReaderAt, off, end int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for off < end {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), end-off)], off)
		if !allZero(buf[:n]) {
			return false, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return true, nil
			}
			return false, fmt.Errorf("spool: read segment: %w", err)
		}
		off += int64(n)
	}
	return true, nil
}

// scanV1 reads a format 1 segment. Nothing after a damaged header can be
// framed: reading stops there. A record whose checksum or meta is bad is
// reported and skipped, provided that the next record header, or the end of
// the file, is where its lengths say: then the damage is inside the record.
func scanV1(r io.ReaderAt, size int64, br *bufio.Reader, bad func(damage)) (scanResult, error) {
	res := scanResult{end: int64(segHdrLenV1), tail: size}
	rr := recordReader{br: br, h: crc32.New(castagnoli)}
	var hdr [recHdrLenV1]byte
	off := int64(segHdrLenV1)
	br.Reset(io.NewSectionReader(r, off, size-off))
	for off < size {
		if size-off < recHdrLenV1 {
			res.tail, res.torn = off, true
			break
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			res.tail, res.torn = off, true
			return res, readErr(err)
		}
		h, ok := parseHeaderV1(hdr[:])
		if !ok {
			var err error
			res.tail = off
			res.torn, err = zeroRange(r, off, size)
			return res, err
		}
		end := off + recHdrLenV1 + h.bodyLen + h.metaLen
		if end > size {
			res.tail, res.torn = off, true
			break
		}
		if h.dead {
			if _, err := br.Discard(int(h.bodyLen + h.metaLen)); err != nil {
				res.tail, res.torn = off, true
				return res, readErr(err)
			}
		} else {
			js, sumOK, err := rr.check(1, hdr[:], h)
			if err != nil {
				res.tail, res.torn = off, true
				return res, readErr(err)
			}
			if !sumOK && end < size {
				if p, err := br.Peek(len(recMagic)); err != nil {
					res.tail = off
					return res, readErr(err)
				} else if ok, _ := magicAt(p); !ok {
					res.tail = off // the lengths were damaged
					return res, nil
				}
			}
			res.sound(off, end, h, js, sumOK, bad)
		}
		res.next++
		res.end, off = end, end
	}
	return res, nil
}

// readErr maps an early end of file, which means the segment is shorter
// than its size said (a torn tail), to nil, and keeps real read errors.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return fmt.Errorf("spool: read segment: %w", err)
}
