package anonymize

import (
	"bytes"
	"strings"
	"testing"
)

func fakeCID(id []byte) string { return "H(" + string(id) + ")" }

// cidRewrite runs s through a cidWriter in pieces of size chunk.
func cidRewrite(t *testing.T, s string, chunk int) string {
	t.Helper()
	var out bytes.Buffer
	c := &cidWriter{w: &out, cid: fakeCID}
	for len(s) > 0 {
		n := min(chunk, len(s))
		if _, err := c.Write([]byte(s[:n])); err != nil {
			t.Fatal(err)
		}
		s = s[n:]
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestCIDWriter(t *testing.T) {
	long := strings.Repeat("z", 2000)
	tests := []struct{ in, want string }{
		{`<img src="cid:part1.AB@host.example" alt="">`, `<img src="cid:H(part1.AB@host.example)" alt="">`},
		{`<img src='CID:x@y'>`, `<img src='cid:H(x@y)'>`},
		{`background: url(Cid:bg@y);`, `background: url(cid:H(bg@y));`},
		{`<img src=cid:bare@y>`, `<img src=cid:H(bare@y)>`},
		{`src="cid:a%40b%2Fc"`, `src="cid:H(a@b/c)"`},
		{`at the end cid:tail@y`, `at the end cid:H(tail@y)`},
		{"cid:a\r\ncid:b cid:c\tcid:d<", "cid:H(a)\r\ncid:H(b) cid:H(c)\tcid:H(d)<"},
		// Not a reference: inside a word, or with no id.
		{`hydrochloric acid:base`, `hydrochloric acid:base`},
		{`cid: spaced`, `cid: spaced`},
		{`ccid:x cicid:y ci c`, `ccid:x cicid:y ci c`},
		{`"cid:`, `"cid:`},
		// An over-long id is replaced by the hash of its first part and
		// the rest of it dropped.
		{`"cid:` + long + `"`, `"cid:H(` + long[:maxCIDRef] + `)"`},
		{`no references here`, `no references here`},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 2, 3, 5, 4096} {
			if got := cidRewrite(t, tt.in, chunk); got != tt.want {
				t.Errorf("chunk %d: %.40q → %.60q, want %.60q", chunk, tt.in, got, tt.want)
			}
		}
	}
}
