package sign

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func selectorsOf(k *Keys) string {
	return selectorList(k.Keys)
}

// TestEnsureSelectors: a rotation's signing sets. Only the default
// selectors are generated when missing; another selector must have been
// made (and published) first, and nothing is written when the set is
// refused.
func TestEnsureSelectors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")

	_, created, err := Ensure(dir, testDomain, "rsa-2027", SelectorEd25519)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "rsa-2027") {
		t.Fatalf("Ensure with a selector never made = %v, want fs.ErrNotExist naming it", err)
	}
	if _, serr := os.Stat(dir); !errors.Is(serr, fs.ErrNotExist) || len(created) != 0 {
		t.Fatalf("a refused set wrote something: created %v, stat %v", created, serr)
	}

	if _, err := Generate(dir, "rsa-2027", RSASHA256); err != nil {
		t.Fatal(err)
	}
	keys, created, err := Ensure(dir, testDomain, SelectorEd25519, "rsa-2027")
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 1 || created[0] != filepath.Join(dir, "leak-ed.key") {
		t.Errorf("created %v, want only the missing default leak-ed", created)
	}
	if got := selectorsOf(keys); got != "[leak-ed, rsa-2027]" {
		t.Errorf("loaded %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "leak-rsa.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Ensure generated leak-rsa, which the set does not list")
	}
	// NewSigner still signs RSA first.
	s, err := keys.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte(testMessage("hello\r\n")))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	h := s.Header()
	if i, j := strings.Index(h, "s=rsa-2027"), strings.Index(h, "s=leak-ed"); i < 0 || j < 0 || i > j {
		t.Errorf("signatures not RSA (rsa-2027) then Ed25519 (leak-ed):\n%s", h)
	}
}

// TestCheck: the sets Ensure refuses, found without writing anything.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct{ sel, alg string }{{"r1", RSASHA256}, {"e1", Ed25519SHA256}, {"e2", Ed25519SHA256}} {
		if _, err := Generate(dir, f.sel, f.alg); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(dir, "r1.key"), filepath.Join(dir, "r2.key")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		selectors []string
		want      string // "" for accepted
	}{
		{"defaults, both missing", nil, ""},
		{"rsa and ed", []string{"r1", "e1"}, ""},
		{"rsa only", []string{"r1"}, ""},
		{"default rsa missing, ed present", []string{SelectorRSA, "e2"}, ""},
		{"ed only", []string{"e1"}, "no RSA key"},
		{"two rsa", []string{"r1", "r2", "e1"}, "r1, r2 are all RSA keys"},
		{"two ed", []string{"r1", "e1", "e2"}, "e1, e2 are all Ed25519 keys"},
		{"twice", []string{"r1", "e1", "r1"}, `"r1" listed twice`},
		{"missing", []string{"r1", "e3"}, `selector "e3": no key`},
		{"bad name", []string{"r1", "../e1"}, `selector "../e1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(dir, testDomain, tc.selectors...)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Check = %v, want an error with %q", err, tc.want)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("Check wrote files: %d entries", len(entries))
	}
}

// TestLoadDir: every key in the directory is published, RSA first; other
// files and temporary files are left alone, a broken key is named.
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadDir(dir, testDomain); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadDir of an empty directory = %v, want fs.ErrNotExist", err)
	}
	if _, err := LoadDir(filepath.Join(dir, "none"), testDomain); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadDir of a missing directory = %v, want fs.ErrNotExist", err)
	}
	for _, f := range []struct{ sel, alg string }{{"b-ed", Ed25519SHA256}, {"z-rsa", RSASHA256}, {"a-ed", Ed25519SHA256}} {
		if _, err := Generate(dir, f.sel, f.alg); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(dir, "z-rsa.key"), filepath.Join(dir, "a-rsa.key")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".z-rsa.key.tmp-123"), []byte("half"), 0o600)
	os.WriteFile(filepath.Join(dir, "README"), []byte("notes"), 0o644)
	keys, err := LoadDir(dir, testDomain)
	if err != nil {
		t.Fatal(err)
	}
	if got := selectorsOf(keys); got != "[a-rsa, z-rsa, a-ed, b-ed]" {
		t.Errorf("LoadDir = %s, want RSA keys first, then by selector", got)
	}
	if n := len(keys.DNSRecords()); n != 4 {
		t.Errorf("%d records, want 4", n)
	}

	os.WriteFile(filepath.Join(dir, "broken.key"), []byte("not a key"), 0o600)
	if _, err := LoadDir(dir, testDomain); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "broken.key")) {
		t.Errorf("LoadDir with a broken key = %v, want an error naming it", err)
	}
}
