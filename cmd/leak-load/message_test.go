package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
)

func testGenerator(t testing.TB, size int) *generator {
	t.Helper()
	g, err := newGenerator("0123abcd", "load@load.example", "to+bob=example.com@leak.example", size)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestMessageSizes: every message of a run has exactly the requested size,
// for sizes on every residue of the base64 line geometry.
func TestMessageSizes(t *testing.T) {
	lo := testGenerator(t, 1).minSize()
	sizes := []int{lo, 2048, 4096, 100_000, 20 << 20}
	for s := lo + 1; s <= lo+2*b64LineBytes+7; s++ {
		sizes = append(sizes, s)
	}
	for _, size := range sizes {
		g := testGenerator(t, size)
		if g.pad > 5 {
			t.Errorf("size %d: pad %d, want at most 5", size, g.pad)
		}
		for _, seq := range []int{0, 7, 9_999_999_999} {
			m := g.Message(seq, time.Now())
			n, err := m.WriteTo(io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if int(n) != size || m.Len() != size || g.Size() != size {
				t.Fatalf("size %d seq %d: wrote %d, Len %d, Size %d", size, seq, n, m.Len(), g.Size())
			}
		}
	}
}

// TestMessageTooSmall: a size below the minimum gives the minimum.
func TestMessageTooSmall(t *testing.T) {
	g := testGenerator(t, 10)
	if got, want := g.Message(1, time.Now()).Len(), g.minSize(); got != want || want < 500 {
		t.Errorf("size 10 gave %d octets, want the minimum %d", got, want)
	}
}

// TestMessageWellFormed: the message is valid MIME with CRLF lines no
// longer than RFC 5322 allows, needs no dot-stuffing, and its attachment
// decodes to the filler.
func TestMessageWellFormed(t *testing.T) {
	g := testGenerator(t, 5000)
	sent := time.Unix(1_800_000_000, 123456789)
	var b bytes.Buffer
	g.Message(42, sent).WriteTo(&b)
	raw := b.Bytes()
	if !bytes.HasSuffix(raw, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) ||
		bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Fatal("message has bare CR or LF, or no final CRLF")
	}
	var markers []marker
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n") {
		if strings.HasPrefix(line, ".") {
			t.Errorf("line starts with a dot: %q", line)
		}
		if len(line) > 998 {
			t.Errorf("line of %d octets", len(line))
		}
		if m, ok := parseMarker([]byte(line)); ok {
			markers = append(markers, m)
		}
	}
	if len(markers) != 1 || markers[0].run != "0123abcd" || markers[0].seq != 42 || !markers[0].sent.Equal(sent) {
		t.Fatalf("markers %+v, want one for seq 42 sent at %v", markers, sent)
	}

	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Header.Get("To"); !strings.Contains(got, "to+bob=example.com@leak.example") {
		t.Errorf("To: %q", got)
	}
	mr := e.MultipartReader()
	if mr == nil {
		t.Fatal("not multipart")
	}
	var types []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := p.Header.ContentType()
		types = append(types, ct)
		body, err := io.ReadAll(p.Body) // go-message decodes base64
		if err != nil {
			t.Fatal(err)
		}
		if ct == "image/jpeg" {
			want, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(g.filler, []byte("\r\n"), nil))))
			if !bytes.Equal(body, want) || len(body) == 0 {
				t.Errorf("attachment: %d octets decoded, want %d", len(body), len(want))
			}
		}
	}
	if strings.Join(types, ",") != "text/plain,image/jpeg" {
		t.Errorf("parts %v", types)
	}
}

func TestEncodedLen(t *testing.T) {
	for raw := minFiller(); raw < minFiller()+300; raw++ {
		want := len(encodeFiller(raw))
		if got := encodedLen(raw); got != want {
			t.Errorf("encodedLen(%d) = %d, encoding has %d", raw, got, want)
		}
	}
}

func TestGeneratorRejects(t *testing.T) {
	for _, c := range []struct{ run, from, rcpt string }{
		{"short", "a@b", "c@d"},
		{"0123abcd", "no-at", "c@d"},
		{"0123abcd", "a@b", "c@d>\r\nRCPT TO:<x@y"},
	} {
		if _, err := newGenerator(c.run, c.from, c.rcpt, 2048); err == nil {
			t.Errorf("newGenerator(%q, %q, %q) accepted", c.run, c.from, c.rcpt)
		}
	}
}

func TestParseMarker(t *testing.T) {
	for _, c := range []struct {
		line string
		ok   bool
		seq  int
	}{
		{"LEAKLOAD 0123abcd 0000000042 1800000000123456789", true, 42},
		{"LEAKLOAD 0123abcd 42 1800000000123456789", true, 42},
		{"LEAKLOAD 0123abcd 0000000042", false, 0},
		{"LEAKLOAD 0123abc 0000000042 1800000000123456789", false, 0},
		{"LEAKLOAD 0123abcd -1 1800000000123456789", false, 0},
		{"LEAKLOAD 0123abcd 1 0", false, 0},
		{"LEAKLOAD 0123abcd x 1800000000123456789", false, 0},
		{"> LEAKLOAD 0123abcd 0000000042 1800000000123456789", false, 0},
		{"", false, 0},
	} {
		m, ok := parseMarker([]byte(c.line))
		if ok != c.ok || (ok && m.seq != c.seq) {
			t.Errorf("parseMarker(%q) = %+v, %v", c.line, m, ok)
		}
	}
}

func FuzzParseMarker(f *testing.F) {
	f.Add([]byte("LEAKLOAD 0123abcd 0000000042 1800000000123456789"))
	f.Add([]byte("LEAKLOAD \x00 9999999999999999999999 -5"))
	f.Fuzz(func(t *testing.T, line []byte) {
		m, ok := parseMarker(line)
		if ok && (len(m.run) != runWidth || m.seq < 0 || m.sent.UnixNano() <= 0) {
			t.Fatalf("accepted a bad marker: %+v", m)
		}
	})
}

func BenchmarkMessage(b *testing.B) {
	g := testGenerator(b, 2048)
	b.ReportAllocs()
	for i := range b.N {
		g.Message(i, time.Now()).WriteTo(io.Discard)
	}
}

// TestAttach: with a file given, every message carries it, typed by its
// extension, and the run's size is what the file makes it.
func TestAttach(t *testing.T) {
	g := testGenerator(t, 2048)
	doc := bytes.Repeat([]byte("%PDF-1.4 fake but long enough "), 100)
	g.attach(doc, "/tmp/report.pdf")
	m := g.Message(3, time.Now())
	var b bytes.Buffer
	m.WriteTo(&b)
	if b.Len() != g.Size() {
		t.Errorf("message of %d octets, Size %d", b.Len(), g.Size())
	}
	e, err := gomessage.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	mr := e.MultipartReader()
	mr.NextPart()
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	ct, params, _ := p.Header.ContentType()
	body, _ := io.ReadAll(p.Body)
	if ct != "application/pdf" || params["name"] != "report.pdf" || !bytes.Equal(body, doc) {
		t.Errorf("attachment %s %v, %d octets; want application/pdf report.pdf with the file", ct, params, len(body))
	}
}
