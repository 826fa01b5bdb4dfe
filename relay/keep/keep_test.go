package keep

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable Options.Now, safe against the background sweeper.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(s string) *clock {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &clock{t: t}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(s string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func testOptions(t *testing.T, c *clock) Options {
	o := DefaultOptions()
	o.Dir = filepath.Join(t.TempDir(), "kept")
	o.Now = c.Now
	return o
}

func open(t *testing.T, o Options) *Store {
	t.Helper()
	s, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func id(i int) string { return fmt.Sprintf("%032x", i) }

func put(t *testing.T, s *Store, i int, body string) {
	t.Helper()
	if err := s.Put(id(i), strings.NewReader(body)); err != nil {
		t.Fatalf("Put %d: %v", i, err)
	}
}

// mustGet checks that copy i reads back as want, whole.
func mustGet(t *testing.T, s *Store, i int, want string) {
	t.Helper()
	got, trunc, err := s.Get(id(i))
	if err != nil {
		t.Fatalf("Get %d: %v", i, err)
	}
	if string(got) != want || trunc {
		t.Fatalf("Get %d = %q, truncated %v; want %q, false", i, got, trunc, want)
	}
}

func mustMiss(t *testing.T, s *Store, i int) {
	t.Helper()
	if got, _, err := s.Get(id(i)); !errors.Is(err, ErrNotKept) {
		t.Fatalf("Get %d = %q, %v; want ErrNotKept", i, got, err)
	}
}

// listing returns the names in dir.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestPutGet(t *testing.T) {
	c := newClock("2026-12-05T13:10:00Z")
	o := testOptions(t, c)
	s := open(t, o)
	msg := "DKIM-Signature: v=1; a=rsa-sha256\r\nSubject: hi\r\n\r\nthe clean copy\r\n"
	put(t, s, 1, msg)
	put(t, s, 2, "")
	mustGet(t, s, 1, msg)
	mustGet(t, s, 2, "")

	// A second Put of an id replaces the first.
	put(t, s, 1, "again")
	mustGet(t, s, 1, "again")

	if got := listing(t, o.Dir); !slices.Equal(got, []string{"2026120513.kept"}) {
		t.Errorf("directory holds %q, want the one hour file", got)
	}
	for path, want := range map[string]os.FileMode{o.Dir: 0o700, filepath.Join(o.Dir, "2026120513.kept"): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
}

func TestNotKept(t *testing.T) {
	s := open(t, testOptions(t, newClock("2026-12-05T13:10:00Z")))
	put(t, s, 1, "x")
	mustMiss(t, s, 2)

	for _, bad := range []string{"", "abc", strings.Repeat("A", 32), strings.Repeat("g", 32), "../../../../etc/passwd0000000000", strings.Repeat("0", 33)} {
		if _, _, err := s.Get(bad); err == nil || errors.Is(err, ErrNotKept) {
			t.Errorf("Get(%q) = %v, want an id error", bad, err)
		}
		if err := s.Put(bad, strings.NewReader("x")); err == nil {
			t.Errorf("Put(%q) accepted", bad)
		}
	}
}

// TestExpiry: a copy of hour H is readable until H+1h+Keep, and its file
// leaves the disk at the first sweep from then on.
func TestExpiry(t *testing.T) {
	c := newClock("2026-12-05T13:10:00Z")
	o := testOptions(t, c)
	o.Keep = 2 * time.Hour
	s := open(t, o)

	put(t, s, 1, "thirteen")
	c.Set("2026-12-05T14:59:00Z")
	put(t, s, 2, "fourteen")
	if got, want := listing(t, o.Dir), []string{"2026120513.kept", "2026120514.kept"}; !slices.Equal(got, want) {
		t.Fatalf("directory holds %q, want %q", got, want)
	}

	c.Set("2026-12-05T15:59:59Z")
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, 1, "thirteen")
	if got := listing(t, o.Dir); len(got) != 2 {
		t.Fatalf("a sweep before 16:00 removed files: %q", got)
	}

	// 13:00 + 1h + 2h: hour 13 has expired. Get says so before any sweep.
	c.Set("2026-12-05T16:00:00Z")
	mustMiss(t, s, 1)
	mustGet(t, s, 2, "fourteen")
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if got, want := listing(t, o.Dir), []string{"2026120514.kept"}; !slices.Equal(got, want) {
		t.Fatalf("after the 16:00 sweep the directory holds %q, want %q", got, want)
	}

	// Across midnight: a Put in a new hour sweeps without being asked.
	c.Set("2026-12-06T00:30:00Z")
	put(t, s, 3, "midnight")
	if got, want := listing(t, o.Dir), []string{"2026120600.kept"}; !slices.Equal(got, want) {
		t.Fatalf("after a Put at 00:30 the directory holds %q, want %q", got, want)
	}
	mustMiss(t, s, 2)
	mustGet(t, s, 3, "midnight")

	// Open removes what expired while the store was closed.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c.Set("2026-12-06T03:00:00Z")
	s = open(t, o)
	mustMiss(t, s, 3)
	if got := listing(t, o.Dir); len(got) != 0 {
		t.Fatalf("Open left expired files: %q", got)
	}
}

// TestMaxBytes: over the budget, the oldest hour goes first; the current
// hour alone filling it refuses further copies.
func TestMaxBytes(t *testing.T) {
	c := newClock("2026-12-05T10:00:00Z")
	o := testOptions(t, c)
	body := strings.Repeat("b", 100)
	rec := int64(hdrLen + len(body))
	o.MaxBytes = 3 * rec
	o.MaxCopy = 100
	s := open(t, o)

	for i, at := range []string{"2026-12-05T10:00:00Z", "2026-12-05T11:00:00Z", "2026-12-05T12:00:00Z"} {
		c.Set(at)
		put(t, s, i, body)
	}
	c.Set("2026-12-05T13:00:00Z")
	put(t, s, 3, body)
	if got, want := listing(t, o.Dir), []string{"2026120511.kept", "2026120512.kept", "2026120513.kept"}; !slices.Equal(got, want) {
		t.Fatalf("directory holds %q, want %q", got, want)
	}
	mustMiss(t, s, 0)
	for i := 1; i <= 3; i++ {
		mustGet(t, s, i, body)
	}

	// Two more in hour 13 push out hours 11 and 12; a third does not fit
	// beside this hour's own copies.
	put(t, s, 4, body)
	put(t, s, 5, body)
	if err := s.Put(id(6), strings.NewReader(body)); !errors.Is(err, ErrFull) {
		t.Fatalf("Put over a full hour: %v, want ErrFull", err)
	}
	if got, want := listing(t, o.Dir), []string{"2026120513.kept"}; !slices.Equal(got, want) {
		t.Fatalf("directory holds %q, want %q", got, want)
	}
	mustMiss(t, s, 6)
	mustGet(t, s, 5, body)

	// The next hour has room again: hour 13 goes.
	c.Set("2026-12-05T14:00:00Z")
	put(t, s, 6, body)
	mustGet(t, s, 6, body)
	mustMiss(t, s, 5)

	// Reopened with a smaller budget, Open enforces it: hour 14 goes.
	c.Set("2026-12-05T15:00:00Z")
	put(t, s, 7, body)
	s.Close()
	o.MaxBytes = rec + 10
	s = open(t, o)
	if got, want := listing(t, o.Dir), []string{"2026120515.kept"}; !slices.Equal(got, want) {
		t.Fatalf("after Open with a smaller budget the directory holds %q, want %q", got, want)
	}
	mustMiss(t, s, 6)
	mustGet(t, s, 7, body)
}

func TestReopen(t *testing.T) {
	c := newClock("2026-12-05T22:30:00Z")
	o := testOptions(t, c)
	s := open(t, o)
	want := map[int]string{}
	for i := range 20 {
		if i == 10 {
			c.Set("2026-12-05T23:30:00Z")
		}
		want[i] = fmt.Sprintf("copy %d %s", i, strings.Repeat("x", i*37))
		put(t, s, i, want[i])
	}
	put(t, s, 3, "replaced in a later hour")
	want[3] = "replaced in a later hour"
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(id(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}

	s = open(t, o)
	for i, w := range want {
		mustGet(t, s, i, w)
	}
	// Appends after a reopen go after the records found.
	put(t, s, 100, "after reopen")
	s.Close()
	s = open(t, o)
	mustGet(t, s, 100, "after reopen")
	mustGet(t, s, 19, want[19])
}

// TestTorn: a record cut short by a crash is ignored and truncated away,
// and the file takes new records after it.
func TestTorn(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  int64 // bytes removed from the end of the last record
	}{
		{"in the body", 3},
		{"in the header", 20 + 5},
		{"one byte of header left", 20 + hdrLen - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock("2026-12-05T13:10:00Z")
			o := testOptions(t, c)
			s := open(t, o)
			put(t, s, 1, "first")
			put(t, s, 2, strings.Repeat("2", 20))
			s.Close()

			path := filepath.Join(o.Dir, "2026120513.kept")
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, st.Size()-tc.cut); err != nil {
				t.Fatal(err)
			}

			s = open(t, o)
			mustGet(t, s, 1, "first")
			mustMiss(t, s, 2)
			st, err = os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(hdrLen + len("first")); st.Size() != want {
				t.Errorf("after Open the file is %d bytes, want %d (the torn record cut)", st.Size(), want)
			}
			put(t, s, 3, "third")
			mustGet(t, s, 3, "third")
			s.Close()
			s = open(t, o)
			mustGet(t, s, 1, "first")
			mustGet(t, s, 3, "third")
		})
	}
}

