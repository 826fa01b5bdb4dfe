package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leak/policy/testutil"
)

// segFiles returns the names in seg/ with the given extension, sorted.
func segFiles(t testing.TB, dir, ext string) []string {
	t.Helper()
	var out []string
	for _, n := range dirNames(t, filepath.Join(dir, segDir)) {
		if strings.HasSuffix(n, ext) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// reopen closes s and opens the spool in dir again.
func reopen(t testing.TB, s *Spool, dir string, opts Options) *Spool {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

// listIDs returns the ids List gives, sorted.
func listIDs(t testing.TB, s *Spool) []string {
	t.Helper()
	list, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var ids []string
	for _, m := range list {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// body returns n bytes of message that differ from one i to the next.
func body(i, n int) []byte {
	line := fmt.Sprintf("%08d-0123456789abcdefghijklmnopqrstuvwxyz\r\n", i)
	return bytes.Repeat([]byte(line), n/len(line)+1)[:n]
}

// checkContent reads id back and compares it with prefix + b.
func checkContent(t testing.TB, s *Spool, id, prefix string, b []byte) {
	t.Helper()
	m, got := readAll(t, s, id)
	if want := append([]byte(prefix), b...); !bytes.Equal(got, want) {
		t.Errorf("%s: read %d bytes, want %d (content differs)", id, len(got), len(want))
	}
	if m.Size != int64(len(prefix)+len(b)) {
		t.Errorf("%s: Size %d, want %d", id, m.Size, len(prefix)+len(b))
	}
}

// TestSmallAndLargeEntries checks that entries up to SmallMax become
// records and larger ones entry files, and that both read back the same,
// before and after a reopen.
func TestSmallAndLargeEntries(t *testing.T) {
	t.Parallel()
	const smallMax = 1000
	opts := Options{SmallMax: smallMax}
	s, dir := openSpool(t, opts)
	sizes := []int{0, 1, smallMax - 1, smallMax, smallMax + 1, 5000, 300 << 10}
	ids := make([]string, len(sizes))
	var large []string
	prefix := "DKIM-Signature: v=1\r\n"
	for i, n := range sizes {
		ids[i] = commit(t, s, body(i, n), Meta{Rcpt: "a@b.example", Prefix: prefix}).ID
		if n > smallMax {
			large = append(large, ids[i])
		}
	}
	check := func(s *Spool) {
		t.Helper()
		for i, n := range sizes {
			checkContent(t, s, ids[i], prefix, body(i, n))
		}
		if got := listIDs(t, s); !slices.Equal(got, sorted(ids...)) {
			t.Errorf("List = %v, want %v", got, sorted(ids...))
		}
		if got := sorted(dirNames(t, filepath.Join(dir, queueDir))...); !slices.Equal(got, sorted(large...)) {
			t.Errorf("q/ = %v, want the large entries %v", got, sorted(large...))
		}
	}
	check(s)
	if n := len(segFiles(t, dir, segExt)); n != 1 {
		t.Errorf("%d segments, want 1", n)
	}
	s = reopen(t, s, dir, opts)
	check(s)
}

// TestGroupCommitBatches checks that concurrent small commits share a
// batch: the committer is held in its first batch until the other writers
// are waiting, so the next batch must take all of them.
func TestGroupCommitBatches(t *testing.T) {
	const writers = 20
	var mu sync.Mutex
	var sizes []int
	release := make(chan struct{})
	var once sync.Once
	var held atomic.Int64 // commits in the held batch
	s, _ := openSpool(t, Options{OnCommit: func(n int, _ time.Duration) {
		once.Do(func() {
			held.Store(int64(n))
			<-release
		})
		mu.Lock()
		sizes = append(sizes, n)
		mu.Unlock()
	}})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free) // a failed wait must not leave Close stuck behind the hold
	var started sync.WaitGroup
	started.Add(writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			w, err := s.Create()
			if err != nil {
				t.Error(err)
				started.Done()
				return
			}
			defer w.Abort()
			w.Write(body(i, 100))
			started.Done()
			if err := w.Commit(Meta{Rcpt: "a@b.example"}); err != nil {
				t.Error(err)
			}
		})
	}
	started.Wait()
	// The writers are now in Commit: some are in the held batch, the
	// others queue up behind it, parked on the committer's channel.
	testutil.WaitFor(t, "the other writers to queue up", func() bool {
		h := held.Load()
		return h > 0 && int64(parkedInCommit()) == writers-h
	})
	free()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, n := range sizes {
		total += n
	}
	if total != writers {
		t.Errorf("batches %v hold %d commits, want %d", sizes, total, writers)
	}
	// Every writer that queued up behind the held batch goes in the next.
	if h := int(held.Load()); h < writers && (len(sizes) != 2 || sizes[1] != writers-h) {
		t.Errorf("batches %v: the %d commits queued behind the first %d did not share one batch", sizes, writers-h, h)
	}
}

// parkedInCommit counts the goroutines blocked in Writer.Commit's select,
// handing their request to the committer. The spool has no hook there: the
// unbuffered channel is the queue, and only the runtime sees who waits on it.
func parkedInCommit() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		// "goroutine 7 [select]:\nleak/relay/spool.(*Writer).Commit(...)"
		head, frames, _ := strings.Cut(g, "\n")
		if strings.Contains(head, "[select") && strings.HasPrefix(frames, "leak/relay/spool.(*Writer).Commit(") {
			n++
		}
	}
	return n
}

