package spool

import (
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
)

// A segment file of format 2, the one written, is a 16-byte header, segMagic
// and 8 random bytes (the segment's salt), followed by records, each:
//
//	offset  size  field
//	0       4     recMagic "LREC"; "LRED" once removed (see scrub.go)
//	4       4     record number in the segment: 0, 1, 2, … big-endian uint32
//	8       4     body length, big-endian uint32
//	12      4     meta length, big-endian uint32
//	16      4     data checksum: CRC-32C (Castagnoli) of the body and meta
//	20      4     header checksum: CRC-32C of the salt, then bytes 4..20
//	24      ...   body: the message bytes, exactly as an entry file holds them
//	...     ...   meta JSON, as in an entry file's trailer
//
// The body comes before the meta so that a Writer can build the whole
// record in one buffer as the message streams in: the meta is only known
// at Commit.
//
// Each header checks itself, so that a reader that lost the framing (a
// damaged length) can find the next record: it looks for the magic and
// believes a candidate only if its header checksum matches (scan.go). The
// salt is in that checksum so that a record-shaped run of bytes inside a
// message body, which a sender could craft, never passes for a record: the
// sender cannot know the salt. The record numbers say how many records a
// damaged span held.
//
// Format 1 ("LEAKSEG1", written by earlier versions) is still read: an
// 8-byte header, then records whose 16-byte header is the magic, the two
// lengths and one CRC-32C of the lengths, body and meta. Its records cannot
// be found again after damage to a header; compaction copies them into
// format 2 segments.
const (
	segMagic    = "LEAKSEG2"
	segMagicV1  = "LEAKSEG1"
	saltLen     = 8
	segHdrLen   = len(segMagic) + saltLen
	segHdrLenV1 = len(segMagicV1)

	recMagic    = "LREC"
	recHdrLen   = 24
	recHdrLenV1 = 16
	// deadAt and deadByte: Remove overwrites the last byte of the magic.
	// One byte cannot be torn by a crash, so a record is either live or
	// removed, and its framing is never damaged by the change. The header
	// checksum leaves the magic out for that reason.
	deadAt   = 3
	deadByte = 'D'
)

// castagnoli is CRC-32C: hardware-accelerated on amd64 and arm64, and
// better at catching burst errors than the IEEE polynomial.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recHeader is a decoded record header.
type recHeader struct {
	dead    bool
	recNo   int64 // format 2 only
	bodyLen int64
	metaLen int64
	sum     uint32 // format 2: of body and meta; format 1: of lengths, body and meta
}

// magicAt reports whether b starts with a record magic, live or removed.
func magicAt(b []byte) (ok, dead bool) {
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

// sealData fills in what a Writer knows of a format 2 record: the magic,
// the lengths and the data checksum. rec holds recHdrLen reserved bytes,
// then bodyLen bytes of body, then the meta JSON. The record number and
// header checksum depend on where the record lands: sealHeader adds them.
func sealData(rec []byte, bodyLen int) {
	copy(rec, recMagic)
	binary.BigEndian.PutUint32(rec[8:12], uint32(bodyLen))
	binary.BigEndian.PutUint32(rec[12:16], uint32(len(rec)-recHdrLen-bodyLen))
	binary.BigEndian.PutUint32(rec[16:20], crc32.Checksum(rec[recHdrLen:], castagnoli))
}

// sealHeader numbers a sealed record for the segment with the given salt
// and adds its header checksum. It sets the magic to live: a compaction
// copy may have been read from a record removed meanwhile, and the
// committer decides what the copy is.
func sealHeader(rec []byte, salt *[saltLen]byte, recNo int64) {
	copy(rec, recMagic)
	binary.BigEndian.PutUint32(rec[4:8], uint32(recNo))
	binary.BigEndian.PutUint32(rec[20:24], headerSum(salt, rec))
}

// headerSum is the header checksum of the format 2 header hdr.
func headerSum(salt *[saltLen]byte, hdr []byte) uint32 {
	sum := crc32.Update(0, castagnoli, salt[:])
	return crc32.Update(sum, castagnoli, hdr[4:20])
}

// parseHeader decodes the format 2 header at the start of hdr, which must
// hold recHdrLen bytes. ok is false unless the magic and the header
// checksum are right and the meta length is in range: then the lengths and
// the record number can be believed.
func parseHeader(hdr []byte, salt *[saltLen]byte) (h recHeader, ok bool) {
	magic, dead := magicAt(hdr)
	if !magic || binary.BigEndian.Uint32(hdr[20:24]) != headerSum(salt, hdr) {
		return recHeader{}, false
	}
	h = recHeader{
		dead:    dead,
		recNo:   int64(binary.BigEndian.Uint32(hdr[4:8])),
		bodyLen: int64(binary.BigEndian.Uint32(hdr[8:12])),
		metaLen: int64(binary.BigEndian.Uint32(hdr[12:16])),
		sum:     binary.BigEndian.Uint32(hdr[16:20]),
	}
	return h, h.metaLen <= maxMetaLen
}

// parseHeaderV1 decodes a format 1 header. Nothing in it checks itself:
// ok only says that the magic is there and the meta length in range.
func parseHeaderV1(hdr []byte) (h recHeader, ok bool) {
	magic, dead := magicAt(hdr)
	if !magic {
		return recHeader{}, false
	}
	h = recHeader{
		dead:    dead,
		bodyLen: int64(binary.BigEndian.Uint32(hdr[4:8])),
		metaLen: int64(binary.BigEndian.Uint32(hdr[8:12])),
		sum:     binary.BigEndian.Uint32(hdr[12:16]),
	}
	return h, h.metaLen <= maxMetaLen
}

// sumStart is the CRC a record's checksum starts from before its body: for
// format 1 the lengths come first.
func sumStart(v int, hdr []byte) uint32 {
	if v == 1 {
		return crc32.Update(0, castagnoli, hdr[4:12])
	}
	return 0
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

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
