package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestDisk measures a temporary directory: the report names the commits
// and gives percentiles in order, and the spool measured is gone after.
func TestDisk(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"disk", "--dir", dir, "--n", "40", "--size", "4000"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	m := regexp.MustCompile(`^disk: 40 messages of 4000 octets committed one at a time to a spool in (.*) \(a record .*\): p50 ([0-9.]+) ms, p90 ([0-9.]+) ms, p99 ([0-9.]+) ms, max ([0-9.]+) ms; ([0-9]+) a second\n$`).
		FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("report: %q", out.String())
	}
	if m[1] != dir {
		t.Errorf("directory %q, want %q", m[1], dir)
	}
	prev := 0.0
	for _, s := range m[2:6] {
		v, _ := strconv.ParseFloat(s, 64)
		if v < prev {
			t.Errorf("percentiles out of order: %q", out.String())
		}
		prev = v
	}
	if r, _ := strconv.Atoi(m[6]); r < 1 {
		t.Errorf("rate %q", m[6])
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}

	for _, args := range [][]string{
		{"disk", "--n", "0"},
		{"disk", "--dir", dir, "extra"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(context.Background(), args, &out, &errb); code == 0 {
			t.Errorf("%q: exit 0", args)
		}
	}
	errb.Reset()
	if code := run(context.Background(), []string{"disk", "--dir", dir + "/missing"}, &out, &errb); code != 1 || !bytes.Contains(errb.Bytes(), []byte("no such file")) {
		t.Errorf("missing dir: exit %d, %q", code, errb.String())
	}
}