// TestSegmentRoll checks that segments roll at SegmentMax, that a segment
// is deleted once all its entries are removed, and that
// the active one is kept until it is closed to appends.
func TestSegmentRoll(t *testing.T) {
	t.Parallel()
	opts := Options{SegmentMax: 4 << 10}
	s, dir := openSpool(t, opts)
	var ids []string
	for i := range 10 {
		ids = append(ids, commit(t, s, body(i, 1500), Meta{Rcpt: "a@b.example"}).ID)
	}
	segs := segFiles(t, dir, segExt)
	if len(segs) < 4 {
		t.Fatalf("%d segments after 10 entries of 1.5 KiB with SegmentMax 4 KiB, want several: %v", len(segs), segs)
	}
	seqOf := func(id string) uint64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.index[id].seg.seq
	}
	first, last := seqOf(ids[0]), seqOf(ids[len(ids)-1])
	var inFirst, inLast, rest []string
	for _, id := range ids {
		switch seqOf(id) {
		case first:
			inFirst = append(inFirst, id)
		case last:
			inLast = append(inLast, id)
		default:
			rest = append(rest, id)
		}
	}

	for i, id := range inFirst {
		if !slices.Contains(segFiles(t, dir, segExt), segName(first, segExt)) {
			t.Fatalf("first segment deleted with %d of its entries left", len(inFirst)-i)
		}
		if err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	s.compactNow() // which deletes the segments left without entries
	if got := segFiles(t, dir, segExt); slices.Contains(got, segName(first, segExt)) {
		t.Errorf("first segment still there after all its entries were removed: %v", got)
	}
	for _, id := range inLast {
		if err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	if got := segFiles(t, dir, segExt); !slices.Contains(got, segName(last, segExt)) {
		t.Errorf("active segment deleted while still active: %v", got)
	}
	for _, id := range rest {
		checkContent(t, s, id, "", body(slices.Index(ids, id), 1500))
	}

	// Reopening drops the emptied last segment; the others keep their entries.
	s = reopen(t, s, dir, opts)
	if got := listIDs(t, s); !slices.Equal(got, sorted(rest...)) {
		t.Errorf("after reopen List = %v, want %v", got, sorted(rest...))
	}
	if got := segFiles(t, dir, segExt); slices.Contains(got, segName(last, segExt)) {
		t.Errorf("emptied segment survived a reopen: %v", got)
	}
	// New entries go to a new segment, never to one from before.
	before := segFiles(t, dir, segExt)
	m := commit(t, s, []byte("new"), Meta{Rcpt: "a@b.example"})
	if name := segName(seqOf(m.ID), segExt); slices.Contains(before, name) {
		t.Errorf("new entry appended to %s, a segment from before the reopen", name)
	}
}

// TestRemoveReplay checks that removed entries stay removed after a
// reopen, and that a removal lost to a crash only brings its entry back.
func TestRemoveReplay(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{})
	var ids []string
	for i := range 6 {
		ids = append(ids, commit(t, s, body(i, 300), Meta{Rcpt: "a@b.example"}).ID)
	}
	seg := filepath.Join(dir, segDir, segFiles(t, dir, segExt)[0])
	for _, id := range ids[:2] {
		if err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	// The segment as a crash would leave it had the next removal not
	// reached the disk.
	before, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ids[2]); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir, Options{})
	if got := listIDs(t, s); !slices.Equal(got, sorted(ids[3:]...)) {
		t.Fatalf("after reopen List = %v, want %v", got, sorted(ids[3:]...))
	}
	for _, id := range ids[:3] {
		if _, err := s.Open(id); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open of removed %s: %v, want fs.ErrNotExist", id, err)
		}
	}

	s.Close()
	if err := os.WriteFile(seg, before, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if got, want := listIDs(t, s), sorted(ids[2:]...); !slices.Equal(got, want) {
		t.Fatalf("with the last removal lost List = %v, want %v", got, want)
	}
	checkContent(t, s, ids[2], "", body(2, 300))
}