// TestDamaged: a changed byte makes Get fail, never return other bytes.
func TestDamaged(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   int64 // offset in the second record
	}{
		{"body", hdrLen + 4},
		{"body checksum", 29},
		{"flags", 23},
		{"id", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock("2026-12-05T13:10:00Z")
			o := testOptions(t, c)
			s := open(t, o)
			put(t, s, 1, "first")
			put(t, s, 2, "the second copy")

			path := filepath.Join(o.Dir, "2026120513.kept")
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			off := int64(hdrLen+len("first")) + tc.at
			b := make([]byte, 1)
			if _, err := f.ReadAt(b, off); err != nil {
				t.Fatal(err)
			}
			b[0] ^= 0x20
			if _, err := f.WriteAt(b, off); err != nil {
				t.Fatal(err)
			}
			f.Close()

			got, _, err := s.Get(id(2))
			if !errors.Is(err, ErrDamaged) || got != nil {
				t.Fatalf("Get of a damaged copy = %q, %v; want nil, ErrDamaged", got, err)
			}
			mustGet(t, s, 1, "first")
		})
	}
}

// endless is a copy that never ends; it counts what was read from it.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'e'
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestMaxCopy(t *testing.T) {
	c := newClock("2026-12-05T13:10:00Z")
	o := testOptions(t, c)
	o.MaxCopy = 100
	s := open(t, o)

	for _, tc := range []struct {
		n     int
		trunc bool
	}{{99, false}, {100, false}, {101, true}, {5000, true}} {
		if err := s.Put(id(tc.n), strings.NewReader(strings.Repeat("m", tc.n))); err != nil {
			t.Fatal(err)
		}
		got, trunc, err := s.Get(id(tc.n))
		if err != nil {
			t.Fatal(err)
		}
		if want := min(tc.n, 100); len(got) != want || trunc != tc.trunc {
			t.Errorf("a copy of %d bytes read back as %d bytes, truncated %v; want %d, %v", tc.n, len(got), trunc, want, tc.trunc)
		}
	}

	e := &endless{}
	if err := s.Put(id(1), e); err != nil {
		t.Fatal(err)
	}
	if _, trunc, err := s.Get(id(1)); err != nil || !trunc {
		t.Fatalf("Get of an endless copy: truncated %v, %v", trunc, err)
	}
	// bytes.Buffer reads in chunks of at least 512 bytes; what matters is
	// that Put stopped.
	if e.n > 101 {
		t.Errorf("Put read %d bytes of an endless copy, want at most MaxCopy+1", e.n)
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("disk gone") }

func TestPutReadError(t *testing.T) {
	s := open(t, testOptions(t, newClock("2026-12-05T13:10:00Z")))
	r := io.MultiReader(strings.NewReader("half a copy"), failing{})
	if err := s.Put(id(1), r); err == nil {
		t.Fatal("Put of a failing reader succeeded")
	}
	mustMiss(t, s, 1)
	put(t, s, 2, "whole")
	mustGet(t, s, 2, "whole")
}

func TestConcurrentPuts(t *testing.T) {
	c := newClock("2026-12-05T13:10:00Z")
	o := testOptions(t, c)
	s := open(t, o)
	const writers, each = 8, 50
	body := func(i int) string { return fmt.Sprintf("%d:%s", i, strings.Repeat("c", i%300)) }
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for j := range each {
				i := w*each + j
				if err := s.Put(id(i), strings.NewReader(body(i))); err != nil {
					errs <- err
				}
				if _, _, err := s.Get(id(i)); err != nil {
					errs <- err
				}
			}
		})
	}
	// A sweep running alongside must not disturb them.
	wg.Go(func() {
		for range each {
			if err := s.Sweep(); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	check := func() {
		for i := range writers * each {
			mustGet(t, s, i, body(i))
		}
	}
	check()
	s.Close()
	s = open(t, o)
	check()
}

func TestKeepZero(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "2026120512.kept")
	other := filepath.Join(dir, "notes.txt")
	for _, p := range []string{old, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, Options{Dir: dir, Keep: 0, Now: newClock("2026-12-05T13:10:00Z").Now})
	if err := s.Put(id(1), strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, s, 1)
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if got, want := listing(t, dir), []string{"notes.txt"}; !slices.Equal(got, want) {
		t.Fatalf("with Keep 0 the directory holds %q, want %q", got, want)
	}

	// Keep 0 creates no directory.
	missing := filepath.Join(dir, "kept")
	s2 := open(t, Options{Dir: missing})
	if err := s2.Put(id(1), strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("Keep 0 made %s: %v", missing, err)
	}
}

func TestValidate(t *testing.T) {
	ok := DefaultOptions()
	ok.Dir = "/tmp/kept"
	for _, tc := range []struct {
		name  string
		edit  func(*Options)
		field string // in the error; "" for none
	}{
		{"defaults with a dir", func(*Options) {}, ""},
		{"keep nothing needs nothing", func(o *Options) { *o = Options{} }, ""},
		{"negative keep", func(o *Options) { o.Keep = -time.Hour }, "Keep"},
		{"no dir", func(o *Options) { o.Dir = "" }, "Dir"},
		{"zero max copy", func(o *Options) { o.MaxCopy = 0 }, "MaxCopy"},
		{"huge max copy", func(o *Options) { o.MaxCopy = 1 << 40 }, "MaxCopy"},
		{"budget below one copy", func(o *Options) { o.MaxBytes = o.MaxCopy }, "MaxBytes"},
	} {
		o := ok
		tc.edit(&o)
		err := o.Validate()
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (err == nil || !strings.Contains(err.Error(), "Options."+tc.field)):
			t.Errorf("%s: %v, want an error naming Options.%s", tc.name, err, tc.field)
		}
		if tc.field != "" {
			if _, err := Open(o); err == nil {
				t.Errorf("%s: Open accepted it", tc.name)
			}
		}
	}
}

