package spool

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"testing"
	"time"
)

var validIDs = []string{"0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"}

// testSalt is the salt of the segments the tests build.
var testSalt = [saltLen]byte{1, 2, 3, 4, 5, 6, 7, 8}

// testRecord returns the record body and meta of entry i.
func testRecord(t testing.TB, i int, body string) (bodyLen int, data []byte) {
	t.Helper()
	js, err := encodeMeta(Meta{
		ID: validIDs[i%len(validIDs)], Rcpt: "a@b.example", Created: time.Unix(1_800_000_000, 0), Prefix: "P: x\r\n",
	}, bodySum{})
	if err != nil {
		t.Fatal(err)
	}
	return len(body), append([]byte(body), js...)
}

// segmentBytes builds a format 2 segment, salted with testSalt, holding a
// record for each body.
func segmentBytes(t testing.TB, bodies ...string) []byte {
	t.Helper()
	seg := append([]byte(segMagic), testSalt[:]...)
	for i, b := range bodies {
		n, data := testRecord(t, i, b)
		rec := append(make([]byte, recHdrLen), data...)
		sealData(rec, n)
		sealHeader(rec, &testSalt, int64(i))
		seg = append(seg, rec...)
	}
	return seg
}

// segmentBytesV1 builds a format 1 segment, as earlier versions wrote it.
func segmentBytesV1(t testing.TB, bodies ...string) []byte {
	t.Helper()
	seg := []byte(segMagicV1)
	for i, b := range bodies {
		n, data := testRecord(t, i, b)
		rec := append(make([]byte, recHdrLenV1), data...)
		sealRecordV1(rec, n)
		seg = append(seg, rec...)
	}
	return seg
}

// sealRecordV1 is how earlier versions sealed a record: one CRC-32C over
// the lengths, body and meta.
func sealRecordV1(rec []byte, bodyLen int) {
	copy(rec, recMagic)
	binary.BigEndian.PutUint32(rec[4:8], uint32(bodyLen))
	binary.BigEndian.PutUint32(rec[8:12], uint32(len(rec)-recHdrLenV1-bodyLen))
	sum := crc32.Update(0, castagnoli, rec[4:12])
	sum = crc32.Update(sum, castagnoli, rec[recHdrLenV1:])
	binary.BigEndian.PutUint32(rec[12:16], sum)
}

// scanBytes scans an in-memory segment of either format.
func scanBytes(seg []byte) (scanResult, []damage, error) {
	v := 2
	var salt [saltLen]byte
	if string(seg[:len(segMagicV1)]) == segMagicV1 {
		v = 1
	} else if len(seg) < segHdrLen {
		return scanResult{end: int64(len(seg)), tail: int64(len(seg))}, nil, nil // loadSegment's case
	} else {
		copy(salt[:], seg[len(segMagic):])
	}
	var bad []damage
	res, err := scanSegment(bytes.NewReader(seg), int64(len(seg)), v, &salt, bufio.NewReader(nil), func(d damage) {
		bad = append(bad, d)
	})
	return res, bad, err
}

func offs(recs []scanned) []int64 {
	var o []int64
	for _, r := range recs {
		o = append(o, r.off)
	}
	return o
}

