package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"leak/policy/testutil"

	gomessage "github.com/emersion/go-message"
)

// readable is how a real reader opens each kind of attachment that leaves
// Leak rewritten: qpdf checks a PDF's structure, LibreOffice converts a
// document to text (writer) or CSV (spreadsheets) or PDF (presentations).
var readable = map[string]string{
	"application/pdf": "qpdf",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "txt:Text",
	"application/vnd.oasis.opendocument.text":                                 "txt:Text",
	"application/rtf": "txt:Text",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "csv",
	"application/vnd.oasis.opendocument.spreadsheet":                            "csv",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "pdf",
	"application/vnd.oasis.opendocument.presentation":                           "pdf",
}

// checkReaders opens every PDF and office document in the delivered copies
// with a real reader: a cleaned document must still open, with its text.
func checkReaders(t *testing.T, copies []string) {
	t.Helper()
	dir := t.TempDir()
	byFormat := map[string][]string{}
	n := 0
	for _, path := range copies {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		e, err := gomessage.Read(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		e.Walk(func(_ []int, p *gomessage.Entity, err error) error {
			typ, params, _ := p.Header.ContentType()
			format, ok := readable[typ]
			if err != nil || !ok {
				return nil
			}
			body, err := io.ReadAll(p.Body)
			if err != nil {
				t.Errorf("%s: %s part: %v", path, typ, err)
				return nil
			}
			n++
			name := fmt.Sprintf("%03d-%s", n, filepath.Base(params["name"]))
			if filepath.Ext(name) == "" {
				name += ".pdf"
			}
			file := filepath.Join(dir, name)
			os.WriteFile(file, body, 0o600)
			byFormat[format] = append(byFormat[format], file)
			return nil
		})
	}
	t.Logf("readers: %d PDFs for qpdf, %d documents for LibreOffice", len(byFormat["qpdf"]), n-len(byFormat["qpdf"]))
	if n == 0 {
		return
	}
	if files := byFormat["qpdf"]; len(files) > 0 {
		qpdf := testutil.NeedTool(t, "qpdf")
		for _, f := range files {
			if out, err := exec.Command(qpdf, "--check", f).CombinedOutput(); err != nil {
				t.Errorf("qpdf --check %s: %v\n%s", filepath.Base(f), err, out)
			}
		}
	}
	delete(byFormat, "qpdf")
	if len(byFormat) == 0 {
		return
	}
	soffice := testutil.NeedTool(t, "soffice")
	profile := "file://" + filepath.Join(dir, "profile")
	for format, files := range byFormat {
		outDir := filepath.Join(dir, "out-"+strings.ReplaceAll(format, ":", "-"))
		args := append([]string{"-env:UserInstallation=" + profile, "--headless", "--convert-to", format, "--outdir", outDir}, files...)
		if out, err := exec.Command(soffice, args...).CombinedOutput(); err != nil {
			t.Errorf("soffice --convert-to %s: %v\n%s", format, err, out)
			continue
		}
		ext := "." + strings.SplitN(format, ":", 2)[0]
		for _, f := range files {
			conv := filepath.Join(outDir, strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))+ext)
			st, err := os.Stat(conv)
			switch {
			case err != nil:
				t.Errorf("LibreOffice could not open %s (no %s written)", filepath.Base(f), ext)
			case st.Size() == 0:
				t.Errorf("LibreOffice opened %s but found no content", filepath.Base(f))
			}
		}
	}
}
