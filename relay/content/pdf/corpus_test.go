package pdf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/emersion/go-message"

	"leak/relay/content/refusal"
	"leak/relay/corpus"
)

// corpusDir holds real PDFs in messages, made by its gen.py.
const corpusDir = "../../anonymize/testdata/content/pdf"

// corpusEntry is an entry of the corpus manifest (relay/corpus).
type corpusEntry = corpus.Entry

func loadCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	m, err := corpus.Load(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Messages) < 10 {
		t.Fatalf("corpus has %d messages", len(m.Messages))
	}
	return m.Messages
}

// attachments returns the decoded application/pdf parts of a message file.
func attachments(t testing.TB, name string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := message.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	err = e.Walk(func(_ []int, p *message.Entity, err error) error {
		if err != nil {
			return err
		}
		if ct, _, _ := p.Header.ContentType(); ct == "application/pdf" {
			b, err := io.ReadAll(p.Body)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no PDF attachment", name)
	}
	return out
}

// replyKind maps a manifest's expected SMTP reply to the refusal behind it.
var replyKind = map[string]refusal.Kind{
	"554 5.6.0": refusal.Malformed,
	"554 5.6.1": refusal.Unsupported,
	"554 5.7.1": refusal.Encrypted,
}

func TestCorpus(t *testing.T) {
	for _, e := range loadCorpus(t) {
		t.Run(strings.TrimSuffix(e.File, ".eml"), func(t *testing.T) {
			for _, in := range attachments(t, e.File) {
				out, err := Clean(in, 64<<20)
				if e.Expected.Outcome == "reject" {
					r, ok := refusal.As(err)
					if !ok || r.Kind != replyKind[e.Expected.Reply] {
						t.Fatalf("Clean = %v, want a %v refusal", err, replyKind[e.Expected.Reply])
					}
					for _, s := range e.Secrets {
						if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(s)) {
							t.Errorf("refusal text names %q", s)
						}
					}
					continue
				}
				if err != nil {
					t.Fatalf("Clean: %v", err)
				}
				checkOutput(t, e, in, out)
			}
		})
	}
}

func checkOutput(t *testing.T, e corpusEntry, in, out []byte) {
	view := deepView(out)
	for _, s := range e.Secrets {
		if !contains(deepView(in), s) {
			t.Errorf("secret %q is not in the input (vacuous)", s)
		}
		if contains(view, s) {
			t.Errorf("secret %q survived", s)
		}
	}
	page := regexp.MustCompile(`KEEP-PDF-\d+-(page|note|link|field-value)`)
	for _, k := range e.MustKeep {
		if page.MatchString(k) && !contains(view, k) {
			t.Errorf("must-keep %q lost", k)
		}
	}
	for _, key := range []string{"/Info", "/Author", "/Producer", "/Creator", "/Metadata",
		"/PieceInfo", "/LastModified", "/JavaScript", "/JS", "/AA", "/SpiderInfo"} {
		if regexp.MustCompile(regexp.QuoteMeta(key) + `\b`).Match(view) {
			t.Errorf("output still has %s", key)
		}
	}
	if n := bytes.Count(out, []byte("%%EOF")); n != 1 {
		t.Errorf("%d %%%%EOF markers, want one revision", n)
	}
	if n := len(regexp.MustCompile(`(?m)^xref\r?$`).FindAll(out, -1)); n != 1 {
		t.Errorf("%d xref sections, want one", n)
	}
	if bytes.Contains(out, []byte("/Prev")) {
		t.Error("trailer points to a previous revision")
	}
	idOut := fileIDs(out)
	if len(idOut) != 2 || idOut[0] != idOut[1] || len(idOut[0]) != 32 {
		t.Errorf("output /ID %v", idOut)
	}
	for _, old := range fileIDs(in) {
		for _, id := range idOut {
			if strings.EqualFold(old, id) {
				t.Errorf("output keeps the input's /ID %s", id)
			}
		}
	}
	qpdfCheck(t, in, out)
}

var idRE = regexp.MustCompile(`/ID\s*\[\s*<([0-9A-Fa-f]*)>\s*<([0-9A-Fa-f]*)>`)

func fileIDs(b []byte) []string {
	var ids []string
	for _, m := range idRE.FindAllSubmatch(b, -1) {
		ids = append(ids, string(m[1]), string(m[2]))
	}
	return ids
}

// deepView is the file with every stream inflated and every UTF-16 string
// decoded appended, like leakcheck.py's deep_decode (which, unlike this,
// misses lower-case <feff…> hex strings).
func deepView(b []byte) []byte {
	view := append([]byte(nil), b...)
	for _, loc := range regexp.MustCompile(`stream\r?\n`).FindAllIndex(b, -1) {
		rest := b[loc[1]:]
		if end := bytes.Index(rest, []byte("endstream")); end >= 0 {
			rest = rest[:end]
		}
		zr, err := zlib.NewReader(bytes.NewReader(rest))
		if err != nil {
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(zr, 64<<20))
		view = append(append(view, '\n'), data...)
	}
	for _, m := range regexp.MustCompile(`<(?i:feff)([0-9A-Fa-f\s]+)>`).FindAllSubmatch(view, -1) {
		h, err := hex.DecodeString(strings.Join(strings.Fields(string(m[1])), ""))
		if err != nil || len(h)%2 != 0 {
			continue
		}
		u := make([]uint16, len(h)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(h[2*i:])
		}
		view = append(append(view, '\n'), string(utf16.Decode(u))...)
	}
	return view
}

// contains reports whether s occurs in view, ignoring case, as ASCII or as
// UTF-16 in either byte order.
func contains(view []byte, s string) bool {
	lower := bytes.ToLower(view)
	ls := strings.ToLower(s)
	if bytes.Contains(lower, []byte(ls)) {
		return true
	}
	for _, order := range []binary.AppendByteOrder{binary.BigEndian, binary.LittleEndian} {
		var u []byte
		for _, r := range utf16.Encode([]rune(ls)) {
			u = order.AppendUint16(u, r)
		}
		if bytes.Contains(lower, u) {
			return true
		}
	}
	return false
}

// qpdfCheck runs Debian's qpdf on the output: it must pass --check and
// have as many pages as the input. Without qpdf it skips the test, so call
// it last.
func qpdfCheck(t *testing.T, in, out []byte) {
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatal("qpdf not installed and LEAK_INTEROP=1")
		}
		t.Skip("qpdf not installed: output not checked with it (LEAK_INTEROP=1 makes this fail)")
	}
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(inPath, in, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outPath, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(qpdf, "--check", outPath).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, b)
	}
	npages := func(p string) string {
		b, err := exec.Command(qpdf, "--show-npages", p).Output()
		if err != nil {
			t.Errorf("qpdf --show-npages %s: %v", filepath.Base(p), err)
		}
		return strings.TrimSpace(string(b))
	}
	if a, b := npages(inPath), npages(outPath); a != b {
		t.Errorf("pages: input %s, output %s", a, b)
	}
}

