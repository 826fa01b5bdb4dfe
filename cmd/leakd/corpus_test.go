package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDirs are the shared sample corpus and the project's own, both in the
// manifest format described in ../shared/corpus/README.md.
var corpusDirs = []string{
	"../../../shared/corpus/clients",
	"../../relay/anonymize/testdata/corpus",
}

type manifest struct {
	Messages []corpusEntry `json:"messages"`
}

type corpusEntry struct {
	File     string `json:"file"`
	Envelope struct {
		MailFrom string   `json:"mail_from"`
		RcptTo   []string `json:"rcpt_to"`
	} `json:"envelope"`
	Session struct {
		HELO     string `json:"helo"`
		ClientIP string `json:"client_ip"`
	} `json:"session"`
	Deliveries []struct {
		Rcpt      string `json:"rcpt"`
		DeliverTo string `json:"deliver_to"`
	} `json:"deliveries"`
	Secrets        []string `json:"secrets"`
	SessionSecrets []string `json:"session_secrets"`
}

func loadManifest(t *testing.T, dir string) (string, []corpusEntry) {
	t.Helper()
	path := filepath.Join(dir, "manifest.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("corpus %s: %v", dir, err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return path, m.Messages
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
func sendEntry(t *testing.T, addr string, e corpusEntry, data []byte) string {
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

// TestCorpusThroughDaemon sends every corpus message through the running
// daemon and checks each delivered copy with the corpus's own checker, its
// DKIM signatures with dkimpy, and the daemon's log for any sender secret.
func TestCorpusThroughDaemon(t *testing.T) {
	py := debianPython(t)
	d := newDaemon(t, sections{})
	d.start()

	var outputs []string
	var logSecrets []string
	total := 0
	for _, dir := range corpusDirs {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("corpus %s: %v", dir, err)
		}
		mpath, entries := loadManifest(t, dir)
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			before := map[string]bool{}
			files, _ := filepath.Glob(filepath.Join(d.outbox, "new", "*.eml"))
			for _, f := range files {
				before[f] = true
			}
			if r := sendEntry(t, d.smtpAddr, e, data); !strings.HasPrefix(r, "250") {
				t.Errorf("%s: DATA got %q", e.File, r)
				continue
			}
			total += len(e.Deliveries)
			var fresh []string
			for _, f := range d.waitDelivered(total) {
				if !before[f] {
					fresh = append(fresh, f)
				}
			}
			want := map[string]bool{}
			for _, dl := range e.Deliveries {
				want[dl.DeliverTo] = true
			}
			for _, f := range fresh {
				to := deliveredTo(t, f)
				if !want[to] {
					t.Errorf("%s: unexpected delivery to %s", e.File, to)
					continue
				}
				delete(want, to)
				out, err := exec.Command("python3", "../../../shared/corpus/tools/leakcheck.py",
					"check", mpath, e.File, withoutOwnUnsubscribe(t, f), to).CombinedOutput()
				if err != nil {
					t.Errorf("%s → %s: leakcheck failed: %v\n%s", e.File, to, err, out)
				}
				outputs = append(outputs, f)
			}
			if len(want) > 0 {
				t.Errorf("%s: no delivery to %v", e.File, want)
			}
			logSecrets = append(logSecrets, e.Secrets...)
			logSecrets = append(logSecrets, e.SessionSecrets...)
			logSecrets = append(logSecrets, e.Envelope.MailFrom)
		}
	}

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

	d.stop()
	log := strings.ToLower(d.log.String())
	for _, s := range logSecrets {
		if s != "" && strings.Contains(log, strings.ToLower(s)) {
			t.Errorf("the daemon's log contains the sender secret %q", s)
		}
	}
}

// TestSwaks: a real SMTP client (swaks) sends a first message as the README
// shows, and dkimpy accepts both signatures with the keys from `leakd dkim dns`.
func TestSwaks(t *testing.T) {
	swaks := needTool(t, "swaks")
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
