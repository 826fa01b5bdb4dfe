package bounce

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadKeyGenerated(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	// Several starts at once agree on one key.
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadKey("", dir)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatalf("two keys: %q and %q", k, keys[0])
		}
	}
	if len(keys[0]) != 64 {
		t.Errorf("key of %d bytes, want 64 hex digits (32 random bytes)", len(keys[0]))
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := LoadKey("", dir)
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Errorf("second start: %q, %v", again, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, KeyFile+".tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	other, err := LoadKey("", t.TempDir())
	if err != nil || bytes.Equal(other, keys[0]) {
		t.Errorf("a second data directory got %q, %v", other, err)
	}
}

func TestLoadKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "shared.key")
	const hex32 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("\n  " + hex32 + "\n")
	k, err := LoadKey(p, filepath.Join(dir, "data"))
	if err != nil || string(k) != hex32 {
		t.Errorf("LoadKey = %q, %v", k, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", KeyFile)); err == nil {
		t.Error("a key was generated although one was configured")
	}
	write("0123456789abcdef0123456789abcde\n") // 31 bytes
	if _, err := LoadKey(p, dir); err == nil {
		t.Error("a short key was accepted")
	}
	if _, err := LoadKey(filepath.Join(dir, "missing"), dir); err == nil {
		t.Error("a missing key file was accepted")
	}
}
