package keep

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrNotKept is returned by Get for a copy that was never kept, has expired
// or was removed to stay within the budget.
var ErrNotKept = errors.New("keep: no copy kept under this id")

// ErrDamaged is wrapped by the error of a Get whose record fails its
// checksums or cannot be read whole.
var ErrDamaged = errors.New("keep: copy damaged")

// ErrFull is wrapped by the error of a Put refused because the current
// hour's copies alone fill Options.MaxBytes. Delivery is not affected; a
// report about this copy reaches the operator without it.
var ErrFull = errors.New("keep: the disk budget is full with this hour's copies")

// ErrClosed is returned by operations on a closed Store.
var ErrClosed = errors.New("keep: store closed")

// sweepEvery is how often an open Store sweeps on its own.
const sweepEvery = time.Minute

// maxPooled bounds the buffers Put returns to its pool, so that one long
// copy does not stay in memory.
const maxPooled = 256 << 10

// A Store keeps clean copies by id. Its methods are safe for concurrent use.
type Store struct {
	o   Options
	log *slog.Logger

	// mu guards what follows. Put, Sweep and Close take it to write; Get
	// takes it to read, and holds it through its ReadAt so that no sweep
	// closes the file under it.
	mu     sync.RWMutex
	closed bool
	files  map[int64]*hourFile // by the hour's Unix time
	index  map[key]loc
	total  int64 // bytes of all hour files

	bufs     sync.Pool // *bytes.Buffer
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// hourFile is one hour's file, open for reading and appending.
type hourFile struct {
	hour time.Time // its start, UTC
	path string
	f    *os.File
	size int64 // the end of its last whole record; appends go there
	ids  []key // the ids indexed in it, for removal
}

// loc is where a copy's record is.
type loc struct {
	file *hourFile
	off  int64
	n    uint32 // body length
}

// Open validates o, creates o.Dir if needed, removes what has expired and
// indexes the hour files left. With o.Keep 0 it only removes any hour files
// in o.Dir (the directory is not created) and returns a Store that keeps
// nothing.
func Open(o Options) (*Store, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Store{
		o:     o,
		log:   o.Logger,
		files: make(map[int64]*hourFile),
		index: make(map[key]loc),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if o.Keep == 0 {
		if err := removeAll(o.Dir); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err := makeDir(o.Dir); err != nil {
		return nil, err
	}
	if err := s.load(); err != nil {
		s.closeFiles()
		return nil, err
	}
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	go s.sweeper()
	return s, nil
}

// makeDir creates dir 0700, or narrows an existing one to 0700.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keep: create %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("keep: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("keep: %s is not a directory", dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("keep: %s is open to others (%v) and cannot be narrowed to 0700: %w", dir, st.Mode().Perm(), err)
		}
	}
	return nil
}

// Put keeps the copy read from r under id, the copy's spool id. It reads at
// most MaxCopy+1 bytes from r: a longer copy is kept truncated to MaxCopy
// bytes. If r fails, nothing is kept. Put returns before the copy is on
// disk (see the package comment). A second Put of an id replaces the first
// for Get.
func (s *Store) Put(id string, r io.Reader) error {
	k, err := parseID(id)
	if err != nil {
		return err
	}
	if s.o.Keep == 0 {
		return nil
	}

	buf := s.getBuf()
	defer s.putBuf(buf)
	var hdr [hdrLen]byte
	buf.Write(hdr[:])
	n, err := buf.ReadFrom(io.LimitReader(r, s.o.MaxCopy+1))
	if err != nil {
		return fmt.Errorf("keep: read copy %s: %w", k, err)
	}
	var flags uint32
	if n > s.o.MaxCopy {
		buf.Truncate(hdrLen + int(s.o.MaxCopy))
		flags |= flagTruncated
	}
	rec := buf.Bytes()
	sealHeader(rec, k, flags)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	hf, err := s.current(s.o.Now())
	if err != nil {
		return err
	}
	if err := s.makeRoom(int64(len(rec)), hf); err != nil {
		return err
	}
	// WriteAt, not an append: a failed write leaves hf.size where it was,
	// and the next record goes over whatever part of this one was written.
	if _, err := hf.f.WriteAt(rec, hf.size); err != nil {
		return fmt.Errorf("keep: write copy %s to %s: %w", k, hf.path, err)
	}
	s.index[k] = loc{file: hf, off: hf.size, n: uint32(len(rec) - hdrLen)}
	hf.ids = append(hf.ids, k)
	hf.size += int64(len(rec))
	s.total += int64(len(rec))
	return nil
}

