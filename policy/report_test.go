package policy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	bolt "go.etcd.io/bbolt"

	"leak/metrics"
)

// checkReports drives one source to its block and checks what each step
// decides, on any Engine whose ReportThreshold is 2.
func checkReports(t *testing.T, e *Engine, advance func(time.Duration)) {
	t.Helper()
	ctx := context.Background()
	ip := addr("192.0.2.7")
	src := e.SenderSource("Harasser@Example.org")
	if src == "" || src != e.SenderSource("<harasser@example.org>") {
		t.Fatalf("sender source not normalised: %q", src)
	}
	if other := e.SenderSource("someone@example.org"); other == src {
		t.Fatal("two senders share a source")
	}
	if e.SenderSource("<>") != "" || e.SenderSource("") != "" {
		t.Fatal("the null sender has a source")
	}

	// Each copy's link carries a handle of its own.
	ha, hb := e.ReportHandle(ctx, src), e.ReportHandle(ctx, src)
	if ha == "" || hb == "" || ha == hb {
		t.Fatalf("report handles %q and %q", ha, hb)
	}
	// The source itself is no handle: a link that carries it (one made
	// before handles) counts against no one.
	if r, err := e.Report(ctx, "copy-old", src); err != nil || r != (Report{}) {
		t.Fatalf("report by the source itself: %+v, %v", r, err)
	}
	r, err := e.Report(ctx, "copy-a", ha)
	if err != nil || r.Reports != 1 || r.Blocked {
		t.Fatalf("first report: %+v, %v", r, err)
	}
	// The same copy reported again counts once.
	if r, err = e.Report(ctx, "copy-a", ha); err != nil || r.Reports != 1 || r.Blocked {
		t.Fatalf("same copy again: %+v, %v", r, err)
	}
	if d := e.Mail(ctx, ip, "harasser@example.org"); d.Action != Allow {
		t.Fatalf("blocked below the threshold: %+v", d)
	}
	if r, err = e.Report(ctx, "copy-b", hb); err != nil || r.Reports != 2 || !r.Blocked {
		t.Fatalf("second copy: %+v, %v", r, err)
	}
	d := e.Mail(ctx, ip, "<HARASSER@example.org>")
	if d.Action != Reject || d.Policy != PolicyReported || d.Text != textReported {
		t.Fatalf("blocked sender's MAIL: %+v", d)
	}
	if d := e.Mail(ctx, ip, "someone@example.org"); d.Action != Allow {
		t.Fatalf("another sender refused: %+v", d)
	}
	if d := e.Source(ctx, src); d.Action != Reject {
		t.Fatalf("Source of a blocked source: %+v", d)
	}
	advance(e.opts.ReportBlockFor + 100*time.Millisecond)
	if d := e.Mail(ctx, ip, "harasser@example.org"); d.Action != Allow {
		t.Fatalf("still blocked after report_block_for: %+v", d)
	}
}

func TestReportsBlockASender(t *testing.T) {
	clk := newClock()
	o := offOptions()
	o.ReportThreshold, o.ReportWindow, o.ReportBlockFor = 2, time.Hour, 24*time.Hour
	e, _, m := localEngine(t, o, clk)
	checkReports(t, e, clk.Advance)
	if got := decisions(m, PolicyReported, metrics.DecisionReject); got != 2 {
		t.Errorf("reported/reject = %d, want 2", got)
	}
}

