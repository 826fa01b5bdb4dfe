package spool

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// Meta describes one committed copy. It is stored as JSON beside the
// message bytes: in a segment record, or in the trailer of an entry file.
type Meta struct {
	ID      string    `json:"id"`      // random, 16 bytes hex; the file name of a file entry in q/
	From    string    `json:"from"`    // envelope sender of the outgoing copy (Leak's bounce address)
	Rcpt    string    `json:"rcpt"`    // the one recipient
	Created time.Time `json:"created"` // stored as unix milliseconds
	Prefix  string    `json:"prefix"`  // DKIM-Signature fields to prepend at delivery
	UTF8    bool      `json:"utf8"`    // needs SMTPUTF8
	Size    int64     `json:"size"`    // len(Prefix) + message bytes; computed, not stored
	// NotBefore, if set, is the earliest first delivery attempt: the
	// anonymity delay, kept with the copy so a restart does not deliver it
	// early (which would date its sending).
	NotBefore time.Time `json:"not_before,omitzero"`
	// MessageID is the Message-ID field of the clean copy, which Leak
	// made up ("<random@leak domain>"): it names nothing of the sender,
	// and lets a copy forwarded to abuse@ be found in the logs. Empty for
	// operator copies (their Message-ID is the sender's) and for entries
	// written before it was stored.
	MessageID string `json:"message_id,omitempty"`
}

// diskMeta is the stored meta JSON, exactly as in docs/design.md. Size is
// not stored: it follows from the length of the message bytes.
type diskMeta struct {
	V       int    `json:"v"`
	ID      string `json:"id"`
	From    string `json:"from"`
	Rcpt    string `json:"rcpt"`
	Created int64  `json:"created"`              // unix seconds, for readers of format 1
	MS      int64  `json:"created_ms,omitempty"` // unix milliseconds: delivery latency is measured from here
	Prefix  string `json:"prefix"`
	UTF8    bool   `json:"utf8"`
	Hold    int64  `json:"not_before_ms,omitempty"` // unix milliseconds
	MsgID   string `json:"message_id,omitempty"`    // absent before it was stored
	// Sum is the CRC-32C of the message bytes of an entry file; absent
	// in a record (whose header holds its checksum) and in entry files
	// written by earlier versions. Readers of those ignore it.
	Sum *uint32 `json:"body_crc32c,omitempty"`
}

// bodySum is the checksum of an entry file's message bytes, if it has one.
type bodySum struct {
	v  uint32
	ok bool
}

const (
	formatVersion = 1
	// magic ends every entry file; tailLen is the fixed end of one: JSON
	// length, CRC-32, magic.
	magic   = "LEAKSPL1"
	tailLen = 4 + 4 + len(magic)
	// maxMetaLen bounds the meta JSON we are willing to read. Two
	// DKIM-Signature fields and two addresses take a few KiB.
	maxMetaLen = 256 << 10
	idBytes    = 16
)

