package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReader(t *testing.T) {
	for _, tt := range []struct {
		name     string
		in       string
		allowNUL bool
		err      error
		good     string // the most that may be read before the error
	}{
		{"clean", "Subject: x\r\n\r\nbody\r\n", false, nil, ""},
		{"empty", "", false, nil, ""},
		{"no final line end", "a\r\nb", false, nil, ""},
		{"bare LF", "Subject: x\n\r\n", false, ErrBareLF, "Subject: x"},
		{"bare CR", "Subject: x\r\r\n", false, ErrBareCR, "Subject: x\r"},
		{"CR inside a line", "a\rb\r\n", false, ErrBareCR, "a\r"},
		{"trailing CR", "body\r", false, ErrBareCR, "body\r"},
		{"NUL", "a\x00b\r\n", false, ErrNUL, "a"},
		{"NUL allowed", "a\x00b\r\n", true, nil, ""},
		{"998 octets", strings.Repeat("a", 998) + "\r\n", false, nil, ""},
		{"999 octets", "x\r\n" + strings.Repeat("a", 999) + "\r\n", false, ErrLongLine, "x\r\n" + strings.Repeat("a", 998)},
		{"LF dot LF", "a\r\n\n.\n", false, ErrBareLF, "a\r\n"},
	} {
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = strings.NewReader(tt.in)
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			r := NewReader(src)
			r.AllowNUL = tt.allowNUL
			out, err := io.ReadAll(r)
			if !errors.Is(err, tt.err) {
				t.Errorf("%s (one byte %v): err %v, want %v", tt.name, oneByte, err, tt.err)
			}
			// Reads of one byte hand over all that is good; longer
			// ones may stop at the start of the chunk that failed.
			switch {
			case tt.err == nil && string(out) != tt.in:
				t.Errorf("%s (one byte %v): read %q, want it unchanged", tt.name, oneByte, out)
			case tt.err != nil && oneByte && string(out) != tt.good:
				t.Errorf("%s (one byte): read %q, want %q", tt.name, out, tt.good)
			case tt.err != nil && !strings.HasPrefix(tt.good, string(out)):
				t.Errorf("%s: read %q, want a prefix of %q", tt.name, out, tt.good)
			}
			if _, again := r.Read(make([]byte, 8)); again != err && !(err == nil && again == io.EOF) {
				t.Errorf("%s: a later read says %v, not %v again", tt.name, again, err)
			}
		}
	}
}

// A source's own error is passed on as it is, not taken for a line error,
// and Drain reports it.
func TestReaderSourceError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("ok\r\n"), iotest.ErrReader(boom)))
	out, err := io.ReadAll(r)
	if err != boom || string(out) != "ok\r\n" {
		t.Fatalf("read %q, %v; want \"ok\\r\\n\", boom", out, err)
	}
	if err := r.Drain(make([]byte, 16)); err != boom {
		t.Errorf("Drain = %v, want boom", err)
	}
}

// Drain reads past a line error to the end of the source, and counts.
func TestReaderDrain(t *testing.T) {
	src := strings.NewReader("bad\nline\r\nrest\r\n")
	r := NewReader(src)
	if _, err := io.ReadAll(r); err != ErrBareLF {
		t.Fatalf("err %v, want ErrBareLF", err)
	}
	if err := r.Drain(make([]byte, 4)); err != nil {
		t.Fatalf("Drain = %v", err)
	}
	if src.Len() != 0 || r.N() != 16 {
		t.Errorf("left %d bytes unread, N = %d; want 0, 16", src.Len(), r.N())
	}
}

func BenchmarkReader(b *testing.B) {
	msg := []byte(strings.Repeat(strings.Repeat("x", 76)+"\r\n", 13000)) // ~1 MiB
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		io.Copy(io.Discard, NewReader(bytes.NewReader(msg)))
	}
}
