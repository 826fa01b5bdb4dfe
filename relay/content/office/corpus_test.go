package office

import (
	"archive/zip"
	"bytes"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"leak/relay/content/filename"
	"leak/relay/content/refusal"

	"leak/relay/corpus"
)

// corpusDir holds real documents made by python-docx, openpyxl, odfpy and
// LibreOffice (see gen.py there), each in a message like a real client's.
const corpusDir = "../../anonymize/testdata/content/documents"

// corpusEntry is an entry of the corpus manifest (relay/corpus).
type corpusEntry = corpus.Entry

func loadCorpus(t testing.TB, dir string) []corpusEntry {
	t.Helper()
	m, err := corpus.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m.Messages
}

type attachment struct {
	mediaType, filename string
	data                []byte
}

// attachments returns the non-text leaves of a message.
func attachments(t testing.TB, path string) []attachment {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := message.Read(f)
	if err != nil && !message.IsUnknownCharset(err) {
		t.Fatalf("parse %s: %v", path, err)
	}
	var out []attachment
	err = e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) {
			return err
		}
		mt, params, _ := part.Header.ContentType()
		if strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "text/plain") {
			return nil
		}
		name := params["name"]
		if _, dp, err := mime.ParseMediaType(part.Header.Get("Content-Disposition")); err == nil && dp["filename"] != "" {
			name = dp["filename"]
		}
		b, err := io.ReadAll(part.Body)
		if err != nil {
			return err
		}
		out = append(out, attachment{mt, name, b})
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", path, err)
	}
	return out
}

// clean runs the cleaner Kind selects, recursing into archives the way a
// caller's Member would; other members are kept as they are.
func clean(kind string, data []byte) ([]byte, error) {
	const max = 16 << 20
	member := func(name string, b []byte) ([]byte, bool, error) {
		k := Kind("application/octet-stream", name)
		if k == "" {
			return b, true, nil
		}
		out, err := clean(k, b)
		return out, err == nil, err
	}
	switch kind {
	case KindOOXML:
		return OOXML(data, max, member)
	case KindODF:
		return ODF(data, max, member)
	case KindZip:
		return Zip(data, max, member, filename.Path) // as the anonymizer does
	case KindRTF:
		var b bytes.Buffer
		err := RTF(&b, bytes.NewReader(data))
		return b.Bytes(), err
	}
	return data, nil
}

// deepText is everything a reader of the bytes could find: the bytes
// themselves and, recursively, every zip member's name and contents.
func deepText(data []byte, depth int) string {
	var b strings.Builder
	b.Write(data)
	if depth > 4 || !bytes.HasPrefix(data, []byte("PK")) {
		return b.String()
	}
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return b.String()
	}
	for _, f := range r.File {
		b.WriteString("\n" + f.Name + "\n")
		rc, err := f.Open()
		if err != nil {
			continue
		}
		m, _ := io.ReadAll(rc)
		rc.Close()
		b.WriteString(deepText(m, depth+1))
		b.WriteString(utf16Text(m))
	}
	return b.String()
}

// utf16Text decodes UTF-16LE runs, where binary members hide names.
func utf16Text(b []byte) string {
	var s strings.Builder
	for off := 0; off < 2; off++ {
		for i := off; i+1 < len(b); i += 2 {
			if b[i+1] == 0 && b[i] >= 0x20 && b[i] < 0x7f {
				s.WriteByte(b[i])
			} else {
				s.WriteByte('\n')
			}
		}
	}
	return s.String()
}

// docMarkers are the must-keep strings that live inside the document.
func docMarkers(e corpusEntry) []string {
	var out []string
	for _, k := range e.MustKeep {
		if strings.HasPrefix(k, "KEEP-DOC-") && !strings.HasSuffix(k, "-cover-note") {
			out = append(out, k)
		}
	}
	return out
}

