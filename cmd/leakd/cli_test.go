package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml string
		code       int
		want       string // in the output
	}{
		{"ok", "domain: leak.example\nsmtp:\n  listen: 127.0.0.1:2525\n", 0, "ok"},
		{"example file", "", 0, "ok"},
		{"unknown key", "smtp:\n  max_mesage_bytes: 10\n", 1, `unknown key "smtp.max_mesage_bytes"`},
		{"wrong type", "smtp:\n  max_message_bytes: lots\n", 1, "smtp.max_message_bytes"},
		{"bad value", "smtp:\n  max_message_bytes: -1\n", 1, "smtp.max_message_bytes: must be positive"},
		{"bad duration", "smtp:\n  idle_timeout: forever\n", 1, "smtp.idle_timeout"},
		{"bad mode", "delivery:\n  mode: carrier-pigeon\n", 1, "delivery.mode"},
		{"bad listen", "http:\n  listen: nowhere\n", 1, "http.listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".yaml")
			if tc.name == "example file" {
				path = "../../deploy/leak.example.yaml"
			} else if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := run([]string{"config", "check", "--config", path}, &out, &errb)
			all := out.String() + errb.String()
			if code != tc.code || !strings.Contains(all, tc.want) {
				t.Errorf("exit %d, output %q; want exit %d with %q", code, all, tc.code, tc.want)
			}
			if tc.code != 0 && !strings.Contains(all, path) {
				t.Errorf("error does not name the file: %q", all)
			}
		})
	}
}

// The example config documents every key: loading it must give the
// defaults, so the two cannot drift apart.
func TestExampleConfigIsDefaults(t *testing.T) {
	c, err := loadConfig("../../deploy/leak.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def, _ := loadConfig("")
	if c.Anonymity.PassTypes == nil || len(c.Anonymity.PassTypes) > 0 {
		t.Errorf("anonymity.pass_types = %v, want the empty list", c.Anonymity.PassTypes)
	}
	c.Anonymity.PassTypes = nil
	if !reflect.DeepEqual(c, def) {
		t.Errorf("deploy/leak.example.yaml differs from the defaults:\n%+v\n%+v", c, def)
	}
}

func TestDKIMCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "leak.yaml")
	os.WriteFile(cfg, []byte("data_dir: "+dir+"\n"), 0o600)

	var out, errb bytes.Buffer
	if code := run([]string{"dkim", "dns", "--config", cfg}, &out, &errb); code == 0 {
		t.Errorf("dkim dns without keys succeeded: %q", out.String())
	}
	out.Reset()
	if code := run([]string{"dkim", "keygen", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("keygen: %s", errb.String())
	}
	if strings.Count(out.String(), "created") != 2 {
		t.Errorf("keygen output %q, want two created keys", out.String())
	}
	for _, f := range []string{"leak-rsa.key", "leak-ed.key"} {
		st, err := os.Stat(filepath.Join(dir, "dkim", f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	out.Reset()
	if code := run([]string{"dkim", "dns", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("dkim dns: %s", errb.String())
	}
	rsa := regexp.MustCompile(`(?m)^leak-rsa\._domainkey\.leak\.example\. IN TXT "v=DKIM1; k=rsa; ".*"p=`)
	ed := regexp.MustCompile(`(?m)^leak-ed\._domainkey\.leak\.example\. IN TXT "v=DKIM1; k=ed25519; " "p=[A-Za-z0-9+/=]{44}"$`)
	if !rsa.MatchString(out.String()) || !ed.MatchString(out.String()) {
		t.Errorf("dkim dns output:\n%s", out.String())
	}
}