func TestScanRecords(t *testing.T) {
	t.Parallel()
	bodies := []string{"Subject: a\r\n\r\nx\r\n", "", "Subject: c\r\n\r\nLREC\r\n"}
	for _, tc := range []struct {
		name   string
		seg    []byte
		hdrLen int64
	}{
		{"format 2", segmentBytes(t, bodies...), recHdrLen},
		{"format 1", segmentBytesV1(t, bodies...), recHdrLenV1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seg := tc.seg
			res, bad, err := scanBytes(seg)
			if err != nil || len(bad) != 0 || res.end != int64(len(seg)) || res.tail != int64(len(seg)) || len(res.recs) != 3 || res.next != 3 {
				t.Fatalf("got %d records, end %d tail %d of %d, next %d, damage %+v, %v", len(res.recs), res.end, res.tail, len(seg), res.next, bad, err)
			}
			recs := res.recs
			for i, r := range recs {
				body := seg[r.off+tc.hdrLen : r.off+tc.hdrLen+r.bodyLen]
				if string(body) != bodies[i] {
					t.Errorf("record %d body %q, want %q", i, body, bodies[i])
				}
				if r.id != validIDs[i%2] {
					t.Errorf("record %d id %s", i, r.id)
				}
			}
			// A removed record is skipped, without complaint, and the rest read.
			dead := bytes.Clone(seg)
			dead[recs[1].off+deadAt] = deadByte
			if got, bad, err := scanBytes(dead); err != nil || len(bad) != 0 || got.end != int64(len(seg)) ||
				!slices.Equal(offs(got.recs), []int64{recs[0].off, recs[2].off}) {
				t.Errorf("with the middle record removed: %+v, damage %+v, %v", got, bad, err)
			}
			// Every cut inside the last record leaves the first two, and
			// is a torn tail.
			for cut := int(recs[2].off); cut < len(seg); cut++ {
				got, bad, err := scanBytes(seg[:cut])
				torn := cut > int(recs[2].off)
				if err != nil || len(got.recs) != 2 || got.end != recs[2].off || got.tail != recs[2].off || got.torn != torn || len(bad) != 0 {
					t.Fatalf("cut at %d: %d records, end %d, tail %d torn %v, damage %+v, %v", cut, len(got.recs), got.end, got.tail, got.torn, bad, err)
				}
			}
		})
	}
}

// TestScanResync damages one record of five in a format 2 segment: the
// scan must find the records after it and count what it skipped.
func TestScanResync(t *testing.T) {
	t.Parallel()
	bodies := []string{"one\r\n", "two\r\n", "three\r\n", "four\r\n", "five\r\n"}
	seg := segmentBytes(t, bodies...)
	res, _, _ := scanBytes(seg)
	r := res.recs
	tests := []struct {
		name    string
		damage  func(b []byte)
		want    []int // records left
		lost    int64 // records counted lost in skipped spans
		records int   // damaged records with a sound header
	}{
		{"body length bit", func(b []byte) { b[r[2].off+9] ^= 0x10 }, []int{0, 1, 3, 4}, 1, 0},
		{"meta length bit", func(b []byte) { b[r[2].off+15] ^= 0x01 }, []int{0, 1, 3, 4}, 1, 0},
		{"record number", func(b []byte) { b[r[2].off+7] ^= 0x01 }, []int{0, 1, 3, 4}, 1, 0},
		{"magic overwritten", func(b []byte) { copy(b[r[2].off:], "XXXX") }, []int{0, 1, 3, 4}, 1, 0},
		{"header zeroed", func(b []byte) { clear(b[r[2].off : r[2].off+recHdrLen]) }, []int{0, 1, 3, 4}, 1, 0},
		{"two headers", func(b []byte) { b[r[1].off+10] ^= 1; b[r[2].off+10] ^= 1 }, []int{0, 3, 4}, 2, 0},
		{"body byte", func(b []byte) { b[r[2].off+recHdrLen+1] ^= 0x01 }, []int{0, 1, 3, 4}, 0, 1},
		{"data checksum", func(b []byte) { b[r[2].off+17] ^= 0x01 }, []int{0, 1, 3, 4}, 1, 0},
		{"first record", func(b []byte) { b[r[0].off+9] ^= 0x80 }, []int{1, 2, 3, 4}, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(seg)
			tc.damage(b)
			got, bad, err := scanBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for _, i := range tc.want {
				want = append(want, r[i].off)
			}
			if !slices.Equal(offs(got.recs), want) {
				t.Errorf("records at %v, want %v", offs(got.recs), want)
			}
			var lost int64
			records := 0
			for _, d := range bad {
				lost += d.lost
				if d.record {
					records++
				}
			}
			if lost-int64(records) != tc.lost || records != tc.records || got.gapLost != tc.lost {
				t.Errorf("damage %+v: %d lost in spans (gapLost %d), %d damaged records; want %d, %d", bad, lost-int64(records), got.gapLost, records, tc.lost, tc.records)
			}
			if got.tail != int64(len(b)) || got.next != 5 {
				t.Errorf("tail %d of %d, next %d", got.tail, len(b), got.next)
			}
		})
	}
}

