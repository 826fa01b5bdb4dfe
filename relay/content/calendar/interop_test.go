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

// interopTimesScript prints, for each calendar file, the instants of its
// components' DTSTART, DTEND, DUE, RECURRENCE-ID and EXDATE as
// python-icalendar computes them from the file's own time zones: UTC for
// a time in a zone, as written for a floating time or a date.
const interopTimesScript = `
import sys, datetime, icalendar
from icalendar.timezone_cache import _timezone_cache

def show(dt):
    if isinstance(dt, datetime.datetime) and dt.tzinfo is not None:
        return dt.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if isinstance(dt, datetime.datetime):
        return "floating:" + dt.strftime("%Y%m%dT%H%M%S")
    return "date:" + dt.strftime("%Y%m%d")

for path in sys.argv[1:]:
    # Zones are cached by TZID across files.
    _timezone_cache.clear()
    cal = icalendar.Calendar.from_ical(open(path, "rb").read())
    out = []
    for c in cal.walk():
        if c.name not in ("VEVENT", "VTODO", "VJOURNAL"):
            continue
        for name in ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID"):
            if name in c:
                out.append(name + "=" + show(c[name].dt))
        ex = c.get("EXDATE")
        for lst in ex if isinstance(ex, list) else [ex] if ex is not None else []:
            out.append("EXDATE=" + ",".join(show(d.dt) for d in lst.dts))
    print(path, " ".join(out))
`

// TestInteropTimes checks that moving times to UTC and renaming zones
// keeps every instant: python-icalendar reads the same instants from a
// calendar and from its cleaned copy. It skips as TestInterop does.
func TestInteropTimes(t *testing.T) {
	py, err := interopPython()
	if err != nil {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatalf("python3 with icalendar and vobject: %v", err)
		}
		t.Skipf("python3 with icalendar and vobject: %v", err)
	}
	type pair struct{ in, out []byte }
	var pairs []pair
	_, parts := cleanCorpus(t)
	for _, p := range parts {
		if p.kind == "ics" && strings.Contains(string(p.in), "BEGIN:VTIMEZONE") {
			pairs = append(pairs, pair{p.in, p.out})
		}
	}
	// Gaps and overlaps are left out: pytz reads an ambiguous time as
	// the second, where RFC 5545 section 3.3.5 says the first.
	for _, in := range []string{
		event("REQUEST", outlookZone, "DTSTART;TZID=W. Europe Standard Time:20261210T100000\nDTEND;TZID=W. Europe Standard Time:20260715T113000\n", ""),
		event("REQUEST", germanZone, "DTSTART;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien\":20260601T150000\n", ""),
		event("REQUEST", googleZone, "DTSTART;TZID=Europe/Warsaw:20261118T100000\nDTEND;TZID=Europe/Warsaw:20260818T110000\n", ""),
		event("REQUEST", historyZone, "DTSTART;TZID=America/New_York:20061020T100000\nDTEND;TZID=America/New_York:20061030T100000\nDUE;TZID=America/New_York:20260310T100000\n", ""),
		event("REQUEST", outlookZone, "DTSTART;TZID=W. Europe Standard Time:20261119T140000\nRRULE:FREQ=WEEKLY\nEXDATE;TZID=W. Europe Standard Time:20261126T140000,20270603T140000\n", ""),
		event("REQUEST", googleZone+appleZone, "DTSTART;TZID=Europe/Berlin:20260620T190000\nRECURRENCE-ID;TZID=Europe/Warsaw:20260720T190000\n", ""),
		event("PUBLISH", googleZone, "DTSTART;VALUE=DATE:20261224\nDTEND:20261225T100000\n", ""),
	} {
		out, err := run(t, in)
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, pair{[]byte(crlf(in)), []byte(out)})
	}
	dir := t.TempDir()
	args := []string{"-c", interopTimesScript}
	for i, p := range pairs {
		for _, f := range []struct {
			suffix string
			data   []byte
		}{{"in", p.in}, {"out", p.out}} {
			name := filepath.Join(dir, fmt.Sprintf("%02d-%s.ics", i, f.suffix))
			if err := os.WriteFile(name, f.data, 0o600); err != nil {
				t.Fatal(err)
			}
			args = append(args, name)
		}
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	times := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, rest, _ := strings.Cut(l, " ")
		times[filepath.Base(name)] = rest
	}
	for i, p := range pairs {
		in, cleaned := times[fmt.Sprintf("%02d-in.ics", i)], times[fmt.Sprintf("%02d-out.ics", i)]
		if in == "" || in != cleaned {
			t.Errorf("instants differ:\n%s\n%q\nthen\n%s\n%q", p.in, in, p.out, cleaned)
		}
	}
}