// newID returns 16 random bytes in lower-case hex.
func newID() (string, error) {
	var b [idBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("spool: random id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// validID reports whether id has the shape newID gives. Only such names are
// ever joined to a spool path, so a caller-supplied id cannot escape it.
func validID(id string) bool {
	if len(id) != 2*idBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// encodeMeta returns the meta JSON stored with an entry, in a segment
// record or (with the checksum of its message bytes) in an entry file's
// trailer.
func encodeMeta(m Meta, sum bodySum) ([]byte, error) {
	dm := diskMeta{
		V:       formatVersion,
		ID:      m.ID,
		From:    m.From,
		Rcpt:    m.Rcpt,
		Created: m.Created.Unix(),
		MS:      m.Created.UnixMilli(),
		Prefix:  m.Prefix,
		UTF8:    m.UTF8,
		Hold:    unixMilli(m.NotBefore),
		MsgID:   m.MessageID,
	}
	if sum.ok {
		v := sum.v // only an entry file's meta pays for the allocation
		dm.Sum = &v
	}
	js, err := json.Marshal(dm)
	if err != nil {
		return nil, fmt.Errorf("spool: encode meta: %w", err)
	}
	if len(js) > maxMetaLen {
		return nil, fmt.Errorf("spool: meta is %d bytes, over %d", len(js), maxMetaLen)
	}
	return js, nil
}

// errCorrupt is wrapped by every decoding failure of stored data.
var errCorrupt = errors.New("corrupt spool entry")

// decodeMeta parses the stored meta JSON of an entry whose message bytes
// are bodyLen long.
func decodeMeta(js []byte, bodyLen int64) (Meta, error) {
	m, _, err := decodeMetaSum(js, bodyLen)
	return m, err
}

// decodeMetaSum is decodeMeta, and also returns the checksum of the
// message bytes that an entry file's meta holds.
func decodeMetaSum(js []byte, bodyLen int64) (Meta, bodySum, error) {
	var dm diskMeta
	if err := json.Unmarshal(js, &dm); err != nil {
		return Meta{}, bodySum{}, fmt.Errorf("%w: meta: %v", errCorrupt, err)
	}
	if dm.V != formatVersion {
		return Meta{}, bodySum{}, fmt.Errorf("%w: version %d", errCorrupt, dm.V)
	}
	if !validID(dm.ID) {
		return Meta{}, bodySum{}, fmt.Errorf("%w: invalid id", errCorrupt)
	}
	var sum bodySum
	if dm.Sum != nil {
		sum = bodySum{*dm.Sum, true}
	}
	created := time.Unix(dm.Created, 0).UTC()
	if dm.MS != 0 {
		created = time.UnixMilli(dm.MS).UTC()
	}
	var notBefore time.Time
	if dm.Hold != 0 {
		notBefore = time.UnixMilli(dm.Hold).UTC()
	}
	return Meta{
		NotBefore: notBefore,
		ID:        dm.ID,
		From:      dm.From,
		Rcpt:      dm.Rcpt,
		Created:   created,
		Prefix:    dm.Prefix,
		UTF8:      dm.UTF8,
		Size:      int64(len(dm.Prefix)) + bodyLen,
		MessageID: dm.MsgID,
	}, sum, nil
}

// unixMilli is t in unix milliseconds, or 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// appendTrailer appends the trailer of an entry file for m, whose message
// bytes have the checksum sum, to dst.
func appendTrailer(dst []byte, m Meta, sum bodySum) ([]byte, error) {
	js, err := encodeMeta(m, sum)
	if err != nil {
		return nil, err
	}
	dst = append(dst, js...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(js)))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(js))
	return append(dst, magic...), nil
}

// readTrailer decodes the trailer of an entry file of the given size. It
// returns the meta (with Size filled), the length of the message bytes,
// which start at offset 0, and their checksum if the file has one.
func readTrailer(r io.ReaderAt, size int64) (Meta, int64, bodySum, error) {
	if size < int64(tailLen) {
		return Meta{}, 0, bodySum{}, fmt.Errorf("%w: %d bytes, shorter than a trailer", errCorrupt, size)
	}
	var tail [tailLen]byte
	if _, err := r.ReadAt(tail[:], size-int64(tailLen)); err != nil {
		return Meta{}, 0, bodySum{}, fmt.Errorf("spool: read trailer: %w", err)
	}
	if string(tail[8:]) != magic {
		return Meta{}, 0, bodySum{}, fmt.Errorf("%w: bad magic", errCorrupt)
	}
	n := int64(binary.BigEndian.Uint32(tail[0:4]))
	crc := binary.BigEndian.Uint32(tail[4:8])
	if n > maxMetaLen || n > size-int64(tailLen) {
		return Meta{}, 0, bodySum{}, fmt.Errorf("%w: meta length %d out of range", errCorrupt, n)
	}
	js := make([]byte, n)
	bodyLen := size - int64(tailLen) - n
	if _, err := r.ReadAt(js, bodyLen); err != nil {
		return Meta{}, 0, bodySum{}, fmt.Errorf("spool: read meta: %w", err)
	}
	if crc32.ChecksumIEEE(js) != crc {
		return Meta{}, 0, bodySum{}, fmt.Errorf("%w: meta checksum mismatch", errCorrupt)
	}
	m, sum, err := decodeMetaSum(js, bodyLen)
	if err != nil {
		return Meta{}, 0, bodySum{}, err
	}
	return m, bodyLen, sum, nil
}
