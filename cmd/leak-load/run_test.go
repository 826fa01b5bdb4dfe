package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSinkCount(t *testing.T) {
	for in, want := range map[string]int{
		"":                                       0,
		"sess=0 quit=0 mesg=1":                   0, // no record is complete yet
		"sess=0 quit=0 mesg=1\r":                 1,
		"sess=0 quit=0 mesg=1\rsess=1 quit=1 me": 1,
		"sess=0 quit=0 mesg=9\rsess=12 quit=12 mesg=123\r": 123,
		"garbage\r": 0,
	} {
		if got := parseSinkCount([]byte(in)); got != want {
			t.Errorf("parseSinkCount(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestReadMessage: a message file gets CRLF line ends and dot-stuffing,
// whatever its own line ends were.
func TestReadMessage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.txt")
	if err := os.WriteFile(p, []byte("Subject: x\n\n.hidden\r\nlast"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := readMessage(p)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	m.WriteTo(&b)
	if want := "Subject: x\r\n\r\n..hidden\r\nlast\r\n"; b.String() != want {
		t.Errorf("readMessage: %q, want %q", b.String(), want)
	}
	if _, err := readMessage(filepath.Join(t.TempDir(), "none")); err == nil || !strings.Contains(err.Error(), "--file") {
		t.Errorf("missing file: %v", err)
	}
}

// TestRunCommand: run times an external sender (here leak-load send
// itself would do; a shell loop stands in for smtp-source), follows an
// smtp-sink counter file that the "sender" writes, and summary reads the
// report back with the peer's ratio.
func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "sink.out")
	if err := os.WriteFile(counter, []byte("sess=0 quit=0 mesg=5\r"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The sender delivers 20 more messages, as the sink would count them.
	script := fmt.Sprintf("printf 'sess=1 quit=1 mesg=25\\r' >> %q", counter)
	var reps []string
	for _, label := range []string{"Postfix", "Leak"} {
		js := filepath.Join(dir, label+".json")
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"run", "--counter", counter, "--n", "20", "--label", label,
			"--shape", "test", "--timeout", "5s", "--json", js, "--", "sh", "-c", script}, &out, &errb)
		if code != 0 {
			t.Fatalf("run: exit %d: %s", code, errb.String())
		}
		if !strings.Contains(out.String(), "20 accepted") {
			t.Errorf("run report:\n%s", out.String())
		}
		// Reset the counter for the next relay's run.
		if err := os.WriteFile(counter, []byte("sess=0 quit=0 mesg=5\r"), 0o644); err != nil {
			t.Fatal(err)
		}
		reps = append(reps, js)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"summary"}, reps...), &out, &errb); code != 0 {
		t.Fatalf("summary: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "| test | Leak |") || !strings.Contains(out.String(), "×") {
		t.Errorf("summary:\n%s", out.String())
	}

	// A sender that fails is an error, not a result.
	code := run(context.Background(), []string{"run", "--counter", counter, "--n", "20", "--timeout", "1s", "--", "false"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "run: false") {
		t.Errorf("failing sender: exit %d, stderr %q", code, errb.String())
	}
}

func TestMedian(t *testing.T) {
	mk := func(vs ...float64) []*benchReport {
		var out []*benchReport
		for _, v := range vs {
			out = append(out, &benchReport{Rate: v})
		}
		return out
	}
	rate := func(r *benchReport) float64 { return r.Rate }
	for _, tc := range []struct {
		in   []*benchReport
		want float64
	}{{nil, 0}, {mk(3), 3}, {mk(5, 1, 3), 3}, {mk(4, 1, 3, 2), 2.5}} {
		if got := median(tc.in, rate); got != tc.want {
			t.Errorf("median: %v, want %v", got, tc.want)
		}
	}
}
