package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun drives the command line: usage errors, ports, and a bench
// against the sink itself (the sink is also the relay), whose JSON result
// the table command reads back.
func TestRun(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{nil, {"bogus"}, {"table"}, {"send", "--n", "x"}, {"sink", "extra"}} {
		var out, errb bytes.Buffer
		if code := run(ctx, args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}

	var out, errb bytes.Buffer
	if code := run(ctx, []string{"ports", "3"}, &out, &errb); code != 0 {
		t.Fatalf("ports: exit %d: %s", code, errb.String())
	}
	ports := strings.Fields(out.String())
	if len(ports) != 3 || ports[0] == ports[1] || ports[1] == ports[2] || ports[0] == ports[2] {
		t.Errorf("ports: %q", out.String())
	}

	// A relay stand-in: a second sink, which accepts but delivers
	// nothing, so bench must report the messages missing.
	relay := testSink(t, 0)
	out.Reset()
	errb.Reset()
	js := filepath.Join(t.TempDir(), "r.json")
	code := run(ctx, []string{"bench", "--addr", relay.Addr(), "--listen", "127.0.0.1:" + ports[0],
		"--n", "20", "--c", "2", "--size", "1500", "--timeout", "200ms", "--label", "stand-in", "--json", js}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "0 of 20 accepted messages arrived") {
		t.Errorf("bench: exit %d, stderr %q", code, errb.String())
	}
	if !strings.Contains(out.String(), "send: run ") || !strings.Contains(out.String(), "INCOMPLETE: 0 of 20") {
		t.Errorf("bench report:\n%s", out.String())
	}
	out.Reset()
	if code := run(ctx, []string{"table", js}, &out, &errb); code != 0 || !strings.Contains(out.String(), "| stand-in | 1 KiB | 20 × 2 |") ||
		!strings.Contains(out.String(), "0.0 (0 of 20 arrived)") {
		t.Errorf("table: exit %d:\n%s", code, out.String())
	}
}