// Get returns the copy kept under id, and whether it was truncated to
// MaxCopy bytes. It returns ErrNotKept if there is none or it has expired,
// and an error wrapping ErrDamaged if its record fails its checksums.
func (s *Store) Get(id string) (data []byte, truncated bool, err error) {
	k, err := parseID(id)
	if err != nil {
		return nil, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, false, ErrClosed
	}
	l, ok := s.index[k]
	if !ok || s.expired(l.file.hour, s.o.Now()) {
		return nil, false, ErrNotKept
	}
	rec := make([]byte, hdrLen+int(l.n))
	if _, err := l.file.f.ReadAt(rec, l.off); err != nil {
		return nil, false, fmt.Errorf("%w: %s in %s at %d: %w", ErrDamaged, k, l.file.path, l.off, err)
	}
	h, err := parseHeader(rec)
	if err == nil && (h.id != k || h.n != l.n) {
		err = fmt.Errorf("header names copy %s of %d bytes, the index %s of %d", h.id, h.n, k, l.n)
	}
	if err == nil {
		if got := crc32.Checksum(rec[hdrLen:], castagnoli); got != h.sum {
			err = fmt.Errorf("body checksum %08x, want %08x", got, h.sum)
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s in %s at %d: %w", ErrDamaged, k, l.file.path, l.off, err)
	}
	return rec[hdrLen:], h.flags&flagTruncated != 0, nil
}

// Close stops the background sweep and closes the hour files. The copies
// stay on disk for the next Open.
func (s *Store) Close() error {
	if s.stop != nil {
		s.stopOnce.Do(func() {
			close(s.stop)
			<-s.done
		})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.closeFiles()
}

// closeFiles closes every hour file. It is called with s.mu held, or
// before s is shared.
func (s *Store) closeFiles() error {
	var errs []error
	for _, hf := range s.files {
		if err := hf.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("keep: close %s: %w", hf.path, err))
		}
	}
	return errors.Join(errs...)
}

// current returns the file of now's hour, creating it (and sweeping, as a
// new hour may have expired an old one) if needed. s.mu is held.
func (s *Store) current(now time.Time) (*hourFile, error) {
	hour := now.UTC().Truncate(time.Hour)
	if hf := s.files[hour.Unix()]; hf != nil {
		return hf, nil
	}
	if err := s.sweepLocked(now); err != nil {
		s.log.Error("keep: sweep", "err", err)
	}
	path := filepath.Join(s.o.Dir, hour.Format(hourLayout)+fileExt)
	// O_EXCL: a file of this hour that is not in s.files was not indexed,
	// and appending at offset 0 would overwrite it.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keep: create %s: %w", path, err)
	}
	hf := &hourFile{hour: hour, path: path, f: f}
	s.files[hour.Unix()] = hf
	return hf, nil
}

func (s *Store) getBuf() *bytes.Buffer {
	if b, ok := s.bufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (s *Store) putBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooled {
		s.bufs.Put(b)
	}
}

// sweeper sweeps every sweepEvery until Close.
func (s *Store) sweeper() {
	defer close(s.done)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.Sweep(); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Error("keep: sweep", "err", err)
			}
		}
	}
}

// removeAll removes the hour files in dir, if it exists: what Open does
// when Keep is 0.
func removeAll(dir string) error {
	if dir == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("keep: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if _, ok := parseName(e.Name()); ok {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, fmt.Errorf("keep: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}