func TestCorpus(t *testing.T) {
	entries := loadCorpus(t, corpusDir)
	if len(entries) < 14 {
		t.Fatalf("corpus has %d messages, want at least 14", len(entries))
	}
	var interop []interopDoc
	for _, e := range entries {
		t.Run(strings.TrimSuffix(e.File, ".eml"), func(t *testing.T) {
			atts := attachments(t, filepath.Join(corpusDir, e.File))
			if len(atts) != 1 {
				t.Fatalf("%d attachments, want 1", len(atts))
			}
			a := atts[0]
			kind := Kind(a.mediaType, a.filename)
			if kind == "" {
				t.Fatalf("Kind(%q, %q) selects no cleaner", a.mediaType, a.filename)
			}
			out, err := clean(kind, a.data)
			if e.Expected.Refused() {
				want := map[string]refusal.Kind{"554 5.7.1": refusal.Encrypted, "554 5.6.1": refusal.Unsupported}[e.Expected.Reply]
				r, ok := refusal.As(err)
				if !ok || r.Kind != want {
					t.Fatalf("err = %v, want a %v refusal", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("clean: %v", err)
			}
			before, after := strings.ToLower(deepText(a.data, 0)), strings.ToLower(deepText(out, 0))
			for _, s := range e.Secrets {
				if strings.Contains(after, strings.ToLower(s)) {
					t.Errorf("secret %q survives", s)
				}
			}
			for _, k := range docMarkers(e) {
				if strings.Contains(before, strings.ToLower(k)) && !strings.Contains(after, strings.ToLower(k)) {
					t.Errorf("marker %q lost", k)
				}
			}
			checkArchive(t, kind, out)
			checkUntouched(t, kind, a.data, out)
			again, err := clean(kind, out)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("cleaning the cleaned document changes it again (err %v)", err)
			}
			interop = append(interop, interopDocs(t, e, kind, a.filename, a.data, out)...)
		})
	}
	t.Run("libreoffice", func(t *testing.T) { runInterop(t, interop) })
}

// checkArchive asserts the archive hygiene every rebuilt archive promises.
func checkArchive(t *testing.T, kind string, data []byte) {
	t.Helper()
	if kind == KindRTF {
		if !bytes.HasPrefix(data, []byte(`{\rtf`)) {
			t.Errorf("cleaned RTF starts %q", data[:min(len(data), 8)])
		}
		return
	}
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("cleaned archive does not open: %v", err)
	}
	if r.Comment != "" {
		t.Errorf("archive comment kept")
	}
	epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, f := range r.File {
		if len(f.Extra) != 0 || f.Comment != "" || !f.Modified.Equal(epoch) || f.ExternalAttrs != 0 {
			t.Errorf("member %d keeps extra %x, comment %q, time %v, attrs %x", i, f.Extra, f.Comment, f.Modified, f.ExternalAttrs)
		}
		if litter(f.Name) {
			t.Errorf("member %d is operating-system litter", i)
		}
	}
	if kind == KindODF {
		if len(r.File) == 0 || r.File[0].Name != "mimetype" || r.File[0].Method != zip.Store {
			t.Errorf("mimetype is not the first, stored member")
		}
	}
	if kind == KindOOXML && (len(r.File) == 0 || r.File[0].Name != "[Content_Types].xml") {
		t.Errorf("[Content_Types].xml is not first")
	}
}

// checkUntouched asserts that members handed to Member (kept as they are
// by clean) come out byte for byte.
func checkUntouched(t *testing.T, kind string, in, out []byte) {
	t.Helper()
	if kind != KindOOXML && kind != KindODF {
		return
	}
	orig := members(t, in)
	for name, b := range members(t, out) {
		switch filepath.Ext(name) {
		case ".xml", ".rels", ".vml", ".rdf":
			continue
		}
		if o, ok := orig[name]; ok && !bytes.Equal(o, b) {
			t.Errorf("member %s changed", name)
		}
	}
}

func members(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		m[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return m
}
