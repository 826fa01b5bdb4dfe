package keep

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
)

// An hour file is a run of records, each:
//
//	offset  size  field
//	0       4     magic "KPT1"
//	4       16    the copy's id: its 32 hex digits as 16 bytes
//	20      4     flags, big-endian uint32: flagTruncated
//	24      4     body length, big-endian uint32
//	28      4     body checksum: CRC-32C of the body
//	32      4     header checksum: CRC-32C of bytes 0..32
//	36      ...   body: the copy's bytes, at most Options.MaxCopy
//
// The header checks itself so that Open can index a file by reading only
// the headers, and trusts no length it did not check. The body checksum is
// checked by Get on every read.
const (
	recMagic = "KPT1"
	hdrLen   = 36
	idLen    = 16

	// flagTruncated: the copy was longer than Options.MaxCopy.
	flagTruncated = 1
)

// castagnoli is CRC-32C, hardware-accelerated on amd64 and arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// key is a copy's id in binary.
type key [idLen]byte

// header is a decoded record header.
type header struct {
	id    key
	flags uint32
	n     uint32
	sum   uint32
}

// errBadID is returned for an id that is not 32 lowercase hex digits. The id
// itself is left out of the text: it may be anything a caller was handed.
var errBadID = errors.New("keep: the id is not 32 lowercase hex digits")

// parseID decodes a spool id: exactly 32 lowercase hex digits.
func parseID(id string) (key, error) {
	var k key
	if len(id) != 2*idLen {
		return k, errBadID
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return k, errBadID
		}
	}
	if _, err := hex.Decode(k[:], []byte(id)); err != nil {
		return k, errBadID
	}
	return k, nil
}

// String returns the id in hex, for errors and logs.
func (k key) String() string { return hex.EncodeToString(k[:]) }

// sealHeader fills the first hdrLen bytes of rec, whose body follows them.
func sealHeader(rec []byte, id key, flags uint32) {
	body := rec[hdrLen:]
	copy(rec[0:4], recMagic)
	copy(rec[4:20], id[:])
	binary.BigEndian.PutUint32(rec[20:24], flags)
	binary.BigEndian.PutUint32(rec[24:28], uint32(len(body)))
	binary.BigEndian.PutUint32(rec[28:32], crc32.Checksum(body, castagnoli))
	binary.BigEndian.PutUint32(rec[32:36], crc32.Checksum(rec[:32], castagnoli))
}

// parseHeader decodes and checks the header at the start of b.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < hdrLen {
		return h, errors.New("short header")
	}
	if string(b[0:4]) != recMagic {
		return h, fmt.Errorf("no record magic (found %q)", b[0:4])
	}
	if got, want := crc32.Checksum(b[:32], castagnoli), binary.BigEndian.Uint32(b[32:36]); got != want {
		return h, fmt.Errorf("header checksum %08x, want %08x", got, want)
	}
	copy(h.id[:], b[4:20])
	h.flags = binary.BigEndian.Uint32(b[20:24])
	h.n = binary.BigEndian.Uint32(b[24:28])
	h.sum = binary.BigEndian.Uint32(b[28:32])
	if h.n > maxCopyLimit {
		return h, fmt.Errorf("body length %d over the %d limit", h.n, maxCopyLimit)
	}
	return h, nil
}