// TestScanResyncIgnoresForgedRecords puts a whole record inside a message
// body, as a sender could, then damages the header of the record that
// holds it, so that the scan looks for the next record through the body.
// A record forged without the segment's salt must not be taken for one.
func TestScanResyncIgnoresForgedRecords(t *testing.T) {
	t.Parallel()
	forge := func(salt [saltLen]byte) string {
		_, data := testRecord(t, 1, "forged\r\n")
		rec := append(make([]byte, recHdrLen), data...)
		sealData(rec, len("forged\r\n"))
		sealHeader(rec, &salt, 1)
		return "Subject: x\r\n\r\n" + string(rec) + "\r\n"
	}
	for _, tc := range []struct {
		name   string
		salt   [saltLen]byte
		forged bool // whether the forged record is read
	}{
		{"another salt", [saltLen]byte{9, 9, 9, 9, 9, 9, 9, 9}, false},
		{"the segment's salt", testSalt, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seg := segmentBytes(t, "first\r\n", forge(tc.salt), "third\r\n")
			res, _, _ := scanBytes(seg)
			if len(res.recs) != 3 {
				t.Fatalf("undamaged: %d records", len(res.recs))
			}
			seg[res.recs[1].off+9] ^= 0x40
			got, _, err := scanBytes(seg)
			if err != nil {
				t.Fatal(err)
			}
			forged := len(got.recs) == 3 && got.recs[1].off > res.recs[1].off && got.recs[1].off < res.recs[2].off
			if forged != tc.forged {
				t.Errorf("records at %v (the damaged one was at %d): forged record read = %v, want %v", offs(got.recs), res.recs[1].off, forged, tc.forged)
			}
		})
	}
}

// FuzzScanRecords feeds arbitrary segments to the scanner, which reads
// whatever a crash, a disk error or an operator left in seg/.
func FuzzScanRecords(f *testing.F) {
	for _, valid := range [][]byte{segmentBytes(f, "Subject: x\r\n\r\nhi\r\n", "body"), segmentBytesV1(f, "Subject: x\r\n\r\nhi\r\n", "body")} {
		f.Add(valid)
		f.Add(valid[:len(valid)-3])
		flipped := bytes.Clone(valid)
		flipped[len(valid)/3] ^= 1
		f.Add(flipped)
		dead := bytes.Clone(valid)
		dead[len(segMagic)+deadAt] = deadByte
		f.Add(dead)
	}
	f.Add([]byte(segMagicV1 + "LREC\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte(segMagicV1 + "LREC\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add(append([]byte(segMagic), "saltsaltLREC\xff\xff\xff\xff\xff\xff\xff\xff"...))
	f.Fuzz(func(t *testing.T, seg []byte) {
		if len(seg) < len(segMagic) {
			return
		}
		res, bad, err := scanBytes(seg)
		if err != nil {
			t.Fatalf("in-memory scan returned an error: %v", err)
		}
		if res.end > int64(len(seg)) || res.tail > int64(len(seg)) {
			t.Fatalf("end %d, tail %d out of a %d byte segment", res.end, res.tail, len(seg))
		}
		prev := int64(0)
		for _, r := range res.recs {
			if r.off < prev || r.off+recHdrLenV1+r.bodyLen+r.metaLen > res.end {
				t.Fatalf("record at %d (body %d, meta %d) outside [%d, %d)", r.off, r.bodyLen, r.metaLen, prev, res.end)
			}
			if !validID(r.id) {
				t.Fatalf("accepted invalid id %q", r.id)
			}
			prev = r.off + recHdrLenV1 + r.bodyLen + r.metaLen
		}
		for _, d := range bad {
			if d.off < 0 || d.end < d.off || d.end > int64(len(seg)) || d.lost < 0 {
				t.Fatalf("damage %+v out of a %d byte segment", d, len(seg))
			}
		}
		// What was accepted is accepted again from the part read.
		if res.end < int64(len(seg)) {
			again, _, _ := scanBytes(seg[:res.end])
			if !slices.Equal(offs(again.recs), offs(res.recs)) {
				t.Fatalf("rescan of the first %d bytes: records at %v; want %v", res.end, offs(again.recs), offs(res.recs))
			}
		}
	})
}
