package relay

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// TestAcceptLogsMessageID: the accept line names each clean copy by the
// Message-ID it is delivered with (random, under the Leak domain), so a copy
// a recipient forwards to abuse@ can be found in the operator's logs; the
// sender's own Message-ID appears nowhere.
func TestAcceptLogsMessageID(t *testing.T) {
	t.Parallel()
	var logs logSink
	tr := startRelay(t, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	c := dial(t, tr.addr)
	c.open("friend+bob=example.com@leak.example", "to+carol=example.org@leak.example")
	c.cmd("DATA", "354")
	c.send("Message-ID: <sender-secret-77@example.net>\r\nSubject: hi\r\n\r\nbody\r\n.\r\n")
	c.expect("250")
	copies := tr.delivered(t, 2)

	line := regexp.MustCompile(`msg="message accepted".*`).FindString(logs.String())
	for _, cp := range copies {
		m := regexp.MustCompile(`(?m)^Message-ID: (<[0-9a-f]+@leak\.example>)\r$`).FindStringSubmatch(cp)
		if m == nil {
			t.Fatalf("copy without a Leak Message-ID:\n%s", cp)
		}
		if !strings.Contains(line, m[1]) {
			t.Errorf("accept line %q lacks the copy's Message-ID %s", line, m[1])
		}
	}
	if strings.Contains(logs.String(), "sender-secret-77") || strings.Contains(strings.Join(copies, ""), "sender-secret-77") {
		t.Error("the sender's Message-ID reached the log or a copy")
	}
}
