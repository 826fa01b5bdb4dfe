package spool

import (
	"bufio"
	"bytes"
	"testing"
	"time"
)

// segmentBytes builds a segment holding a record for each body.
func segmentBytes(t testing.TB, bodies ...string) []byte {
	t.Helper()
	seg := []byte(segMagic)
	for i, b := range bodies {
		js, err := encodeMeta(Meta{
			ID: validIDs[i%len(validIDs)], Rcpt: "a@b.example", Created: time.Unix(1_800_000_000, 0), Prefix: "P: x\r\n",
		})
		if err != nil {
			t.Fatal(err)
		}
		rec := append(make([]byte, recHdrLen), b...)
		rec = append(rec, js...)
		sealRecord(rec, len(b))
		seg = append(seg, rec...)
	}
	return seg
}

var validIDs = []string{"0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"}

func scanBytes(seg []byte) ([]scanned, int64, int, error) {
	bad := 0
	br := bufio.NewReader(bytes.NewReader(seg[len(segMagic):]))
	recs, end, err := scanRecords(br, int64(len(seg)), func(int64, string, error) { bad++ })
	return recs, end, bad, err
}

func TestScanRecords(t *testing.T) {
	seg := segmentBytes(t, "Subject: a\r\n\r\nx\r\n", "", "Subject: c\r\n\r\nLREC\r\n")
	recs, end, bad, err := scanBytes(seg)
	if err != nil || bad != 0 || end != int64(len(seg)) || len(recs) != 3 {
		t.Fatalf("got %d records, end %d of %d, %d bad, %v", len(recs), end, len(seg), bad, err)
	}
	for i, r := range recs {
		body := seg[r.off+recHdrLen : r.off+recHdrLen+r.bodyLen]
		if want := []string{"Subject: a\r\n\r\nx\r\n", "", "Subject: c\r\n\r\nLREC\r\n"}[i]; string(body) != want {
			t.Errorf("record %d body %q, want %q", i, body, want)
		}
		if r.id != validIDs[i%2] {
			t.Errorf("record %d id %s", i, r.id)
		}
	}
	// A removed record is skipped, without complaint, and the rest read.
	dead := bytes.Clone(seg)
	dead[recs[1].off+deadAt] = deadByte
	if got, end, bad, err := scanBytes(dead); err != nil || bad != 0 || end != int64(len(seg)) ||
		len(got) != 2 || got[0].id != recs[0].id || got[1].off != recs[2].off {
		t.Errorf("with the middle record removed: %+v, end %d, %d bad, %v", got, end, bad, err)
	}
	// Every cut inside the last record leaves the first two.
	for cut := int(recs[2].off); cut < len(seg); cut++ {
		recs, end, _, err := scanBytes(seg[:cut])
		if err != nil || len(recs) != 2 || end != recs2end(recs) {
			t.Fatalf("cut at %d: %d records, end %d, %v", cut, len(recs), end, err)
		}
	}
}

func recs2end(recs []scanned) int64 {
	r := recs[len(recs)-1]
	return r.off + recHdrLen + r.bodyLen + r.metaLen
}

// FuzzScanRecords feeds arbitrary segments to the scanner, which reads
// whatever a crash, a disk error or an operator left in seg/.
func FuzzScanRecords(f *testing.F) {
	valid := segmentBytes(f, "Subject: x\r\n\r\nhi\r\n", "body")
	f.Add(valid)
	f.Add(valid[:len(valid)-3])
	flipped := bytes.Clone(valid)
	flipped[len(segMagic)+recHdrLen+2] ^= 1
	f.Add(flipped)
	f.Add([]byte(segMagic + "LREC\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte(segMagic + "LREC\xff\xff\xff\xff\xff\xff\xff\xff"))
	dead := bytes.Clone(valid)
	dead[len(segMagic)+deadAt] = deadByte
	f.Add(dead)
	f.Fuzz(func(t *testing.T, seg []byte) {
		if len(seg) < len(segMagic) {
			return
		}
		recs, end, _, err := scanBytes(seg)
		if err != nil {
			t.Fatalf("in-memory scan returned an error: %v", err)
		}
		if end < int64(len(segMagic)) || end > int64(len(seg)) {
			t.Fatalf("end %d out of a %d byte segment", end, len(seg))
		}
		prev := int64(len(segMagic))
		for _, r := range recs {
			if r.off < prev || r.off+recHdrLen+r.bodyLen+r.metaLen > end {
				t.Fatalf("record at %d (body %d, meta %d) outside [%d, %d)", r.off, r.bodyLen, r.metaLen, prev, end)
			}
			if !validID(r.id) {
				t.Fatalf("accepted invalid id %q", r.id)
			}
			prev = r.off + recHdrLen + r.bodyLen + r.metaLen
		}
		// What was accepted is accepted again from the part read.
		again, end2, _, _ := scanBytes(seg[:end])
		if len(again) != len(recs) || end2 != end {
			t.Fatalf("rescan of the first %d bytes: %d records, end %d; want %d, %d", end, len(again), end2, len(recs), end)
		}
	})
}
