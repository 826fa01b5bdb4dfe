package anonymize

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// headerBlock returns the top-level header of out, unfolded, as lines.
func headerBlock(t *testing.T, out []byte) []string {
	t.Helper()
	head, _, ok := bytes.Cut(out, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no end of header in %q", out)
	}
	return strings.Split(strings.ReplaceAll(string(head), "\r\n ", " "), "\r\n")
}

// body returns out after its top-level header.
func body(out []byte) []byte {
	_, b, _ := bytes.Cut(out, []byte("\r\n\r\n"))
	return b
}

func TestTopHeader(t *testing.T) {
	msg := crlfMsg(`Received: from client.example (client.example [192.0.2.1]) by mx.example; Mon, 1 Dec 2025 10:00:00 -0500
DKIM-Signature: v=1; d=sender.example; b=abc
From: Sender Name <sender@sender.example>
Sender: other@sender.example
Reply-To: reply@sender.example
To: to+bob=example.com@leak.example
Cc: carol@example.org
Subject: Hello there
Date: Mon, 1 Dec 2025 10:00:00 -0500
Message-ID: <id@sender.example>
In-Reply-To: <prev@sender.example>
Mime-Version: 1.0 (Mac OS X Mail 16.0 \(3826.200.121\))
X-Mailer: Whatever 1.0
Content-Type: text/plain; charset=utf-8
Content-Language: en-GB
Organization: Sender Ltd

Body.
`)
	a := New(testOptions())
	var out bytes.Buffer
	err := a.Rewrite(bytes.NewReader(msg), []Copy{{
		To: "bob@example.com", Relationship: "a family member", W: &out,
		Extra: []HeaderField{{"List-Unsubscribe", "<https://leak.example/u/abc>"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`^Received: by mx\.leak\.example \(Leak\) id [0-9a-f]{16}; Thu, 20 Nov 2025 11:30:00 \+0000$`,
		`^Date: Thu, 20 Nov 2025 11:30:00 \+0000$`,
		`^From: "A family member, anonymously" <anonymous@leak\.example>$`,
		`^To: bob@example\.com$`,
		`^Subject: Hello there$`,
		`^Message-ID: <[0-9a-f]{32}@leak\.example>$`,
		`^MIME-Version: 1\.0$`,
		`^Content-Type: text/plain; charset=utf-8$`,
		`^Content-Transfer-Encoding: quoted-printable$`,
		`^List-Unsubscribe: <https://leak\.example/u/abc>$`,
	}
	got := headerBlock(t, out.Bytes())
	if len(got) != len(want) {
		t.Fatalf("header has %d fields, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(got[i]) {
			t.Errorf("field %d = %q, want /%s/", i, got[i], w)
		}
	}
	if !bytes.HasSuffix(out.Bytes(), []byte("\r\n\r\nBody.\r\n")) {
		t.Errorf("body lost: %q", out.Bytes())
	}
}

func TestRelationships(t *testing.T) {
	tests := []struct{ rel, from, subject string }{
		{"someone", `"Someone, anonymously"`, "From someone, anonymously."},
		{"a friend", `"A friend, anonymously"`, "From a friend, anonymously."},
		{"a coworker", `"A coworker, anonymously"`, "From a coworker, anonymously."},
		{"a family member", `"A family member, anonymously"`, "From a family member, anonymously."},
		{"a friend of a friend", `"A friend of a friend, anonymously"`, "From a friend of a friend, anonymously."},
		{"", `"Someone, anonymously"`, "From someone, anonymously."},
		{`evil" <x@y>`, `"Evil <x@y>, anonymously"`, "From evil <x@y>, anonymously."},
	}
	for _, subject := range []string{"", "Subject:   \r\n", "Subject: =?utf-8?q?_?=\r\n"} {
		for _, tt := range tests {
			outs, err := rewrite(t, []byte(subject+"\r\nhi\r\n"), "bob@example.com", tt.rel)
			if err != nil {
				t.Fatal(err)
			}
			h := strings.Join(headerBlock(t, outs[0]), "\n")
			if !strings.Contains(h, "\nFrom: "+tt.from+" <anonymous@leak.example>\n") ||
				!strings.Contains(h, "\nSubject: "+tt.subject+"\n") {
				t.Errorf("%q with %q:\n%s", tt.rel, subject, h)
			}
		}
	}
}

// TestCopies: one pass writes every copy; they share the body and differ
// in To and Message-ID only, and no copy names another recipient.
func TestCopies(t *testing.T) {
	msg := crlfMsg(`To: to+bob=example.com@leak.example, friend+ari=example.net@leak.example
Subject: three
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

shared text
--b--
`)
	rcpts := []string{"bob@example.com", "someone", "ari@example.net", "a friend", "jürgen@example.de", "a coworker"}
	outs, err := rewrite(t, msg, rcpts...)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for i, out := range outs {
		checkLines(t, out)
		if !bytes.Equal(body(out), body(outs[0])) {
			t.Errorf("copy %d has a different body", i)
		}
		h := headerBlock(t, out)
		if h[3] != "To: "+rcpts[2*i] {
			t.Errorf("copy %d: %q", i, h[3])
		}
		ids[h[5]] = true
		for j := 0; j < len(rcpts); j += 2 {
			local, _, _ := strings.Cut(rcpts[j], "@")
			if j != 2*i && bytes.Contains(out, []byte(local)) {
				t.Errorf("copy %d names %s", i, rcpts[j])
			}
		}
	}
	if len(ids) != len(outs) {
		t.Errorf("Message-IDs repeat across copies: %v", ids)
	}
}

// TestBadCopies: what the caller gets wrong is an error before anything is
// read or written, and never a refusal of the message.
func TestBadCopies(t *testing.T) {
	good := Copy{To: "bob@example.com", W: io.Discard}
	tests := []struct {
		opts   Options
		copies []Copy
	}{
		{testOptions(), nil},
		{testOptions(), []Copy{{To: "bob@example.com"}}},
		{testOptions(), []Copy{{To: "bob@example.com\r\nBcc: x@y", W: io.Discard}}},
		{testOptions(), []Copy{{To: "no-at-sign", W: io.Discard}}},
		{testOptions(), []Copy{{To: "<bob@example.com>", W: io.Discard}}},
		{testOptions(), []Copy{{To: "bob@example.com", W: io.Discard, Extra: []HeaderField{{"X-A", "v\r\nBcc: x"}}}}},
		{testOptions(), []Copy{{To: "bob@example.com", W: io.Discard, Extra: []HeaderField{{"Bad Key", "v"}}}}},
		{Options{}, []Copy{good}},
		{Options{Domain: "leak example"}, []Copy{good}},
	}
	for i, tt := range tests {
		err := New(tt.opts).Rewrite(strings.NewReader("Subject: x\r\n\r\nx\r\n"), tt.copies)
		var e *Error
		if err == nil || errors.As(err, &e) {
			t.Errorf("%d: Rewrite = %v, want a plain error", i, err)
		}
	}
}

// TestLongHeaders: long subjects and file names fold within 78 columns.
func TestLongHeaders(t *testing.T) {
	msg := crlfMsg("Subject: " + strings.Repeat("long subject words ", 30) + strings.Repeat("ü", 50) + `
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=utf-8''` + strings.Repeat("%C3%BC", 150) + `.bin

x
--b--
`)
	outs, err := rewriteWith(passing(), msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(outs[0]), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d columns: %q", len(line), line)
		}
	}
	v := decodeView(outs[0])
	if !strings.Contains(v.text.String(), "filename="+strings.Repeat("ü", 150)+".bin") {
		t.Errorf("file name lost:\n%s", v.text.String())
	}
}

func TestDatePrecision(t *testing.T) {
	o := testOptions()
	o.Now = func() time.Time { return time.Date(2026, 11, 26, 1, 2, 3, 456, time.FixedZone("x", 3600)) }
	o.DatePrecision = time.Minute
	outs, err := rewriteWith(New(o), crlfMsg("Subject: t\n\nbody\n"), "bob@example.com", "someone")
	if err != nil {
		t.Fatal(err)
	}
	h := string(outs[0])
	if !strings.Contains(h, "Date: Thu, 26 Nov 2026 00:02:00 +0000\r\n") || strings.Contains(h, ":03") {
		t.Errorf("Date and Received not rounded to the minute in UTC:\n%s", h)
	}
}
