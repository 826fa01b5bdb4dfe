package sign

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// dkimpyPython finds a Python interpreter with dkimpy (Debian python3-dkim)
// and PyNaCl for Ed25519. LEAK_PYTHON names one explicitly; otherwise the
// python3 on PATH is tried, then the system one (a pyenv python3 on PATH does
// not see Debian's packages).
func dkimpyPython() (string, string) {
	candidates := []string{"python3", "/usr/bin/python3"}
	if p := os.Getenv("LEAK_PYTHON"); p != "" {
		candidates = []string{p}
	}
	var tried []string
	for _, c := range candidates {
		out, err := exec.Command(c, "-c", "import dkim, nacl").CombinedOutput()
		if err == nil {
			return c, ""
		}
		tried = append(tried, c+": "+strings.TrimSpace(lastLine(string(out), err)))
	}
	return "", strings.Join(tried, "; ")
}

func lastLine(out string, err error) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return err.Error()
	}
	return out[strings.LastIndex(out, "\n")+1:]
}

// TestDkimpyVerifies checks both signatures with an independent verifier.
// With LEAK_INTEROP=1 a missing dkimpy is a failure, not a skip.
func TestDkimpyVerifies(t *testing.T) {
	py, why := dkimpyPython()
	if py == "" {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatalf("LEAK_INTEROP=1 but no python3 with dkimpy and PyNaCl (%s)", why)
		}
		t.Skipf("no python3 with dkimpy and PyNaCl (%s); install python3-dkim python3-nacl, set LEAK_INTEROP=1 to require it", why)
	}
	k := testKeys(t)
	recs := map[string]string{}
	for _, r := range k.DNSRecords() {
		recs[r.Name] = r.Value
	}
	recJSON, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	recPath := filepath.Join(dir, "records.json")
	if err := os.WriteFile(recPath, recJSON, 0o600); err != nil {
		t.Fatal(err)
	}

	msg := testMessage("Hello Bob.\r\n\r\n  Trailing spaces   \r\n\r\n\r\n")
	big := testMessage(sizedBody(200 << 10))
	tests := []struct {
		name   string
		base   string
		tamper func(string) string
		pass   bool
	}{
		{"small", msg, nil, true},
		{"200 KiB", big, nil, true},
		{"Subject changed", msg, func(m string) string { return strings.Replace(m, "Hello there", "Hello thera", 1) }, false},
		{"second From", msg, func(m string) string { return "From: evil@example.net\r\n" + m }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signed := signWith(t, k, tt.base, 1000)
			if tt.tamper != nil {
				signed += tt.tamper(tt.base)
			} else {
				signed += tt.base
			}
			msgPath := filepath.Join(dir, "msg.eml")
			if err := os.WriteFile(msgPath, []byte(signed), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, filepath.Join("testdata", "verify.py"), msgPath, recPath).CombinedOutput()
			t.Logf("dkimpy:\n%s", out)
			if tt.pass {
				if err != nil {
					t.Fatalf("dkimpy rejected the message: %v", err)
				}
				for _, want := range []string{"0 rsa-sha256 pass", "1 ed25519-sha256 pass"} {
					if !strings.Contains(string(out), want) {
						t.Errorf("dkimpy output lacks %q", want)
					}
				}
				return
			}
			if err == nil {
				t.Fatal("dkimpy accepted a tampered message")
			}
			if strings.Count(string(out), " fail") != 2 {
				t.Errorf("want both signatures to fail")
			}
		})
	}
}