// TestRemoveWipes checks that a removed record's bytes are gone from its
// segment, which lives on for another entry, once no Message reads it.
func TestRemoveWipes(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{})
	keep := commit(t, s, []byte("Subject: kept\r\n\r\nkept\r\n"), Meta{Rcpt: "kept@example.com"})
	gone := commit(t, s, []byte("Subject: secret subject\r\n\r\nsecret body\r\n"),
		Meta{Rcpt: "secret-rcpt@example.com", Prefix: "DKIM-Signature: secret-sig\r\n"})
	seg := filepath.Join(dir, segDir, segFiles(t, dir, segExt)[0])
	secrets := []string{"secret subject", "secret body", "secret-rcpt@example.com", "secret-sig", gone.ID}
	contains := func() []string {
		t.Helper()
		b, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, x := range secrets {
			if bytes.Contains(b, []byte(x)) {
				found = append(found, x)
			}
		}
		return found
	}
	if got := contains(); len(got) != len(secrets) {
		t.Fatalf("segment holds %v before Remove, want all of %v", got, secrets)
	}

	m, err := s.Open(gone.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(gone.ID); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := got.ReadFrom(m); err != nil || !strings.Contains(got.String(), "secret body") {
		t.Errorf("open Message after Remove read %q, %v", got.String(), err)
	}
	if len(contains()) == 0 {
		t.Error("record wiped while a Message was reading it")
	}
	m.Close()
	if got := contains(); len(got) != 0 {
		t.Errorf("segment still holds %v after Remove and Close", got)
	}
	checkContent(t, s, keep.ID, "", []byte("Subject: kept\r\n\r\nkept\r\n"))

	// Without a reader the wipe is immediate, and survives a reopen.
	other := commit(t, s, []byte("other secret body"), Meta{Rcpt: "a@b.example"})
	secrets = append(secrets, "other secret body")
	if err := s.Remove(other.ID); err != nil {
		t.Fatal(err)
	}
	if got := contains(); len(got) != 0 {
		t.Errorf("segment still holds %v after Remove", got)
	}
	s = reopen(t, s, dir, Options{})
	if got := listIDs(t, s); !slices.Equal(got, []string{keep.ID}) {
		t.Errorf("after reopen List = %v, want [%s]", got, keep.ID)
	}
}

