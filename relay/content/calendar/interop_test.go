package calendar

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// interopScript parses each file with Debian's python3-icalendar or
// python3-vobject, the libraries many calendar tools build on, and prints
// one line per file: the number of components or cards it found.
const interopScript = `
import sys, icalendar, vobject
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    if path.endswith(".ics"):
        cal = icalendar.Calendar.from_ical(data)
        n = 0
        for c in cal.walk():
            if c.name in ("VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"):
                n += 1
                for a in c.get("attendee", []) if isinstance(c.get("attendee"), list) else [c.get("attendee")] if c.get("attendee") else []:
                    assert str(a).lower().startswith("mailto:"), a
        print(path, n)
    else:
        cards = list(vobject.readComponents(data.decode("utf-8")))
        for card in cards:
            card.fn.value
        print(path, len(cards))
`

// TestInterop checks that the cleaned corpus parts parse in another
// implementation. It skips without python3-icalendar and python3-vobject,
// unless LEAK_INTEROP=1 demands them.
func TestInterop(t *testing.T) {
	py, err := interopPython()
	if err != nil {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatalf("python3 with icalendar and vobject: %v", err)
		}
		t.Skipf("python3 with icalendar and vobject: %v", err)
	}
	_, parts := cleanCorpus(t)
	dir := t.TempDir()
	args := []string{"-c", interopScript}
	want := map[string]int{}
	for i, p := range parts {
		if p.kind == "vcf" && p.kept == 0 {
			continue
		}
		name := filepath.Join(dir, fmt.Sprintf("%02d.%s", i, p.kind))
		if err := os.WriteFile(name, p.out, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
		want[name] = p.kept
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("python3 parsed %d of %d parts:\n%s", len(lines), len(want), out)
	}
	for _, l := range lines {
		var name string
		var n int
		if _, err := fmt.Sscan(l, &name, &n); err != nil {
			t.Fatalf("python3 output %q: %v", l, err)
		}
		if strings.HasSuffix(name, ".vcf") && n != want[name] {
			t.Errorf("%s: python3 found %d cards, want %d", name, n, want[name])
		}
		if strings.HasSuffix(name, ".ics") && n == 0 {
			t.Errorf("%s: python3 found no component", name)
		}
	}
}

// interopPython finds a python3 with the two libraries: Debian's own
// first, since a PATH python3 (pyenv, a virtualenv) may lack them.
func interopPython() (string, error) {
	var err error
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if py, err = exec.LookPath(py); err != nil {
			continue
		}
		if err = exec.Command(py, "-c", "import icalendar, vobject").Run(); err == nil {
			return py, nil
		}
	}
	return "", err
}
