package office

import (
	"bytes"
	"path/filepath"
	"testing"
)

// BenchmarkCorpus cleans each corpus document; b.SetBytes reports the
// attachment's size, so MB/s compares across formats.
func BenchmarkCorpus(b *testing.B) {
	for _, e := range loadCorpus(b, corpusDir) {
		for _, a := range attachments(b, filepath.Join(corpusDir, e.File)) {
			kind := Kind(a.mediaType, a.filename)
			if _, err := clean(kind, a.data); err != nil {
				continue
			}
			b.Run(e.File[:5]+"-"+kind, func(b *testing.B) {
				b.SetBytes(int64(len(a.data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := clean(kind, a.data); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRTFStream measures the streaming RTF cleaner on a 4 MiB body.
func BenchmarkRTFStream(b *testing.B) {
	var in bytes.Buffer
	in.WriteString(`{\rtf1\ansi{\info{\author x}}`)
	for in.Len() < 4<<20 {
		in.WriteString(`{\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid9070342 Some text of a paragraph, \'e9 \{x\}\par }` + "\r\n")
	}
	in.WriteString("}")
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		var out bytes.Buffer
		if err := RTF(&out, bytes.NewReader(in.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
