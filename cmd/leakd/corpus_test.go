package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/corpus"
)

// corpusDirs returns the corpus directories of a kind with subtest names:
// the project's own under relay/anonymize/testdata, and the shared sample
// as "shared/<kind>", ok only when LEAK_CORPUS provides it.
func corpusDirs(kind string) (names, dirs []string, ok []bool) {
	for _, d := range corpus.Dirs(kind) {
		name := filepath.Base(d)
		if parent := filepath.Base(filepath.Dir(d)); parent != "testdata" {
			name = parent + "/" + name
		}
		names, dirs, ok = append(names, name), append(dirs, d), append(ok, true)
	}
	shared, found := corpus.Shared(kind)
	return append(names, "shared/"+kind), append(dirs, shared), append(ok, found)
}

// runCorpus runs f on every corpus directory of the kinds, each a subtest;
// the shared corpus's subtest says why it is skipped without LEAK_CORPUS.
func runCorpus(t *testing.T, kinds []string, f func(t *testing.T, m *corpus.Manifest)) {
	for _, kind := range kinds {
		names, dirs, ok := corpusDirs(kind)
		for i, dir := range dirs {
			t.Run(names[i], func(t *testing.T) {
				if !ok[i] {
					t.Skipf("LEAK_CORPUS is not set to the shared corpus (LEAK_CORPUS=/path/to/corpus with %s/ in it)", kind)
				}
				m, err := corpus.Load(dir)
				if err != nil {
					t.Fatal(err)
				}
				f(t, m)
			})
		}
	}
}

// checkCopy checks one delivered copy with the corpus checker and, when
// LEAK_CORPUS provides it, cross-checks it with leakcheck.py.
func checkCopy(t *testing.T, m *corpus.Manifest, e corpus.Entry, path, to string) {
	t.Helper()
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hard, _ := corpus.Check(e, out, to, m.Deep(e))
	for _, h := range hard {
		t.Errorf("%s → %s: %s", e.File, to, h)
	}
	if _, ok := corpus.Tool(); ok {
		hard, notes, err := corpus.Leakcheck("python3", filepath.Join(m.Dir, "manifest.json"), e.File, path, to)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hard {
			t.Errorf("%s → %s: leakcheck.py: %s", e.File, to, h)
		}
		for _, n := range notes {
			t.Log(n)
		}
	}
}

// deliveredFiles waits until the outbox holds n copies and returns them; unlike
// daemon.waitDelivered it fails the (sub)test it is given.
func deliveredFiles(t *testing.T, d *daemon, n int) []string {
	t.Helper()
	var files []string
	testutil.Poll(20*time.Second, func() bool {
		files = outbox(d)
		return len(files) >= n
	})
	if len(files) != n {
		t.Fatalf("%d messages delivered, want %d", len(files), n)
	}
	return files
}

func outbox(d *daemon) []string {
	files, _ := filepath.Glob(filepath.Join(d.outbox, "new", "*.eml"))
	return files
}

// dotStuff prepares CRLF message text for DATA (RFC 5321 4.5.2).
func dotStuff(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n."), []byte("\r\n.."))
	if bytes.HasPrefix(b, []byte(".")) {
		b = append([]byte("."), b...)
	}
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		b = append(b, "\r\n"...)
	}
	return append(b, ".\r\n"...)
}

// sendEntry sends one corpus message with its envelope and returns the DATA reply.
func sendEntry(t *testing.T, addr string, e corpus.Entry, data []byte) string {
	t.Helper()
	c := dialSMTP(t, addr)
	helo := e.Session.HELO
	if helo == "" {
		helo = "client.example"
	}
	if r := c.cmd("EHLO " + helo); !strings.HasPrefix(r, "250") {
		t.Fatalf("EHLO: %s", r)
	}
	if r := c.cmd("MAIL FROM:<" + e.Envelope.MailFrom + ">"); !strings.HasPrefix(r, "250") {
		t.Fatalf("MAIL: %s", r)
	}
	for _, rc := range e.Envelope.RcptTo {
		if r := c.cmd("RCPT TO:<" + rc + ">"); !strings.HasPrefix(r, "250") {
			t.Fatalf("RCPT %s: %s", rc, r)
		}
	}
	if r := c.cmd("DATA"); !strings.HasPrefix(r, "354") {
		t.Fatalf("DATA: %s", r)
	}
	c.raw(dotStuff(data))
	r := c.read()
	c.cmd("QUIT")
	return r
}

// withoutOwnUnsubscribe checks that a delivered copy carries Leak's own
// one-click unsubscribe pair (RFC 8058), and returns a copy of the file
// without it for the corpus checker: the corpus forbids List-Unsubscribe
// because a mailing list's own header identifies the list, while every Leak
// copy must carry Leak's. The list's values are still caught as secrets.
func withoutOwnUnsubscribe(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(b), "\r\n\r\n")
	var kept []string
	own := 0
	for _, line := range strings.Split(head, "\r\n") {
		switch {
		case strings.HasPrefix(line, "List-Unsubscribe: <https://leak.example/u/"),
			line == "List-Unsubscribe-Post: List-Unsubscribe=One-Click":
			own++
			continue
		}
		kept = append(kept, line)
	}
	if own != 2 {
		t.Errorf("%s: Leak's List-Unsubscribe and List-Unsubscribe-Post not both present", path)
	}
	out := path + ".checked"
	if err := os.WriteFile(out, []byte(strings.Join(kept, "\r\n")+"\r\n\r\n"+body), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func deliveredTo(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Delivered-To: "); ok {
			return v
		}
		if line == "" {
			break
		}
	}
	t.Fatalf("%s has no Delivered-To", path)
	return ""
}

