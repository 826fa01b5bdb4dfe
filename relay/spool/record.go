package spool

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// A segment file is segMagic followed by records, each:
//
//	offset  size  field
//	0       4     recMagic "LREC"; "LRED" once removed (see scrub.go)
//	4       4     body length, big-endian uint32
//	8       4     meta length, big-endian uint32
//	12      4     CRC-32C (Castagnoli) of bytes 4..12, the body and the meta
//	16      ...   body: the message bytes, exactly as an entry file holds them
//	...     ...   meta JSON, as in an entry file's trailer
//
// The body comes before the meta so that a Writer can build the whole
// record in one buffer as the message streams in: the meta is only known
// at Commit. The lengths are under the checksum, so a record whose lengths
// were damaged is not trusted either.
const (
	segMagic  = "LEAKSEG1"
	recMagic  = "LREC"
	recHdrLen = 16
	// deadAt and deadByte: Remove overwrites the last byte of the magic.
	// One byte cannot be torn by a crash, so a record is either live or
	// removed, and its framing is never damaged by the change.
	deadAt   = 3
	deadByte = 'D'
)

// recordHeader reports whether b starts a record, live or removed.
func recordHeader(b []byte) (ok, dead bool) {
	if len(b) < len(recMagic) || string(b[:deadAt]) != recMagic[:deadAt] {
		return false, false
	}
	switch b[deadAt] {
	case recMagic[deadAt]:
		return true, false
	case deadByte:
		return true, true
	}
	return false, false
}

// castagnoli is CRC-32C: hardware-accelerated on amd64 and arm64, and
// better at catching burst errors than the IEEE polynomial.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sealRecord fills in the header of rec, which holds recHdrLen reserved
// bytes, then bodyLen bytes of body, then the meta JSON.
func sealRecord(rec []byte, bodyLen int) {
	copy(rec, recMagic)
	binary.BigEndian.PutUint32(rec[4:8], uint32(bodyLen))
	binary.BigEndian.PutUint32(rec[8:12], uint32(len(rec)-recHdrLen-bodyLen))
	sum := crc32.Update(0, castagnoli, rec[4:12])
	sum = crc32.Update(sum, castagnoli, rec[recHdrLen:])
	binary.BigEndian.PutUint32(rec[12:16], sum)
}

// scanned is one sound record found in a segment.
type scanned struct {
	id      string
	off     int64 // of the record header
	bodyLen int64
	metaLen int64
}

// scanRecords reads the records of a segment of the given size from br,
// which is positioned just after the segment magic. It returns the sound
// live records and the offset where reading stopped, which is size for a
// segment read to its end. Removed records are skipped: their body and
// meta are zeros, or about to be.
//
// Reading stops at a record that is cut short by the end of the file (the
// write a crash interrupted) or that does not start with a record header:
// nothing after it can be framed. A record whose checksum or meta is bad is
// reported to bad and skipped, provided that the next record header, or
// the end of the file, is where its lengths say: then the damage is inside
// the record and the rest of the segment is sound. (A record removed just
// before a power loss can end up so: wiped, but its dead mark lost.) Only
// read errors other than an early end of file are returned.
func scanRecords(br *bufio.Reader, size int64, bad func(off int64, id string, cause error)) ([]scanned, int64, error) {
	var recs []scanned
	var hdr [recHdrLen]byte
	var js []byte
	h := crc32.New(castagnoli)
	off := int64(len(segMagic))
	for off < size {
		if size-off < recHdrLen {
			return recs, off, nil
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return recs, off, readErr(err)
		}
		ok, dead := recordHeader(hdr[:])
		if !ok {
			return recs, off, nil
		}
		bodyLen := int64(binary.BigEndian.Uint32(hdr[4:8]))
		metaLen := int64(binary.BigEndian.Uint32(hdr[8:12]))
		next := off + recHdrLen + bodyLen + metaLen
		if metaLen > maxMetaLen || next > size {
			return recs, off, nil
		}
		if dead {
			if _, err := br.Discard(int(bodyLen + metaLen)); err != nil {
				return recs, off, readErr(err)
			}
			off = next
			continue
		}
		h.Reset()
		h.Write(hdr[4:12])
		if _, err := io.CopyN(h, br, bodyLen); err != nil {
			return recs, off, readErr(err)
		}
		if int64(cap(js)) < metaLen {
			js = make([]byte, metaLen)
		}
		js = js[:metaLen]
		if _, err := io.ReadFull(br, js); err != nil {
			return recs, off, readErr(err)
		}
		h.Write(js)
		if h.Sum32() != binary.BigEndian.Uint32(hdr[12:16]) {
			if next < size {
				if p, err := br.Peek(len(recMagic)); err != nil {
					return recs, off, nil
				} else if ok, _ := recordHeader(p); !ok {
					return recs, off, nil
				}
			}
			bad(off, idHint(js), fmt.Errorf("%w: record checksum mismatch", errCorrupt))
			off = next
			continue
		}
		m, err := decodeMeta(js, bodyLen)
		if err != nil {
			bad(off, idHint(js), err)
			off = next
			continue
		}
		recs = append(recs, scanned{id: m.ID, off: off, bodyLen: bodyLen, metaLen: metaLen})
		off = next
	}
	return recs, off, nil
}

// readErr maps an early end of file, which means the segment is shorter
// than its size said (a torn tail), to nil, and keeps real read errors.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return fmt.Errorf("spool: read segment: %w", err)
}

// idHint returns the id of a damaged record's meta if one can be read and
// has the shape of an id, else "". Only the id is ever taken from a record
// that failed its checks: it is random, the rest may hold addresses.
func idHint(js []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(js, &v) != nil || !validID(v.ID) {
		return ""
	}
	return v.ID
}
