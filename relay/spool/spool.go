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
	"sync/atomic"
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
	// defaultCompactBelow is Options.CompactBelow's default.
	defaultCompactBelow = 0.25
	// defaultReserve is Options.Reserve's default.
	defaultReserve = 64 << 20
)

// ErrClosed is returned by operations on a closed Spool.
var ErrClosed = errors.New("spool: closed")

// ErrCorrupt is wrapped by the error of a Message read whose bytes fail
// their checksum, and of an Open of an entry found damaged. The entry has
// been set aside in corrupt/ and counted (Options.OnDrop): it will not be
// delivered, and a later Open of its id fails with fs.ErrNotExist.
var ErrCorrupt = errCorrupt

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

	// Logger receives the few events the spool logs: damage found and
	// what was set aside, by segment, offset and entry id only. Default:
	// nothing is logged.
	Logger *slog.Logger

	// SmallMax is the largest entry, in message bytes, that is kept in
	// memory until Commit and stored as a segment record; a larger one
	// gets a file of its own. Default 256 KiB, at most 64 MiB. A negative
	// value gives every entry a file.
	SmallMax int

	// HotMax is how many bytes of committed small entries (message bytes
	// and DKIM prefix) may stay in memory, copied, for each entry's first
	// Open (hot.go), which then reads no file: the delivery that usually
	// follows a commit at once. Default 0: none are kept, every Open
	// reads the disk.
	HotMax int64

	// SegmentMax is the size at which the active segment is closed and
	// the next batch starts a new one. Default 64 MiB.
	SegmentMax int64

	// CompactBelow is the share of a closed segment's bytes that its live
	// records must fall under for them to be copied into the active
	// segment, so that the rest of it can be deleted (compact.go). Only
	// segments with at least SegmentMax/16 of removed bytes are worth it.
	// Default 0.25; a negative value turns compaction off.
	CompactBelow float64

	// Reserve is the free space, in bytes, of the spool's file system
	// under which CheckSpace reports ErrFull. Default 64 MiB; a negative
	// value turns the check off.
	Reserve int64

	// OnDrop, if set, is called once for every entry the spool gives up
	// because its bytes are damaged or gone, with the reason: "corrupt"
	// (a record or entry file failed its checksum or framing) or
	// "truncated" (a segment ended early or was missing). It is called
	// during Open for what recovery finds, and later for damage found
	// while reading. It must be safe for concurrent use and quick.
	OnDrop func(reason string)

	// hook, if set, is called at each step of compaction and segment
	// deletion, and as removals are flushed, so that tests can copy the
	// files as a crash there would leave them.
	hook func(step string)
}

// Reasons given to Options.OnDrop.
const (
	dropCorrupt   = "corrupt"
	dropTruncated = "truncated"
)

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

	compactWake chan struct{}      // a segment may be worth compacting
	compactSync chan chan struct{} // tests: run a full pass, then close the channel
	compactDone chan struct{}      // closed when the compactor has returned

	closeOnce sync.Once
	closeErr  error

	bufs sync.Pool // *bufio.Writer of spilled Writers, so one costs no 64 KiB allocation
	recs sync.Pool // *[]byte record buffers of small entries
	hot  hotSet    // copies of committed entries, kept for their first Open

	// Owned by the committer goroutine.
	active  *segment // nil until the first small commit, and after an error
	nextSeq uint64
	segw    *bufio.Writer
	small   []*commitReq
	files   []*commitReq

	manMu sync.Mutex // serialises writes of the manifest

	size          atomic.Int64 // bytes of the files in seg/, q/ and corrupt/
	dropCorrupt   atomic.Int64
	dropTruncated atomic.Int64

	freeMu  sync.Mutex
	freeAt  time.Time // when free was read
	free    int64
	freeErr error

	mu           sync.Mutex
	index        map[string]loc      // live segment records
	segs         map[uint64]*segment // segments not yet deleted
	opens        map[recKey]int      // open Messages, by record
	wipeLater    map[recKey]string   // removed records (to their ids) whose wipe waits for a Message
	dirty        []*segment          // written to by removals since the last flush
	doomed       []*segment          // without live records, for the compactor to delete
	flushArmed   bool
	flushTimer   *time.Timer
	flushStopped bool           // set by stopTimedFlush: the timer flushes no more
	flushing     sync.WaitGroup // a flush the timer started
	compactAfter time.Time      // no compaction before, after a failed one
	closed       bool
}

