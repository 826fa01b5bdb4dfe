package scan

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"leak/policy/testutil"
)

func TestRspamd(t *testing.T) {
	r := testutil.StartRspamd(t)
	clean := message("Hello Bob,\n\nthe meeting moved to Thursday at ten; the agenda is unchanged.\n\n" +
		"Someone who works with you\n")
	spam := message("Buy now!\n\n" + testutil.GTUBE + "\n")
	scanner := func(edit func(*Options)) *Scanner {
		o := options(r.URL)
		edit(&o)
		return newScanner(t, o)
	}

	t.Run("clean message accepted", func(t *testing.T) {
		v, err := check(t, scanner(func(o *Options) { o.RejectScore, o.DeferScore = 15, 6 }), clean)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		t.Logf("clean: %+v", v)
		if v.Action != Accept || v.Score >= 6 || len(v.Symbols) == 0 {
			t.Errorf("verdict %+v, want Accept with a score under 6 and the symbols that fired", v)
		}
	})

	t.Run("GTUBE rejected", func(t *testing.T) {
		v, err := check(t, scanner(func(o *Options) { o.RejectScore = 15 }), spam)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		t.Logf("GTUBE: %+v", v)
		if v.Action != Reject || v.Score < 15 || !slices.Contains(v.Symbols, "GTUBE") {
			t.Errorf("verdict %+v, want Reject with a score of at least 15 and the GTUBE symbol", v)
		}
	})

	// Rspamd scores GTUBE at its own reject score (15): Leak's thresholds
	// decide, so with the reject line above that the message is deferred.
	t.Run("GTUBE deferred", func(t *testing.T) {
		v, err := check(t, scanner(func(o *Options) { o.RejectScore, o.DeferScore = 50, 10 }), spam)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if v.Action != Defer || v.Score < 10 || v.Score >= 50 {
			t.Errorf("verdict %+v, want Defer with a score between 10 and 50", v)
		}
	})

	t.Run("many at once", func(t *testing.T) {
		s := scanner(func(*Options) {})
		errs := make(chan error, 8)
		for range cap(errs) {
			go func() {
				v, err := check(t, s, clean)
				if err == nil && v.Action != Accept {
					err = fmt.Errorf("verdict %+v", v)
				}
				errs <- err
			}()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})

	// Nothing of the sender reaches Rspamd's log: its scan lines name the
	// envelope fields they were given (the recipient here) and there is no
	// IP, user or envelope sender to name.
	t.Run("log", func(t *testing.T) {
		testutil.WaitFor(t, "rspamd to log the GTUBE scan", func() bool {
			return strings.Contains(testutil.Tail(r.Log, 1<<20), "GTUBE")
		})
		// The scan lines only: rspamd also logs a failed HTTP request with
		// "ip: " and the client's address, which is Leak's own (a scan the
		// client gave up on, on a loaded machine).
		var scans []string
		for line := range strings.Lines(testutil.Tail(r.Log, 1<<20)) {
			if strings.Contains(line, "(default: ") {
				scans = append(scans, line)
			}
		}
		if log := strings.Join(scans, ""); !strings.Contains(log, "rcpts: <bob@example.net>") {
			t.Errorf("rspamd's log has no scan line naming the recipient; its format changed, and this check no longer looks at the right lines")
		}
		for _, line := range scans {
			for _, leak := range []string{" ip: ", " user: ", " from: <"} {
				if strings.Contains(line, leak) {
					t.Errorf("a scan line of rspamd's log has %q: something about a sender reached it: %s", leak, line)
				}
			}
		}
	})
}

// Rspamd down: nothing listens where it used to. The scan fails fast with
// the OnError verdict.
func TestRspamdDown(t *testing.T) {
	addr := testutil.ReservePort(t) // closed: nothing listens there
	msg := message("hello\n")
	for _, onError := range []Action{Defer, Accept} {
		o := options("http://" + addr)
		o.OnError = onError
		v, err := check(t, newScanner(t, o), msg)
		if err == nil || v.Action != onError {
			t.Errorf("OnError %v: Check = %+v, %v; want %v and an error", onError, v, err, onError)
		}
	}
}
