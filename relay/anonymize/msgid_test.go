package anonymize

import (
	"bytes"
	"strings"
	"testing"
)

// TestCopyMessageID: the caller's Message-ID replaces the sender's (and
// the random one), so the relay can log it; one not under the Leak domain
// is refused rather than written.
func TestCopyMessageID(t *testing.T) {
	msg := crlfMsg("From: Alice <alice@example.net>\nMessage-ID: <secret-1@alice.example.net>\nSubject: hi\n\nbody\n")
	id := NewMessageID("leak.example")
	var out bytes.Buffer
	a := New(testOptions())
	if err := a.Rewrite(bytes.NewReader(msg), []Copy{{To: "bob@example.com", Relationship: "someone", MessageID: id, W: &out}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\r\nMessage-ID: "+id+"\r\n") || strings.Contains(out.String(), "secret-1") {
		t.Errorf("copy does not carry the given Message-ID %s only:\n%s", id, out.String())
	}
	for _, bad := range []string{"<x@alice.example.net>", "x@leak.example", "<x@leak.example>\r\nBcc: y"} {
		err := a.Rewrite(bytes.NewReader(msg), []Copy{{To: "bob@example.com", Relationship: "someone", MessageID: bad, W: &out}})
		if err == nil {
			t.Errorf("Message-ID %q accepted", bad)
		}
	}
}
