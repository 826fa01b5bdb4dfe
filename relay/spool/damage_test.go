package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"leak/policy/testutil"
)

// copyDir copies the regular files under src to dst, as a crash would leave
// them (SIGKILL keeps the page cache: what a reader sees is what stays).
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	if err := copyFiles(src, dst); err != nil {
		t.Fatal(err)
	}
}

// copyFiles is copyDir for any goroutine.
func copyFiles(src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// diskBytes sums the sizes of the files in seg/, q/ and corrupt/: what
// Size should say.
func diskBytes(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	for _, d := range []string{segDir, queueDir, corruptDir} {
		ents, err := os.ReadDir(filepath.Join(dir, d))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		for _, e := range ents {
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			n += fi.Size()
		}
	}
	return n
}

// logRecorder is a slog handler that keeps what it is given.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	rec.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// TestDamageTable writes 310 entries over a dozen segments, damages the
// spool in one way at a time, and checks that only the damaged entries
// are lost, that each loss is counted under the right reason and logged
// at WARN with the segment and offset, and that nothing goes to the
// default logger. The table it prints is the figure for the notes.
func TestDamageTable(t *testing.T) {
	const entries, size = 310, 1000
	opts := Options{SegmentMax: 32 << 10}
	s, pristine := openSpool(t, opts)
	ids := make([]string, entries)
	num := map[string]int{}
	for i := range ids {
		ids[i] = commit(t, s, body(i, size), Meta{Rcpt: "secret@rcpt.example", Prefix: "P: 1\r\n"}).ID
		num[ids[i]] = i
	}
	// The records of each segment, in file order.
	bySeg := map[uint64][]loc{}
	idAt := map[loc]string{}
	s.mu.Lock()
	for id, l := range s.index {
		bySeg[l.seg.seq] = append(bySeg[l.seg.seq], l)
		idAt[l] = id
	}
	s.mu.Unlock()
	var seqs []uint64
	for seq, ls := range bySeg {
		slices.SortFunc(ls, func(a, b loc) int { return int(a.off - b.off) })
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	if len(seqs) < 8 {
		t.Fatalf("%d segments, want at least 8", len(seqs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segPath := func(dir string, i int) string { return filepath.Join(dir, segDir, segName(seqs[i], segExt)) }
	rec := func(i, j int) loc { return bySeg[seqs[i]][j] }
	edit := func(dir string, i int, f func([]byte) []byte) {
		b, err := os.ReadFile(segPath(dir, i))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(segPath(dir, i), f(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name     string
		damage   func(dir string)
		lost     []loc  // the entries that must be gone
		reason   string // what they are counted as
		offset   int64  // logged, if not -1
		segIndex int
	}{
		{"flip a bit in one length field", func(dir string) {
			edit(dir, 3, func(b []byte) []byte { b[rec(3, 7).off+10] ^= 0x04; return b })
		}, []loc{rec(3, 7)}, dropCorrupt, rec(3, 7).off, 3},
		{"overwrite one record's magic", func(dir string) {
			edit(dir, 3, func(b []byte) []byte { copy(b[rec(3, 7).off:], "\x00\x00\x00\x00"); return b })
		}, []loc{rec(3, 7)}, dropCorrupt, rec(3, 7).off, 3},
		{"flip a body byte", func(dir string) {
			edit(dir, 3, func(b []byte) []byte { b[rec(3, 7).off+recHdrLen+100] ^= 0x01; return b })
		}, []loc{rec(3, 7)}, dropCorrupt, rec(3, 7).off, 3},
		{"truncate a segment mid-record", func(dir string) {
			edit(dir, 5, func(b []byte) []byte { return b[:rec(5, 9).off+300] })
		}, bySeg[seqs[5]][9:], dropTruncated, rec(5, 9).off, 5},
		{"truncate a segment to 0 bytes", func(dir string) {
			edit(dir, 6, func([]byte) []byte { return nil })
		}, bySeg[seqs[6]], dropTruncated, -1, 6},
		{"delete a segment file", func(dir string) {
			if err := os.Remove(segPath(dir, 7)); err != nil {
				t.Fatal(err)
			}
		}, bySeg[seqs[7]], dropTruncated, -1, 7},
		{"overwrite the last segment's tail", func(dir string) {
			last := len(seqs) - 1
			n := len(bySeg[seqs[last]])
			edit(dir, last, func(b []byte) []byte { clear(b[rec(last, n-1).off+5:]); return b })
		}, bySeg[seqs[len(seqs)-1]][len(bySeg[seqs[len(seqs)-1]])-1:], dropCorrupt, -1, len(seqs) - 1},
	}

	// Nothing may reach the default logger.
	var global logRecorder
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(&global))

	var table strings.Builder
	fmt.Fprintf(&table, "\n%-36s %8s %8s %9s %9s\n", "damage", "entries", "survive", "corrupt", "truncated")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			copyDir(t, pristine, dir)
			tc.damage(dir)
			var logs logRecorder
			var mu sync.Mutex
			drops := map[string]int{}
			o := opts
			o.Logger = slog.New(&logs)
			o.OnDrop = func(r string) { mu.Lock(); drops[r]++; mu.Unlock() }
			s, err := Open(dir, o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()

			lost := map[string]bool{}
			for _, l := range tc.lost {
				lost[idAt[l]] = true
			}
			listed := listIDs(t, s)
			for _, id := range ids {
				if in := slices.Contains(listed, id); in == lost[id] {
					t.Errorf("entry %d: listed %v, but damaged %v", num[id], in, lost[id])
				}
				if !lost[id] {
					checkContent(t, s, id, "P: 1\r\n", body(num[id], size))
				}
			}
			corrupt, truncated := s.Dropped()
			want := map[string]int{tc.reason: len(tc.lost)}
			if got := map[string]int{dropCorrupt: corrupt, dropTruncated: truncated}; got[dropCorrupt] != want[dropCorrupt] || got[dropTruncated] != want[dropTruncated] {
				t.Errorf("Dropped() = %d corrupt, %d truncated; want %v", corrupt, truncated, want)
			}
			if drops[tc.reason] != len(tc.lost) || len(drops) != 1 {
				t.Errorf("OnDrop saw %v; want %v", drops, want)
			}
			log := logs.String()
			seg := "segment=" + segName(seqs[tc.segIndex], segExt)
			found := false
			for _, line := range strings.Split(log, "\n") {
				if strings.HasPrefix(line, "WARN ") && strings.Contains(line, seg) &&
					(tc.offset < 0 || strings.Contains(line, fmt.Sprintf("offset=%d", tc.offset))) {
					found = true
				}
			}
			if !found {
				t.Errorf("no WARN naming %s at offset %d:\n%s", seg, tc.offset, log)
			}
			if strings.Contains(log, "secret@rcpt.example") {
				t.Errorf("log shows the recipient:\n%s", log)
			}
			fmt.Fprintf(&table, "%-36s %8d %8d %9d %9d\n", tc.name, entries, len(listed), corrupt, truncated)

			// Counted once: a second start finds nothing new.
			s = reopen(t, s, dir, Options{SegmentMax: opts.SegmentMax})
			if c, tr := s.Dropped(); c+tr != 0 {
				t.Errorf("second start: Dropped() = %d, %d; want 0, 0", c, tr)
			}
			if got := listIDs(t, s); !slices.Equal(got, listed) {
				t.Errorf("second start lists %d entries, the first %d", len(got), len(listed))
			}
		})
	}
	t.Log(table.String())
	if g := global.String(); g != "" {
		t.Errorf("the default logger was used:\n%s", g)
	}
}

// TestLargeEntryChecksum damages the message bytes of entry files: found
// at Open, the file is set aside before anything lists it; found while a
// Message is read, the read that reaches the end fails with ErrCorrupt
// and the file is set aside. An entry file of an earlier version, without
// a checksum, is still read.
func TestLargeEntryChecksum(t *testing.T) {
	t.Parallel()
	opts := Options{SmallMax: 1 << 10}
	s, dir := openSpool(t, opts)
	var ids []string
	for i := range 3 {
		ids = append(ids, commit(t, s, body(i, 5000), Meta{Rcpt: "a@b.example"}).ID)
	}
	flip := func(id string) {
		t.Helper()
		p := filepath.Join(dir, queueDir, id)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[2500] ^= 0x01
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// While open: the damage shows at the end of the read.
	flip(ids[0])
	m, err := s.Open(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(m)
	m.Close()
	if !errors.Is(err, ErrCorrupt) || len(got) != 5000 {
		t.Errorf("read of a damaged entry file: %d bytes, %v; want 5000 and ErrCorrupt", len(got), err)
	}
	if _, err := s.Open(ids[0]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after the damage was found: %v, want fs.ErrNotExist", err)
	}
	if c, _ := s.Dropped(); c != 1 {
		t.Errorf("Dropped() corrupt = %d, want 1", c)
	}

	// An entry file as an earlier version wrote it: no checksum.
	old := Meta{ID: "0123456789abcdef0123456789abcdef", Rcpt: "a@b.example"}
	file, err := appendTrailer(body(9, 5000), old, bodySum{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, queueDir, old.ID), file, 0o600); err != nil {
		t.Fatal(err)
	}

	// While closed: Open sets it aside.
	s.Close()
	flip(ids[1])
	var logs testutil.SyncBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s, err = Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := listIDs(t, s), sorted(ids[2], old.ID); !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	checkContent(t, s, ids[2], "", body(2, 5000))
	checkContent(t, s, old.ID, "", body(9, 5000))
	if c, _ := s.Dropped(); c != 1 {
		t.Errorf("Dropped() corrupt at Open = %d, want 1", c)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "qid="+ids[1]) {
		t.Errorf("no WARN naming %s:\n%s", ids[1], logs.String())
	}
	if got := dirNames(t, filepath.Join(dir, corruptDir)); !slices.Equal(got, sorted(ids[0], ids[1])) {
		t.Errorf("corrupt/ = %v, want %v", got, sorted(ids[0], ids[1]))
	}
}

// TestRecordChecksumOnRead damages a record after Open: a damaged body
// fails the read at its end with ErrCorrupt, a damaged header fails Open;
// either way the entry is dropped, counted, copied to corrupt/ and wiped
// from its segment.
func TestRecordChecksumOnRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		at   int64 // offset in the record of the byte overwritten
	}{{"body", recHdrLen + 1000}, {"header", 9}} {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := openSpool(t, Options{})
			keep := commit(t, s, body(1, 2000), Meta{Rcpt: "a@b.example"})
			bad := commit(t, s, body(2, 2000), Meta{Rcpt: "secret@rcpt.example"})
			s.mu.Lock()
			l := s.index[bad.ID]
			s.mu.Unlock()
			seg := filepath.Join(dir, segDir, l.seg.name())
			f, err := os.OpenFile(seg, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte("X"), l.off+tc.at); err != nil {
				t.Fatal(err)
			}
			f.Close()

			m, err := s.Open(bad.ID)
			if err == nil {
				_, err = io.ReadAll(m)
				m.Close()
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("reading a damaged record: %v, want ErrCorrupt", err)
			}
			if got := listIDs(t, s); !slices.Equal(got, []string{keep.ID}) {
				t.Errorf("List = %v, want [%s]", got, keep.ID)
			}
			if _, err := s.Open(bad.ID); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open once the damage was found: %v, want fs.ErrNotExist", err)
			}
			if c, _ := s.Dropped(); c != 1 {
				t.Errorf("Dropped() corrupt = %d, want 1", c)
			}
			if got := dirNames(t, filepath.Join(dir, corruptDir)); len(got) != 1 {
				t.Errorf("corrupt/ = %v, want the record", got)
			}
			b, _ := os.ReadFile(seg)
			if bytes.Contains(b, []byte("secret@rcpt.example")) {
				t.Error("the dropped record is still in its segment")
			}
			checkContent(t, s, keep.ID, "", body(1, 2000))
			s = reopen(t, s, dir, Options{})
			if c, tr := s.Dropped(); c+tr != 0 {
				t.Errorf("after reopen Dropped() = %d, %d", c, tr)
			}
		})
	}
}

// TestManifestDamaged checks that a manifest that cannot be believed is
// logged and ignored: no entry is dropped because of it.
func TestManifestDamaged(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{SegmentMax: 4 << 10})
	var ids []string
	for i := range 10 {
		ids = append(ids, commit(t, s, body(i, 1500), Meta{Rcpt: "a@b.example"}).ID)
	}
	s.Close()
	p := filepath.Join(dir, manifestName)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseManifest(b); err != nil {
		t.Fatalf("manifest as written: %v\n%s", err, b)
	}
	b[len(manifestHeader)+3] ^= 0x01
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs testutil.SyncBuffer
	s, err = Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := listIDs(t, s); !slices.Equal(got, sorted(ids...)) {
		t.Errorf("List = %v, want %v", got, sorted(ids...))
	}
	if c, tr := s.Dropped(); c+tr != 0 || !strings.Contains(logs.String(), "manifest unreadable") {
		t.Errorf("Dropped() = %d, %d; log:\n%s", c, tr, logs.String())
	}
}

