package anonymize

import (
	"bytes"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
	"testing/iotest"

	"leak/relay/wire"
)

// qpEncode encodes data, written in pieces of size chunk.
func qpEncode(t *testing.T, data []byte, chunk int) []byte {
	t.Helper()
	var out bytes.Buffer
	q := &qpWriter{w: &out}
	for len(data) > 0 {
		n := min(chunk, len(data))
		if _, err := q.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestQPWriterRoundTrip: the standard library's strict decoder gets the
// octets back, whatever they are and however they were written, and every
// line is printable ASCII within 76 columns.
func TestQPWriterRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := [][]byte{
		[]byte("plain text\r\nsecond line\r\n"),
		[]byte("trailing space \r\ntrailing tab\t\r\nend with space "),
		[]byte("lone LF\nlone CR\rCR at end\r"),
		[]byte(strings.Repeat("x", 200) + "\r\n" + strings.Repeat("é", 100)),
		[]byte("a=b ==\r\n.\r\nFrom here\r\n-- \r\n"),
		[]byte(strings.Repeat(" ", 300)),
	}
	for i := 0; i < 20; i++ {
		b := make([]byte, rng.IntN(3000))
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		for _, chunk := range []int{1, 7, 4096} {
			enc := qpEncode(t, in, chunk)
			for _, line := range bytes.Split(enc, []byte("\r\n")) {
				if len(line) > 76 {
					t.Fatalf("line of %d columns: %q", len(line), line)
				}
				for _, c := range line {
					if c < ' ' && c != '\t' || c > '~' {
						t.Fatalf("octet %#x in output line %q", c, line)
					}
				}
			}
			// RFC 2045 (rule 3): no white space before a line break.
			if bytes.Contains(enc, []byte(" \r\n")) || bytes.Contains(enc, []byte("\t\r\n")) || bytes.HasSuffix(enc, []byte(" ")) {
				t.Fatalf("unencoded trailing white space in %q", enc)
			}
			got, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(enc)))
			if err != nil || !bytes.Equal(got, in) {
				t.Fatalf("round trip (chunk %d):\n in %q\nenc %q\nout %q, %v", chunk, in, enc, got, err)
			}
		}
	}
}

func TestQPWriterExact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a \r\nb\t", "a=20\r\nb=09"},
		{"x\ny", "x=0Ay"},
		{"=", "=3D"},
		{"é", "=C3=A9"},
		{strings.Repeat("a", 80), strings.Repeat("a", 75) + "=\r\naaaaa"},
	}
	for _, tt := range tests {
		if got := string(qpEncode(t, []byte(tt.in), 4096)); got != tt.want {
			t.Errorf("encode %q = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestQPReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a=3Db=\r\nc\r\n", "a=bc\r\n"},
		{"lower =c3=a9\r\n", "lower é\r\n"},
		{"bad=ZZ and =4\r\n", "bad=ZZ and =4\r\n"},
		{"trailing   \r\nnext", "trailing\r\nnext"},
		{"soft =  \r\nbreak", "soft break"},
		{"end=", "end"},
		{"", ""},
	}
	for _, tt := range tests {
		for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
			got, err := io.ReadAll(newQPReader(r))
			if err != nil || string(got) != tt.want {
				t.Errorf("decode %q = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		}
	}
}

func TestBase64Reader(t *testing.T) {
	valid := base64.StdEncoding.EncodeToString([]byte("The quick brown fox jumps over the lazy dog."))
	tests := []struct{ in, want string }{
		{valid, "The quick brown fox jumps over the lazy dog."},
		{valid[:20] + "\r\n" + valid[20:], "The quick brown fox jumps over the lazy dog."},
		// Outside the alphabet: skipped.
		{"VGhpcyBpcyBub3Qg!!!%%%dmFsaWQ=", "This is not valid"},
		// Padding in the middle ends a quantum; missing padding is fine.
		{"dmFsaWQ=ZXhh=bXBsZQ", "validexample"},
		{"QUJD QQ", "ABCA"},
		{"QUJDQ", "ABC"}, // a lone sixth of a quantum is dropped
		{"====", ""},
		{"", ""},
	}
	for _, tt := range tests {
		for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
			got, err := io.ReadAll(&base64Reader{r: r})
			if err != nil || string(got) != tt.want {
				t.Errorf("decode %q = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		}
	}
	big := make([]byte, 100000)
	for i := range big {
		big[i] = byte(i * 7)
	}
	got, err := io.ReadAll(&base64Reader{r: strings.NewReader(base64.StdEncoding.EncodeToString(big))})
	if err != nil || !bytes.Equal(got, big) {
		t.Errorf("100 kB round trip failed: %d octets, %v", len(got), err)
	}
}

// TestInputCheck: the input reader lets CRLF text through and stops at the
// first bare CR, bare LF or long line, wherever reads split the data.
func TestInputCheck(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"a\r\nb\r\n", nil},
		{"no final line end", nil},
		{strings.Repeat("x", 998) + "\r\n", nil},
		{strings.Repeat("x", 999) + "\r\n", wire.ErrLongLine},
		{"a\nb", wire.ErrBareLF},
		{"a\rb", wire.ErrBareCR},
		{"ends in CR\r", wire.ErrBareCR},
		{"\r\r\n", wire.ErrBareCR},
		{"NUL\x00 passes\r\n", nil},
	}
	for _, tt := range tests {
		for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
			in := newInput(r)
			got, err := io.ReadAll(in)
			if err != tt.want {
				t.Errorf("%.20q: err = %v, want %v", tt.in, err, tt.want)
			}
			if err == nil && string(got) != tt.in {
				t.Errorf("%.20q: read %q", tt.in, got)
			}
		}
	}
}
