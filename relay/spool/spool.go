package spool

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Directory names inside the spool directory.
const (
	tmpDir     = "tmp"
	queueDir   = "q"
	segDir     = "seg"
	corruptDir = "corrupt"
)

const (
	// defaultMaxBatch bounds how many commits share one fdatasync.
	defaultMaxBatch = 256
	// defaultSmallMax and maxSmallMax bound the entries kept in memory
	// until Commit. A record's lengths are uint32.
	defaultSmallMax = 256 << 10
	maxSmallMax     = 64 << 20
	// defaultSegmentMax is where the active segment is closed to appends.
	defaultSegmentMax = 64 << 20
	// bufSize is the write buffer of a spilled Writer.
	bufSize = 64 << 10
	// segBufSize is the committer's write buffer and the read buffer of a
	// segment scan: one write(2) takes a whole batch of small records.
	segBufSize = 1 << 20
	// recBufSize is the initial capacity of a small entry's buffer.
	recBufSize = 32 << 10
	// removeSync is how often removals are made durable.
	removeSync = time.Second
)

// ErrClosed is returned by operations on a closed Spool.
var ErrClosed = errors.New("spool: closed")

// Options tune a Spool. The zero value is usable.
type Options struct {
	// MaxBatch is the largest number of commits sharing one fdatasync.
	// Default 256.
	MaxBatch int

	// OnCommit, if set, is called by the committer after each batch with
	// the number of commits in it and the time the batch took (the
	// segment write and fdatasync, the renames of entry files and the
	// directory fsync). It runs on the committer goroutine: it must be
	// quick (a metrics observation).
	OnCommit func(batch int, d time.Duration)

	// Logger receives the few events the spool logs (corrupt entries, by
	// id). Default slog.Default().
	Logger *slog.Logger

	// SmallMax is the largest entry, in message bytes, that is kept in
	// memory until Commit and stored as a segment record; a larger one
	// gets a file of its own. Default 256 KiB, at most 64 MiB. A negative
	// value gives every entry a file.
	SmallMax int

	// SegmentMax is the size at which the active segment is closed and
	// the next batch starts a new one. Default 64 MiB.
	SegmentMax int64
}

// Spool holds committed messages. Its methods are safe for concurrent use.
type Spool struct {
	dir  string
	tmp  string
	q    string
	seg  string
	opts Options
	log  *slog.Logger

	reqs chan *commitReq // unbuffered: see committer
	quit chan struct{}   // closed by Close
	done chan struct{}   // closed when the committer has returned

	closeOnce sync.Once
	closeErr  error

	bufs sync.Pool // *bufio.Writer of spilled Writers, so one costs no 64 KiB allocation
	recs sync.Pool // *[]byte record buffers of small entries

	// Owned by the committer goroutine.
	active  *segment // nil until the first small commit, and after an error
	nextSeq uint64
	segw    *bufio.Writer
	small   []*commitReq
	files   []*commitReq

	mu         sync.Mutex
	index      map[string]loc      // live segment records
	segs       map[uint64]*segment // segments not yet deleted
	opens      map[string]int      // open Messages, by record id
	wipeLater  map[string]loc      // removed records whose wipe waits for a Message
	dirty      []*segment          // written to by removals since the last flush
	flushArmed bool
	flushTimer *time.Timer
	closed     bool
}

// loc is where a live record is.
type loc struct {
	seg     *segment
	off     int64 // of the record header
	bodyLen int64
	metaLen int64
}

// Open opens the spool in dir, creating dir and its subdirectories (mode
// 0700) as needed, removes whatever an interrupted write left in tmp/,
// rebuilds the index from the segments, and starts the group committer.
// Close stops it.
func Open(dir string, opts Options) (*Spool, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	if opts.SmallMax == 0 {
		opts.SmallMax = defaultSmallMax
	}
	opts.SmallMax = min(opts.SmallMax, maxSmallMax)
	if opts.SegmentMax <= 0 {
		opts.SegmentMax = defaultSegmentMax
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	s := &Spool{
		dir:       dir,
		tmp:       filepath.Join(dir, tmpDir),
		q:         filepath.Join(dir, queueDir),
		seg:       filepath.Join(dir, segDir),
		opts:      opts,
		log:       lg,
		reqs:      make(chan *commitReq),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		segw:      bufio.NewWriterSize(nil, segBufSize),
		index:     map[string]loc{},
		segs:      map[uint64]*segment{},
		opens:     map[string]int{},
		wipeLater: map[string]loc{},
	}
	s.bufs.New = func() any { return bufio.NewWriterSize(nil, bufSize) }
	s.recs.New = func() any {
		b := make([]byte, recHdrLen, recBufSize)
		return &b
	}
	s.flushTimer = time.AfterFunc(time.Hour, func() { s.flushRemoves() })
	s.flushTimer.Stop()
	for _, d := range []string{dir, s.tmp, s.q, s.seg} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("spool: create %s: %w", d, err)
		}
	}
	if err := clearDir(s.tmp); err != nil {
		return nil, err
	}
	if err := s.recover(); err != nil {
		for _, seg := range s.segs {
			seg.f.Close()
		}
		return nil, err
	}
	go s.committer()
	return s, nil
}

