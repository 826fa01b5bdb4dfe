package image

import (
	"bytes"
	stdimage "image"
	"testing"

	"leak/relay/content/refusal"
)

// testdata/drawing.wmf is what LibreOffice makes of testdata/drawing.svg
// (soffice --headless --convert-to wmf drawing.svg): its drawing records
// and, in a comment escape, an EMF copy of the picture, as Windows embeds
// one when it converts an EMF to WMF.

// wmfRecord builds one WMF record of function fn with params.
func wmfRecord(fn uint16, params []byte) []byte {
	params = append(params, make([]byte, len(params)%2)...)
	r := le.AppendUint32(nil, uint32(3+len(params)/2))
	r = le.AppendUint16(r, fn)
	return append(r, params...)
}

// wmfEscapeRecord builds a META_ESCAPE.
func wmfEscapeRecord(escape uint16, data []byte) []byte {
	p := le.AppendUint16(nil, escape)
	p = le.AppendUint16(p, uint16(len(data)))
	return wmfRecord(wmfEscape, append(p, data...))
}

// wmfWith inserts records after LibreOffice's picture's header.
func wmfWith(t testing.TB, recs ...[]byte) []byte {
	t.Helper()
	in := readTestdata(t, "drawing.wmf")
	at := 22 + 18
	out := append([]byte(nil), in[:at]...)
	for _, r := range recs {
		out = append(out, r...)
	}
	out = append(out, in[at:]...)
	words := uint32(len(out)-22) / 2
	le.PutUint16(out[22+6:], uint16(words))
	le.PutUint16(out[22+8:], uint16(words>>16))
	return out
}

// wmfRecords splits the records after the header, up to EOF.
func wmfRecords(b []byte) [][]byte {
	var recs [][]byte
	for at := 22 + 18; at+6 <= len(b); {
		n := int(le.Uint32(b[at:])) * 2
		recs = append(recs, b[at:at+n])
		if le.Uint16(b[at+4:]) == wmfEOF {
			break
		}
		at += n
	}
	return recs
}

func TestWMF(t *testing.T) {
	lineCap := wmfEscapeRecord(0x0015, le.AppendUint32(nil, 2))
	in := wmfWith(t,
		wmfEscapeRecord(0x000A, []byte(`C:\Users\alice.smith\Documents\plan.doc`)),       // STARTDOC
		wmfEscapeRecord(0x1014, []byte("%!PS-Adobe-3.0 EPSF-3.0\n%%For: alice.smith\n")), // ENCAPSULATED_POSTSCRIPT
		lineCap)
	var b bytes.Buffer
	if err := WMF(&b, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	for _, s := range []string{"alice", "WMFC", "EPSF"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%q survives", s)
		}
	}
	if !bytes.Contains(out, lineCap) {
		t.Errorf("the line cap escape, which draws, was dropped")
	}
	if !bytes.Equal(out[:22], in[:22]) {
		t.Errorf("the placeable header changed")
	}
	if words := uint32(le.Uint16(out[22+6:])) | uint32(le.Uint16(out[22+8:]))<<16; int(words)*2 != len(out)-22 {
		t.Errorf("header says %d words, the picture has %d", words, (len(out)-22)/2)
	}
	var largest uint32
	var drawn, want [][]byte
	for _, r := range wmfRecords(out) {
		largest = max(largest, le.Uint32(r))
		if le.Uint16(r[4:]) != wmfEscape {
			drawn = append(drawn, r)
		}
	}
	if got := le.Uint32(out[22+12:]); got != largest {
		t.Errorf("header's largest record %d, want %d", got, largest)
	}
	for _, r := range wmfRecords(readTestdata(t, "drawing.wmf")) {
		if le.Uint16(r[4:]) != wmfEscape {
			want = append(want, r)
		}
	}
	if len(drawn) != len(want) {
		t.Fatalf("%d drawing records, want LibreOffice's %d", len(drawn), len(want))
	}
	for i := range want {
		if !bytes.Equal(drawn[i], want[i]) {
			t.Errorf("drawing record %d changed", i)
		}
	}
	var again bytes.Buffer
	if err := WMF(&again, bytes.NewReader(out)); err != nil || !bytes.Equal(again.Bytes(), out) {
		t.Errorf("cleaning the cleaned picture changes it (%v)", err)
	}
}

func TestWMFRefusals(t *testing.T) {
	good := readTestdata(t, "drawing.wmf")
	long := append([]byte(nil), good...)
	le.PutUint32(long[40:], uint32(len(good))) // the first record's size, in words
	for name, in := range map[string][]byte{
		"empty":           nil,
		"truncated":       good[:len(good)-6],
		"not WMF":         []byte("GIF89a not a metafile at all, just some words"),
		"record too long": long,
	} {
		err := WMF(&bytes.Buffer{}, bytes.NewReader(in))
		if _, ok := refusal.As(err); !ok {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
}

// TestWMFInterop: LibreOffice draws the cleaned picture, from its own
// records now that the EMF copy is gone, where it drew the original.
func TestWMFInterop(t *testing.T) {
	in := readTestdata(t, "drawing.wmf")
	var out bytes.Buffer
	if err := WMF(&out, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	// A control: the same picture at half the units per inch is drawn
	// twice as large, which shows the comparison can fail.
	control := append([]byte(nil), out.Bytes()...)
	le.PutUint16(control[14:], le.Uint16(control[14:])/2)
	var sum uint16
	for i := 0; i < 20; i += 2 {
		sum ^= le.Uint16(control[i:])
	}
	le.PutUint16(control[20:], sum)
	r := renderLibreOffice(t, map[string][]byte{"sent.wmf": in, "cleaned.wmf": out.Bytes(), "control.wmf": control})
	sent, cleaned, other := inkBox(r["sent"]), inkBox(r["cleaned"]), inkBox(r["control"])
	t.Logf("ink: sent %v, cleaned %v, control %v", sent, cleaned, other)
	if sent.Empty() || !near(sent, cleaned) {
		t.Errorf("the cleaned picture is drawn elsewhere or at another size: %v against %v", cleaned, sent)
	}
	if near(sent, other) {
		t.Errorf("the control is drawn where the original is: the comparison cannot fail")
	}
}

// near reports whether two ink boxes are the same within 4 pixels a side.
func near(a, b stdimage.Rectangle) bool {
	return abs(a.Min.X-b.Min.X) <= 4 && abs(a.Min.Y-b.Min.Y) <= 4 && abs(a.Max.X-b.Max.X) <= 4 && abs(a.Max.Y-b.Max.Y) <= 4
}

func abs(n int) int { return max(n, -n) }
