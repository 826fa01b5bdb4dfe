package testutil

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// WaitTimeout is how long WaitFor polls before it gives up. It is generous
// because the machines that run the tests are shared and slow at times; a
// condition that holds returns at once whatever the limit.
const WaitTimeout = 30 * time.Second

// WaitFor polls cond until it holds, and fails the test, naming what it
// waited for, if it does not within WaitTimeout. Use it where no hook
// tells the test that an event happened (a subprocess, a file, a log line).
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitForErr(t, what, WaitTimeout, func() error {
		if cond() {
			return nil
		}
		return errNotYet
	})
}

type notYet struct{}

func (notYet) Error() string { return "the condition does not hold" }

var errNotYet error = notYet{}

// WaitForErr polls f until it returns nil, for at most limit, and fails the
// test with f's last error if it never does.
func WaitForErr(t testing.TB, what string, limit time.Duration, f func() error) {
	t.Helper()
	var err error
	if !Poll(limit, func() bool { err = f(); return err == nil }) {
		t.Fatalf("timed out after %v waiting for %s: %v", limit, what, err)
	}
}

// Poll calls cond until it holds, for at most limit, and reports whether
// it did. It is WaitFor for a caller that writes its own failure (with a
// daemon's log, say) or has something else to do when the wait ends: stop
// a process that did not exit, for one. The interval grows from 1ms to
// 100ms, so a fast condition costs little and a slow one does not spin.
func Poll(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	pause := time.Millisecond
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers: a log sink for
// a server's goroutines or a subprocess's stdout and stderr.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
