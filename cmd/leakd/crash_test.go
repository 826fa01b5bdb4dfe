package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"
)

// TestKill9WhileSending kills the daemon with SIGKILL while clients are
// sending, restarts it, and checks that every message that got a 250 is
// delivered and that the spool has no half-written entry.
func TestKill9WhileSending(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{})
	d.start()

	accepted := map[string]bool{}
	for _, m := range sendThenKill(t, d, 4, "KILL", 200) {
		accepted[m] = true
	}
	n := len(accepted)
	if n == 0 {
		t.Fatal("no message was accepted before the kill")
	}
	t.Logf("%d messages got 250 before SIGKILL", n)

	d.log = &testutil.SyncBuffer{}
	d.start()
	var missing []string
	testutil.Poll(30*time.Second, func() bool {
		found := map[string]bool{}
		files, _ := filepath.Glob(filepath.Join(d.outbox, "new", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			s := string(b)
			if i := strings.Index(s, "KILL-"); i >= 0 {
				end := strings.IndexAny(s[i:], " \r\n")
				found[s[i:i+end]] = true
			}
		}
		missing = missing[:0]
		for m := range accepted {
			if !found[m] {
				missing = append(missing, m)
			}
		}
		return len(missing) == 0
	})
	if len(missing) > 0 {
		t.Errorf("%d of %d accepted messages lost after kill -9, e.g. %v", len(missing), n, missing[:min(5, len(missing))])
	}
	tmp, _ := os.ReadDir(filepath.Join(d.dir, "data", "spool", "tmp"))
	for _, e := range tmp {
		if !strings.HasPrefix(e.Name(), ".ready-") {
			t.Errorf("half-written spool entry left after restart: %s", e.Name())
		}
	}
	d.stop()
}

// sendThenKill keeps workers sessions sending (a marker PREFIX-w-i in each
// body), kills the daemon with SIGKILL once n messages got a 250, while the
// sessions are still sending, and returns the markers of the messages that
// got a 250. A count, not a time, picks the moment: on a loaded machine
// the kill still comes mid-stream, and on a fast one no sooner than needed.
func sendThenKill(t *testing.T, d *daemon, workers int, prefix string, n int) []string {
	t.Helper()
	var mu sync.Mutex
	var accepted []string
	enough := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m := fmt.Sprintf("%s-%d-%d", prefix, w, i)
				if sendOnce(d.smtpAddr, m) {
					mu.Lock()
					accepted = append(accepted, m)
					if len(accepted) == n {
						close(enough)
					}
					mu.Unlock()
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(testutil.WaitTimeout):
		t.Errorf("fewer than %d messages accepted in %v; killing anyway\nlog:\n%s", n, testutil.WaitTimeout, d.log.String())
	}
	d.kill()
	close(stop)
	wg.Wait()
	return accepted
}

// sendOnce sends one message with marker in its body and reports whether
// the server answered 250 to the final dot. Any failure (the daemon was
// killed) is just a false.
func sendOnce(addr, marker string) (ok bool) {
	c, err := dialQuiet(addr)
	if err != nil {
		return false
	}
	defer c.Close()
	steps := []string{"EHLO client.example", "MAIL FROM:<s@example.net>", "RCPT TO:<to+bob=example.com@leak.example>", "DATA"}
	for _, s := range steps {
		if _, err := fmt.Fprintf(c, "%s\r\n", s); err != nil {
			return false
		}
		if _, err := c.reply(); err != nil {
			return false
		}
	}
	if _, err := fmt.Fprintf(c, "Subject: crash test\r\n\r\n%s here\r\n.\r\n", marker); err != nil {
		return false
	}
	r, err := c.reply()
	return err == nil && strings.HasPrefix(r, "250")
}
