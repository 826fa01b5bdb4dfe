package corpus

import (
	"path/filepath"
	"testing"
)

// corpus is a directory to test, with a subtest name.
type corpus struct{ name, dir string }

// corpora returns the project's corpus directories, named by their place
// under testdata, and, when LEAK_CORPUS is set, the shared sample's.
func corpora(t *testing.T) []corpus {
	t.Helper()
	var cs []corpus
	root := testdata()
	for _, d := range Dirs() {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			rel = d
		}
		cs = append(cs, corpus{filepath.ToSlash(rel), d})
	}
	for _, k := range []string{Clients, Content, Hostile} {
		if d, ok := Shared(k); ok {
			cs = append(cs, corpus{"shared/" + k, d})
		} else {
			t.Logf("shared %s corpus not used: set LEAK_CORPUS to the shared corpus directory", k)
		}
	}
	return cs
}

// TestValidateCorpus: every corpus means what it says. A secret that is not in
// its input would make every leak check of it pass vacuously.
func TestValidateCorpus(t *testing.T) {
	for _, c := range corpora(t) {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range Validate(c.dir) {
				t.Error(p)
			}
		})
	}
}
