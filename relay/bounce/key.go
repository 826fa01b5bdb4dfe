package bounce

import (
	"fmt"
	"path/filepath"

	"leak/policy/keyfile"
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
	create := path == ""
	if create {
		path = filepath.Join(dataDir, KeyFile)
	}
	b, err := keyfile.Load(path, minKey, create)
	if err != nil {
		return nil, fmt.Errorf("bounce: key: %w", err)
	}
	return b, nil
}