func TestOddFilesLeftAlone(t *testing.T) {
	c := newClock("2026-12-05T13:10:00Z")
	o := testOptions(t, c)
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"README", "2026120599.kept", "2026120513.kept.tmp"} {
		if err := os.WriteFile(filepath.Join(o.Dir, name), []byte("not mine"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, o)
	put(t, s, 1, "x")
	c.Set("2027-01-01T00:00:00Z")
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if got, want := listing(t, o.Dir), []string{"2026120513.kept.tmp", "2026120599.kept", "README"}; !slices.Equal(got, want) {
		t.Fatalf("directory holds %q, want %q", got, want)
	}
	if st, err := os.Stat(o.Dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("Open left the directory open to others: %v %v", st.Mode(), err)
	}
}

func FuzzOpen(f *testing.F) {
	var b bytes.Buffer
	for i, body := range []string{"first", "", strings.Repeat("z", 300)} {
		k, _ := parseID(id(i))
		rec := make([]byte, hdrLen+len(body))
		copy(rec[hdrLen:], body)
		sealHeader(rec, k, uint32(i%2))
		b.Write(rec)
		f.Add(bytes.Clone(b.Bytes()))
	}
	f.Add([]byte("KPT1"))
	f.Fuzz(func(t *testing.T, file []byte) {
		c := newClock("2026-12-05T13:10:00Z")
		o := testOptions(t, c)
		if err := os.MkdirAll(o.Dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(o.Dir, "2026120513.kept"), file, 0o600); err != nil {
			t.Fatal(err)
		}
		s := open(t, o)
		for k := range s.index {
			data, _, err := s.Get(k.String())
			if err == nil && !bytes.Contains(file, data) {
				t.Fatalf("Get %s returned bytes that are not in the file", k)
			}
		}
		put(t, s, 7, "after")
		mustGet(t, s, 7, "after")
		s.Close()
		s = open(t, o)
		mustGet(t, s, 7, "after")
	})
}
