package bounce

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

// KeyFile is the name of the key LoadKey generates under the data
// directory.
const KeyFile = "bounce.key"

// minKey is the shortest key accepted, in bytes: the HMAC key of a token
// should be as strong as its hash.
const minKey = 32

// LoadKey returns the key of the bounce tokens. With path set, it is that
// file's content less surrounding white space (for example the output of
// `openssl rand -hex 32`); instances that may receive each other's bounces
// must all point at the same file. With path empty, it is dataDir/bounce.key,
// created on first use with 32 random bytes, hex, mode 0600.
func LoadKey(path, dataDir string) ([]byte, error) {
	if path == "" {
		path = filepath.Join(dataDir, KeyFile)
		if err := createKey(path); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bounce: key: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < minKey {
		return nil, fmt.Errorf("bounce: key %s: need at least %d bytes, have %d", path, minKey, len(b))
	}
	return b, nil
}

// createKey writes a new key at path unless a file is there. The key is
// written and synced under a temporary name, then linked into place: link
// fails if path exists, so two processes starting at once agree on one key
// and neither ever reads a half-written file. The directory is synced too:
// a key lost in a crash would orphan every bounce address in flight.
func createKey(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("bounce: key: %w", err)
	}
	f, err := os.CreateTemp(dir, KeyFile+".tmp*") // mode 0600
	if err != nil {
		return fmt.Errorf("bounce: key: %w", err)
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
		return fmt.Errorf("bounce: key: write %s: %w", tmp, err)
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("bounce: key: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("bounce: key: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("bounce: key: sync %s: %w", dir, err)
	}
	return nil
}
