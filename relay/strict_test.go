package relay

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestStrictReader(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		err  error
	}{
		{"clean", "Subject: x\r\n\r\nbody\r\n", nil},
		{"empty", "", nil},
		{"bare LF", "Subject: x\n\r\n", errBareLF},
		{"bare CR", "Subject: x\r\r\n", errBareCR},
		{"trailing CR", "body\r", errBareCR},
		{"NUL", "a\x00b\r\n", errNUL},
		{"998 octets", strings.Repeat("a", 998) + "\r\n", nil},
		{"999 octets", strings.Repeat("a", 999) + "\r\n", errLongLine},
		{"LF dot LF", "a\r\n\n.\n", errBareLF},
	} {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tt.in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			sr := newStrictReader(r)
			out, err := io.ReadAll(sr)
			if !errors.Is(err, tt.err) {
				t.Errorf("%s (one byte %v): err %v, want %v", tt.name, oneByte, err, tt.err)
			}
			if tt.err == nil && !bytes.Equal(out, []byte(tt.in)) {
				t.Errorf("%s: output changed", tt.name)
			}
		}
	}
}

// The connection's idea of where DATA ends must match go-smtp's.
func TestEODScan(t *testing.T) {
	for _, tt := range []struct {
		in    string
		want  int
		dotCR bool // go-smtp drops a bare CR here
	}{
		{".\r\n", 3, false},
		{"a\r\n.\r\nNOOP\r\n", 6, false},
		{"a\r\n..\r\n.\r\n", 10, false},
		{"a\n.\nb\r\n.\r\n", 10, false},
		{"a\r.\rb", -1, false},
		{"a\r\n.x\r\n", -1, false},
		{"a\r\n.\rX\r\n.\r\n", 11, true},
		{".\r\r\n", -1, true},
		{"a\r\n..\rX\r\n.\r\n", 12, false}, // a stuffed dot: the CR reaches the strict reader
	} {
		for split := 0; split <= len(tt.in); split++ {
			s := eodBeginLine
			var dotCR bool
			got := s.scan([]byte(tt.in[:split]), &dotCR)
			if got < 0 {
				if g2 := s.scan([]byte(tt.in[split:]), &dotCR); g2 >= 0 {
					got = split + g2
				}
			}
			if got != tt.want || dotCR != tt.dotCR {
				t.Errorf("scan(%q) split at %d = %d, dotCR %v; want %d, %v", tt.in, split, got, dotCR, tt.want, tt.dotCR)
			}
		}
	}
}

func BenchmarkStrictReader(b *testing.B) {
	msg := []byte(strings.Repeat(strings.Repeat("x", 76)+"\r\n", 13000)) // ~1 MiB
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		io.Copy(io.Discard, newStrictReader(bytes.NewReader(msg)))
	}
}
