package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
	"time"
)

func TestTrailerRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []Meta{
		{ID: "0123456789abcdef0123456789abcdef", Rcpt: "a@b.example", Created: time.Unix(0, 0)},
		{ID: "ffffffffffffffffffffffffffffffff", From: "bounce+1@leak.example", Rcpt: "ü@ß.example",
			Created: time.Unix(1_800_000_000, 0), Prefix: "DKIM-Signature: a\r\n\tb\r\n", UTF8: true},
		{ID: "0123456789abcdef0123456789abcdee", Rcpt: "a@b.example", Created: time.Unix(1_800_000_000, 0),
			NotBefore: time.UnixMilli(1_800_000_123_456)},
	}
	for _, m := range tests {
		body := []byte("Subject: x\r\n\r\nbody\r\n")
		want := bodySum{crc32.Checksum(body, castagnoli), true}
		file, err := appendTrailer(bytes.Clone(body), m, want)
		if err != nil {
			t.Fatal(err)
		}
		got, bodyLen, sum, err := readTrailer(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			t.Fatalf("readTrailer: %v", err)
		}
		if sum != want {
			t.Errorf("body checksum %+v, want %+v", sum, want)
		}
		m.Size = int64(len(m.Prefix) + len(body))
		if !metaEqual(got, m) || bodyLen != int64(len(body)) {
			t.Errorf("got %+v (body %d), want %+v (body %d)", got, bodyLen, m, len(body))
		}
	}
}

// TestTrailerRejects covers trailers that are well framed but whose JSON is
// not a version 1 meta.
func TestTrailerRejects(t *testing.T) {
	t.Parallel()
	for _, js := range []string{
		`{"v":2,"id":"0123456789abcdef0123456789abcdef","rcpt":"a@b"}`,
		`{"v":1,"id":"../x","rcpt":"a@b"}`,
		`{"v":1,"id":"0123456789abcdef0123456789abcdef","created":"yesterday"}`,
		`{"v":1,"id":"0123456789abcdef0123456789abcdef"} {}`,
		`not json`,
	} {
		file := frame([]byte("body"), []byte(js))
		if _, _, _, err := readTrailer(bytes.NewReader(file), int64(len(file))); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: err %v, want errCorrupt", js, err)
		}
	}
}

// frame builds a file around raw meta bytes with a correct length and CRC.
func frame(body, js []byte) []byte {
	b := append(bytes.Clone(body), js...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(js)))
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(js))
	return append(b, magic...)
}

// FuzzReadTrailer feeds arbitrary files to the trailer decoder, which reads
// whatever a crash, a disk error or an operator left in q/.
func FuzzReadTrailer(f *testing.F) {
	valid, _ := appendTrailer([]byte("Subject: x\r\n\r\nhi\r\n"), Meta{
		ID: "0123456789abcdef0123456789abcdef", From: "b@leak.example", Rcpt: "a@b.example",
		Created: time.Unix(1_800_000_000, 0), Prefix: "DKIM-Signature: x\r\n",
	}, bodySum{0x1234, true})
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add([]byte(magic))
	f.Add(frame(nil, []byte(`{"v":1,"id":"0123456789abcdef0123456789abcdef"}`)))
	f.Add(frame([]byte("x"), []byte(`{}`)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, file []byte) {
		m, bodyLen, sum, err := readTrailer(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			return
		}
		if bodyLen < 0 || bodyLen > int64(len(file)-tailLen) {
			t.Fatalf("body length %d out of a %d byte file", bodyLen, len(file))
		}
		if !validID(m.ID) {
			t.Fatalf("accepted invalid id %q", m.ID)
		}
		if m.Size != int64(len(m.Prefix))+bodyLen {
			t.Fatalf("Size %d, want %d", m.Size, int64(len(m.Prefix))+bodyLen)
		}
		// What was accepted must survive a rewrite unchanged.
		again, err := appendTrailer(bytes.Clone(file[:bodyLen]), m, sum)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, bodyLen2, sum2, err := readTrailer(bytes.NewReader(again), int64(len(again)))
		if err != nil || !metaEqual(m, m2) || bodyLen2 != bodyLen || sum2 != sum {
			t.Fatalf("re-encoded trailer reads back as %+v, %d, %v; want %+v, %d", m2, bodyLen2, err, m, bodyLen)
		}
	})
}