func TestParseManifest(t *testing.T) {
	t.Parallel()
	valid := func(body string) []byte {
		return fmt.Appendf(nil, "%scrc32c %08x\n", body, crc32.Checksum([]byte(body), castagnoli))
	}
	good := valid(manifestHeader + "\n0000000000000001 closed 100 3 1\n0000000000000002 open\n")
	m, err := parseManifest(good)
	if err != nil {
		t.Fatal(err)
	}
	if want := (map[uint64]segState{1: {closed: true, size: 100, nrec: 3, lost: 1}, 2: {}}); !maps.Equal(m, want) {
		t.Errorf("parsed %+v, want %+v", m, want)
	}
	for _, bad := range [][]byte{
		nil,
		[]byte(manifestHeader + "\n"),
		good[:len(good)-1],
		valid("leak-spool-manifest 2\n"),
		valid(manifestHeader + "\n0000000000000001 closed 100 3\n"),
		valid(manifestHeader + "\n0000000000000001 closed -1 3 0\n"),
		valid(manifestHeader + "\nxyz open\n"),
		valid(manifestHeader + "\n\n"),
	} {
		if _, err := parseManifest(bad); !errors.Is(err, errManifest) {
			t.Errorf("%q: %v, want errManifest", bad, err)
		}
	}
}
