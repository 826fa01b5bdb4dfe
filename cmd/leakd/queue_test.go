package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"leak/policy/testutil"
)

// queueTry runs `leakd queue ARGS --config` for d and returns its output
// and whether it succeeded.
func (d *daemon) queueTry(args ...string) (string, bool) {
	d.t.Helper()
	out, err := exec.Command(leakdBin, append(append([]string{"queue"}, args...), "--config", d.config)...).CombinedOutput()
	return string(out), err == nil
}

// queueJSON runs `leakd queue list --json` with filters.
func (d *daemon) queueJSON(filters ...string) []entryView {
	d.t.Helper()
	out := d.queue(append([]string{"list", "--json"}, filters...)...)
	var vs []entryView
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		d.t.Fatalf("queue list --json: %v\n%s", err, out)
	}
	return vs
}

func ids(vs []entryView) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// TestQueueCommands drives every queue command and flag against a running
// daemon and a stopped one: list filters (--domain, --state,
// --older-than) and --json with the last error; hold, which keeps a copy
// back across a restart until release; retry --domain; offline delete.
// Actions on the running daemon are logged with who asked.
func TestQueueCommands(t *testing.T) {
	t.Parallel()
	hop := newNextHop(t) // down: every attempt is deferred
	d := newDaemon(t, sections{Delivery: smarthostTo(hop)})
	d.start()
	for rcpt, mark := range map[string]string{
		"to+bob=example.com@leak.example":     "MARK-q-bob",
		"to+alice=example.com@leak.example":   "MARK-q-alice",
		"to+carol=other.example@leak.example": "MARK-q-carol",
		"to+dave=other.example@leak.example":  "MARK-q-dave",
	} {
		if _, r := send(t, d.smtpAddr, rcpt, mark); !strings.HasPrefix(r, "250") {
			t.Fatalf("%s: %q", rcpt, r)
		}
	}
	var all []entryView
	testutil.WaitFor(t, "four deferred entries with an error", func() bool {
		all = d.queueJSON("--state", "deferred")
		for _, v := range all {
			if v.LastError == "" {
				return false
			}
		}
		return len(all) == 4
	})
	byRcpt := map[string]entryView{}
	for _, v := range all {
		byRcpt[v.Rcpt] = v
		if v.Attempt < 1 || v.Due.IsZero() || v.Domain != strings.SplitN(v.Rcpt, "@", 2)[1] {
			t.Errorf("entry %+v", v)
		}
		if strings.Contains(v.LastError, v.Rcpt) {
			t.Errorf("last error names the recipient: %q", v.LastError)
		}
	}
	carol := byRcpt["carol@other.example"].ID
	dave := byRcpt["dave@other.example"].ID
	if carol == "" || dave == "" {
		t.Fatalf("entries by recipient: %v", byRcpt)
	}
	if list := d.queue("list"); !strings.Contains(list, "LAST ERROR") || !strings.Contains(list, byRcpt["bob@example.com"].LastError) {
		t.Errorf("queue list lacks the last error:\n%s", list)
	}
	for _, tc := range []struct {
		filters []string
		want    int
	}{
		{[]string{"--domain", "example.com"}, 2},
		{[]string{"--domain", "OTHER.example."}, 2},
		{[]string{"--domain", "nowhere.example"}, 0},
		{[]string{"--state", "active"}, 0},
		{[]string{"--state", "held"}, 0},
		{[]string{"--older-than", "1h"}, 0},
		{[]string{"--older-than", "1ms", "--domain", "example.com"}, 2},
	} {
		if got := d.queueJSON(tc.filters...); len(got) != tc.want {
			t.Errorf("list %v: %d entries, want %d", tc.filters, len(got), tc.want)
		}
	}
	if out, ok := d.queueTry("list", "--state", "waiting"); ok || !strings.Contains(out, "want active, deferred or held") {
		t.Errorf("list --state waiting: ok %v, %s", ok, out)
	}

	if out := d.queue("hold", carol); strings.TrimSpace(out) != "held" {
		t.Errorf("hold: %q", out)
	}
	if held := ids(d.queueJSON("--state", "held")); len(held) != 1 || held[0] != carol {
		t.Errorf("held entries %v, want %s", held, carol)
	}
	if out, ok := d.queueTry("retry", carol); ok {
		t.Errorf("retry of a held entry succeeded: %s", out)
	}
	if out, ok := d.queueTry("hold", "0123456789abcdef0123456789abcdef"); ok {
		t.Errorf("hold of an unknown entry succeeded: %s", out)
	}

	// The next hop is back: one domain is retried, the rest waits.
	hop.up(t)
	if out := d.queue("retry", "--domain", "Example.COM"); !strings.Contains(out, "2 entries for example.com due now") {
		t.Errorf("retry --domain: %q", out)
	}
	testutil.WaitFor(t, "example.com delivered", func() bool { return hop.count("MARK-q-bob") == 1 && hop.count("MARK-q-alice") == 1 })
	if n := hop.count("MARK-q-carol") + hop.count("MARK-q-dave"); n != 0 {
		t.Errorf("%d other.example copies delivered, want none yet", n)
	}
	testutil.WaitFor(t, "two entries left", func() bool { return queued(d.queue("list")) == 2 })
	log := d.log.String()
	for _, want := range []string{
		"action=hold qid=" + carol + ` by="admin socket"`,
		`action=retry domain=example.com entries=2 by="admin socket"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}

	// Stopped: the spool is read directly, and the hold is on file.
	d.stop()
	if held := ids(d.queueJSON("--state", "held")); len(held) != 1 || held[0] != carol {
		t.Errorf("offline: held entries %v, want %s", held, carol)
	}
	if active := ids(d.queueJSON("--state", "active", "--domain", "other.example")); len(active) != 1 || active[0] != dave {
		t.Errorf("offline: active entries %v, want %s (due as soon as leakd starts)", active, dave)
	}
	if out := d.queue("delete", dave); strings.TrimSpace(out) != "deleted" {
		t.Errorf("offline delete: %q", out)
	}
	if out := d.queue("release", carol); strings.TrimSpace(out) != "released" {
		t.Errorf("offline release: %q", out)
	}
	if n := len(d.queueJSON("--state", "active")); n != 1 {
		t.Errorf("offline, after release: %d active, want 1", n)
	}
	if out := d.queue("hold", carol); strings.TrimSpace(out) != "held" {
		t.Errorf("offline hold: %q", out)
	}
	if out := d.queue("retry", "--domain", "other.example"); !strings.Contains(out, "not running") {
		t.Errorf("offline retry --domain: %q", out)
	}

	// Started again: the held copy stays put while a newer one for its
	// domain goes; released, it goes too.
	d.log = &testutil.SyncBuffer{}
	d.start()
	if _, r := send(t, d.smtpAddr, "to+carol=other.example@leak.example", "MARK-q-carol2"); !strings.HasPrefix(r, "250") {
		t.Fatalf("DATA: %q", r)
	}
	testutil.WaitFor(t, "the newer copy delivered", func() bool { return hop.count("MARK-q-carol2") == 1 })
	if n := hop.count("MARK-q-carol"); n != 0 {
		t.Errorf("the held copy was delivered %d times", n)
	}
	if held := ids(d.queueJSON("--state", "held")); len(held) != 1 || held[0] != carol {
		t.Errorf("after the restart: held entries %v, want %s", held, carol)
	}
	if out := d.queue("release", carol); strings.TrimSpace(out) != "released" {
		t.Errorf("release: %q", out)
	}
	testutil.WaitFor(t, "the released copy delivered", func() bool { return hop.count("MARK-q-carol") == 1 })
	testutil.WaitFor(t, "an empty queue", func() bool { return queued(d.queue("list")) == 0 })
	if !strings.Contains(d.log.String(), "action=release qid="+carol) {
		t.Errorf("the log lacks the release")
	}
	if strings.Contains(d.log.String(), "dave@other.example") || strings.Contains(d.log.String(), "carol@other.example") {
		t.Errorf("the log names a recipient:\n%s", d.log.String())
	}
}

// TestQueueNeedsConfig: without --config and without ./leak-data, queue
// refuses to run, and creates nothing; with a config whose data_dir does
// not exist, it says so.
func TestQueueNeedsConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(leakdBin, "queue", "list")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no config: pass --config FILE (or run where leak-data exists)") {
		t.Errorf("queue list in an empty directory: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "leak-data")); err == nil {
		t.Error("queue list created ./leak-data")
	}

	cfg := filepath.Join(dir, "leak.yaml")
	data := filepath.Join(dir, "nowhere")
	os.WriteFile(cfg, []byte("domain: leak.example\nhostname: mx.leak.example\ndata_dir: "+data+"\n"), 0o600)
	out, err = exec.Command(leakdBin, "queue", "hold", "0123456789abcdef0123456789abcdef", "--config", cfg).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "does not exist") {
		t.Errorf("queue hold with a data_dir that does not exist: %v\n%s", err, out)
	}
	if _, err := os.Stat(data); err == nil {
		t.Error("queue created the data_dir")
	}

	// Where leak-data exists, the defaults are enough.
	if err := os.Mkdir(filepath.Join(dir, "leak-data"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(leakdBin, "queue", "list")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "0 queued") {
		t.Errorf("queue list where leak-data exists: %v\n%s", err, out)
	}
}

func TestParseQueueArgs(t *testing.T) {
	t.Parallel()
	good := []struct {
		args []string
		want queueArgs
	}{
		{[]string{"list", "--domain", "Example.COM", "--state", "held", "--older-than", "90m", "--json"},
			queueArgs{verb: "list", filter: listFilter{domain: "example.com", state: "held", olderThan: 90 * 60e9}, json: true}},
		{[]string{"retry", "--domain", "example.com", "--config", "F"}, queueArgs{verb: "retry", config: "F", filter: listFilter{domain: "example.com"}}},
		{[]string{"retry", "--config", "F", "all"}, queueArgs{verb: "retry", id: "all", config: "F"}},
		{[]string{"hold", "ID"}, queueArgs{verb: "hold", id: "ID"}},
		{[]string{"release", "--config=F", "ID"}, queueArgs{verb: "release", id: "ID", config: "F"}},
	}
	for _, tc := range good {
		var out, errb bytes.Buffer
		got, err := parseQueueArgs(tc.args, &out, &errb)
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v (%s); want %+v", tc.args, got, err, errb.String(), tc.want)
		}
	}
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"hold"}, {"release"}, {"retry"},
		{"retry", "ID", "--domain", "example.com"},
		{"list", "--state", "waiting"}, {"list", "--older-than", "soon"}, {"list", "--older-than", "-1h"},
		{"list", "ID"}, {"show", "ID", "--json"}, {"hold", "ID", "--domain", "x"},
	} {
		var out, errb bytes.Buffer
		if _, err := parseQueueArgs(args, &out, &errb); err != errUsage || errb.Len() == 0 {
			t.Errorf("%q: %v, stderr %q; want a usage error that says why", args, err, errb.String())
		}
	}
}
