package anonymize

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"leak/relay/content/refusal"
	"leak/relay/corpus"
)

// nested returns a message with depth nested multipart/mixed levels.
func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString("Subject: deep\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nKEEP-deepest\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// manyParts returns a multipart/mixed message with n text parts.
func manyParts(n int) []byte {
	var b strings.Builder
	b.WriteString("Subject: parts\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "--x\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--x--\r\n")
	return []byte(b.String())
}

func receivedLines(n int, extra string) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "Received: from hop%d.example by hop%d.example; Mon, 1 Dec 2025 10:00:00 +0000\r\n", i, i+1)
	}
	b.WriteString(extra)
	b.WriteString("Subject: hops\r\n\r\nbody KEEP-hops\r\n")
	return []byte(b.String())
}

// hostileFile reads a sample of the project's hostile corpus.
func hostileFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus.Dirs(corpus.Hostile)[0], name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHostile(t *testing.T) {
	longLine := append([]byte("Subject: x\r\nX-Padding: "), bytes.Repeat([]byte("Q7"), 1<<19)...)
	tests := []struct {
		name string
		msg  func(t *testing.T) []byte
		want Reason // 0: accepted
		keep []string
		gone []string
	}{
		{"h09 nested 100", func(t *testing.T) []byte { return hostileFile(t, "h09_nested_multipart_100.eml") }, MIMETooComplex, nil, nil},
		{"nested 21", func(*testing.T) []byte { return nested(21) }, MIMETooComplex, nil, nil},
		{"nested 20", func(*testing.T) []byte { return nested(20) }, 0, []string{"KEEP-deepest"}, nil},
		{"501 parts", func(*testing.T) []byte { return manyParts(501) }, MIMETooComplex, nil, nil},
		{"500 parts", func(*testing.T) []byte { return manyParts(500) }, 0, []string{"part 499"}, nil},
		{"10000 header fields", func(*testing.T) []byte {
			return append(bytes.Repeat([]byte("X-Field: some value\r\n"), 10000), "\r\nbody\r\n"...)
		}, HeaderTooLarge, nil, nil},
		{"1001 short fields", func(*testing.T) []byte {
			return append(bytes.Repeat([]byte("X:\r\n"), 1001), "\r\nbody\r\n"...)
		}, HeaderTooLarge, nil, nil},
		{"1 MiB header line without CRLF", func(*testing.T) []byte { return longLine }, HeaderTooLarge, nil, nil},
		{"h08 one megabyte header", func(t *testing.T) []byte { return hostileFile(t, "h08_one_megabyte_header.eml") }, HeaderTooLarge, nil, nil},
		{"part header over 64 KiB", func(*testing.T) []byte {
			pad := strings.Repeat("X-Pad: "+strings.Repeat("p", 90)+"\r\n", 800)
			return crlfMsg("Content-Type: multipart/mixed; boundary=b\n\n--b\n" + pad + "Content-Type: text/plain\n\nx\n--b--\n")
		}, HeaderTooLarge, nil, nil},
		{"h10 invalid base64", func(t *testing.T) []byte { return hostileFile(t, "h10_invalid_base64.eml") }, 0,
			[]string{"KEEP-H10-html", "KEEP-H10-cutABCABC"}, []string{"sender.h10", "h10.hostile"}},
		{"h11 relay to self", func(t *testing.T) []byte { return hostileFile(t, "h11_relay_to_self.eml") }, 0,
			[]string{"KEEP-H11-body"}, []string{"sender.h11", "h11.hostile"}},
		{"h01 bare LF", func(t *testing.T) []byte { return hostileFile(t, "h01_bare_lf.data") }, Malformed, nil, nil},
		{"h03 smuggling", func(t *testing.T) []byte { return hostileFile(t, "h03_smtp_smuggling_lf_dot_lf.data") }, Malformed, nil, nil},
		{"unterminated multipart", func(*testing.T) []byte {
			return crlfMsg("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\ntext\n")
		}, Malformed, nil, nil},
		{"unterminated after a part", func(*testing.T) []byte {
			return crlfMsg("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n")
		}, Malformed, nil, nil},
		{"no first boundary", func(*testing.T) []byte {
			return crlfMsg("Content-Type: multipart/mixed; boundary=b\n\njust text\n")
		}, Malformed, nil, nil},
		{"multipart without boundary", func(*testing.T) []byte {
			return crlfMsg("Content-Type: multipart/mixed\n\n--b\n\nx\n--b--\n")
		}, Malformed, nil, nil},
		{"header line without colon", func(*testing.T) []byte {
			return crlfMsg("Subject: x\nthis is not a header\n\nbody\n")
		}, Malformed, nil, nil},
		{"loop marker", func(*testing.T) []byte {
			return receivedLines(1, "Received: by mx.leak.example (Leak) id 1; Mon, 1 Dec 2025 10:00:00 +0000\r\n")
		}, Loop, nil, nil},
		{"51 Received", func(*testing.T) []byte { return receivedLines(51, "") }, Loop, nil, nil},
		{"50 Received", func(*testing.T) []byte { return receivedLines(50, "") }, 0, []string{"KEEP-hops"}, []string{"hop1.example"}},
		{"opaque S/MIME signed", func(*testing.T) []byte {
			return crlfMsg("Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\n")
		}, Malformed, nil, nil},
		{"opaque S/MIME signed, no smime-type", func(*testing.T) []byte {
			return crlfMsg("Content-Type: application/x-pkcs7-mime; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\n")
		}, Malformed, nil, nil},
		{"S/MIME enveloped: its recipient infos name the sender's certificate", func(*testing.T) []byte {
			return crlfMsg("Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\n")
		}, Content, nil, nil},
		{"message/partial", func(*testing.T) []byte {
			return crlfMsg("Content-Type: message/partial; id=\"abc@host.example\"; number=1; total=2\n\nFrom: a@host.example\n")
		}, Malformed, nil, nil},
		{"signature only", func(*testing.T) []byte {
			return crlfMsg("Content-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\nabc\n")
		}, 0, []string{"Content-Type: text/plain; charset=utf-8"}, []string{"PGP SIGNATURE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.msg(t)
			outs, err := rewrite(t, msg)
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("Rewrite: %v", err)
				}
				checkLines(t, outs[0])
				for _, k := range tt.keep {
					if !bytes.Contains(outs[0], []byte(k)) {
						t.Errorf("output lacks %q:\n%s", k, outs[0])
					}
				}
				for _, g := range tt.gone {
					if bytes.Contains(outs[0], []byte(g)) {
						t.Errorf("output still has %q:\n%s", g, outs[0])
					}
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Rewrite = %v, want *Error %v", err, tt.want)
			}
			if e.Reason != tt.want {
				t.Fatalf("Reason = %v (%s), want %v", e.Reason, e.Text, tt.want)
			}
			if e.Text == "" || strings.Contains(e.Text, "example") {
				t.Errorf("Text %q is not a generic text", e.Text)
			}
		})
	}
}