// threeRecords commits three small entries into one segment, closes the
// spool and returns the ids, the segment's path and the record offsets.
func threeRecords(t *testing.T) (dir string, ids []string, seg string, offs []int64) {
	t.Helper()
	s, dir := openSpool(t, Options{})
	for i := range 3 {
		ids = append(ids, commit(t, s, body(i, 500), Meta{Rcpt: "secret@rcpt.example", Prefix: "P: 1\r\n"}).ID)
	}
	s.mu.Lock()
	for _, id := range ids {
		offs = append(offs, s.index[id].off)
	}
	s.mu.Unlock()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs := segFiles(t, dir, segExt)
	if len(segs) != 1 {
		t.Fatalf("segments %v, want 1", segs)
	}
	return dir, ids, filepath.Join(dir, segDir, segs[0]), offs
}

// TestTornTail cuts the segment inside its last record, as a crash during
// the write does: the earlier entries must be intact, the torn one gone,
// and the spool usable.
func TestTornTail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cut  func(last, size int64) int64 // new size
	}{
		{"inside the header", func(last, size int64) int64 { return last + 7 }},
		{"inside the body", func(last, size int64) int64 { return last + recHdrLen + 100 }},
		{"inside the meta", func(last, size int64) int64 { return size - 20 }},
		{"last byte", func(last, size int64) int64 { return size - 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, ids, seg, offs := threeRecords(t)
			fi, err := os.Stat(seg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(seg, tc.cut(offs[2], fi.Size())); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := listIDs(t, s); !slices.Equal(got, sorted(ids[:2]...)) {
				t.Fatalf("List = %v, want %v", got, sorted(ids[:2]...))
			}
			for i, id := range ids[:2] {
				checkContent(t, s, id, "P: 1\r\n", body(i, 500))
			}
			if _, err := s.Open(ids[2]); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open of the torn entry: %v, want fs.ErrNotExist", err)
			}
			m := commit(t, s, []byte("after"), Meta{Rcpt: "a@b.example"})
			checkContent(t, s, m.ID, "", []byte("after"))
		})
	}
}

// TestCorruptRecord damages the middle record of a segment. It costs that
// record only: damage inside it is caught by its data checksum, damage to
// its header by the header checksum, after which reading resumes at the
// next record. The loss is counted, and logged by segment, offset and (if
// the meta still names it) id only; the damaged bytes go to corrupt/.
func TestCorruptRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		at      func(off int64) int64 // byte of the middle record to flip
		logsQID bool                  // the skipped record is logged by id
	}{
		{"body", func(off int64) int64 { return off + recHdrLen + 10 }, true},
		{"meta", func(off int64) int64 { return off + recHdrLen + 500 + 3 }, false},
		{"data checksum", func(off int64) int64 { return off + 17 }, false},
		{"header checksum", func(off int64) int64 { return off + 21 }, false},
		{"record number", func(off int64) int64 { return off + 7 }, false},
		{"body length", func(off int64) int64 { return off + 10 }, false},
		{"meta length", func(off int64) int64 { return off + 14 }, false},
		{"magic", func(off int64) int64 { return off }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, ids, seg, offs := threeRecords(t)
			b, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			b[tc.at(offs[1])] ^= 0x01
			if err := os.WriteFile(seg, b, 0o600); err != nil {
				t.Fatal(err)
			}
			var logs testutil.SyncBuffer
			var drops []string
			s, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), OnDrop: func(r string) { drops = append(drops, r) }})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, i := range []int{0, 2} {
				checkContent(t, s, ids[i], "P: 1\r\n", body(i, 500))
			}
			if got, want := listIDs(t, s), sorted(ids[0], ids[2]); !slices.Equal(got, want) {
				t.Errorf("List = %v, want %v", got, want)
			}
			if c, tr := s.Dropped(); c != 1 || tr != 0 || !slices.Equal(drops, []string{"corrupt"}) {
				t.Errorf("Dropped() = %d, %d and OnDrop %v; want 1 corrupt", c, tr, drops)
			}
			if strings.Contains(logs.String(), "secret@rcpt.example") {
				t.Errorf("log shows the recipient: %s", logs.String())
			}
			if tc.logsQID && !strings.Contains(logs.String(), "qid="+ids[1]) {
				t.Errorf("log does not name the skipped record %s: %s", ids[1], logs.String())
			}
			if log := logs.String(); !strings.Contains(log, "level=WARN msg=\"spool: damaged") ||
				!strings.Contains(log, "segment="+filepath.Base(seg)) || !strings.Contains(log, fmt.Sprintf("offset=%d", offs[1])) {
				t.Errorf("no WARN naming the segment and offset %d: %s", offs[1], logs.String())
			}
			if got := dirNames(t, filepath.Join(dir, corruptDir)); len(got) != 1 {
				t.Errorf("corrupt/ = %v, want the damaged bytes", got)
			}
			// Set aside once: a second start counts nothing more.
			s = reopen(t, s, dir, Options{})
			if c, tr := s.Dropped(); c+tr != 0 {
				t.Errorf("after a second start Dropped() = %d, %d; want 0, 0", c, tr)
			}
			if got := listIDs(t, s); len(got) != 2 {
				t.Errorf("after a second start List = %v", got)
			}
		})
	}
}

