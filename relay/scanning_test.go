package relay

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"leak/relay/scan"
)

// fakeScanner answers with a fixed verdict and records what it was given.
type fakeScanner struct {
	mu      sync.Mutex
	verdict scan.Verdict
	err     error
	seen    []string // each message scanned
}

func (f *fakeScanner) Check(_ context.Context, msg io.Reader, size int64, _ string) (scan.Verdict, error) {
	b, _ := io.ReadAll(msg)
	f.mu.Lock()
	defer f.mu.Unlock()
	if int64(len(b)) != size {
		return scan.Verdict{Action: scan.Defer}, errors.New("size does not match the copy")
	}
	f.seen = append(f.seen, string(b))
	return f.verdict, f.err
}

// TestScanVerdicts: one clean copy per message is scanned, signed and
// without the sender; each verdict gives its reply, and a refused message
// leaves nothing in the spool or the outbox.
func TestScanVerdicts(t *testing.T) {
	for _, c := range []struct {
		name    string
		verdict scan.Action
		err     error
		want    string
	}{
		{"accept", scan.Accept, nil, "250"},
		{"reject", scan.Reject, nil, "550 5.7.1"},
		{"defer", scan.Defer, nil, "451 4.7.1"},
		{"down, defer", scan.Defer, errors.New("no answer"), "451 4.3.0"},
		{"down, accept", scan.Accept, errors.New("no answer"), "250"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeScanner{verdict: scan.Verdict{Action: c.verdict, Score: 20, Symbols: []string{"GTUBE"}}, err: c.err}
			tr := startRelay(t, func(o *Options) { o.Scan = f })
			cl := dial(t, tr.addr)
			cl.cmd("EHLO client.example", "250")
			cl.cmd("MAIL FROM:<KEEP-SENDER@example.net>", "250")
			cl.cmd("RCPT TO:<to+bob=example.com@leak.example>", "250")
			cl.cmd("RCPT TO:<friend+carl=example.org@leak.example>", "250")
			cl.cmd("DATA", "354")
			cl.send("From: Someone <KEEP-SENDER@example.net>\r\nSubject: hi\r\n\r\nhello\r\n.\r\n")
			cl.expect(c.want)
			if c.want == "250" {
				tr.delivered(t, 2)
			} else {
				tr.noneDelivered(t)
			}
			if len(f.seen) != 1 {
				t.Fatalf("%d copies scanned, want 1 per message", len(f.seen))
			}
			if !strings.HasPrefix(f.seen[0], "DKIM-Signature:") || strings.Contains(f.seen[0], "KEEP-SENDER") {
				t.Errorf("the scanner did not get the clean signed copy:\n%s", f.seen[0])
			}
		})
	}
}
