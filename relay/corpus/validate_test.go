package corpus

import (
	"path/filepath"
	"testing"
)

// corpora returns the project's corpus directories and, when LEAK_CORPUS
// is set, the shared sample's.
func corpora(t *testing.T) []string {
	t.Helper()
	dirs := Dirs()
	for _, k := range []string{Clients, Content, Hostile} {
		if d, ok := Shared(k); ok {
			dirs = append(dirs, d)
		} else {
			t.Logf("shared %s corpus not used: set LEAK_CORPUS to the shared corpus directory", k)
		}
	}
	return dirs
}

// TestValidateCorpus: every corpus means what it says. A secret that is not in
// its input would make every leak check of it pass vacuously.
func TestValidateCorpus(t *testing.T) {
	for _, dir := range corpora(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			for _, p := range Validate(dir) {
				t.Error(p)
			}
		})
	}
}
