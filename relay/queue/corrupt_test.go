package queue

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"leak/policy/testutil"
	"leak/relay/courier"
	"leak/relay/spool"
)

// TestDamagedCopySetAside: a large entry whose bytes changed on disk after
// it was spooled fails its checksum at the end of the read; the queue then
// gives it up at once as failed (local), logs it, and neither retries it
// nor lets the courier finish delivering it.
func TestDamagedCopySetAside(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "spool")
	sp, err := spool.Open(dir, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	body := "Subject: big\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 30000) // over SmallMax: an entry file
	m := commit(t, sp, body)
	files, _ := filepath.Glob(filepath.Join(dir, "q", "*"))
	if len(files) != 1 {
		t.Fatalf("want one entry file in q/, have %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("0123456789abcdef"))
	b[i+100000] ^= 1 // one flipped bit in the body
	if err := os.WriteFile(files[0], b, 0o600); err != nil {
		t.Fatal(err)
	}

	fc := &fakeCourier{}
	var res results
	var logBuf testutil.SyncBuffer
	q := New(sp, fc, Options{Lifetime: time.Hour, Backoff: fastBackoff, OnResult: res.add, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	m.Created = time.Now()
	q.Add(m)
	start(t, q)
	testutil.WaitFor(t, "an outcome", func() bool { return res.finished(m.ID) })
	rs := res.forID(m.ID)
	if len(rs) != 1 || rs[0].Outcome != Failed || rs[0].About != courier.AboutLocal || rs[0].Reason != ReasonLocal {
		t.Errorf("results %s (about %v), want one failed, local", outcomes(rs), rs[len(rs)-1].About)
	}
	if fc.callCount(m.ID) != 1 || len(fc.bodies) != 0 {
		t.Errorf("courier called %d times, finished %d deliveries; want 1 call, none finished", fc.callCount(m.ID), len(fc.bodies))
	}
	if !strings.Contains(logBuf.String(), "set aside in corrupt/") {
		t.Errorf("no log line says the copy was set aside:\n%s", logBuf.String())
	}
	if q.Len() != 0 {
		t.Errorf("queue still holds %d entries", q.Len())
	}
}