// TestCorpusThroughDaemon sends every client and content corpus message
// through the running daemon and checks each delivered copy with the
// corpus checker, its DKIM signatures with dkimpy, and the daemon's log for
// any sender secret, the envelope sender included. A message the manifest
// expects refused must get that reply to DATA, and no copy.
func TestCorpusThroughDaemon(t *testing.T) {
	t.Parallel()
	py := debianPython(t)
	d := newDaemon(t, sections{})
	d.start()

	var outputs []string
	var logSecrets []string
	total := 0
	runCorpus(t, []string{corpus.Clients, corpus.Content}, func(t *testing.T, m *corpus.Manifest) {
		for _, e := range m.Messages {
			logSecrets = append(logSecrets, e.Secrets...)
			logSecrets = append(logSecrets, e.SessionSecrets...)
			logSecrets = append(logSecrets, e.Envelope.MailFrom)
			t.Run(e.File, func(t *testing.T) {
				data, err := os.ReadFile(m.Path(e))
				if err != nil {
					t.Fatal(err)
				}
				before := map[string]bool{}
				for _, f := range outbox(d) {
					before[f] = true
				}
				r := sendEntry(t, d.smtpAddr, e, data)
				switch x := e.Expected; {
				case x.Refused():
					if !x.Accepts(r) {
						t.Errorf("DATA got %q, want %s", r, x.Reply)
					}
					if strings.HasPrefix(r, "250") {
						// Wrongly accepted: wait for its copies, so that
						// the next message counts its own.
						total += len(e.Deliveries)
						deliveredFiles(t, d, total)
					} else if n := len(outbox(d)); n != total {
						t.Errorf("%d copies delivered after a refusal, want %d", n, total)
					}
					return
				case !strings.HasPrefix(r, "250"):
					if !x.MayRefuse() || !x.Accepts(r) {
						t.Errorf("DATA got %q", r)
					}
					return
				}
				total += len(e.Deliveries)
				want := map[string]bool{}
				for _, dl := range e.Deliveries {
					want[dl.DeliverTo] = true
				}
				for _, f := range deliveredFiles(t, d, total) {
					if before[f] {
						continue
					}
					to := deliveredTo(t, f)
					if !want[to] {
						t.Errorf("unexpected delivery to %s", to)
						continue
					}
					delete(want, to)
					checkCopy(t, m, e, withoutOwnUnsubscribe(t, f), to)
					outputs = append(outputs, f)
				}
				if len(want) > 0 {
					t.Errorf("no delivery to %v", want)
				}
			})
		}
	})

	if len(outputs) > 0 {
		records := filepath.Join(d.dir, "records.txt")
		out, err := exec.Command(leakdBin, "dkim", "dns", "--config", d.config).Output()
		if err != nil {
			t.Fatalf("leakd dkim dns: %v", err)
		}
		os.WriteFile(records, out, 0o600)
		sort.Strings(outputs)
		vout, err := exec.Command(py, append([]string{"testdata/dkimverify.py", records}, outputs...)...).CombinedOutput()
		if err != nil {
			t.Errorf("dkimpy rejected signatures: %v\n%s", err, vout)
		}
		checkReaders(t, outputs)
	}

	d.stop()
	log := strings.ToLower(d.log.String())
	for _, s := range logSecrets {
		if s != "" && logContains(log, strings.ToLower(s)) {
			t.Errorf("the daemon's log contains the sender secret %q", s)
		}
	}
}

// logContains reports whether secret occurs in log. A short secret (a build
// tag such as "fc40") must stand as a word of its own: inside a random hex
// queue id it is chance, not a leak.
func logContains(log, secret string) bool {
	if len(secret) >= 8 {
		return strings.Contains(log, secret)
	}
	word := func(b byte) bool {
		return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b == '_'
	}
	for i := 0; ; {
		j := strings.Index(log[i:], secret)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(secret)
		if (start == 0 || !word(log[start-1])) && (end == len(log) || !word(log[end])) {
			return true
		}
		i = start + 1
	}
}

// TestSwaks: a real SMTP client (swaks) sends a first message as the README
// shows, and dkimpy accepts both signatures with the keys from `leakd dkim dns`.
func TestSwaks(t *testing.T) {
	t.Parallel()
	swaks := testutil.NeedTool(t, "swaks")
	py := debianPython(t)
	d := newDaemon(t, sections{})
	d.start()
	out, err := exec.Command(swaks, "--server", d.smtpAddr, "--from", "me@example.net",
		"--to", "friend+bob=example.com@leak.example", "--header", "Subject: hello from a terminal",
		"--body", "KEEP-TERMINAL-BODY").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	files := d.waitDelivered(1)
	msg, _ := os.ReadFile(files[0])
	for _, want := range []string{"Subject: hello from a terminal", "KEEP-TERMINAL-BODY", `"A friend, anonymously"`, "Delivered-To: bob@example.com"} {
		if !bytes.Contains(msg, []byte(want)) {
			t.Errorf("delivered message lacks %q", want)
		}
	}
	for _, secret := range []string{"me@example.net", "swaks", "127.0.0.1"} {
		if bytes.Contains(bytes.ToLower(msg), []byte(secret)) {
			t.Errorf("delivered message leaks %q:\n%s", secret, msg)
		}
	}
	records := filepath.Join(d.dir, "records.txt")
	rec, err := exec.Command(leakdBin, "dkim", "dns", "--config", d.config).Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(records, rec, 0o600)
	if vout, err := exec.Command(py, "testdata/dkimverify.py", records, files[0]).CombinedOutput(); err != nil {
		t.Errorf("dkimpy: %v\n%s", err, vout)
	}
}
