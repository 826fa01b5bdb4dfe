package spool

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"leak/policy/testutil"
)

// crashEnv names the spool directory for the child process of TestCrash;
// crashModeEnv is "compact" for TestCrashCompaction.
const (
	crashEnv     = "LEAK_SPOOL_CRASH_DIR"
	crashModeEnv = "LEAK_SPOOL_CRASH_MODE"
)

// crashBody is the content of a crash test entry: the parent can check it
// from the id and the repeat count alone.
func crashBody(id string, n int) string { return strings.Repeat(id+"\r\n", n) }

// crashOpts make the crash test roll segments and spill some entries to
// files, so that a kill can land in either path.
var crashOpts = Options{SmallMax: 64 << 10, SegmentMax: 1 << 20}

// TestCrashChild is the child side of TestCrash: it commits entries from a
// few goroutines until killed, printing each id once Commit has returned,
// and removes every third one, printing its id before Remove is called and
// once it has returned. In compact mode it removes 19 of every 20, so that
// segments are compacted all the time, and prints a line for each chunk
// of copies compacted.
func TestCrashChild(t *testing.T) {
	t.Parallel()
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("run by TestCrash only")
	}
	var mu sync.Mutex
	opts := crashOpts
	remove := func(i int) bool { return i%3 == 2 }
	if os.Getenv(crashModeEnv) == "compact" {
		remove = func(i int) bool { return i%20 != 0 }
		opts.hook = func(step string) {
			if step == "compact-wiped" {
				mu.Lock()
				fmt.Println("compacted")
				mu.Unlock()
			}
		}
	}
	s, err := Open(dir, opts)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				n := 1 + (i*7919+g*104729)%3000 // up to ~100 KiB, so kills land mid-write too
				w, err := s.Create()
				if err != nil {
					fmt.Println("error", err)
					os.Exit(2)
				}
				body := crashBody(w.ID(), n)
				for len(body) > 0 {
					k := min(len(body), 1000)
					w.Write([]byte(body[:k]))
					body = body[k:]
				}
				if err := w.Commit(Meta{Rcpt: "a@b.example", Prefix: "X-N: " + strconv.Itoa(n) + "\r\n"}); err != nil {
					fmt.Println("error", err)
					os.Exit(2)
				}
				mu.Lock()
				// One write(2) per line on an unbuffered os.Stdout.
				fmt.Println("committed", w.ID())
				mu.Unlock()
				if remove(i) {
					mu.Lock()
					fmt.Println("removing", w.ID())
					mu.Unlock()
					if err := s.Remove(w.ID()); err != nil {
						fmt.Println("error", err)
						os.Exit(2)
					}
					mu.Lock()
					fmt.Println("removed", w.ID())
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
}

// TestCrash kills a process that is committing and removing in a loop and
// checks that every entry it reported committed and not removed is present
// and intact (one it was removing may be absent), that every entry it
// reported removed stays removed, and that
// tmp/ is clean after reopening. SIGKILL keeps the page cache, so this
// checks the framing of records and the tmp → rename → q protocol, not the
// fsyncs themselves. A kill lands mid-write often enough: the log line
// "segment tail ignored" shows it.
func TestCrash(t *testing.T) { runCrash(t, "", 0) }

// TestCrashCompaction is TestCrash with compaction going on when the kill
// lands: every entry reported committed and not removed must still be
// there once, intact, and no entry may be counted lost.
func TestCrashCompaction(t *testing.T) { runCrash(t, "compact", 3) }

// runCrash runs the child in mode, kills it once it has reported
// killAfter commits and at least compactions compactions, and checks the
// spool it left.
func runCrash(t *testing.T, mode string, compactions int) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := filepath.Join(t.TempDir(), "spool")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir, crashModeEnv+"="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	const killAfter = 300
	var ids []string
	removing, removed := map[string]bool{}, map[string]bool{}
	compacted := 0
	sc := bufio.NewScanner(out)
	killed := false
	deadline := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "committed "); ok {
			ids = append(ids, id)
		} else if id, ok := strings.CutPrefix(line, "removing "); ok {
			removing[id] = true
		} else if id, ok := strings.CutPrefix(line, "removed "); ok {
			removed[id] = true
		} else if line == "compacted" {
			compacted++
		} else if strings.HasPrefix(line, "error") {
			t.Errorf("child: %s", line)
		}
		if len(ids) >= killAfter && compacted >= compactions && !killed {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended before being killed after %d commits: %v", len(ids), err)
	}
	if len(ids) < killAfter {
		t.Fatalf("only %d commits reported", len(ids))
	}

	leftovers := len(dirNames(t, filepath.Join(dir, tmpDir)))
	// The compactor may log while the test reads: a buffer safe for both.
	var logs testutil.SyncBuffer
	opts := crashOpts
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The page cache survives SIGKILL, and a record is marked removed
	// before it is wiped: no record may look damaged.
	if strings.Contains(logs.String(), "level=WARN") || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("recovery found damage:\n%s", logs.String())
	}
	if c, tr := s.Dropped(); c+tr != 0 {
		t.Errorf("Dropped() = %d, %d", c, tr)
	}
	if n := dirNames(t, filepath.Join(dir, tmpDir)); len(n) != 0 {
		t.Errorf("tmp/ after reopen: %v", n)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if n := dirNames(t, filepath.Join(dir, corruptDir)); len(n) != 0 {
		t.Errorf("corrupt entries after a crash: %v", n)
	}
	listed := map[string]bool{}
	for _, m := range list {
		listed[m.ID] = true
	}
	for _, id := range ids {
		if removed[id] {
			if listed[id] {
				t.Errorf("%s reported removed but listed", id)
			}
			continue
		}
		if !listed[id] {
			// Killed inside Remove: either way is right.
			if !removing[id] {
				t.Errorf("%s reported committed but not listed", id)
			}
			continue
		}
		m, b := readAll(t, s, id)
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(m.Prefix, "X-N: "), "\r\n"))
		if err != nil {
			t.Errorf("%s: prefix %q", id, m.Prefix)
			continue
		}
		if string(b) != m.Prefix+crashBody(id, n) {
			t.Errorf("%s: content differs", id)
		}
	}
	t.Logf("%d commits, %d removals and %d compaction chunks reported, %d entries listed, %d segments, %d partial files in tmp/ after SIGKILL, torn tail: %v, duplicates resolved: %v",
		len(ids), len(removed), compacted, len(list), len(segFiles(t, dir, segExt)), leftovers,
		strings.Contains(logs.String(), "tail ignored"), strings.Contains(logs.String(), "duplicates="))
}
