package courier

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// FuzzServerReplies plays an arbitrary reply stream as the server of one
// session (STARTTLS offered or not) and one transaction: the courier must
// neither panic nor hang, and must never report a delivery the server did
// not accept with 354 then 250.
func FuzzServerReplies(f *testing.F) {
	f.Add("220 mx\r\n250-mx\r\n250 SIZE 100000\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n")
	f.Add("220 mx\r\n250-mx\r\n250-STARTTLS\r\n250 8BITMIME\r\n220 go ahead\r\n\x16\x03\x01garbage")
	f.Add("220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n")
	f.Add("220 mx\r\n250-mx\r\n250 SIZE 10\r\n")
	f.Add("220 mx\r\n250 mx\r\n250 ok\r\n550-5.1.1 no\r\n550 5.1.1 such user\r\n250 reset\r\n250 mx\r\n")
	f.Add("220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n451 4.3.0 later\r\n")
	f.Add("554 no service\r\n")
	f.Add("220 mx\r\n250 mx\r\n250 ok\r\n251 ok\r\n250 ok\r\n")
	f.Fuzz(func(t *testing.T, replies string) {
		s := &SMTP{log: quiet, opts: SMTPOptions{
			Hostname:       testHostname,
			MaxMsgsPerConn: 100,
			CommandTimeout: time.Second,
			DataTimeout:    time.Second,
		}}

		client, server := net.Pipe()
		defer client.Close()
		go io.Copy(io.Discard, server)
		go func() {
			io.WriteString(server, replies)
			server.Close()
		}()

		d := &dest{host: "mx.test", policy: policyOpportunistic, mx: true}
		sess, _, err := s.open(context.Background(), client, d, true)
		if err != nil {
			return
		}
		m := testMsg("bob@example.test")
		out := s.transact(context.Background(), sess, m, &body{r: m.Body})
		if out.err == nil && !strings.Contains(replies, "354") {
			t.Fatalf("delivered without a 354 in %q", replies)
		}
		var e *Error
		if out.err != nil && !errors.As(out.err, &e) {
			t.Fatalf("error %v is not an *Error", out.err)
		}
		if e != nil && e.Permanent && e.Code != 0 && e.Code/100 != 5 {
			t.Fatalf("permanent error with code %d", e.Code)
		}
		sess.close(false)
	})
}
