package anonymize

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestFresh: boundaries, Message-IDs and Content-IDs are new for every
// message, even the same one sent twice.
func TestFresh(t *testing.T) {
	msg := crlfMsg(`Content-Type: multipart/related; boundary="sender-boundary"

--sender-boundary
Content-Type: text/html

<img src="cid:img1@sender.example">
--sender-boundary
Content-Type: image/png
Content-ID: <img1@sender.example>

iVBORw0KGgo=
--sender-boundary--
`)
	a, _ := rewriteWith(passing(), msg)
	b, _ := rewriteWith(passing(), msg)
	if bytes.Contains(a[0], []byte("sender")) {
		t.Errorf("input identifiers survive:\n%s", a[0])
	}
	re := regexp.MustCompile(`boundary="([^"]+)"|Message-ID: (<[^>]+>)|cid:([0-9a-f]+)`)
	seen := map[string]bool{}
	for _, out := range [][]byte{a[0], b[0]} {
		for _, m := range re.FindAllStringSubmatch(string(out), -1) {
			v := m[1] + m[2] + m[3]
			if seen[v] {
				t.Errorf("%q appears in both rewrites", v)
			}
			seen[v] = true
		}
	}
	if len(seen) != 6 {
		t.Errorf("found %d fresh values, want 6: %v", len(seen), seen)
	}
}

// TestContentIDs: a Content-ID, the cid: URLs naming it (before or after
// the part, in any case, percent-encoded) and the related start parameter
// all get the same new value.
func TestContentIDs(t *testing.T) {
	msg := crlfMsg(`Content-Type: multipart/related; boundary=r; type="text/html"; start="<root@sender.example>"

--r
Content-Type: text/html; charset=utf-8
Content-ID: <root@sender.example>
Content-Transfer-Encoding: quoted-printable

<img src=3D"cid:logo@sender.example"><img src=3D'CID:logo%40sender.example'>=
<div style=3D"background:url(cid:logo@sender.example)"></div>
--r
Content-Type: image/gif; name=logo.gif
Content-ID: <logo@sender.example>
Content-Location: file:///C:/Users/sender/logo.gif
Content-Description: the logo
Content-Transfer-Encoding: base64

R0lGODlhAQABAAAAACw=
--r
Content-Type: text/html

<img src="cid:logo@sender.example">
--r--
`)
	outs, err := rewriteWith(passing(), msg)
	if err != nil {
		t.Fatal(err)
	}
	out := outs[0]
	v := decodeView(out)
	text := v.text.String()
	if strings.Contains(string(out), "sender") || strings.Contains(text, "sender") {
		t.Fatalf("an original id survives:\n%s\n%s", out, text)
	}
	ids := regexp.MustCompile(`Content-ID: <([0-9a-f]{32})@leak\.example>`).FindAllStringSubmatch(string(out), -1)
	if len(ids) != 2 {
		t.Fatalf("want 2 Content-IDs, got %v", ids)
	}
	root, logo := ids[0][1], ids[1][1]
	if n := strings.Count(text, "cid:"+logo+"@leak.example"); n != 4 {
		t.Errorf("the logo's new id is referenced %d times, want 4:\n%s", n, text)
	}
	if !strings.Contains(string(out), `start="<`+root+`@leak.example>"`) || !strings.Contains(string(out), `type="text/html"`) {
		t.Errorf("start or type parameter wrong:\n%s", out)
	}
	for _, gone := range []string{"Content-Location", "Content-Description", "file:///"} {
		if strings.Contains(string(out), gone) {
			t.Errorf("%s survives", gone)
		}
	}
}

