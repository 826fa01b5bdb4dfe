// Package keyfile loads a secret key from a file, creating it once when it
// is missing. Leak keeps its HMAC keys this way (the policy hashing secret,
// the bounce token key): losing one, or two processes disagreeing on one,
// would forget every opt-out or orphan every bounce address in flight.
package keyfile

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

// Load returns the key in path, less surrounding white space (for example
// the output of `openssl rand -hex 32`), refusing one shorter than min
// bytes. With create set, a missing file is first created with 32 random
// bytes, hex, mode 0600.
func Load(path string, min int, create bool) ([]byte, error) {
	if create {
		if err := Create(path); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < min {
		return nil, fmt.Errorf("%s: need at least %d bytes, have %d", path, min, len(b))
	}
	return b, nil
}

// Create writes a new key at path unless a file is there. The key is
// written and synced under a temporary name, then linked into place: link
// fails if path exists, so two processes starting at once agree on one key
// and neither ever reads a half-written file. The directory is synced too.
func Create(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	var raw [32]byte
	rand.Read(raw[:]) // never fails (crypto/rand documentation)
	_, err = f.WriteString(hex.EncodeToString(raw[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