// loc is where a live record is.
type loc struct {
	seg     *segment
	off     int64 // of the record header
	bodyLen int64
	metaLen int64
}

// len is the record's length, header included.
func (l loc) len() int64 { return l.seg.hdrLen() + l.bodyLen + l.metaLen }

// key identifies the record at l: an entry may have two copies while it
// is compacted, and each is read and wiped on its own.
func (l loc) key() recKey { return recKey{l.seg, l.off} }

type recKey struct {
	seg *segment
	off int64
}

// hook calls the test hook, if any.
func (s *Spool) hook(step string) {
	if s.opts.hook != nil {
		s.opts.hook(step)
	}
}

// Open opens the spool in dir, creating dir and its subdirectories (mode
// 0700) as needed, removes whatever an interrupted write left in tmp/,
// rebuilds the index from the segments (setting aside what is damaged, see
// the package comment), checks the entry files, and starts the group
// committer and the compactor. Close stops them.
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
	if opts.CompactBelow == 0 {
		opts.CompactBelow = defaultCompactBelow
	}
	opts.CompactBelow = min(opts.CompactBelow, 1)
	if opts.Reserve == 0 {
		opts.Reserve = defaultReserve
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &Spool{
		dir:         dir,
		tmp:         filepath.Join(dir, tmpDir),
		q:           filepath.Join(dir, queueDir),
		seg:         filepath.Join(dir, segDir),
		opts:        opts,
		log:         lg,
		reqs:        make(chan *commitReq),
		quit:        make(chan struct{}),
		done:        make(chan struct{}),
		compactWake: make(chan struct{}, 1),
		compactSync: make(chan chan struct{}),
		compactDone: make(chan struct{}),
		segw:        bufio.NewWriterSize(nil, segBufSize),
		index:       map[string]loc{},
		segs:        map[uint64]*segment{},
		opens:       map[recKey]int{},
		wipeLater:   map[recKey]string{},
	}
	s.hot.max = opts.HotMax
	s.bufs.New = func() any { return bufio.NewWriterSize(nil, bufSize) }
	s.recs.New = func() any {
		b := make([]byte, recHdrLen, recBufSize)
		return &b
	}
	s.flushTimer = time.AfterFunc(time.Hour, s.timedFlush)
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
		s.stopTimedFlush()
		for _, seg := range s.segs {
			seg.f.Close()
		}
		return nil, err
	}
	go s.committer()
	go s.compactor()
	s.wakeCompactor() // for segments that recovery found worth compacting
	return s, nil
}

// Dropped returns how many entries the spool gave up since Open because
// their bytes were damaged ("corrupt") or gone ("truncated"): what
// recovery found, and what reading found later. Options.OnDrop is told of
// each as it happens.
func (s *Spool) Dropped() (corrupt, truncated int) {
	return int(s.dropCorrupt.Load()), int(s.dropTruncated.Load())
}

// dropped counts n entries given up for reason.
func (s *Spool) dropped(reason string, n int64) {
	if n <= 0 {
		return
	}
	if reason == dropTruncated {
		s.dropTruncated.Add(n)
	} else {
		s.dropCorrupt.Add(n)
	}
	if s.opts.OnDrop != nil {
		for range n {
			s.opts.OnDrop(reason)
		}
	}
}

