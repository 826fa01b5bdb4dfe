package office

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// interopDoc is a cleaned document LibreOffice must still open, and the
// markers its converted text must contain.
type interopDoc struct {
	name    string // file name with the extension LibreOffice goes by
	app     string // "writer", "calc" or "impress"
	data    []byte
	orig    []byte // the document before cleaning, when it is a top-level one
	markers []string
}

var appOf = map[string]string{
	".docx": "writer", ".odt": "writer", ".rtf": "writer",
	".xlsx": "calc", ".ods": "calc",
	".pptx": "impress", ".odp": "impress",
}

// visible tells the markers a conversion shows: body text for writer
// (comments and annotations are not in plain text), cells for calc,
// slide text for impress.
func visible(app, marker string) bool {
	switch app {
	case "writer":
		for _, s := range []string{"-comment", "-annotation", "-note", "-thread"} {
			if strings.Contains(marker, s) {
				return false
			}
		}
		return true
	case "calc":
		return strings.Contains(marker, "cell")
	case "impress":
		return strings.Contains(marker, "slide")
	}
	return false
}

// interopDocs lists the document itself, or the documents inside a zip.
func interopDocs(t *testing.T, e corpusEntry, kind, filename string, in, out []byte) []interopDoc {
	t.Helper()
	var docs []interopDoc
	add := func(name string, data, orig []byte) {
		app := appOf[strings.ToLower(filepath.Ext(name))]
		if app == "" {
			return
		}
		text := strings.ToLower(deepText(data, 0))
		var ms []string
		for _, m := range docMarkers(e) {
			if visible(app, m) && strings.Contains(text, strings.ToLower(m)) {
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 {
			t.Errorf("no visible marker in %s to check with LibreOffice", filepath.Ext(name))
			return
		}
		base := fmt.Sprintf("%s-%d%s", strings.TrimSuffix(e.File, ".eml"), len(docs), filepath.Ext(name))
		docs = append(docs, interopDoc{name: base, app: app, data: data, orig: orig, markers: ms})
	}
	if kind != KindZip {
		add(filename, out, in)
		return docs
	}
	r, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		add(f.Name, b, nil)
	}
	return docs
}

// runInterop has LibreOffice convert every cleaned document to text, one
// soffice call per application, in a profile of its own.
func runInterop(t *testing.T, docs []interopDoc) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatalf("LEAK_INTEROP=1 but soffice is not installed")
		}
		t.Skip("soffice not installed: LibreOffice interop not checked (set LEAK_INTEROP=1 to require it)")
	}
	if testing.Short() {
		t.Skip("LibreOffice interop skipped in -short mode")
	}
	dir := t.TempDir()
	profile := "-env:UserInstallation=file://" + filepath.Join(dir, "profile")
	byApp := map[string][]string{}
	for _, d := range docs {
		p := filepath.Join(dir, "in", d.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, d.data, 0o644); err != nil {
			t.Fatal(err)
		}
		byApp[d.app] = append(byApp[d.app], p)
		if d.orig != nil {
			o := filepath.Join(dir, "in", "orig-"+d.name)
			if err := os.WriteFile(o, d.orig, 0o644); err != nil {
				t.Fatal(err)
			}
			byApp[d.app] = append(byApp[d.app], o)
		}
	}
	format := map[string]string{"writer": "txt:Text", "calc": "csv", "impress": "odp"}
	for app, files := range byApp {
		out := filepath.Join(dir, app)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		args := append([]string{profile, "--headless", "--convert-to", format[app], "--outdir", out}, files...)
		if b, err := exec.CommandContext(ctx, soffice, args...).CombinedOutput(); err != nil {
			t.Errorf("soffice %s: %v\n%s", app, err, b)
		}
		cancel()
	}
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			ext := map[string]string{"writer": ".txt", "calc": ".csv", "impress": ".odp"}[d.app]
			b, err := os.ReadFile(filepath.Join(dir, d.app, strings.TrimSuffix(d.name, filepath.Ext(d.name))+ext))
			if err != nil {
				t.Fatalf("LibreOffice did not convert the cleaned document: %v", err)
			}
			text := deepText(b, 0)
			for _, m := range d.markers {
				if !strings.Contains(text, m) {
					t.Errorf("LibreOffice's text lacks %q", m)
				}
			}
			// Cleaning changes no text: LibreOffice's plain text or CSV of
			// the original and of the cleaned document are the same.
			if d.orig == nil || d.app == "impress" {
				return
			}
			o, err := os.ReadFile(filepath.Join(dir, d.app, "orig-"+strings.TrimSuffix(d.name, filepath.Ext(d.name))+ext))
			if err != nil {
				t.Fatalf("LibreOffice did not convert the original: %v", err)
			}
			if !bytes.Equal(o, b) {
				t.Errorf("text differs from the original's:\n%q\n%q", o, b)
			}
		})
	}
}