func TestReportsBlockANetwork(t *testing.T) {
	clk := newClock()
	o := offOptions()
	o.ReportThreshold, o.ReportWindow, o.ReportBlockFor = 2, time.Hour, 24*time.Hour
	e, _, _ := localEngine(t, o, clk)
	ctx := context.Background()
	src := e.NetworkSource(addr("198.51.100.20"))
	if src != e.NetworkSource(addr("198.51.100.200")) || src == e.NetworkSource(addr("198.51.101.20")) {
		t.Fatal("network source is not the /24")
	}
	if src == e.SenderSource("198.51.100.0/24") {
		t.Fatal("a network and a sender share a source")
	}
	if r, err := e.Report(ctx, "copy-a", e.ReportHandle(ctx, src)); err != nil || r.Reports != 1 {
		t.Fatalf("first report: %+v, %v", r, err)
	}
	// Reports older than the window are forgotten: the next one is the
	// first again.
	clk.Advance(2 * time.Hour)
	if r, err := e.Report(ctx, "copy-b", e.ReportHandle(ctx, src)); err != nil || r.Reports != 1 || r.Blocked {
		t.Fatalf("report after the window: %+v, %v", r, err)
	}
	if r, _ := e.Report(ctx, "copy-c", e.ReportHandle(ctx, e.NetworkSource(addr("198.51.100.1")))); !r.Blocked {
		t.Fatalf("second report in the window did not block: %+v", r)
	}
	if d := e.Source(ctx, e.NetworkSource(addr("198.51.100.99"))); d.Action != Reject {
		t.Fatalf("blocked network allowed: %+v", d)
	}
}

func TestReportsOff(t *testing.T) {
	o := offOptions()
	o.ReportThreshold = 0
	e, _, _ := localEngine(t, o, newClock())
	src := e.SenderSource("a@example.org")
	if h := e.ReportHandle(context.Background(), src); h != "" {
		t.Fatalf("a report handle with reports off: %q", h)
	}
	for _, id := range []string{"1", "2", "3", "4"} {
		if r, err := e.Report(context.Background(), id, src); err != nil || r != (Report{}) {
			t.Fatalf("report counted with reports off: %+v, %v", r, err)
		}
	}
	if e.Reports() || e.Source(context.Background(), src).Action != Allow {
		t.Fatal("reports off still block")
	}
	o.ReportThreshold, o.ReportWindow = 3, 0
	if _, err := Open(o, nil); err == nil {
		t.Fatal("a threshold without a window was accepted")
	}
}

func TestReportsRedis(t *testing.T) {
	url := startRedis(t)
	o := offOptions()
	o.ReportThreshold, o.ReportWindow, o.ReportBlockFor = 2, time.Hour, time.Second
	e, _ := redisEngine(t, url, o)
	// Redis expires keys on its own clock: wait out the block.
	checkReports(t, e, func(d time.Duration) {
		time.Sleep(d) // the TTL running out is what is tested
	})
}

// reportOptions turns reports on: 2 copies in an hour block for a day.
func reportOptions() Options {
	o := offOptions()
	o.ReportThreshold, o.ReportWindow, o.ReportBlockFor = 2, time.Hour, 24*time.Hour
	return o
}

