package anonymize

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"
	"testing"
)

// One Anonymizer rewrites many messages at once (every SMTP session shares
// it). Through every path that buffers input (the top header, a multipart,
// a forwarded message, leaves of each kind), each output must hold its own
// message's words and no other's: state shared while in use would mix one
// sender's text into another's copy.
func TestRewritesStayApart(t *testing.T) {
	msg := func(id string) []byte {
		return crlfMsg(fmt.Sprintf(`From: a@sender.example
To: to+bob=example.com@leak.example
Subject: hello %[1]s
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b-%[1]s"

preamble %[1]s
--b-%[1]s
Content-Type: text/plain; charset=utf-8

plain words %[1]s, and more words %[1]s
--b-%[1]s
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

quoted words %[1]s =3D more
--b-%[1]s
Content-Type: message/rfc822

Subject: inner %[1]s
Content-Type: text/plain

inner words %[1]s
--b-%[1]s
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

bWFya2VyLQ==
--b-%[1]s--
`, id))
	}
	marker := regexp.MustCompile(`m[0-9]+x[0-9]+q`)
	a := passing()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 60 {
				id := fmt.Sprintf("m%dx%dq", g, i)
				out, err := rewriteWith(a, msg(id))
				if err != nil {
					errs <- fmt.Errorf("%s: %v", id, err)
					return
				}
				found := marker.FindAll(out[0], -1)
				if len(found) < 4 {
					errs <- fmt.Errorf("%s: its own words are missing from its copy:\n%s", id, out[0])
					return
				}
				for _, m := range found {
					if !bytes.Equal(m, []byte(id)) {
						errs <- fmt.Errorf("%s: the copy holds %s, another message's words:\n%s", id, m, out[0])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
