package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestConfigPrint: `config print` shows every default, and what it prints
// is itself a config that loads to the same settings.
func TestConfigPrint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.yaml")
	os.WriteFile(in, []byte("domain: leak.example\nhostname: mx.leak.example\ndata_dir: "+dir+"\n"+
		"policy:\n  rate_ip: {rate: 7, period: 1m}\n"), 0o600)
	var out, errb bytes.Buffer
	if code := run([]string{"config", "print", "--config", in}, &out, &errb); code != 0 {
		t.Fatalf("config print: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"max_message_bytes:", "shutdown_grace: 30s", "rate_ip:", "rate: 7"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config print lacks %q:\n%s", want, out.String())
		}
	}
	printed := filepath.Join(dir, "printed.yaml")
	os.WriteFile(printed, out.Bytes(), 0o600)
	a, err := loadConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadConfig(printed)
	if err != nil {
		t.Fatalf("the printed config does not load: %v\n%s", err, out.String())
	}
	ya, _ := yaml.Marshal(a)
	yb, _ := yaml.Marshal(b)
	if !bytes.Equal(ya, yb) {
		t.Errorf("the printed config loads differently:\n%s\n%s", ya, yb)
	}
	if code := run([]string{"config", "print", "--config", filepath.Join(dir, "missing.yaml")}, &out, &errb); code == 0 {
		t.Error("config print of a missing file exits 0")
	}
}
