package anonymize

import (
	"bytes"
	"strings"
	"testing"
)

// Each copy's footer lands in its own body text parts, and nowhere else:
// not in attachments, not in another recipient's copy.
func TestFooterPerCopy(t *testing.T) {
	msg := crlfMsg("Subject: f\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n" +
		"--x\nContent-Type: multipart/alternative; boundary=y\n\n" +
		"--y\nContent-Type: text/plain; charset=utf-8\n\nplain body\n" +
		"--y\nContent-Type: text/html; charset=utf-8\n\n<p>html body</p>\n" +
		"--y--\n" +
		"--x\nContent-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt\n\nattached text\n" +
		"--x--\n")
	var outs [2]bytes.Buffer
	copies := []Copy{
		{To: "a@example.com", Relationship: "a friend", W: &outs[0],
			Footer: Footer{Text: "\r\nFOOTER-TEXT-A\r\n", HTML: "<p>FOOTER-HTML-A</p>"}},
		{To: "b@example.org", Relationship: "someone", W: &outs[1],
			Footer: Footer{Text: "\r\nFOOTER-TEXT-B\r\n", HTML: "<p>FOOTER-HTML-B</p>"}},
	}
	if err := New(testOptions()).Rewrite(bytes.NewReader(msg), copies); err != nil {
		t.Fatal(err)
	}
	for i, who := range []string{"A", "B"} {
		other := map[string]string{"A": "B", "B": "A"}[who]
		raw := outs[i].Bytes()
		checkLines(t, raw)
		v := decodeView(raw)
		for _, want := range []string{"FOOTER-TEXT-" + who, "FOOTER-HTML-" + who, "plain body", "html body", "attached text"} {
			if !v.contains(raw, want) {
				t.Errorf("copy %s lacks %q", who, want)
			}
		}
		if v.contains(raw, "FOOTER-TEXT-"+other) || v.contains(raw, "FOOTER-HTML-"+other) {
			t.Errorf("copy %s carries %s's footer", who, other)
		}
		if n := strings.Count(string(raw), "FOOTER-TEXT-"+who); n != 1 {
			t.Errorf("copy %s: text footer %d times, want once (not in the attachment)", who, n)
		}
	}
}
