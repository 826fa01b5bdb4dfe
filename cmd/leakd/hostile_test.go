package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const hostileDir = "../../../shared/corpus/hostile"

type hostileEntry struct {
	File      string `json:"file"`
	Title     string `json:"title"`
	Transport string `json:"transport"`
	Envelope  struct {
		MailFrom string   `json:"mail_from"`
		RcptTo   []string `json:"rcpt_to"`
	} `json:"envelope"`
	RcptExpectations []struct {
		Rcpt       string `json:"rcpt"`
		ReplyClass string `json:"reply_class"`
	} `json:"rcpt_expectations"`
	Expected struct {
		Outcome           string   `json:"outcome"`
		AcceptableReplies []string `json:"acceptable_replies"`
	} `json:"expected"`
}

func acceptable(reply string, allowed []string) bool {
	for _, a := range allowed {
		a = strings.TrimSuffix(strings.SplitN(a, " (", 2)[0], " ")
		if strings.HasPrefix(reply, a) {
			return true
		}
	}
	return false
}

// TestHostileCorpus sends every hostile sample as its manifest says and
// checks the reply is one the manifest accepts, that the daemon survives,
// and that accepted samples pass the corpus checker.
func TestHostileCorpus(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(hostileDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Messages []hostileEntry }
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, sections{})
	d.start()
	delivered := 0
	for _, e := range m.Messages {
		t.Run(e.File, func(t *testing.T) {
			switch e.Transport {
			case "generator":
				sendOversize(t, d.smtpAddr, 60<<20)
				return
			case "envelope":
				c := dialSMTP(t, d.smtpAddr)
				c.cmd("EHLO client.example")
				c.cmd("MAIL FROM:<" + e.Envelope.MailFrom + ">")
				for _, x := range e.RcptExpectations {
					r := c.cmd("RCPT TO:<" + x.Rcpt + ">")
					if r[0] != x.ReplyClass[0] {
						t.Errorf("RCPT %s: got %q, want %s", x.Rcpt, r, x.ReplyClass)
					}
				}
				return
			}
			raw, err := os.ReadFile(filepath.Join(hostileDir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			c := dialSMTP(t, d.smtpAddr)
			c.cmd("EHLO client.example")
			c.cmd("MAIL FROM:<" + e.Envelope.MailFrom + ">")
			for _, rc := range e.Envelope.RcptTo {
				c.cmd("RCPT TO:<" + rc + ">")
			}
			if r := c.cmd("DATA"); !strings.HasPrefix(r, "354") {
				t.Fatalf("DATA: %s", r)
			}
			if e.Transport == "raw_data" {
				c.raw(raw)
				c.raw([]byte("\r\n.\r\n"))
			} else {
				c.raw(dotStuff(raw))
			}
			r := c.read()
			if !acceptable(r, e.Expected.AcceptableReplies) {
				t.Errorf("%s: got %q, want one of %v", e.Title, r, e.Expected.AcceptableReplies)
			}
			// Exactly one reply for the whole DATA: the next one answers our NOOP.
			if nr := c.cmd("NOOP"); !strings.HasPrefix(nr, "250") {
				t.Errorf("after DATA, NOOP got %q (dialogue out of sync)", nr)
			}
			if strings.HasPrefix(r, "250") {
				delivered++
				files := d.waitDelivered(delivered)
				last := newest(files)
				out, err := exec.Command("python3", "../../../shared/corpus/tools/leakcheck.py", "check",
					filepath.Join(hostileDir, "manifest.json"), e.File, last, "bob@example.com").CombinedOutput()
				if err != nil {
					t.Errorf("leakcheck: %v\n%s", err, out)
				}
			}
		})
	}
	// The daemon is still serving.
	c := dialSMTP(t, d.smtpAddr)
	if r := c.cmd("EHLO client.example"); !strings.HasPrefix(r, "250") {
		t.Fatalf("daemon not serving after hostile input: %q", r)
	}
}

func newest(files []string) string {
	var best string
	var bt time.Time
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.ModTime().After(bt) {
			best, bt = f, st.ModTime()
		}
	}
	return best
}