// Close stops the group committer and the compactor. A commit already in
// a batch completes first; one racing with Close either completes or fails
// with ErrClosed; later ones fail with ErrClosed, and so do Open, List and
// Remove. Pending removals are made durable, and the manifest records the
// last segment as closed. Messages still open stay readable until they
// are closed. Close is idempotent; it returns the error of the last sync
// of removals, if any.
func (s *Spool) Close() error {
	s.closeOnce.Do(func() {
		s.stopTimedFlush()
		close(s.quit)
		<-s.done
		<-s.compactDone
		if a := s.active; a != nil {
			s.retire(a)
		}
		s.mu.Lock()
		s.closed = true
		s.flushTimer.Stop()
		s.mu.Unlock()
		s.dropAllHot()
		s.closeErr = s.flushRemoves()
		s.deleteDoomed()
		s.writeManifest()
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
	s.takeHot(id)
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
	s.unindexLocked(id, l)
	if s.opens[l.key()] > 0 {
		s.wipeLater[l.key()] = id // by the last reader; it holds the segment
		s.mu.Unlock()
		return nil
	}
	l.seg.refs++ // keeps l.seg.f open for the wipe
	s.mu.Unlock()
	s.wipe(id, l)
	s.unref(l.seg)
	return nil
}

// indexLocked adds the live record id at l. s.mu is held.
func (s *Spool) indexLocked(id string, l loc) {
	s.index[id] = l
	l.seg.live++
	l.seg.liveBytes += l.len()
}

// unindexLocked drops the record id at l, which was just marked removed,
// from the index. s.mu is held.
func (s *Spool) unindexLocked(id string, l loc) {
	delete(s.index, id)
	l.seg.live--
	l.seg.liveBytes -= l.len()
	s.dirtyLocked(l.seg)
	s.wakeCompactorLocked(l.seg)
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
		if m, ok := s.listRecord(it.id, it.l); ok {
			metas = append(metas, m)
		}
	}
	files, err := s.listFiles()
	if err != nil {
		return nil, err
	}
	return append(metas, files...), nil
}

// listRecord reads the meta of record id at l for List. The read counts
// only if the index still holds l afterwards: a record that was removed
// or compacted meanwhile may have been wiped while it was read. A
// compacted one is read again where it went.
func (s *Spool) listRecord(id string, l loc) (Meta, bool) {
	m, _, err := readRecordMeta(l, id)
	s.mu.Lock()
	cur, live := s.index[id]
	if live && cur != l {
		cur.seg.refs++
	}
	s.mu.Unlock()
	switch {
	case !live:
		return Meta{}, false
	case cur != l:
		defer s.unref(cur.seg)
		return s.listRecord(id, cur)
	case err != nil:
		s.log.Error("spool: cannot read a record", "qid", id, "segment", l.seg.name(), "offset", l.off, "err", err.Error())
		return Meta{}, false
	}
	return m, true
}

// readRecordMeta reads and decodes the header and meta of the record at l,
// which must be id's, while the caller holds a reference to l.seg. It
// returns the meta JSON too: a format 2 record's checksum covers it.
func readRecordMeta(l loc, id string) (Meta, recHead, error) {
	hl := l.seg.hdrLen()
	buf := make([]byte, hl+l.metaLen)
	if _, err := l.seg.f.ReadAt(buf[:hl], l.off); err != nil {
		return Meta{}, recHead{}, fmt.Errorf("spool: read record header: %w", err)
	}
	js := buf[hl:]
	if _, err := l.seg.f.ReadAt(js, l.off+hl+l.bodyLen); err != nil {
		return Meta{}, recHead{}, fmt.Errorf("spool: read meta: %w", err)
	}
	var h recHeader
	var ok bool
	if l.seg.v == 1 {
		h, ok = parseHeaderV1(buf[:hl])
	} else {
		h, ok = parseHeader(buf[:hl], &l.seg.salt)
	}
	if !ok || h.bodyLen != l.bodyLen || h.metaLen != l.metaLen {
		return Meta{}, recHead{}, errRecordHeader
	}
	m, err := decodeMeta(js, l.bodyLen)
	if err != nil {
		return Meta{}, recHead{}, err
	}
	if m.ID != id {
		return Meta{}, recHead{}, fmt.Errorf("%w: record id does not match the index", errCorrupt)
	}
	return m, recHead{start: sumStart(l.seg.v, buf[:hl]), want: h.sum, js: js}, nil
}

// errRecordHeader is the error of a record whose header no longer checks
// out.
var errRecordHeader = fmt.Errorf("%w: record header damaged", errCorrupt)

// recHead is what checking a record's body as it is read needs: the CRC
// to start from, the sum to reach, and the meta, which the sum covers
// after the body.
type recHead struct {
	start, want uint32
	js          []byte
}