// TestCorpusLeakcheck puts the cleaned PDFs back into their messages (with
// a neutral From and no Message-ID, which are the anonymizer's job) and
// runs the shared checker on each, with deep_decode.
func TestCorpusLeakcheck(t *testing.T) {
	// The shared corpus's checker lives outside the repository.
	leakcheck, ok := corpus.Tool()
	if !ok {
		t.Skip("LEAK_CORPUS is not set: no leakcheck.py to cross-check with")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatal("python3 missing and LEAK_INTEROP=1")
		}
		t.Skip("python3 missing")
	}
	manifest := filepath.Join(corpusDir, "manifest.json")
	for _, e := range loadCorpus(t) {
		if e.Expected.Outcome == "reject" {
			continue
		}
		t.Run(strings.TrimSuffix(e.File, ".eml"), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.eml")
			if err := os.WriteFile(out, rebuild(t, e.File), 0o600); err != nil {
				t.Fatal(err)
			}
			b, err := exec.Command(python, leakcheck, "check", manifest, e.File, out, "bob@example.com").CombinedOutput()
			if err != nil {
				t.Errorf("leakcheck: %v\n%s", err, b)
			}
		})
	}
}

// rebuild returns the message file name with every PDF cleaned.
func rebuild(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := message.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	e.Header.Set("From", "Anonymous <anon@leak.example>")
	e.Header.Del("Message-Id")
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, e.Header)
	if err != nil {
		t.Fatal(err)
	}
	if err := copyEntity(w, e); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func copyEntity(w *message.Writer, e *message.Entity) error {
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			pw, err := w.CreatePart(p.Header)
			if err != nil {
				return err
			}
			if err := copyEntity(pw, p); err != nil {
				return err
			}
			if err := pw.Close(); err != nil {
				return err
			}
		}
	}
	body, err := io.ReadAll(e.Body)
	if err != nil {
		return err
	}
	if ct, _, _ := e.Header.ContentType(); ct == "application/pdf" {
		if body, err = Clean(body, 64<<20); err != nil {
			return err
		}
	}
	_, err = w.Write(body)
	return err
}
