package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"leak/relay/corpus"
)

// TestHostileCorpus sends every hostile sample as its manifest says and
// checks that the reply is one the manifest accepts, that the dialogue stays
// in step, that a refused sample is not delivered, that accepted samples
// pass the corpus checker, and that the daemon survives.
func TestHostileCorpus(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{})
	d.start()
	delivered := 0
	var ports []string // the client's, to be searched for in the log
	runCorpus(t, []string{corpus.Hostile}, func(t *testing.T, m *corpus.Manifest) {
		for _, e := range m.Messages {
			t.Run(e.File, func(t *testing.T) {
				if e.Transport == "generator" {
					sendOversize(t, d.smtpAddr, 60<<20)
					return
				}
				raw, err := os.ReadFile(m.Path(e))
				if err != nil {
					t.Fatal(err)
				}
				c := dialFault(t, d.smtpAddr, &ports).smtpConn
				c.cmd("EHLO client.example")
				c.cmd("MAIL FROM:<" + e.Envelope.MailFrom + ">")
				accepted := 0
				if e.Transport == "envelope" {
					for _, x := range e.RcptExpectations {
						r := c.cmd("RCPT TO:<" + x.Rcpt + ">")
						if r[0] != x.ReplyClass[0] {
							t.Errorf("RCPT %s: got %q, want %s", x.Rcpt, r, x.ReplyClass)
						}
						if r[0] == '2' {
							accepted++
						}
					}
					if accepted == 0 {
						return
					}
				} else {
					for _, rc := range e.Envelope.RcptTo {
						c.cmd("RCPT TO:<" + rc + ">")
					}
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
				x := e.Expected
				if e.Transport == "envelope" {
					// The refusals were the RCPTs; the message goes to the one accepted.
					x = corpus.Expected{Reply: "250"}
				}
				if !x.Accepts(r) {
					t.Errorf("%s: got %q, want %s", e.Title, r, strings.Join(x.Replies(), " or "))
				}
				// Exactly one reply for the whole DATA: the next one answers our NOOP.
				if nr := c.cmd("NOOP"); !strings.HasPrefix(nr, "250") {
					t.Errorf("after DATA, NOOP got %q (dialogue out of sync)", nr)
				}
				if !strings.HasPrefix(r, "250") {
					if n := len(outbox(d)); n != delivered {
						t.Errorf("%d copies delivered after a refusal, want %d", n, delivered)
					}
					return
				}
				delivered++
				checkCopy(t, m, e, newest(deliveredFiles(t, d, delivered)), "bob@example.com")
			})
		}
	})
	// The daemon is still serving.
	c := dialSMTP(t, d.smtpAddr)
	if r := c.cmd("EHLO client.example"); !strings.HasPrefix(r, "250") {
		t.Fatalf("daemon not serving after hostile input: %q", r)
	}
	checkLogHasNoPeer(t, d, ports)
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

// TestHostileShapes covers hostile inputs the corpora do not ship.
func TestHostileShapes(t *testing.T) {
	t.Parallel()
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
