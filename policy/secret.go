package policy

import (
	"fmt"
	"path/filepath"

	"leak/policy/keyfile"
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
	create := path == ""
	if create {
		path = filepath.Join(dataDir, SecretFile)
	}
	b, err := keyfile.Load(path, minSecret, create)
	if err != nil {
		return nil, fmt.Errorf("policy: secret: %w", err)
	}
	return b, nil
}
