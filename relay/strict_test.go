package relay

import "testing"

// The connection's idea of where DATA ends must match go-smtp's.
func TestEODScan(t *testing.T) {
	t.Parallel()
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