func TestOpaqueSignedText(t *testing.T) {
	_, err := rewrite(t, crlfMsg("Content-Type: application/pkcs7-mime; smime-type=signed-data\n\nx\n"))
	var e *Error
	if !errors.As(err, &e) || e.Text != "opaque S/MIME signed messages are not supported; send it clear-signed" {
		t.Fatalf("Rewrite = %v", err)
	}
}

// countingReader counts what was read and can fail after a number of bytes.
type countingReader struct {
	r      io.Reader
	n      int
	failAt int
	err    error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.failAt > 0 && c.n >= c.failAt {
		return 0, c.err
	}
	if c.failAt > 0 && len(p) > c.failAt-c.n {
		p = p[:c.failAt-c.n]
	}
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestReadsToEnd: a refused message is still read to its end, so that the
// session's DATA reader stays in step.
func TestReadsToEnd(t *testing.T) {
	msg := append(receivedLines(51, ""), bytes.Repeat([]byte("more body\r\n"), 10000)...)
	cr := &countingReader{r: bytes.NewReader(msg)}
	err := New(testOptions()).Rewrite(cr, []Copy{{To: "bob@example.com", W: io.Discard}})
	var e *Error
	if !errors.As(err, &e) || e.Reason != Loop {
		t.Fatalf("Rewrite = %v, want Loop", err)
	}
	if cr.n != len(msg) {
		t.Errorf("read %d of %d bytes", cr.n, len(msg))
	}
}

// TestIOErrors: a failing source or writer is an I/O error, not a
// refusal, and the cause is kept for errors.Is.
func TestIOErrors(t *testing.T) {
	msg := crlfMsg("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n" +
		strings.Repeat("line of text\n", 2000) + "--b--\n")
	cause := errors.New("connection reset")
	for _, at := range []int{10, 100, 5000} {
		cr := &countingReader{r: bytes.NewReader(msg), failAt: at, err: cause}
		err := New(testOptions()).Rewrite(cr, []Copy{{To: "bob@example.com", W: io.Discard}})
		var e *Error
		if errors.As(err, &e) || !errors.Is(err, cause) {
			t.Errorf("read failing at %d: Rewrite = %v, want the read error", at, err)
		}
	}
	err := New(testOptions()).Rewrite(bytes.NewReader(msg), []Copy{{To: "bob@example.com", W: failWriter{cause}}})
	var e *Error
	if errors.As(err, &e) || !errors.Is(err, cause) {
		t.Errorf("failing writer: Rewrite = %v, want the write error", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// replyOf mirrors relay.dataReply: the reply the session gives a refusal,
// so that in-process tests can hold Rewrite to a manifest's expected reply.
func replyOf(e *Error) string {
	switch e.Reason {
	case HeaderTooLarge:
		return "552 5.3.4"
	case Loop:
		return "554 5.4.6"
	case Content:
		switch e.Kind {
		case refusal.Unsupported:
			return "554 5.6.1"
		case refusal.Encrypted:
			return "554 5.7.1"
		case refusal.Identifying:
			return "550 5.7.1"
		case refusal.TooLarge:
			return "552 5.3.4"
		case refusal.Busy:
			return "451 4.3.1"
		}
	}
	return "554 5.6.0"
}

// checkRefusal fails unless err is a refusal whose reply the manifest
// accepts.
func checkRefusal(t *testing.T, x corpus.Expected, err error) {
	t.Helper()
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("Rewrite = %v, want a refusal", err)
	}
	if r := replyOf(ae); !x.Accepts(r) {
		t.Errorf("Rewrite refused with %s (%v), want %s", r, err, strings.Join(x.Replies(), " or "))
	}
}

// TestHostileCorpus rewrites every sample of the hostile corpora. A sample
// the manifest expects refused must make Rewrite fail, with the reason
// behind the expected reply; an accepted one must pass the corpus checks of
// its if_accepted block. Samples refused by the session's line reader, which
// runs before the anonymizer, may pass Rewrite, but then their copy must be
// clean too.
func TestHostileCorpus(t *testing.T) {
	runCorpus(t, corpus.Hostile, func(t *testing.T, m *corpus.Manifest) {
		for _, e := range m.Messages {
			if e.Transport == "generator" {
				continue // made on the fly by the daemon test
			}
			t.Run(e.File, func(t *testing.T) {
				msg, err := os.ReadFile(m.Path(e))
				if err != nil {
					t.Fatal(err)
				}
				outs, err := rewrite(t, msg)
				x := e.Expected
				if err != nil {
					if !x.MayRefuse() {
						t.Fatalf("Rewrite refused a sample the manifest expects accepted: %v", err)
					}
					checkRefusal(t, x, err)
					return
				}
				if x.Refused() && !strings.Contains(fmt.Sprint(x.Raw["smtp_stage"]), "line reader") {
					t.Fatalf("Rewrite accepted a sample the manifest expects refused with %s", x.Reply)
				}
				checkLines(t, outs[0])
				hard, _ := corpus.Check(e, outs[0], "bob@example.com", m.Deep(e))
				for _, h := range hard {
					t.Error(h)
				}
				if python := pythonPath(t); python != "" {
					runLeakcheck(t, python, m, e.File, "bob@example.com", outs[0])
				}
			})
		}
	})
}
