package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDKIMRotation carries out the rotation of deploy/README.md ("Rotating
// the DKIM keys") on a running relay, with dkimpy verifying the copies
// against the records `leakd dkim dns` prints at each step:
//
//  1. new keys made: published at once, not signing;
//  2. dkim.sign switched to them, restart: new copies carry the new
//     selectors, old copies still verify (both records published);
//  3. old keys retired (files removed): their records are gone, so old
//     copies no longer verify, new ones do, and serve does not make the
//     old default keys again.
func TestDKIMRotation(t *testing.T) {
	t.Parallel()
	py := debianPython(t)
	d := newDaemon(t, sections{})
	keyDir := filepath.Join(d.dir, "data", "dkim")
	d.start()

	n := 0
	deliver := func(body string) string {
		t.Helper()
		before := map[string]bool{}
		for _, f := range outbox(d) {
			before[f] = true
		}
		if _, data := send(t, d.smtpAddr, "to+bob=example.com@leak.example", body); !strings.HasPrefix(data, "250") {
			t.Fatalf("DATA: %q", data)
		}
		n++
		for _, f := range d.waitDelivered(n) {
			if !before[f] {
				return f
			}
		}
		t.Fatal("no new copy")
		return ""
	}
	records := func(name string) string {
		t.Helper()
		out, err := exec.Command(leakdBin, "dkim", "dns", "--config", d.config).Output()
		if err != nil {
			t.Fatalf("dkim dns: %v", err)
		}
		path := filepath.Join(d.dir, name)
		os.WriteFile(path, out, 0o600)
		return path
	}
	verify := func(recs string, files ...string) error {
		t.Helper()
		out, err := exec.Command(py, append([]string{"testdata/dkimverify.py", recs}, files...)...).CombinedOutput()
		if err != nil {
			t.Logf("dkimpy: %s", out)
		}
		return err
	}
	selectors := func(file string) []string {
		t.Helper()
		b, _ := os.ReadFile(file)
		head, _, _ := strings.Cut(string(b), "\r\n\r\n")
		var sels []string
		for _, m := range regexp.MustCompile(`(?m)^DKIM-Signature:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*`).FindAllString(head, -1) {
			if s := regexp.MustCompile(`\bs=([^;\s]+)`).FindStringSubmatch(m); s != nil {
				sels = append(sels, s[1])
			}
		}
		slices.Sort(sels)
		return sels
	}

	old := deliver("before the rotation")
	if got := selectors(old); !slices.Equal(got, []string{"leak-ed", "leak-rsa"}) {
		t.Fatalf("selectors before the rotation: %v", got)
	}
	if err := verify(records("records-1.txt"), old); err != nil {
		t.Fatal("dkimpy rejects a copy signed before the rotation")
	}

	// 1. New keys: published at once, not signing yet.
	for _, k := range [][2]string{{"leak-rsa-2027", "rsa"}, {"leak-ed-2027", "ed25519"}} {
		out, err := exec.Command(leakdBin, "dkim", "keygen", "--config", d.config, "--selector", k[0], "--algorithm", k[1]).CombinedOutput()
		if err != nil || !strings.Contains(string(out), k[0]+"._domainkey.leak.example. IN TXT") {
			t.Fatalf("keygen %s: %v\n%s", k[0], err, out)
		}
	}
	both := records("records-2.txt")
	if b, _ := os.ReadFile(both); strings.Count(string(b), "._domainkey.leak.example. IN TXT") != 4 {
		t.Fatalf("dkim dns after keygen prints:\n%s", b)
	}
	if got := selectors(deliver("keys made, not switched")); !slices.Equal(got, []string{"leak-ed", "leak-rsa"}) {
		t.Errorf("a key signed before dkim.sign named it: %v", got)
	}

	// 2. Switch signing, restart.
	f, err := os.OpenFile(d.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("dkim:\n  sign: [leak-rsa-2027, leak-ed-2027]\n")
	f.Close()
	if out, err := exec.Command(leakdBin, "config", "check", "--config", d.config).CombinedOutput(); err != nil {
		t.Fatalf("config check after the switch: %v\n%s", err, out)
	}
	d.stop()
	d.start()
	switched := deliver("after the switch")
	if got := selectors(switched); !slices.Equal(got, []string{"leak-ed-2027", "leak-rsa-2027"}) {
		t.Errorf("selectors after the switch: %v", got)
	}
	if err := verify(both, old, switched); err != nil {
		t.Error("with old and new records published, dkimpy rejects a copy")
	}

	// 3. Retire the old keys.
	for _, f := range []string{"leak-rsa.key", "leak-ed.key"} {
		if err := os.Remove(filepath.Join(keyDir, f)); err != nil {
			t.Fatal(err)
		}
	}
	retired := records("records-3.txt")
	if b, _ := os.ReadFile(retired); strings.Count(string(b), " IN TXT") != 2 || strings.Contains(string(b), "leak-rsa._domainkey") {
		t.Errorf("dkim dns after retiring prints:\n%s", b)
	}
	if err := verify(retired, switched); err != nil {
		t.Error("dkimpy rejects a new copy once the old keys are retired")
	}
	if verify(retired, old) == nil {
		t.Error("a copy signed with a retired key still verifies: its record was not withdrawn")
	}
	d.stop()
	d.start()
	last := deliver("after retiring")
	if err := verify(retired, last); err != nil {
		t.Error("dkimpy rejects a copy after the restart")
	}
	for _, f := range []string{"leak-rsa.key", "leak-ed.key"} {
		if _, err := os.Stat(filepath.Join(keyDir, f)); !os.IsNotExist(err) {
			t.Errorf("serve made the retired %s again", f)
		}
	}
}