// TestBadSegment checks that a file named like a segment but without its
// magic is moved to corrupt/, and that segments created but never written
// to are dropped.
func TestBadSegment(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.MkdirAll(filepath.Join(dir, segDir), 0o700); err != nil {
		t.Fatal(err)
	}
	bad, empty := segName(1, segExt), segName(2, segExt)
	os.WriteFile(filepath.Join(dir, segDir, bad), []byte("NOTASEGMENT and more"), 0o600)
	os.WriteFile(filepath.Join(dir, segDir, empty), nil, 0o600)
	os.WriteFile(filepath.Join(dir, segDir, segName(9, segExt)), []byte(segMagic), 0o600)
	s, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := dirNames(t, filepath.Join(dir, segDir)); len(got) != 0 {
		t.Errorf("seg/ = %v, want empty", got)
	}
	if got := dirNames(t, filepath.Join(dir, corruptDir)); !slices.Equal(got, []string{bad}) {
		t.Errorf("corrupt/ = %v, want [%s]", got, bad)
	}
	// The next segment comes after every number seen.
	m := commit(t, s, []byte("x"), Meta{Rcpt: "a@b.example"})
	s.mu.Lock()
	seq := s.index[m.ID].seg.seq
	s.mu.Unlock()
	if seq <= 9 {
		t.Errorf("new segment %d reuses a number already seen", seq)
	}
}