// TestHostileShapes covers hostile inputs the shared corpus does not ship.
func TestHostileShapes(t *testing.T) {
	d := newDaemon(t, sections{SMTP: "  max_message_bytes: 2097152\n"})
	d.start()

	var manyHeaders strings.Builder
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&manyHeaders, "X-H%d: v\r\n", i)
	}
	for _, tc := range []struct {
		name string
		msg  string
		want string
	}{
		{"10000 header fields", manyHeaders.String() + "Subject: x\r\n\r\nbody\r\n", "552 5.3.4"},
		{"NUL byte", "Subject: x\r\n\r\nnul\x00\r\n", "554 5.6.0"},
		{"bare CR in header", "Subject: x\rY\r\n\r\nbody\r\n", "554 5.6.0"},
		{"oversize without SIZE", "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("A", 76)+"\r\n", 40000), "552 5.3.4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialSMTP(t, d.smtpAddr)
			c.cmd("EHLO client.example")
			c.cmd("MAIL FROM:<mallory@attacker.example>")
			c.cmd("RCPT TO:<to+bob=example.com@leak.example>")
			c.cmd("DATA")
			c.raw([]byte(tc.msg + ".\r\n"))
			if r := c.read(); !strings.HasPrefix(r, tc.want) {
				t.Errorf("got %q, want %s", r, tc.want)
			}
			if r := c.cmd("NOOP"); !strings.HasPrefix(r, "250") {
				t.Errorf("dialogue out of sync: NOOP got %q", r)
			}
		})
	}
	t.Run("oversize with SIZE", func(t *testing.T) {
		c := dialSMTP(t, d.smtpAddr)
		c.cmd("EHLO client.example")
		if r := c.cmd("MAIL FROM:<mallory@attacker.example> SIZE=62914560"); !strings.HasPrefix(r, "552 5.3.4") {
			t.Errorf("MAIL with SIZE over the limit: got %q", r)
		}
	})
	files, _ := filepath.Glob(filepath.Join(d.outbox, "new", "*"))
	if len(files) != 0 {
		t.Errorf("%d hostile messages delivered", len(files))
	}
}

// sendOversize sends a message of n bytes (a base64 attachment, as
// tools/gen_oversize.py makes) twice: announced with SIZE, refused at MAIL;
// then unannounced, refused after the final dot with the dialogue in sync.
func sendOversize(t *testing.T, addr string, n int) {
	c := dialSMTP(t, addr)
	c.cmd("EHLO client.example")
	if r := c.cmd(fmt.Sprintf("MAIL FROM:<mallory@attacker.example> SIZE=%d", n)); !strings.HasPrefix(r, "552 5.3.4") {
		t.Errorf("MAIL with SIZE=%d: %q", n, r)
	}
	c.cmd("MAIL FROM:<mallory@attacker.example>")
	c.cmd("RCPT TO:<to+bob=example.com@leak.example>")
	if r := c.cmd("DATA"); !strings.HasPrefix(r, "354") {
		t.Fatalf("DATA: %q", r)
	}
	head := "Subject: oversize\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	c.raw([]byte(head))
	line := []byte(strings.Repeat("QUJD", 19) + "\r\n")
	chunk := bytes.Repeat(line, 1<<14) // 1.2 MiB per write
	for sent := 0; sent < n; sent += len(chunk) {
		c.raw(chunk)
	}
	c.raw([]byte(".\r\n"))
	if r := c.read(); !strings.HasPrefix(r, "552 5.3.4") {
		t.Errorf("oversize DATA without SIZE: %q", r)
	}
	if r := c.cmd("NOOP"); !strings.HasPrefix(r, "250") {
		t.Errorf("after oversize DATA, NOOP got %q", r)
	}
}
