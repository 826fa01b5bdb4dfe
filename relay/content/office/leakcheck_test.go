package office

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"leak/relay/corpus"
)

// TestLeakcheck builds, for each accepted corpus message, the message a
// relay would send with only this package's work done (the subject and
// text kept, the sender's headers left out, the attachment cleaned) and
// has leakcheck judge it against the manifest.
func TestLeakcheck(t *testing.T) {
	if testing.Short() {
		t.Skip("leakcheck skipped in -short mode")
	}
	// leakcheck.py, the shared corpus's checker, decodes attachments
	// deeper than this package's tests do (UTF-16 runs, nested zips, PDF
	// streams).
	leakcheck, ok := corpus.Tool()
	if !ok {
		t.Skip("LEAK_CORPUS is not set: no leakcheck.py to cross-check with")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	manifest, err := filepath.Abs(filepath.Join(corpusDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, e := range loadCorpus(t, corpusDir) {
		if e.Expected.Outcome != "" {
			continue
		}
		t.Run(strings.TrimSuffix(e.File, ".eml"), func(t *testing.T) {
			subject, body := textOf(t, filepath.Join(corpusDir, e.File))
			a := attachments(t, filepath.Join(corpusDir, e.File))[0]
			out, err := clean(Kind(a.mediaType, a.filename), a.data)
			if err != nil {
				t.Fatal(err)
			}
			var m bytes.Buffer
			fmt.Fprintf(&m, "From: <anon@leak.example>\r\nTo: <bob@example.com>\r\nSubject: %s\r\nMIME-Version: 1.0\r\n", subject)
			m.WriteString("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
			m.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
			fmt.Fprintf(&m, "\r\n--b\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", a.mediaType, a.filename, a.filename)
			enc := base64.StdEncoding.EncodeToString(out)
			for len(enc) > 76 {
				m.WriteString(enc[:76] + "\r\n")
				enc = enc[76:]
			}
			m.WriteString(enc + "\r\n--b--\r\n")
			p := filepath.Join(dir, e.File)
			if err := os.WriteFile(p, m.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := exec.Command(python, leakcheck, "check", manifest, e.File, p, "bob@example.com").CombinedOutput()
			if err != nil {
				t.Errorf("leakcheck: %v\n%s", err, res)
			}
		})
	}
}

// textOf returns a message's subject and its text/plain body.
func textOf(t *testing.T, path string) (string, string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := message.Read(f)
	if err != nil && !message.IsUnknownCharset(err) {
		t.Fatal(err)
	}
	var body string
	e.Walk(func(_ []int, part *message.Entity, _ error) error {
		if mt, _, _ := part.Header.ContentType(); mt == "text/plain" && body == "" {
			b, _ := io.ReadAll(part.Body)
			body = string(b)
		}
		return nil
	})
	return e.Header.Get("Subject"), body
}
