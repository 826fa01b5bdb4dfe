package html

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"leak/relay/content/refusal"
)

// FuzzClean checks that Clean never panics, fails only with a refusal, and
// that its output re-parses with the footer outside anything it left.
func FuzzClean(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.html")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range []string{`<div style="display:none">x`, `<p><!--`, `<xmp>`, `<table><td>`, `<svg><style>`, googleInvitation} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var b strings.Builder
		err := Clean(&b, strings.NewReader(in), Options{Sender: []string{"alice@x.example"}, CID: func(s string) string { return "c" }})
		if err != nil {
			if _, ok := refusal.As(err); !ok {
				t.Fatalf("Clean: %v", err)
			}
			return
		}
		if _, err := html.Parse(strings.NewReader(b.String())); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		footerSafe(t, b.String())
	})
}

// page20k is a 20 KiB Gmail-shaped reply.
var page20k = func() string {
	b, err := os.ReadFile("testdata/gmail.html")
	if err != nil {
		panic(err)
	}
	var s strings.Builder
	s.WriteString(`<div dir="ltr">`)
	for s.Len() < 20<<10-len(b) {
		s.WriteString(`<div>Thanks for the notes; <b>most</b> of it is fine. See <a href="https://docs.example/d/1?utm_source=x">the doc</a>.</div><div><br></div>`)
	}
	s.WriteString(`</div>`)
	s.Write(b)
	return s.String()
}()

func BenchmarkHTML(b *testing.B) {
	o := Options{Sender: []string{"bob@y.example"}}
	b.SetBytes(int64(len(page20k)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Clean(io.Discard, strings.NewReader(page20k), o); err != nil {
			b.Fatal(err)
		}
	}
}