// TestRemoveWhileOpen checks that a Message keeps its segment readable
// through Remove (which would delete it) and through Close of the spool.
func TestRemoveWhileOpen(t *testing.T) {
	t.Parallel()
	opts := Options{SegmentMax: 1 << 10}
	s, dir := openSpool(t, opts)
	a := commit(t, s, body(1, 2000), Meta{Rcpt: "a@b.example"})
	b := commit(t, s, body(2, 2000), Meta{Rcpt: "a@b.example"}) // rolls: a's segment is no longer active
	segA := filepath.Join(dir, segDir, segFiles(t, dir, segExt)[0])

	ma, err := s.Open(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := s.Open(b.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(segA); err != nil {
		t.Fatalf("segment deleted while a Message reads it: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m *Message
		i int
	}{{ma, 1}, {mb, 2}} {
		var got bytes.Buffer
		if _, err := got.ReadFrom(c.m); err != nil || !bytes.Equal(got.Bytes(), body(c.i, 2000)) {
			t.Errorf("Message %d after Remove and Close: %d bytes, %v", c.i, got.Len(), err)
		}
	}
	ma.Close()
	ma.Close() // idempotent
	if _, err := os.Stat(segA); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("emptied segment kept after its last reader closed: %v", err)
	}
	mb.Close()
	if got := segFiles(t, dir, segExt); len(got) != 0 {
		t.Errorf("seg/ after everything was removed and closed: %v", got)
	}
	if _, err := s.Open(a.ID); !errors.Is(err, ErrClosed) {
		t.Errorf("Open after Close: %v, want ErrClosed", err)
	}
}

// TestConcurrentUse mixes commits, opens, lists and removes over rolling
// segments, for the race detector; in the end everything is removed and
// only the active segment may be left.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{SegmentMax: 8 << 10, SmallMax: 4 << 10})
	ids := make(chan string, 64)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				n := 100 + (g*25+i)*97%6000 // some spill to files
				ids <- commit(t, s, body(g*100+i, n), Meta{Rcpt: "a@b.example"}).ID
			}
		})
	}
	var readers sync.WaitGroup
	for range 3 {
		readers.Go(func() {
			for id := range ids {
				if _, err := s.List(); err != nil {
					t.Error(err)
				}
				m, err := s.Open(id)
				if err != nil {
					t.Error(err)
					continue
				}
				if err := s.Remove(id); err != nil {
					t.Error(err)
				}
				var buf bytes.Buffer
				if _, err := buf.ReadFrom(m); err != nil || int64(buf.Len()) != m.Meta.Size {
					t.Errorf("%s: read %d of %d bytes: %v", id, buf.Len(), m.Meta.Size, err)
				}
				m.Close()
			}
		})
	}
	wg.Wait()
	close(ids)
	readers.Wait()
	if got := listIDs(t, s); len(got) != 0 {
		t.Errorf("List after removing everything: %v", got)
	}
	s.compactNow() // a compaction in flight holds its segment until it ends
	if got := segFiles(t, dir, segExt); len(got) > 1 {
		t.Errorf("segments left: %v, want at most the active one", got)
	}
}

// TestCloseWaitsForTimedFlush: a flush of removals that the timer started
// holds references to the segments it syncs. Close must wait for it, and
// then delete the segment left without live records itself: a spool that
// deleted a segment, and rewrote the manifest, after Close returned raced
// with the next Open of the same directory (found in CI, where a reopen
// failed with "open segment …: no such file or directory").
func TestCloseWaitsForTimedFlush(t *testing.T) {
	t.Parallel()
	var (
		s       *Spool
		once    sync.Once
		flushed atomic.Bool
		closed  = make(chan error, 1)
	)
	dir := filepath.Join(t.TempDir(), "spool")
	opts := Options{hook: func(step string) {
		if step != "removes-flushing" {
			return
		}
		once.Do(func() {
			// The timer's flush holds its references: Close runs now,
			// and is given time to finish if it does not wait.
			go func() { closed <- s.Close() }()
			time.Sleep(200 * time.Millisecond)
			flushed.Store(true)
		})
	}}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 5 {
		ids = append(ids, commit(t, s, body(i, 1000), Meta{Rcpt: "a@b.example"}).ID)
	}
	for _, id := range ids {
		if err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	// The active segment now has no live records; the timer flushes the
	// removals within removeSync, and the hook closes the spool.
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !flushed.Load() {
		t.Fatal("Close returned while the timer's flush still ran")
	}
	if got := segFiles(t, dir, segExt); len(got) != 0 {
		t.Errorf("after Close, seg/ holds %v; want the segment without live records deleted", got)
	}
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		t.Fatal(err)
	}
	man, err := parseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(man) != 0 {
		t.Errorf("after Close, the manifest lists %d segments, want none", len(man))
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if got := listIDs(t, s2); len(got) != 0 {
		t.Errorf("after reopen %d entries listed, want none", len(got))
	}
}
