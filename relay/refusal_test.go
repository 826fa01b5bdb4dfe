package relay

import (
	"strings"
	"testing"
	"time"

	"leak/policy"
)

// TestRefusalNamesPolicy: a refusal by policy is logged with the policy's
// name, the step and the reply, so an operator can tell which limit said
// no; the recipient is not in the line.
func TestRefusalNamesPolicy(t *testing.T) {
	t.Parallel()
	var logs logSink
	store, err := policy.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	opts := policy.DefaultOptions()
	opts.Secret = []byte("refusal test secret, 32 bytes ok")
	opts.Recipient = policy.Limit{Rate: 1, Burst: 1, Period: 24 * time.Hour}
	e, err := policy.Open(opts, store)
	if err != nil {
		t.Fatal(err)
	}
	tr := startRelay(t, func(o *Options) { o.Policy = e; o.Logger = logs.logger() })
	for i := range 2 {
		c := dial(t, tr.addr)
		c.cmd("EHLO client.example", "250")
		c.cmd("MAIL FROM:<sender@example.net>", "250")
		want := "250"
		if i == 1 {
			want = "450 4.7.1"
		}
		c.cmd("RCPT TO:<to+bob=example.com@leak.example>", want)
		c.cmd("QUIT", "221")
	}
	log := logs.String()
	if !strings.Contains(log, `msg="refused by policy" step=RCPT policy=rate_rcpt code=450 status=4.7.1`) {
		t.Errorf("no refusal line naming the policy:\n%s", log)
	}
	if strings.Contains(log, "bob") {
		t.Errorf("the log names the recipient:\n%s", log)
	}
}
