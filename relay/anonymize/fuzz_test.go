package anonymize

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"leak/relay/corpus"
)

// FuzzRewrite: whatever the input, Rewrite does not panic or hang, refuses
// with an *Error or succeeds, and what it writes has CRLF line endings, no
// line over 998 octets and a MIME structure an independent reader follows.
func FuzzRewrite(f *testing.F) {
	dirs := corpus.Dirs()
	for _, kind := range []string{corpus.Clients, corpus.Content, corpus.Hostile} {
		if d, ok := corpus.Shared(kind); ok {
			dirs = append(dirs, d)
		}
	}
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.e*"))
		data, _ := filepath.Glob(filepath.Join(dir, "*.data"))
		for _, file := range append(files, data...) {
			if b, err := os.ReadFile(file); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	f.Add(nested(5))
	f.Add(manyParts(3))
	f.Add(receivedLines(3, ""))
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\nContent-Type: multipart/signed; boundary=s\r\n\r\n--s\r\n\r\nx\r\n--s--\r\n"))
	opts := testOptions()
	opts.MaxHeaderBytes, opts.MaxParts, opts.MaxDepth = 8<<10, 50, 8
	a := New(opts)
	f.Fuzz(func(t *testing.T, msg []byte) {
		outs, err := rewriteWith(a, msg, "bob@example.com", "someone", "ari@example.net", "a friend")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Rewrite = %v, want nil or *Error", err)
			}
			return
		}
		for _, out := range outs {
			if err := lineProblem(out); err != nil {
				t.Fatalf("%v\ninput %q\noutput %q", err, msg, out)
			}
			if !bytes.HasSuffix(out, []byte("\r\n")) {
				t.Fatalf("output does not end in CRLF: %q", out)
			}
			if v := decodeView(out); len(v.errors) > 0 {
				t.Fatalf("output does not parse: %v\ninput %q\noutput %q", v.errors, msg, out)
			}
		}
		// Below the header the copies are the same, but for calendars:
		// each names the sender by that copy's relationship. A part is a
		// calendar by its type, or by its name or content when its type
		// is garbled ("text/ca`endar" named "invite.ics", base64).
		calendar := bytes.Contains(bytes.ToLower(msg), []byte("calendar"))
		for _, p := range decodeView(outs[0]).parts {
			calendar = calendar || bytes.Contains(p.body, []byte("BEGIN:VCALENDAR"))
		}
		if !calendar && !bytes.Equal(body(outs[0]), body(outs[1])) {
			t.Fatalf("copies differ below the header")
		}
	})
}