// A report link carries a handle that names no sender, even to whoever
// holds the secret: two messages from one sender share nothing, and no
// keyed hash of the address is in the handle, nor the source in the
// store.
func TestReportHandleNamesNoSender(t *testing.T) {
	ctx := context.Background()
	const sender = "Harasser+x@Example.org"
	norm := normAddress(sender)
	e, s, _ := localEngine(t, reportOptions(), newClock())
	src := e.SenderSource(sender)
	net := e.NetworkSource(addr("198.51.100.20"))

	// What someone with the secret can derive from the address, or from
	// the network: every keyed hash of it, hex and raw.
	var derived []string
	for _, kind := range []string{kindIP, kindNet, kindSender, kindSenderDomain, kindAuthDomain,
		kindRcpt, kindUnsub, kindPublicNet, kindReported, kindCopy, kindHandle, kindProof, "derive"} {
		for _, v := range []string{sender, norm, "example.org", src, net, "198.51.100.0/24", publicNetKey(addr("198.51.100.20"))} {
			k := e.keys.sum(kind, v)
			derived = append(derived, hex.EncodeToString(k[:]), string(k[:]))
		}
	}
	derived = append(derived, src, net, norm)

	seen := map[string]bool{}
	for _, source := range []string{src, src, src, net, net} {
		h := e.ReportHandle(ctx, source)
		raw, err := base64.RawURLEncoding.DecodeString(h)
		if err != nil || len(raw) != handleBytes {
			t.Fatalf("handle %q is not %d random bytes", h, handleBytes)
		}
		if seen[h] {
			t.Fatalf("two messages of one source share the handle %q", h)
		}
		seen[h] = true
		for _, d := range derived {
			if strings.Contains(h, d) || strings.Contains(d, h) || bytes.Contains(raw, []byte(d)) || bytes.Contains([]byte(d), raw) {
				t.Fatalf("handle %q holds a value derived from the sender: %x", h, d)
			}
		}
	}

	// At rest, the store holds neither source, hex or raw, nor the
	// handles: only their keyed hashes and sealed values.
	e.flushHandles()
	srcRaw, _ := hex.DecodeString(src)
	netRaw, _ := hex.DecodeString(net)
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, needle := range [][]byte{[]byte(src), srcRaw, []byte(net), netRaw} {
					if bytes.Contains(k, needle) || bytes.Contains(v, needle) {
						return fmt.Errorf("bucket %s holds a source in clear", name)
					}
				}
				for h := range seen {
					if bytes.Contains(k, []byte(h)) || bytes.Contains(v, []byte(h)) {
						return fmt.Errorf("bucket %s holds a handle", name)
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Error(err)
	}
}

// A handle resolves for the report window only: after it, a report of
// the copy counts against no one, and the record is erased.
func TestReportHandleExpires(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	o := reportOptions()
	o.ReportThreshold = 1
	e, s, _ := localEngine(t, o, clk)
	src := e.SenderSource("harasser@example.org")
	h := e.ReportHandle(ctx, src)
	e.flushHandles()
	clk.Advance(o.ReportWindow + time.Second)
	if r, err := e.Report(ctx, "copy-a", h); err != nil || r != (Report{}) {
		t.Fatalf("report of an expired handle: %+v, %v", r, err)
	}
	if d := e.Source(ctx, src); d.Action != Allow {
		t.Fatalf("an expired handle blocked its source: %+v", d)
	}
	// The next handle made erases the expired record from the file.
	e.ReportHandle(ctx, e.SenderSource("other@example.org"))
	e.flushHandles()
	var n int
	s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketValue).Stats().KeyN
		return nil
	})
	if n != 1 {
		t.Errorf("the file holds %d handle records, want 1", n)
	}
	if r, err := e.Report(ctx, "copy-b", "not a handle"); err != nil || r != (Report{}) {
		t.Fatalf("report of an unknown handle: %+v, %v", r, err)
	}
}

// A store that fails to keep a handle's record: the copy's report link
// counts against no one, and the message is not held up for it.
func TestReportHandleStoreFailed(t *testing.T) {
	e, s, _ := localEngine(t, reportOptions(), newClock())
	s.Close()
	h := e.ReportHandle(context.Background(), e.SenderSource("a@example.org"))
	e.flushHandles()
	if r, _ := e.Report(context.Background(), "copy-a", h); r != (Report{}) {
		t.Fatalf("a handle a closed store could not keep counted: %+v", r)
	}
}

// The Redis store keeps a handle's source sealed, under the keyed hash of
// the handle, for the report window.
func TestReportHandleRedis(t *testing.T) {
	mr := miniredis.RunT(t)
	e, _ := redisEngine(t, "redis://"+mr.Addr()+"/0", reportOptions())
	ctx := context.Background()
	src := e.SenderSource("harasser@example.org")
	h := e.ReportHandle(ctx, src)
	e.flushHandles()
	srcRaw, _ := hex.DecodeString(src)
	for _, k := range mr.Keys() {
		v, _ := mr.Get(k)
		if strings.Contains(k, src) || strings.Contains(v, src) || strings.Contains(v, string(srcRaw)) || strings.Contains(k+v, h) {
			t.Errorf("redis key %q holds the source or the handle", k)
		}
	}
	if ttl := mr.TTL(prefixValue + e.keys.key(kindHandle, h)); ttl != time.Hour {
		t.Errorf("TTL of the handle's record = %v, want the report window", ttl)
	}
	if r, err := e.Report(ctx, "copy-a", h); err != nil || r.Reports != 1 {
		t.Fatalf("report: %+v, %v", r, err)
	}
	mr.FastForward(time.Hour + time.Second)
	if r, err := e.Report(ctx, "copy-b", h); err != nil || r != (Report{}) {
		t.Fatalf("report of an expired handle: %+v, %v", r, err)
	}
}
