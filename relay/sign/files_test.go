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
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	for _, alg := range []string{RSASHA256, Ed25519SHA256} {
		t.Run(alg, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "dkim")
			path, err := Generate(dir, "sel", alg)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, "sel.key"); path != want {
				t.Errorf("path = %q, want %q", path, want)
			}
			assertMode(t, dir, 0o700)
			assertMode(t, path, 0o600)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("dir holds %d entries, want only the key (temp file left behind?)", len(entries))
			}
			keys, err := Load(dir, testDomain, "sel")
			if err != nil {
				t.Fatal(err)
			}
			if got := keys.Keys[0].Algorithm; got != alg {
				t.Errorf("loaded algorithm %q, want %q", got, alg)
			}
			if pub, ok := keys.Keys[0].Signer.Public().(*rsa.PublicKey); ok && pub.N.BitLen() != 2048 {
				t.Errorf("RSA key of %d bits, want 2048", pub.N.BitLen())
			}

			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Generate(dir, "sel", alg); !errors.Is(err, fs.ErrExist) {
				t.Errorf("second Generate = %v, want fs.ErrExist", err)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("second Generate changed the key file")
			}
		})
	}
}

func TestGenerateRejects(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, selector, alg string }{
		{"unknown algorithm", "sel", "dsa-sha1"},
		{"path in selector", "../sel", Ed25519SHA256},
		{"slash in selector", "a/b", Ed25519SHA256},
		{"empty selector", "", Ed25519SHA256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Generate(dir, tt.selector, tt.alg); err == nil {
				t.Fatal("Generate succeeded")
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("rejected calls left %d entries", len(entries))
	}
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %#o, want %#o", path, got, want)
	}
}

// writeKeyFile writes a PEM file for tests of Load.
func writeKeyFile(t *testing.T, dir, name string, data []byte, mode fs.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name+".key")
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask
		t.Fatal(err)
	}
	return path
}

func pemOf(t *testing.T, typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edDER, err := x509.MarshalPKCS8PrivateKey(ek)
	if err != nil {
		t.Fatal(err)
	}
	good := pemOf(t, "PRIVATE KEY", edDER)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallDER, err := x509.MarshalPKCS8PrivateKey(small)
	if err != nil {
		t.Fatal(err)
	}

	writeKeyFile(t, dir, "good", good, 0o600)
	writeKeyFile(t, dir, "owneronly", good, 0o400)
	writeKeyFile(t, dir, "world", good, 0o644)
	writeKeyFile(t, dir, "group", good, 0o640)
	writeKeyFile(t, dir, "garbage", []byte("not a key\n"), 0o600)
	writeKeyFile(t, dir, "pkcs1", pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)), 0o600)
	writeKeyFile(t, dir, "trailing", append(good, "junk"...), 0o600)
	writeKeyFile(t, dir, "corrupt", pemOf(t, "PRIVATE KEY", edDER[:20]), 0o600)
	writeKeyFile(t, dir, "rsa1024", pemOf(t, "PRIVATE KEY", smallDER), 0o600)
	if err := os.Mkdir(filepath.Join(dir, "adir.key"), 0o700); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		selector string
		wantErr  string // "" for success
	}{
		{"good", ""},
		{"owneronly", ""},
		{"world", "mode 0644"},
		{"group", "mode 0640"},
		{"missing", "no such file"},
		{"garbage", "no PEM block"},
		{"pkcs1", "PKCS#8"},
		{"trailing", "data after"},
		{"corrupt", "asn1"},
		{"rsa1024", "1024 bits"},
		{"adir", "not a regular file"},
		{"../good", "selector"},
	}
	for _, tt := range tests {
		t.Run(tt.selector, func(t *testing.T) {
			keys, err := Load(dir, "Leak.Example.", tt.selector)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if keys.Domain != testDomain {
					t.Errorf("Domain = %q, want %q", keys.Domain, testDomain)
				}
				if k := keys.Keys[0]; k.Selector != tt.selector || k.Algorithm != Ed25519SHA256 {
					t.Errorf("key = %+v", k)
				}
				return
			}
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			if !strings.Contains(tt.selector, "/") && !strings.Contains(err.Error(), filepath.Join(dir, tt.selector+".key")) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestLoadDomain(t *testing.T) {
	for _, d := range []string{"", "leak example", "-leak.example", "leak..example", "lëak.example"} {
		if _, err := Load(t.TempDir(), d); err == nil {
			t.Errorf("Load with domain %q succeeded", d)
		}
	}
}

func TestEnsure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	keys, created, err := Ensure(dir, testDomain)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "leak-rsa.key"), filepath.Join(dir, "leak-ed.key")}
	if strings.Join(created, ",") != strings.Join(want, ",") {
		t.Errorf("created %v, want %v", created, want)
	}
	if len(keys.Keys) != 2 || keys.Keys[0].Algorithm != RSASHA256 || keys.Keys[1].Algorithm != Ed25519SHA256 {
		t.Fatalf("keys = %+v", keys.Keys)
	}
	for _, p := range want {
		assertMode(t, p, 0o600)
	}

	again, created, err := Ensure(dir, testDomain)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 0 {
		t.Errorf("second Ensure created %v", created)
	}
	if !samePublic(keys, again) {
		t.Error("second Ensure loaded different keys")
	}

	// One key lost: only it is made again.
	if err := os.Remove(want[1]); err != nil {
		t.Fatal(err)
	}
	third, created, err := Ensure(dir, testDomain)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 1 || created[0] != want[1] {
		t.Errorf("created %v, want [%s]", created, want[1])
	}
	if !third.Keys[0].Signer.Public().(*rsa.PublicKey).Equal(keys.Keys[0].Signer.Public()) {
		t.Error("the RSA key changed")
	}

	// A key with a bad mode stops Ensure rather than being replaced.
	if err := os.Chmod(want[0], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Ensure(dir, testDomain); err == nil || !strings.Contains(err.Error(), want[0]) {
		t.Errorf("Ensure with a 0644 key = %v, want an error naming %s", err, want[0])
	}
}

func samePublic(a, b *Keys) bool {
	if len(a.Keys) != len(b.Keys) {
		return false
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	for i := range a.Keys {
		pa, ok := a.Keys[i].Signer.Public().(equaler)
		if !ok || !pa.Equal(b.Keys[i].Signer.Public()) {
			return false
		}
	}
	return true
}