// Close stops the group committer. A commit already in a batch completes
// first; one racing with Close either completes or fails with ErrClosed;
// later ones fail with ErrClosed, and so do Open, List and Remove. Pending
// removals are made durable. Messages still open stay readable until they
// are closed. Close is idempotent; it returns the error of the last sync
// of removals, if any.
func (s *Spool) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.done
		s.mu.Lock()
		s.closed = true
		s.flushTimer.Stop()
		s.mu.Unlock()
		s.closeErr = s.flushRemoves()
		s.mu.Lock()
		var acts []func()
		for _, seg := range s.segs {
			acts = append(acts, s.settleLocked(seg))
		}
		s.mu.Unlock()
		for _, a := range acts {
			a()
		}
	})
	<-s.done
	return s.closeErr
}

// Remove deletes a committed entry, and wipes its bytes from the disk as
// soon as no Message reads it. It is not fsync'd at once: see the package
// comment. A missing entry gives an error matching fs.ErrNotExist; after
// any other error the entry is still there.
func (s *Spool) Remove(id string) error {
	if !validID(id) {
		return fmt.Errorf("spool: remove: invalid id %q", id)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	l, ok := s.index[id]
	if !ok {
		s.mu.Unlock()
		return s.removeFile(id)
	}
	// Marked under the lock, so that no wipe (by a Message closing) can
	// come before the mark: a record is never zeros and still live.
	if err := markDead(l); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("spool: remove %s: %w", id, err)
	}
	delete(s.index, id)
	l.seg.live--
	s.dirtyLocked(l.seg)
	if s.opens[id] > 0 {
		s.wipeLater[id] = l // by the last reader; it holds the segment
		s.mu.Unlock()
		return nil
	}
	l.seg.refs++ // keeps l.seg.f open for the wipe
	s.mu.Unlock()
	s.wipe(id, l)
	s.unref(l.seg)
	return nil
}

// List returns the metadata of every committed entry, reading only the
// stored meta. An entry file that cannot be read back (truncated, garbled,
// a name that is not an id) is moved to corrupt/ and logged by name only;
// it is not returned and List does not fail because of it. Neither does a
// record that cannot be read: it is logged by id and left out.
func (s *Spool) List() ([]Meta, error) {
	type item struct {
		id string
		l  loc
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	items := make([]item, 0, len(s.index))
	for id, l := range s.index {
		items = append(items, item{id, l})
	}
	// Hold every segment, so that none is deleted while we read it.
	held := make([]*segment, 0, len(s.segs))
	for _, seg := range s.segs {
		seg.refs++
		held = append(held, seg)
	}
	s.mu.Unlock()
	defer s.unref(held...)

	// In file order, so reading the metas is sequential.
	slices.SortFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(a.l.seg.seq, b.l.seg.seq), cmp.Compare(a.l.off, b.l.off))
	})
	metas := make([]Meta, 0, len(items))
	for _, it := range items {
		m, err := readRecordMeta(it.l, it.id)
		if err != nil {
			s.mu.Lock()
			_, live := s.index[it.id]
			s.mu.Unlock()
			if live { // else removed, and maybe wiped, since the snapshot
				s.log.Error("spool: cannot read a record", "qid", it.id, "segment", segName(it.l.seg.seq, segExt), "err", err.Error())
			}
			continue
		}
		metas = append(metas, m)
	}
	files, err := s.listFiles()
	if err != nil {
		return nil, err
	}
	return append(metas, files...), nil
}

// readRecordMeta reads and decodes the meta of the record at l, which must
// be id's, while the caller holds a reference to l.seg.
func readRecordMeta(l loc, id string) (Meta, error) {
	js := make([]byte, l.metaLen)
	if _, err := l.seg.f.ReadAt(js, l.off+recHdrLen+l.bodyLen); err != nil {
		return Meta{}, fmt.Errorf("spool: read meta: %w", err)
	}
	m, err := decodeMeta(js, l.bodyLen)
	if err != nil {
		return Meta{}, err
	}
	if m.ID != id {
		return Meta{}, fmt.Errorf("%w: record id does not match the index", errCorrupt)
	}
	return m, nil
}
