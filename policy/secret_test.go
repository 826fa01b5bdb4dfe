package policy

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadSecretGenerated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	// Several starts at once agree on one secret.
	secrets := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range secrets {
		wg.Go(func() {
			s, err := LoadSecret("", dir)
			if err != nil {
				t.Error(err)
			}
			secrets[i] = s
		})
	}
	wg.Wait()
	for _, s := range secrets[1:] {
		if !bytes.Equal(s, secrets[0]) {
			t.Fatalf("two secrets: %q and %q", s, secrets[0])
		}
	}
	if len(secrets[0]) != 64 {
		t.Errorf("secret of %d bytes, want 64 hex digits", len(secrets[0]))
	}
	fi, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := LoadSecret("", dir)
	if err != nil || !bytes.Equal(again, secrets[0]) {
		t.Errorf("second start: %q, %v", again, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, SecretFile+".tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestLoadSecretFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "shared")
	writeFile(t, p, "  0123456789abcdef0123456789abcdef\n")
	s, err := LoadSecret(p, filepath.Join(dir, "data"))
	if err != nil || string(s) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("LoadSecret = %q, %v", s, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", SecretFile)); err == nil {
		t.Error("a secret was generated although one was configured")
	}
	writeFile(t, p, "short\n")
	if _, err := LoadSecret(p, dir); err == nil {
		t.Error("a short secret was accepted")
	}
	if _, err := LoadSecret(filepath.Join(dir, "missing"), dir); err == nil {
		t.Error("a missing secret file was accepted")
	}
}
