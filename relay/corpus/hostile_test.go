package corpus

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"leak/relay/corpus/internal/hostile"
)

// TestHostileGenerated: the hostile corpus on disk is what its generator
// writes, so that a change to a sample is made in the generator.
func TestHostileGenerated(t *testing.T) {
	want, err := hostile.Files()
	if err != nil {
		t.Fatal(err)
	}
	dir := Dirs(Hostile)[0]
	got, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(got) != len(want) {
		t.Errorf("%s holds %d files, the generator writes %d", dir, len(got), len(want))
	}
	for name, b := range want {
		disk, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(disk, b) {
			t.Errorf("%s is not what the generator writes (run go run ./relay/corpus/internal/hostile/gen): %v", name, err)
		}
	}
	if len(want) < 16 {
		t.Errorf("%d hostile samples, want at least 15", len(want)-1)
	}
}
