package anonymize

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"
	"testing"
)

// TestPooledBuffersNotShared rewrites, from many goroutines at once,
// messages that each carry their own marker in every part (a plain text
// part, quoted-printable, and an HTML one, in a multipart/alternative, so
// that every pooled reader and writer is used): each output must carry its
// own marker and nobody else's. Run with -race, which also sees a buffer
// used by two rewrites at once.
func TestPooledBuffersNotShared(t *testing.T) {
	a := New(testOptions())
	marker := regexp.MustCompile(`marker-[0-9]+-[0-9]+`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				own := fmt.Sprintf("marker-%d-%d", g, i)
				msg := fmt.Sprintf("From: Alice <alice@example.org>\r\nTo: x@leak.example\r\n"+
					"Subject: hello %[1]s\r\nMIME-Version: 1.0\r\n"+
					"Content-Type: multipart/alternative; boundary=\"b%[1]s\"\r\n\r\n"+
					"--b%[1]s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"+
					"Plain text %[1]s with a soft=\r\n break.\r\n%[2]s\r\n"+
					"--b%[1]s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"+
					"<html><body><p>HTML %[1]s</p><p>%[2]s</p></body></html>\r\n"+
					"--b%[1]s--\r\n", own, bytes.Repeat([]byte("filler filler filler filler filler filler\r\n"), 5*(i%7+1)))
				var out bytes.Buffer
				err := a.Rewrite(bytes.NewReader([]byte(msg)), []Copy{{To: "bob@example.com", Relationship: "a friend", W: &out}})
				if err != nil {
					t.Errorf("%s: %v", own, err)
					return
				}
				found := marker.FindAllString(out.String(), -1)
				if len(found) < 2 {
					t.Errorf("%s: output carries its marker %d times, want it in both parts:\n%s", own, len(found), out.String())
				}
				for _, m := range found {
					if m != own {
						t.Errorf("%s: output carries %s, another message's", own, m)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
