package keyfile

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestCreateOnceConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "k.key")
	keys := make([][]byte, 16)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := Load(path, 32, true)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatal("concurrent creators disagree on the key")
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestLoadGivenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "given")
	os.WriteFile(path, []byte("  short \n"), 0o600)
	if _, err := Load(path, 16, false); err == nil {
		t.Error("a 5-byte key was accepted with min 16")
	}
	os.WriteFile(path, []byte("0123456789abcdef0123\n"), 0o600)
	k, err := Load(path, 16, false)
	if err != nil || string(k) != "0123456789abcdef0123" {
		t.Errorf("Load = %q, %v", k, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing"), 16, false); err == nil {
		t.Error("a missing file was accepted without create")
	}
}
