package policy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// minSecret is the shortest secret accepted, in bytes.
const minSecret = 16

// SecretFile is the name of the secret LoadSecret generates under the
// data directory.
const SecretFile = "policy.secret"

// LoadSecret returns the hashing secret. With path set, it is that file's
// content less surrounding white space (for example the output of
// `openssl rand -hex 32`); several instances sharing one Redis must all
// point at the same file. With path empty, it is dataDir/policy.secret,
// created on first use with 32 random bytes, hex, mode 0600.
func LoadSecret(path, dataDir string) ([]byte, error) {
	if path == "" {
		path = filepath.Join(dataDir, SecretFile)
		if err := createSecret(path); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: secret: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < minSecret {
		return nil, fmt.Errorf("policy: secret %s: need at least %d bytes, have %d", path, minSecret, len(b))
	}
	return b, nil
}

// createSecret writes a new secret at path unless a file is there. The
// secret is written and synced under a temporary name, then linked into
// place: link fails if path exists, so two processes starting at once
// agree on one secret and neither ever reads a half-written file. The
// directory is synced too, since losing the secret would forget every
// opt-out.
func createSecret(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("policy: secret: %w", err)
	}
	f, err := os.CreateTemp(dir, SecretFile+".tmp*")
	if err != nil {
		return fmt.Errorf("policy: secret: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	var raw [32]byte
	rand.Read(raw[:])
	_, err = f.WriteString(hex.EncodeToString(raw[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("policy: secret: write %s: %w", tmp, err)
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("policy: secret: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("policy: secret: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("policy: secret: sync %s: %w", dir, err)
	}
	return nil
}
