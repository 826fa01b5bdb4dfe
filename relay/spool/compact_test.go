package spool

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leak/policy/testutil"
)

// liveBytes sums the bytes of the live records, headers included.
func liveBytes(s *Spool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, l := range s.index {
		n += l.len()
	}
	return n
}

// holdCompaction keeps the compactor idle until release is called, so that
// a test can set up segments before any is compacted.
func holdCompaction(s *Spool) (release func()) {
	s.mu.Lock()
	s.compactAfter = time.Now().Add(time.Hour)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.compactAfter = time.Time{}
		s.mu.Unlock()
	}
}

// TestCompactionSoak is the soak that found the spool growing without
// bound: many writers commit, 1% of the copies stay (deferred), the rest
// are removed at once. With compaction the spool's size must stay within
// a small multiple of the live bytes plus a few segments, at every
// checkpoint; without it, it grows with the segments the kept copies pin.
// The figures are logged for the notes.
func TestCompactionSoak(t *testing.T) {
	t.Parallel()
	const (
		segMax    = 64 << 10
		size      = 1000
		writers   = 8
		rounds    = 8
		perRound  = 125 // per writer
		keepEvery = 100
	)
	type result struct {
		queued, live, disk int64
		segs, kept         int
	}
	run := func(t *testing.T, compactBelow float64) result {
		s, dir := openSpool(t, Options{SegmentMax: segMax, CompactBelow: compactBelow})
		var mu sync.Mutex
		kept := map[string]int{}
		var queued int64
		for round := range rounds {
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range perRound {
						n := (round*writers+w)*perRound + i
						m := commit(t, s, body(n, size), Meta{Rcpt: "a@b.example"})
						if n%keepEvery == 0 {
							mu.Lock()
							kept[m.ID] = n
							queued += m.Size
							mu.Unlock()
						} else if err := s.Remove(m.ID); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			s.compactNow()
			if compactBelow < 0 {
				continue
			}
			if live, got := liveBytes(s), s.Size(); got > 4*live+3*segMax {
				t.Errorf("round %d: %d bytes on disk for %d live bytes, over 4×live + 3 segments", round, got, live)
			}
		}
		r := result{queued: queued, live: liveBytes(s), disk: s.Size(), segs: len(segFiles(t, dir, segExt)), kept: len(kept)}
		if got := diskBytes(t, dir); got != r.disk {
			t.Errorf("Size() = %d, files take %d", r.disk, got)
		}
		s = reopen(t, s, dir, Options{SegmentMax: segMax})
		if got := listIDs(t, s); !slices.Equal(got, sorted(slices.Collect(maps.Keys(kept))...)) {
			t.Errorf("after reopen %d entries listed, want the %d kept", len(got), len(kept))
		}
		for id, n := range kept {
			checkContent(t, s, id, "", body(n, size))
		}
		if c, tr := s.Dropped(); c+tr != 0 {
			t.Errorf("Dropped() = %d, %d", c, tr)
		}
		return r
	}
	var with, without result
	t.Run("compaction", func(t *testing.T) { with = run(t, 0) })
	t.Run("no compaction", func(t *testing.T) { without = run(t, -1) })
	total := writers * rounds * perRound
	t.Logf("%d copies of %d bytes committed, %d kept (1%%): %d bytes queued, %d live record bytes",
		total, size, with.kept, with.queued, with.live)
	t.Logf("  with compaction:    %8d bytes on disk in %3d segments (%.1f× the bytes queued)",
		with.disk, with.segs, float64(with.disk)/float64(with.queued))
	t.Logf("  without compaction: %8d bytes on disk in %3d segments (%.1f× the bytes queued)",
		without.disk, without.segs, float64(without.disk)/float64(without.queued))
	if without.disk < 2*with.disk {
		t.Errorf("without compaction %d bytes, with %d: the soak does not show the growth", without.disk, with.disk)
	}
}

// fillSegments commits n entries of 1000 bytes over several segments of s
// and returns their ids, and those of the first segment's entries.
func fillSegments(t *testing.T, s *Spool, n int, rcpt string) (ids []string, first []string) {
	t.Helper()
	for i := range n {
		ids = append(ids, commit(t, s, body(i, 1000), Meta{Rcpt: rcpt}).ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seg := s.index[ids[0]].seg
	for _, id := range ids {
		if s.index[id].seg == seg {
			first = append(first, id)
		}
	}
	return ids, first
}

// TestCompactionKeepsReaders compacts a segment while a Message reads one
// of its records: the Message reads on, whole, and the segment is deleted
// only when it is closed.
func TestCompactionKeepsReaders(t *testing.T) {
	t.Parallel()
	s, dir := openSpool(t, Options{SegmentMax: 16 << 10})
	ids, first := fillSegments(t, s, 40, "a@b.example")
	keep := first[2]
	s.mu.Lock()
	old := s.index[keep].seg
	s.mu.Unlock()
	oldPath := filepath.Join(dir, segDir, old.name())

	m, err := s.Open(keep)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 100)
	if _, err := io.ReadFull(m, head); err != nil {
		t.Fatal(err)
	}
	for _, id := range first {
		if id != keep {
			if err := s.Remove(id); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.compactNow()
	s.mu.Lock()
	moved := s.index[keep].seg != old
	s.mu.Unlock()
	if !moved {
		t.Fatal("the entry was not compacted out of its segment")
	}
	if _, err := os.Stat(oldPath); err != nil {
		t.Fatalf("compacted segment deleted while a Message reads it: %v", err)
	}
	rest, err := io.ReadAll(m)
	i := slices.Index(ids, keep)
	if err != nil || !bytes.Equal(append(head, rest...), body(i, 1000)) {
		t.Errorf("Message read across the compaction: %d bytes, %v", len(head)+len(rest), err)
	}
	m.Close()
	s.compactNow()
	if _, err := os.Stat(oldPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("compacted segment kept after its last reader closed: %v", err)
	}
	checkContent(t, s, keep, "", body(i, 1000))
	s = reopen(t, s, dir, Options{})
	checkContent(t, s, keep, "", body(i, 1000))
	if c, tr := s.Dropped(); c+tr != 0 {
		t.Errorf("Dropped() = %d, %d", c, tr)
	}
}

// TestCompactionRemoveRace removes an entry while its copy is being
// written: the copy must end up removed too, and wiped, and stay removed
// after a restart.
func TestCompactionRemoveRace(t *testing.T) {
	t.Parallel()
	var victim atomic.Value
	var s *Spool
	var once sync.Once
	dir := filepath.Join(t.TempDir(), "spool")
	opts := Options{SegmentMax: 16 << 10, hook: func(step string) {
		if id, _ := victim.Load().(string); step == "compact-written" && id != "" {
			once.Do(func() {
				if err := s.Remove(id); err != nil {
					t.Error(err)
				}
			})
		}
	}}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	release := holdCompaction(s)
	_, first := fillSegments(t, s, 40, "a@b.example")
	// The victim is one of the first segment's entries, which stay.
	victim.Store(first[0])
	for _, id := range first[2:] {
		if err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	release()
	s.compactNow()
	if _, err := s.Open(first[0]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of the entry removed during its compaction: %v", err)
	}
	checkContent(t, s, first[1], "", body(1, 1000))
	s.Close()
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(first[0]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after reopen, Open of the entry removed during its compaction: %v", err)
	}
	// Its bytes are gone from every segment: both copies were wiped.
	needle := body(0, 1000)[:200]
	for _, name := range segFiles(t, dir, segExt) {
		b, _ := os.ReadFile(filepath.Join(dir, segDir, name))
		if bytes.Contains(b, needle) {
			t.Errorf("%s still holds the removed entry", name)
		}
	}
}

// TestCompactionCrashSteps copies the spool's files at every step of a
// compaction, as a crash there would leave them, and opens each copy:
// every live entry must be there, once, intact, and nothing counted lost.
// Some copies are also damaged as a power loss could: the tail of the
// copies torn, the removal marks of the originals lost.
func TestCompactionCrashSteps(t *testing.T) {
	t.Parallel()
	type snapshot struct{ step, dir string }
	var (
		mu    sync.Mutex
		snaps []snapshot
		armed atomic.Bool
	)
	base := t.TempDir()
	dir := filepath.Join(base, "spool")
	opts := Options{SegmentMax: 16 << 10, hook: func(step string) {
		if !armed.Load() {
			return
		}
		mu.Lock()
		d := filepath.Join(base, "snap", step, strconv.Itoa(len(snaps)))
		snaps = append(snaps, snapshot{step, d})
		mu.Unlock()
		if err := copyFiles(dir, d); err != nil {
			t.Error(err)
		}
	}}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := holdCompaction(s)
	ids, _ := fillSegments(t, s, 60, "secret@rcpt.example")
	// Keep every seventh entry: every segment but the active one is then
	// worth compacting.
	want := map[string]int{}
	origins := map[string]loc{}
	for i, id := range ids {
		if i%7 == 0 {
			want[id] = i
			continue
		}
		if err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	for id := range want {
		origins[id] = s.index[id]
	}
	s.mu.Unlock()
	armed.Store(true)
	release()
	s.compactNow()
	armed.Store(false)

	steps := map[string]int{}
	for _, sn := range snaps {
		steps[sn.step]++
	}
	for _, step := range []string{"compact-written", "compact-synced", "compact-indexed", "compact-wiped", "segment-forgotten", "segment-deleted"} {
		if steps[step] == 0 {
			t.Errorf("no snapshot at %s (got %v)", step, steps)
		}
	}

	// reviveOrigins undoes the removal marks of the original records, as
	// a power loss before they were synced can.
	reviveOrigins := func(d string) {
		for _, l := range origins {
			p := filepath.Join(d, segDir, l.seg.name())
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt([]byte{recMagic[deadAt]}, l.off+deadAt)
			f.Close()
		}
	}
	// tearCopies cuts the last segment (where the copies go) in the
	// middle of its last record.
	tearCopies := func(d string) {
		segs := segFiles(t, d, segExt)
		p := filepath.Join(d, segDir, segs[len(segs)-1])
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		os.Truncate(p, fi.Size()-500)
	}
	variants := []struct {
		name  string
		steps []string
		harm  func(string)
	}{
		{"as left", nil, func(string) {}},
		{"copies torn", []string{"compact-written"}, tearCopies},
		{"removal marks lost", []string{"compact-indexed", "compact-wiped"}, reviveOrigins},
	}
	for _, sn := range snaps {
		for _, v := range variants {
			if v.steps != nil && !slices.Contains(v.steps, sn.step) {
				continue
			}
			t.Run(sn.step+"/"+filepath.Base(sn.dir)+"/"+v.name, func(t *testing.T) {
				d := filepath.Join(t.TempDir(), "spool")
				copyDir(t, sn.dir, d)
				v.harm(d)
				var logs testutil.SyncBuffer
				s, err := Open(d, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if got := listIDs(t, s); !slices.Equal(got, sorted(slices.Collect(maps.Keys(want))...)) {
					t.Errorf("List = %d entries, want the %d kept:\n%s", len(got), len(want), logs.String())
				}
				for id, i := range want {
					checkContent(t, s, id, "", body(i, 1000))
				}
				if c, tr := s.Dropped(); c+tr != 0 {
					t.Errorf("Dropped() = %d, %d:\n%s", c, tr, logs.String())
				}
				if got := dirNames(t, filepath.Join(d, corruptDir)); len(got) != 0 {
					t.Errorf("corrupt/ = %v", got)
				}
			})
		}
	}
	t.Logf("%d snapshots: %v", len(snaps), steps)
}

// TestOldFormat opens a spool as the previous version left it: a format 1
// segment, an entry file without a checksum, no manifest. Its entries are
// read, removed and compacted into format 2 like any other.
func TestOldFormat(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "spool")
	for _, d := range []string{segDir, queueDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	seg := []byte(segMagicV1)
	var ids []string
	for i := range 40 {
		id := validIDs[0][:24] + string("0123456789abcdef"[i/16]) + string("0123456789abcdef"[i%16]) + "000000"
		js, err := encodeMeta(Meta{ID: id, Rcpt: "a@b.example", Created: time.Unix(1_800_000_000, 0)}, bodySum{})
		if err != nil {
			t.Fatal(err)
		}
		rec := append(make([]byte, recHdrLenV1), body(i, 1000)...)
		rec = append(rec, js...)
		sealRecordV1(rec, 1000)
		seg = append(seg, rec...)
		ids = append(ids, id)
	}
	if err := os.WriteFile(filepath.Join(dir, segDir, segName(3, segExt)), seg, 0o600); err != nil {
		t.Fatal(err)
	}
	fileID := "ffffffffffffffffffffffffffffffff"
	file, err := appendTrailer(body(99, 5000), Meta{ID: fileID, Rcpt: "a@b.example"}, bodySum{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, queueDir, fileID), file, 0o600); err != nil {
		t.Fatal(err)
	}

	opts := Options{SegmentMax: 16 << 10}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	if got := listIDs(t, s); !slices.Equal(got, sorted(append(slices.Clone(ids), fileID)...)) {
		t.Fatalf("List = %v", got)
	}
	for i, id := range ids {
		checkContent(t, s, id, "", body(i, 1000))
	}
	checkContent(t, s, fileID, "", body(99, 5000))
	// Remove most: the old segment is compacted into a new one.
	for _, id := range ids[3:] {
		if err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	s.compactNow()
	if got := segFiles(t, dir, segExt); slices.Contains(got, segName(3, segExt)) {
		t.Errorf("the format 1 segment is still there after compaction: %v", got)
	}
	s = reopen(t, s, dir, opts)
	for i, id := range ids[:3] {
		checkContent(t, s, id, "", body(i, 1000))
	}
	if c, tr := s.Dropped(); c+tr != 0 {
		t.Errorf("Dropped() = %d, %d", c, tr)
	}
}

// TestSpace checks Size against the files after a mix of operations, and
// that CheckSpace reports ErrFull below the reserve.
func TestSpace(t *testing.T) {
	t.Parallel()
	opts := Options{SegmentMax: 16 << 10, SmallMax: 4 << 10}
	s, dir := openSpool(t, opts)
	var ids []string
	for i := range 60 {
		ids = append(ids, commit(t, s, body(i, 500+i*97%6000), Meta{Rcpt: "a@b.example"}).ID)
	}
	for i, id := range ids {
		if i%5 != 0 {
			if err := s.Remove(id); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.compactNow()
	if got, want := s.Size(), diskBytes(t, dir); got != want {
		t.Errorf("Size() = %d, files take %d", got, want)
	}
	s = reopen(t, s, dir, opts)
	if got, want := s.Size(), diskBytes(t, dir); got != want {
		t.Errorf("after reopen Size() = %d, files take %d", got, want)
	}

	free, err := s.Free()
	if err != nil || free <= 0 {
		t.Fatalf("Free() = %d, %v", free, err)
	}
	if err := s.CheckSpace(); err != nil && !errors.Is(err, ErrFull) {
		t.Errorf("CheckSpace: %v", err)
	}
	for _, tc := range []struct {
		reserve int64
		full    bool
	}{{free * 4, true}, {-1, false}, {1, false}} {
		opts.Reserve = tc.reserve
		s = reopen(t, s, dir, opts)
		if err := s.CheckSpace(); errors.Is(err, ErrFull) != tc.full {
			t.Errorf("Reserve %d: CheckSpace() = %v, want full %v", tc.reserve, err, tc.full)
		}
	}
}