// TestPartHeaders: part headers keep only what rendering needs.
func TestPartHeaders(t *testing.T) {
	msg := crlfMsg(`Content-Type: multipart/mixed; boundary=b

preamble naming the client
--b
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes; x-mac-type=54455854; reply-type=original
Content-Transfer-Encoding: 7bit
Content-Disposition: inline
X-Attachment-Id: f_abc123

text
--b
Content-Type: application/pdf; name="C:\Users\hollis\cv.pdf"; x-unix-mode=0644
Content-Disposition: attachment; filename="C:\Users\hollis\cv.pdf"; size=1234;
 creation-date="Mon, 1 Dec 2025 10:00:00 -0500"; modification-date="Mon, 1 Dec 2025 10:00:00 -0500";
 read-date="Mon, 1 Dec 2025 10:00:00 -0500"
Content-Transfer-Encoding: base64
Content-Description: my CV

JVBERi0=
--b
Content-Type: application/pdf; name="Scan_20261205_101422.pdf"
Content-Disposition: attachment; filename="Scan_20261205_101422.pdf"
Content-Transfer-Encoding: base64

JVBERi0=
--b
Content-Type: text/calendar; charset=utf-8; method=REQUEST; component=VEVENT
Content-Transfer-Encoding: 8bit

BEGIN:VCALENDAR
--b--
epilogue naming the client
`)
	outs, err := rewriteWith(passing(), msg)
	if err != nil {
		t.Fatal(err)
	}
	out := string(outs[0])
	for _, want := range []string{
		"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Disposition: inline\r\n\r\ntext\r\n",
		"Content-Type: application/pdf; name=\"cv.pdf\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"cv.pdf\"\r\n\r\nJVBERi0=\r\n",
		"Content-Type: text/calendar; charset=utf-8; method=REQUEST\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBEGIN:VCALENDAR\r\n",
		// A name the scanner made from the time it scanned.
		"Content-Type: application/pdf; name=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"scan.pdf\"\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, gone := range []string{"preamble", "epilogue", "hollis", "x-mac-type", "reply-type", "X-Attachment-Id",
		"size=", "date=", "x-unix-mode", "Description", "component", "20261205"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q survives:\n%s", gone, out)
		}
	}
}

// TestSigned: a signature anywhere goes, and a multipart/signed becomes
// the content it signed, in place.
func TestSigned(t *testing.T) {
	msg := crlfMsg(`Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha256; boundary=s

--s
Content-Type: text/plain

signed text KEEP-signed
--s
Content-Type: application/pgp-signature

SIGNATURE-BYTES
--s--
--outer
Content-Type: application/pgp-keys; name="0xDEADBEEF.asc"

KEY-BYTES
--outer
Content-Type: application/octet-stream

KEEP-attachment
--outer--
`)
	outs, err := rewriteWith(passing(), msg)
	if err != nil {
		t.Fatal(err)
	}
	out := string(outs[0])
	for _, gone := range []string{"SIGNATURE-BYTES", "KEY-BYTES", "DEADBEEF", "multipart/signed", "pgp"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q survives:\n%s", gone, out)
		}
	}
	v := decodeView(outs[0])
	if len(v.parts) != 2 || v.parts[0].typ != "text/plain" || v.parts[1].typ != "application/octet-stream" || v.depth != 1 {
		t.Errorf("structure: %+v depth %d\n%s", v.parts, v.depth, out)
	}
}

