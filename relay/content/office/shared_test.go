package office

import (
	"path/filepath"
	"strings"
	"testing"

	"leak/relay/corpus"
)

// TestSharedCorpus: the office documents of the shared sample of what
// clients attach ($LEAK_CORPUS/content) must clean too.
func TestSharedCorpus(t *testing.T) {
	sharedCorpus, ok := corpus.Shared(corpus.Content)
	if !ok {
		t.Skip("LEAK_CORPUS is not set: the shared sample corpus is not checked")
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
