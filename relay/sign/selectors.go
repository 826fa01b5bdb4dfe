package sign

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Which keys sign and which are published are two different sets, so that a
// key can be rotated without a window in which mail fails DKIM:
//
//   - the signing set is chosen by the caller (leakd's dkim.sign) and loaded
//     with Ensure: one RSA key, because large receivers verify only
//     rsa-sha256, and at most one Ed25519 key;
//   - every key in the key directory is published (LoadDir): a new key
//     before it signs, so its record is in DNS by the time it does, and an
//     old one after it stopped, for as long as copies it signed may still be
//     verified. Retiring a key is removing its file.

// defaultAlgorithm is the algorithm of a default selector, which Ensure
// generates when it is missing.
func defaultAlgorithm(selector string) (string, bool) {
	switch selector {
	case SelectorRSA:
		return RSASHA256, true
	case SelectorEd25519:
		return Ed25519SHA256, true
	}
	return "", false
}

// Check reports what Ensure(dir, domain, selectors...) would refuse,
// without writing anything: a selector listed twice or not a valid name, a
// key file that does not load, a missing key other than a default one, or
// a set that is not one RSA key and at most one Ed25519 key. A missing
// selector's error wraps fs.ErrNotExist.
func Check(dir, domain string, selectors ...string) error {
	if _, err := normalizeDomain(domain); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if len(selectors) == 0 {
		selectors = []string{SelectorRSA, SelectorEd25519}
	}
	var keys []Key
	for i, sel := range selectors {
		if err := checkName(sel); err != nil {
			return fmt.Errorf("sign: selector %q: %w", sel, err)
		}
		if slices.Contains(selectors[:i], sel) {
			return fmt.Errorf("sign: selector %q listed twice", sel)
		}
		path := keyPath(dir, sel)
		_, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			alg, ok := defaultAlgorithm(sel)
			if !ok {
				return fmt.Errorf("sign: selector %q: no key %s (only %s and %s are generated when missing): %w",
					sel, path, SelectorRSA, SelectorEd25519, fs.ErrNotExist)
			}
			keys = append(keys, Key{Selector: sel, Algorithm: alg})
			continue
		}
		priv, err := readKey(path)
		if err != nil {
			return fmt.Errorf("sign: load %s: %w", path, err)
		}
		alg, err := algorithmOf(priv)
		if err != nil {
			return fmt.Errorf("sign: load %s: %w", path, err)
		}
		keys = append(keys, Key{Selector: sel, Algorithm: alg})
	}
	return checkSet(keys)
}

// checkSet accepts a signing set of one RSA key and at most one Ed25519
// key. Two keys of one algorithm would double the signing cost for
// nothing, and a rotation switches from one key to the next.
func checkSet(keys []Key) error {
	by := map[string][]string{}
	for _, k := range keys {
		by[k.Algorithm] = append(by[k.Algorithm], k.Selector)
	}
	switch {
	case len(by[RSASHA256]) == 0:
		return fmt.Errorf("sign: no RSA key among the signing selectors %s: large receivers verify only rsa-sha256", selectorList(keys))
	case len(by[RSASHA256]) > 1:
		return fmt.Errorf("sign: %s are all RSA keys: sign with one RSA and at most one Ed25519 key", strings.Join(by[RSASHA256], ", "))
	case len(by[Ed25519SHA256]) > 1:
		return fmt.Errorf("sign: %s are all Ed25519 keys: sign with one RSA and at most one Ed25519 key", strings.Join(by[Ed25519SHA256], ", "))
	}
	return nil
}

func selectorList(keys []Key) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Selector
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// LoadDir loads every key in dir, the set to publish in DNS: each file
// <selector>.key, RSA keys first, then by selector. Other files are
// ignored, and so are names starting with a dot (Generate's temporary
// files). A *.key file that does not load is an error naming it, as is a
// directory without keys (wrapping fs.ErrNotExist).
func LoadDir(dir, domain string) (*Keys, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	var selectors []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".key") {
			continue
		}
		selectors = append(selectors, strings.TrimSuffix(name, ".key"))
	}
	if len(selectors) == 0 {
		return nil, fmt.Errorf("sign: no keys (<selector>.key) in %s: %w", dir, fs.ErrNotExist)
	}
	keys, err := Load(dir, domain, selectors...)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(keys.Keys, func(a, b Key) int {
		if a.Algorithm != b.Algorithm {
			if a.Algorithm == RSASHA256 {
				return -1
			}
			if b.Algorithm == RSASHA256 {
				return 1
			}
		}
		return strings.Compare(a.Selector, b.Selector)
	})
	return keys, nil
}
