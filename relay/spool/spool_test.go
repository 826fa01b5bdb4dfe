package spool

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func openSpool(t testing.TB, opts Options) (*Spool, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "spool")
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// commit writes body in chunks of at most 4 KiB and commits it.
func commit(t testing.TB, s *Spool, body []byte, m Meta) Meta {
	t.Helper()
	w, err := s.Create()
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer w.Abort()
	for rest := body; len(rest) > 0; {
		n := min(len(rest), 4096)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		rest = rest[n:]
	}
	if err := w.Commit(m); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return w.Meta()
}

func readAll(t testing.TB, s *Spool, id string) (Meta, []byte) {
	t.Helper()
	msg, err := s.Open(id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	defer msg.Close()
	b, err := io.ReadAll(msg)
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return msg.Meta, b
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadDir: %v", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 11, 25, 10, 30, 15, 999, time.UTC)
	big := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 5000)
	tests := []struct {
		name string
		body []byte
		meta Meta
	}{
		{"plain", []byte("Subject: hi\r\n\r\nhello\r\n"),
			Meta{From: "bounce+x@leak.example", Rcpt: "bob@example.com", Created: created,
				Prefix: "DKIM-Signature: v=1; a=rsa-sha256\r\nDKIM-Signature: v=1; a=ed25519-sha256\r\n"}},
		{"empty body and prefix", nil, Meta{Rcpt: "bob@example.com", Created: created}},
		{"utf8 and binary", []byte("Subject: =?utf-8?q?x?=\r\n\r\n\x00\xff\"}LEAKSPL1\r\n"),
			Meta{From: "b@leak.example", Rcpt: "jörg@exämple.de", Created: created, UTF8: true, Prefix: "X: \"}\r\n"}},
		{"larger than the buffer", big, Meta{Rcpt: "a@b.example", Created: created, Prefix: "P: 1\r\n"}},
	}
	s, dir := openSpool(t, Options{})
	want := map[string]Meta{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := commit(t, s, tc.body, tc.meta)
			if !validID(got.ID) {
				t.Fatalf("committed id %q is not valid", got.ID)
			}
			wantMeta := tc.meta
			wantMeta.ID = got.ID
			wantMeta.Created = created.Truncate(time.Second)
			wantMeta.Size = int64(len(tc.meta.Prefix) + len(tc.body))
			if !metaEqual(got, wantMeta) {
				t.Errorf("Writer.Meta() = %+v, want %+v", got, wantMeta)
			}
			m, b := readAll(t, s, got.ID)
			if !metaEqual(m, wantMeta) {
				t.Errorf("Open meta = %+v, want %+v", m, wantMeta)
			}
			if wantBytes := append([]byte(tc.meta.Prefix), tc.body...); !bytes.Equal(b, wantBytes) {
				t.Errorf("content differs: got %d bytes, want %d", len(b), len(wantBytes))
			}
			if int64(len(b)) != m.Size {
				t.Errorf("Size = %d, read %d bytes", m.Size, len(b))
			}
			want[got.ID] = wantMeta
		})
	}

	list, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != len(want) {
		t.Fatalf("List returned %d entries, want %d", len(list), len(want))
	}
	for _, m := range list {
		if !metaEqual(m, want[m.ID]) {
			t.Errorf("List entry %+v, want %+v", m, want[m.ID])
		}
	}
	if n := dirNames(t, filepath.Join(dir, tmpDir)); len(n) != 0 {
		t.Errorf("tmp/ not empty after commits: %v", n)
	}
}

func metaEqual(a, b Meta) bool {
	return a.ID == b.ID && a.From == b.From && a.Rcpt == b.Rcpt && a.Created.Equal(b.Created) &&
		a.Prefix == b.Prefix && a.UTF8 == b.UTF8 && a.Size == b.Size && a.NotBefore.Equal(b.NotBefore)
}

func TestCreatedDefaultsToNow(t *testing.T) {
	t.Parallel()
	s, _ := openSpool(t, Options{})
	before := time.Now().Truncate(time.Second)
	m := commit(t, s, []byte("x"), Meta{Rcpt: "a@b.example"})
	if m.Created.Before(before) || m.Created.After(time.Now()) {
		t.Errorf("Created = %v, want about now", m.Created)
	}
}

func TestAbort(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{})
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("some data")); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	w.Abort() // idempotent
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Abort succeeded")
	}
	if err := w.Commit(Meta{Rcpt: "a@b.example"}); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	for _, d := range []string{tmpDir, queueDir} {
		if n := dirNames(t, filepath.Join(dir, d)); len(n) != 0 {
			t.Errorf("%s/ not empty after Abort: %v", d, n)
		}
	}
}

