package anonymize

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"leak/relay/corpus"
)

// The corpora are the project's own (testdata/corpus, every
// testdata/content/*/, testdata/hostile) and, when LEAK_CORPUS points at
// it, the shared sample corpus. Every copy is checked with leak/relay/corpus,
// which applies the shared corpus's matching rules in Go; leakcheck.py
// itself runs only as a cross-check, when LEAK_CORPUS is set.

// nouns maps the relay address prefix to the relationship the sender
// declares (see the README's table).
var nouns = map[string]string{
	"to":       "someone",
	"friend":   "a friend",
	"coworker": "a coworker",
	"family":   "a family member",
	"fof":      "a friend of a friend",
}

// corpusDirs returns the corpus directories of a kind, named for subtests:
// the project's by their place under testdata, the shared one as
// "shared/<kind>" (its directory is "" when LEAK_CORPUS is unset).
func corpusDirs(kind string) (names, dirs []string) {
	root, _ := filepath.Abs("testdata")
	for _, d := range corpus.Dirs(kind) {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			rel = d
		}
		names, dirs = append(names, filepath.ToSlash(rel)), append(dirs, d)
	}
	shared, _ := corpus.Shared(kind)
	return append(names, "shared/"+kind), append(dirs, shared)
}

// runCorpus runs f on every corpus directory of a kind, each as a subtest.
// The shared corpus's subtest is skipped, and says so, without LEAK_CORPUS.
func runCorpus(t *testing.T, kind string, f func(t *testing.T, m *corpus.Manifest)) {
	names, dirs := corpusDirs(kind)
	for i, dir := range dirs {
		t.Run(names[i], func(t *testing.T) {
			if strings.HasPrefix(names[i], "shared/") {
				if _, ok := corpus.Shared(kind); !ok {
					t.Skipf("LEAK_CORPUS is not set to the shared corpus (LEAK_CORPUS=/path/to/corpus with %s/ in it)", kind)
				}
			}
			m, err := corpus.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			f(t, m)
		})
	}
}

// TestCorpus rewrites every client and content corpus message for its
// deliveries and checks each copy: no secret in the raw or decoded output,
// no forbidden header at any depth, every must-keep string, part and
// picture present, no fingerprint, the relay's own From, To and Subject.
// An entry the manifest expects to be refused must make Rewrite fail; one
// it allows to be refused may. Either way the refusal must be one the
// session answers with a reply the manifest accepts.
func TestCorpus(t *testing.T) {
	for _, kind := range []string{corpus.Clients, corpus.Content} {
		runCorpus(t, kind, testCorpusDir)
	}
}

func testCorpusDir(t *testing.T, m *corpus.Manifest) {
	python := pythonPath(t)
	for _, e := range m.Messages {
		t.Run(e.File, func(t *testing.T) {
			msg, err := os.ReadFile(m.Path(e))
			if err != nil {
				t.Fatal(err)
			}
			var rcpts []string
			for _, d := range e.Deliveries {
				rel := d.Relationship
				if rel == "" {
					prefix, _, _ := strings.Cut(d.Rcpt, "+")
					rel = nouns[strings.ToLower(prefix)]
				}
				rcpts = append(rcpts, d.DeliverTo, rel)
			}
			outs, err := rewrite(t, msg, rcpts...)
			switch {
			case e.Expected.Refused() && err == nil:
				t.Fatalf("Rewrite accepted a message the manifest expects refused (%s)", e.Expected.Reply)
			case err != nil && e.Expected.MayRefuse():
				checkRefusal(t, e.Expected, err)
				return
			case err != nil:
				t.Fatalf("Rewrite: %v", err)
			}
			for i, d := range e.Deliveries {
				checkCopy(t, m, e, d.DeliverTo, rcpts[2*i+1], outs[i])
				if python != "" {
					runLeakcheck(t, python, m, e.File, d.DeliverTo, outs[i])
				}
			}
		})
	}
}

// checkCopy checks one copy with the corpus checker and with go-message's
// independent reader. A fingerprint_regex match fails the test (the
// checker only advises), because Leak removes every fingerprint it knows.
func checkCopy(t *testing.T, m *corpus.Manifest, e corpus.Entry, to, rel string, out []byte) {
	t.Helper()
	checkLines(t, out)
	hard, advisory := corpus.Check(e, out, to, m.Deep(e))
	for _, h := range hard {
		t.Errorf("%s: %s", to, h)
	}
	for _, a := range advisory {
		if strings.HasPrefix(a, "fingerprint pattern") {
			t.Errorf("%s: %s", to, a)
		} else {
			t.Logf("%s: advisory: %s", to, a)
		}
	}
	v := decodeView(out)
	for _, err := range v.errors {
		t.Errorf("%s: output does not parse: %v", to, err)
	}
	if got := v.tops["to"]; len(got) != 1 || got[0] != to {
		t.Errorf("To = %q, want exactly %q", got, to)
	}
	if e.ExpectSubject != "" {
		if got := v.tops["subject"]; len(got) != 1 || got[0] != e.ExpectSubject {
			t.Errorf("Subject = %q, want %q", got, e.ExpectSubject)
		}
	}
	wantFrom := `"` + capitalise(rel) + `, anonymously" <anonymous@leak.example>`
	if got := v.tops["from"]; len(got) != 1 || got[0] != wantFrom {
		t.Errorf("From = %q, want %q", got, wantFrom)
	}
	if t.Failed() {
		t.Logf("output for %s (%d octets), from its start:\n%s", to, len(out), out[:min(len(out), 8<<10)])
	}
}

// pythonPath returns the Python 3 interpreter to cross-check with
// leakcheck.py, or "" when LEAK_CORPUS or python3 is missing (the corpus
// checker in Go runs regardless). It asks python3 for its own path once: a
// version manager's shim costs more than the check itself.
func pythonPath(t *testing.T) string {
	t.Helper()
	if _, ok := corpus.Tool(); !ok {
		return ""
	}
	path, err := findPython()
	if path != "" {
		return path
	}
	if os.Getenv("LEAK_INTEROP") == "1" {
		t.Fatalf("python3 is missing (%v) and LEAK_INTEROP=1: leakcheck.py cannot cross-check", err)
	}
	t.Log("python3 not found: skipping the leakcheck.py cross-check")
	return ""
}

var findPython = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	return string(bytes.TrimSpace(out)), err
})

// runLeakcheck cross-checks one copy with the shared corpus's own checker.
func runLeakcheck(t *testing.T, python string, m *corpus.Manifest, file, to string, out []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.eml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	hard, notes, err := corpus.Leakcheck("", filepath.Join(m.Dir, "manifest.json"), file, path, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hard {
		t.Errorf("leakcheck.py %s → %s: %s", file, to, h)
	}
	for _, n := range notes {
		t.Log(n)
	}
}
