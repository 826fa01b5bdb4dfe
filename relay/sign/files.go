package sign

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

const pemType = "PRIVATE KEY" // PKCS#8, RFC 5958

// keyPath is where the key for selector lives in dir.
func keyPath(dir, selector string) string {
	return filepath.Join(dir, selector+".key")
}

// Generate creates a new key for selector in dir, as <dir>/<selector>.key
// (PEM PKCS#8, mode 0600), and returns its path. algorithm is RSASHA256
// (RSA-2048) or Ed25519SHA256. dir is created with mode 0700 if missing.
//
// It never overwrites: if the file exists, the error wraps fs.ErrExist. The
// file appears complete or not at all: it is written and fsync'd under a
// temporary name, linked into place (link(2) fails on an existing name, where
// rename(2) would replace it), and the directory is fsync'd.
func Generate(dir, selector, algorithm string) (string, error) {
	if err := checkName(selector); err != nil {
		return "", fmt.Errorf("sign: generate: selector %q: %w", selector, err)
	}
	path := keyPath(dir, selector)

	var (
		priv crypto.Signer
		err  error
	)
	switch algorithm {
	case RSASHA256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case Ed25519SHA256:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return "", fmt.Errorf("sign: generate %s: unknown algorithm %q", path, algorithm)
	}
	if err != nil {
		return "", fmt.Errorf("sign: generate %s: %w", path, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("sign: generate %s: %w", path, err)
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("sign: generate: %w", err)
	}
	// Fail early and clearly; the link below is what makes it safe.
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("sign: generate %s: %w", path, fs.ErrExist)
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der})); err != nil {
		return "", fmt.Errorf("sign: generate %s: %w", path, err)
	}
	return path, nil
}

// writeNew atomically creates path with data and mode 0600, failing with
// fs.ErrExist if path exists.
func writeNew(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if rerr := os.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = rerr
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		// A file system without hard links (vfat, some network mounts)
		// answers EPERM or EOPNOTSUPP: fall back to check-then-rename,
		// racy only against another writer of the same key.
		if !errors.Is(err, errors.ErrUnsupported) && !errors.Is(err, fs.ErrPermission) {
			return err
		}
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		if rerr := os.Rename(tmp, path); rerr != nil {
			return rerr
		}
	}
	return syncDir(dir)
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return d.Close()
}

// Load reads the keys for selectors (default: SelectorRSA, SelectorEd25519)
// from dir. Errors name the offending file: a missing or unreadable file, a
// file group or others may access, or a key that is not a PEM PKCS#8 RSA
// (at least 2048 bits) or Ed25519 key.
func Load(dir, domain string, selectors ...string) (*Keys, error) {
	d, err := normalizeDomain(domain)
	if err != nil {
		return nil, fmt.Errorf("sign: load: %w", err)
	}
	if len(selectors) == 0 {
		selectors = []string{SelectorRSA, SelectorEd25519}
	}
	keys := &Keys{Domain: d}
	for _, sel := range selectors {
		if err := checkName(sel); err != nil {
			return nil, fmt.Errorf("sign: load: selector %q: %w", sel, err)
		}
		path := keyPath(dir, sel)
		priv, err := readKey(path)
		if err != nil {
			return nil, fmt.Errorf("sign: load %s: %w", path, err)
		}
		alg, err := algorithmOf(priv)
		if err != nil {
			return nil, fmt.Errorf("sign: load %s: %w", path, err)
		}
		keys.Keys = append(keys.Keys, Key{Selector: sel, Algorithm: alg, Signer: fastSigner(priv)})
	}
	return keys, nil
}

// readKey reads one PEM PKCS#8 private key, refusing files that group or
// others may access: a leaked key lets anyone sign as the Leak domain.
func readKey(path string) (crypto.Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Stat the open file, not the path, so the checked file is the read one.
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("mode %#o gives group or others access; want 0600 (chmod 600 %s)", perm, path)
	}
	// A PEM key is a few KiB; the limit keeps a wrong path from reading a
	// huge file into memory.
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, err
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if block.Type != pemType {
		return nil, fmt.Errorf("PEM block %q, want %q (PKCS#8)", block.Type, pemType)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("data after the PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	return s, nil
}

// Ensure loads the keys for selectors (default: SelectorRSA and
// SelectorEd25519) from dir, first generating whichever of those two
// default selectors is listed but missing, and returns the paths it created
// so the caller can log them (their DNS records must be published). Any
// other selector must already have its key (Generate): a key made at start
// would sign before anyone could have published its record. The set must
// hold one RSA key and at most one Ed25519 key (see Check).
func Ensure(dir, domain string, selectors ...string) (keys *Keys, created []string, err error) {
	if len(selectors) == 0 {
		selectors = []string{SelectorRSA, SelectorEd25519}
	}
	// Refuse a set that cannot sign before writing anything.
	if err := Check(dir, domain, selectors...); err != nil {
		return nil, nil, err
	}
	for _, sel := range selectors {
		alg, ok := defaultAlgorithm(sel)
		if !ok {
			continue
		}
		_, err := os.Lstat(keyPath(dir, sel))
		if err == nil {
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, created, fmt.Errorf("sign: ensure: %w", err)
		}
		path, err := Generate(dir, sel, alg)
		switch {
		case err == nil:
			created = append(created, path)
		case errors.Is(err, fs.ErrExist):
			// Another process made it meanwhile; Load reads theirs.
		default:
			return nil, created, err
		}
	}
	keys, err = Load(dir, domain, selectors...)
	if err != nil {
		return nil, created, err
	}
	if err := checkSet(keys.Keys); err != nil {
		return nil, created, err
	}
	return keys, created, nil
}