func TestAbortAfterCommitKeepsEntry(t *testing.T) {
	t.Parallel()
	s, _ := openSpool(t, Options{})
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("body"))
	if err := w.Commit(Meta{Rcpt: "a@b.example"}); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if err := w.Commit(Meta{Rcpt: "a@b.example"}); err == nil {
		t.Error("second Commit succeeded")
	}
	if _, b := readAll(t, s, w.ID()); string(b) != "body" {
		t.Errorf("content %q after Abort, want %q", b, "body")
	}
}

func TestCommitWithoutRecipientFails(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{})
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("body"))
	if err := w.Commit(Meta{}); err == nil {
		t.Fatal("Commit without recipient succeeded")
	}
	w.Abort()
	for _, d := range []string{tmpDir, queueDir} {
		if n := dirNames(t, filepath.Join(dir, d)); len(n) != 0 {
			t.Errorf("%s/ not empty after failed Commit: %v", d, n)
		}
	}
}

func TestOpenClearsTmp(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.MkdirAll(filepath.Join(dir, tmpDir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"0123456789abcdef0123456789abcdef", "junk", "sub/x"} {
		if err := os.WriteFile(filepath.Join(dir, tmpDir, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := dirNames(t, filepath.Join(dir, tmpDir)); len(n) != 0 {
		t.Errorf("tmp/ after Open: %v", n)
	}
	if fi, err := os.Stat(filepath.Join(dir, queueDir)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("q/: %v, %v; want a 0700 directory", fi, err)
	}
}

// Entry files (large entries) can be damaged after Open; List finds them.
// Damaged records are covered in segment_test.go.
func TestListMovesCorruptEntries(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{SmallMax: -1})
	good := commit(t, s, []byte("good\r\n"), Meta{Rcpt: "a@b.example"})
	src := commit(t, s, []byte("source of bad copies\r\n"), Meta{Rcpt: "a@b.example", Prefix: "P: 1\r\n"})
	data, err := os.ReadFile(filepath.Join(dir, queueDir, src.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(src.ID); err != nil {
		t.Fatal(err)
	}
	jsonAt := len(data) - tailLen - 10 // inside the meta JSON
	flip := func(i int) []byte { b := slices.Clone(data); b[i] ^= 0x20; return b }
	bad := []struct {
		name string
		data []byte
	}{
		{"11111111111111111111111111111111", data[:len(data)-5]},        // truncated trailer
		{"22222222222222222222222222222222", data[:len(data)/2]},        // truncated in the middle
		{"33333333333333333333333333333333", flip(jsonAt)},              // CRC mismatch
		{"44444444444444444444444444444444", flip(len(data) - 1)},       // bad magic
		{"55555555555555555555555555555555", flip(len(data) - tailLen)}, // length out of range
		{"66666666666666666666666666666666", nil},                       // empty
		{"77777777777777777777777777777777", data},                      // id does not match the name
		{"not-an-id", data},
	}
	for _, b := range bad {
		if err := os.WriteFile(filepath.Join(dir, queueDir, b.name), b.data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	list, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 1 || list[0].ID != good.ID {
		t.Fatalf("List = %+v, want only %s", list, good.ID)
	}
	if got := dirNames(t, filepath.Join(dir, queueDir)); !slices.Equal(got, []string{good.ID}) {
		t.Errorf("q/ = %v, want [%s]", got, good.ID)
	}
	got := dirNames(t, filepath.Join(dir, corruptDir))
	for _, b := range bad {
		if !slices.Contains(got, b.name) {
			t.Errorf("%s not moved to corrupt/ (has %v)", b.name, got)
		}
		if b.name != "not-an-id" {
			if _, err := s.Open(b.name); err == nil {
				t.Errorf("Open(%s) of a corrupt entry succeeded", b.name)
			}
		}
	}
}

func TestOpenRejectsCorrupt(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{SmallMax: -1})
	m := commit(t, s, []byte("body"), Meta{Rcpt: "a@b.example"})
	p := filepath.Join(dir, queueDir, m.ID)
	fi, _ := os.Stat(p)
	if err := os.Truncate(p, fi.Size()-1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(m.ID); !errors.Is(err, errCorrupt) {
		t.Errorf("Open of truncated entry: %v, want errCorrupt", err)
	}
}

func TestInvalidIDs(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{})
	// A valid entry outside q/ that a path traversal could reach.
	if err := os.WriteFile(filepath.Join(dir, "0123456789abcdef0123456789abcdef"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"", "..", "../0123456789abcdef0123456789abcdef", "/etc/passwd",
		"0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
		"0123456789abcdef0123456789abcdeg", "0123456789abcdef/123456789abcdef",
	} {
		if _, err := s.Open(id); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q) = %v, want an invalid id error", id, err)
		}
		if err := s.Remove(id); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Remove(%q) = %v, want an invalid id error", id, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "0123456789abcdef0123456789abcdef")); err != nil {
		t.Errorf("file outside q/ touched: %v", err)
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	s, _ := openSpool(t, Options{})
	m := commit(t, s, []byte("body"), Meta{Rcpt: "a@b.example"})
	msg, err := s.Open(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer msg.Close()
	if err := s.Remove(m.ID); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if b, err := io.ReadAll(msg); err != nil || string(b) != "body" {
		t.Errorf("open Message after Remove read %q, %v", b, err)
	}
	if _, err := s.Open(m.ID); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Remove: %v, want fs.ErrNotExist", err)
	}
	if err := s.Remove(m.ID); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second Remove: %v, want fs.ErrNotExist", err)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Errorf("List after Remove: %v", list)
	}
}

func TestConcurrentCommits(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var batched, batches int
	s, dir := openSpool(t, Options{OnCommit: func(n int, d time.Duration) {
		mu.Lock()
		batched += n
		batches++
		mu.Unlock()
	}})
	const writers = 50
	ids := make([]string, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			body := []byte(strings.Repeat(string(rune('a'+i%26)), 100+i))
			ids[i] = commit(t, s, body, Meta{Rcpt: "a@b.example"}).ID
		})
	}
	wg.Wait()

	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range list {
		listed[m.ID] = true
	}
	for i, id := range ids {
		if !listed[id] {
			t.Errorf("writer %d: %s not listed", i, id)
			continue
		}
		want := strings.Repeat(string(rune('a'+i%26)), 100+i)
		if _, b := readAll(t, s, id); string(b) != want {
			t.Errorf("writer %d: content differs", i)
		}
	}
	if len(list) != writers {
		t.Errorf("List has %d entries, want %d", len(list), writers)
	}
	mu.Lock()
	defer mu.Unlock()
	if batched != writers {
		t.Errorf("OnCommit saw %d commits in %d batches, want %d commits", batched, batches, writers)
	}
	if n := dirNames(t, filepath.Join(dir, tmpDir)); len(n) != 0 {
		t.Errorf("tmp/ not empty: %v", n)
	}
}

func TestMaxBatch(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	maxSeen := 0
	s, _ := openSpool(t, Options{MaxBatch: 3, OnCommit: func(n int, _ time.Duration) {
		mu.Lock()
		maxSeen = max(maxSeen, n)
		mu.Unlock()
	}})
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() { commit(t, s, []byte("x"), Meta{Rcpt: "a@b.example"}) })
	}
	wg.Wait()
	if maxSeen > 3 || maxSeen < 1 {
		t.Errorf("largest batch %d, want 1..3", maxSeen)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{})
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Commit(Meta{Rcpt: "a@b.example"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Close: %v, want ErrClosed", err)
	}
	w.Abort()
	if _, err := s.Create(); !errors.Is(err, ErrClosed) {
		t.Errorf("Create after Close: %v, want ErrClosed", err)
	}
	for _, d := range []string{tmpDir, queueDir} {
		if n := dirNames(t, filepath.Join(dir, d)); len(n) != 0 {
			t.Errorf("%s/ not empty: %v", d, n)
		}
	}
}

func TestCommitFailureCleansUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		smallMax int
		remove   string // the directory whose loss makes the commit fail
	}{
		// With q/ gone the rename of an entry file fails.
		{"entry file", -1, queueDir},
		// With seg/ gone the first segment cannot be created.
		{"record", 0, segDir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := openSpool(t, Options{SmallMax: tc.smallMax})
			if err := os.RemoveAll(filepath.Join(dir, tc.remove)); err != nil {
				t.Fatal(err)
			}
			w, err := s.Create()
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("x"))
			if err := w.Commit(Meta{Rcpt: "a@b.example"}); err == nil {
				t.Fatalf("Commit succeeded without %s/", tc.remove)
			}
			w.Abort()
			if n := dirNames(t, filepath.Join(dir, tmpDir)); len(n) != 0 {
				t.Errorf("tmp/ not empty after failed commit: %v", n)
			}
			if list, err := s.List(); err == nil && len(list) != 0 {
				t.Errorf("List after a failed commit: %v", list)
			}
		})
	}
}