// TestForwarded: a forwarded message keeps its Subject and content fields
// only, and its parts are rewritten like any other, even when it arrives
// base64-encoded (which RFC 2046 forbids but clients send).
func TestForwarded(t *testing.T) {
	inner := crlfMsg(`From: Third Party <third@party.example>
To: sender@sender.example
Date: Mon, 1 Dec 2025 10:00:00 -0500
Message-ID: <fwd@party.example>
Subject: =?utf-8?q?Inner_subj=C3=A9ct?=
X-Mailer: Party Mail
Content-Type: text/html; charset=utf-8

<img src="cid:x@party.example"> KEEP-inner
`)
	msg := crlfMsg("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n" +
		"Content-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString(inner) + "\n--b--\n")
	outs, err := rewrite(t, msg)
	if err != nil {
		t.Fatal(err)
	}
	out := string(outs[0])
	v := decodeView(outs[0])
	text := v.text.String()
	if !strings.Contains(text, "Subject: Inner subjéct") || !strings.Contains(text, "KEEP-inner") {
		t.Errorf("inner message lost:\n%s", text)
	}
	if !strings.Contains(out, "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n") {
		t.Errorf("forwarded part header:\n%s", out)
	}
	for _, gone := range []string{"party", "Third", "sender@", "-0500", "X-Mailer"} {
		if strings.Contains(out, gone) || strings.Contains(text, gone) {
			t.Errorf("%q survives:\n%s", gone, out)
		}
	}
}

// TestNoMIME: a message without Content-Type is text/plain in UTF-8.
func TestNoMIME(t *testing.T) {
	outs, err := rewrite(t, []byte("Subject: old style\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := strings.Join(headerBlock(t, outs[0]), "\n")
	if !strings.Contains(h, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable") {
		t.Errorf("header:\n%s", h)
	}
	if got := string(body(outs[0])); got != "Gr=C3=BC=C3=9Fe\r\n" {
		t.Errorf("body %q", got)
	}
	// No header at all, no body at all.
	for _, msg := range []string{"", "\r\n", "Subject: only a header", "Subject: x\r\n"} {
		outs, err := rewrite(t, []byte(msg))
		if err != nil {
			t.Errorf("%q: %v", msg, err)
			continue
		}
		checkLines(t, outs[0])
		if !bytes.HasSuffix(outs[0], []byte("\r\n")) {
			t.Errorf("%q: output does not end in CRLF", msg)
		}
	}
}

// TestTextEnd: the per-copy hook ends each body text part of each copy,
// and only those.
func TestTextEnd(t *testing.T) {
	a := New(testOptions())
	a.textEnd = func(i int, typ string) []byte {
		return []byte(fmt.Sprintf("\r\n-- footer %d %s --", i, typ))
	}
	msg := crlfMsg(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: multipart/alternative; boundary=a

--a
Content-Type: text/plain

plain body
--a
Content-Type: text/html

<p>html body</p>
--a--
--b
Content-Type: text/plain
Content-Disposition: attachment; filename=notes.txt

attached text
--b
Content-Type: message/rfc822

Subject: inner

inner text
--b--
`)
	outs, err := rewriteWith(a, msg, "bob@example.com", "someone", "ari@example.net", "a friend")
	if err != nil {
		t.Fatal(err)
	}
	for i, out := range outs {
		checkLines(t, out)
		v := decodeView(out)
		var texts []string
		for _, p := range v.parts {
			texts = append(texts, string(p.body))
		}
		want := []string{
			fmt.Sprintf("plain body\r\n-- footer %d text/plain --", i),
			fmt.Sprintf(`<html><head><meta charset="utf-8"></head><body><p>html body</p>`+"\r\n-- footer %d text/html --</body></html>", i),
			"attached text",
			"inner text",
		}
		if strings.Join(texts, "|") != strings.Join(want, "|") {
			t.Errorf("copy %d parts:\n%q\nwant\n%q", i, texts, want)
		}
	}
}

func TestLimitsFromOptions(t *testing.T) {
	opts := testOptions()
	opts.MaxDepth, opts.MaxParts, opts.MaxReceived, opts.MaxHeaderFields, opts.MaxHeaderBytes = 2, 3, 2, 5, 300
	a := New(opts)
	tests := []struct {
		msg  []byte
		want Reason
	}{
		{nested(2), 0},
		{nested(3), MIMETooComplex},
		{manyParts(3), 0},
		{manyParts(4), MIMETooComplex},
		{receivedLines(2, ""), 0},
		{receivedLines(3, ""), Loop},
		{[]byte("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\nx"), 0},
		{[]byte("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n\r\nx"), HeaderTooLarge},
		{[]byte("X: " + strings.Repeat("y", 290) + "\r\n\r\nx"), 0},
		{[]byte("X: " + strings.Repeat("y", 300) + "\r\n\r\nx"), HeaderTooLarge},
	}
	for i, tt := range tests {
		_, err := rewriteWith(a, tt.msg)
		var e *Error
		switch {
		case tt.want == 0 && err != nil:
			t.Errorf("%d: %v", i, err)
		case tt.want != 0 && (!errors.As(err, &e) || e.Reason != tt.want):
			t.Errorf("%d: %v, want %v", i, err, tt.want)
		}
	}
}
