package office

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedCorpus is the project's shared sample of what clients attach
// (shared/corpus/content); its office documents must clean too.
const sharedCorpus = "/work/shared/corpus/content"

func TestSharedCorpus(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sharedCorpus, "manifest.json")); err != nil {
		t.Skipf("shared corpus not here: %v", err)
	}
	n := 0
	for _, e := range loadCorpus(t, sharedCorpus) {
		for _, a := range attachments(t, filepath.Join(sharedCorpus, e.File)) {
			kind := Kind(a.mediaType, a.filename)
			if kind == "" {
				continue
			}
			n++
			t.Run(e.File, func(t *testing.T) {
				out, err := clean(kind, a.data)
				if err != nil {
					t.Fatalf("clean: %v", err)
				}
				before, after := strings.ToLower(deepText(a.data, 0)), strings.ToLower(deepText(out, 0))
				for _, s := range e.Secrets {
					if strings.Contains(after, strings.ToLower(s)) {
						t.Errorf("secret %q survives", s)
					}
				}
				for _, k := range e.MustKeep {
					if strings.Contains(before, strings.ToLower(k)) && !strings.Contains(after, strings.ToLower(k)) {
						t.Errorf("must-keep %q lost", k)
					}
				}
				checkArchive(t, kind, out)
			})
		}
	}
	if n == 0 {
		t.Skip("no office documents in the shared corpus")
	}
}
