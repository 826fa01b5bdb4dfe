package spool

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"time"
)

// The hot set keeps a copy of a small entry's message bytes after its
// commit, for the first Open of the entry, which the queue makes within
// milliseconds when the next hop is up: that delivery then reads no file
// and decodes no meta JSON (three pread calls, a 1.7 KB JSON decode of the
// two DKIM-Signature fields and the checksum; BenchmarkOpen2KiB: 15.5 µs
// against 1.0 µs). Later Opens, retries among them, read the disk as
// before.
//
// Nothing about durability changes: the record was written and fdatasync'd
// before Commit returned; the copy only saves reading it back. The copy is
// exactly the message bytes (not the Writer's 32 KiB buffer, which goes
// back to the pool at once), and the set is bounded by Options.HotMax
// (message and prefix bytes), so it adds at most that much to the live
// heap. When it is full a new entry is not kept: the queue delivers the
// oldest entries first, and those are the ones already in the set. An
// entry whose first delivery is held back (Meta.NotBefore) is not kept.
// Remove and Close drop what they find; the copies are left to the
// garbage collector, like every other buffer a message passes through in
// memory.
type hotSet struct {
	mu    sync.Mutex
	max   int64
	bytes int64
	m     map[string]hotEntry
}

type hotEntry struct {
	body []byte // the message bytes, as committed
	meta Meta
}

func (e hotEntry) size() int64 { return int64(len(e.body) + len(e.meta.Prefix)) }

// keepHot keeps a copy of body, the message bytes of the entry just
// committed as m, if the hot set has room for it.
func (s *Spool) keepHot(body []byte, m Meta) {
	h := &s.hot
	if h.max <= 0 || m.NotBefore.After(time.Now()) {
		return
	}
	e := hotEntry{body: body, meta: m}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.bytes+e.size() > h.max {
		return
	}
	if h.m == nil {
		h.m = map[string]hotEntry{}
	}
	e.body, e.meta = bytes.Clone(body), storedMeta(m)
	h.m[m.ID] = e
	h.bytes += e.size()
}

// takeHot removes id from the hot set and returns its entry, if it was
// there.
func (s *Spool) takeHot(id string) (hotEntry, bool) {
	h := &s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.m[id]
	if ok {
		delete(h.m, id)
		h.bytes -= e.size()
	}
	return e, ok
}

// dropAllHot empties the hot set (Close).
func (s *Spool) dropAllHot() {
	h := &s.hot
	h.mu.Lock()
	h.m, h.bytes = nil, 0
	h.mu.Unlock()
}

// openHot returns a Message reading e from memory.
func (s *Spool) openHot(id string, e hotEntry) *Message {
	return &Message{
		Meta: e.meta,
		s:    s,
		id:   id,
		hot:  true,
		r:    io.MultiReader(strings.NewReader(e.meta.Prefix), bytes.NewReader(e.body)),
	}
}

// storedMeta is m as reading it back from the disk gives it: the times in
// UTC at millisecond precision, Size as Commit computed it.
func storedMeta(m Meta) Meta {
	m.Created = time.UnixMilli(m.Created.UnixMilli()).UTC()
	if !m.NotBefore.IsZero() {
		m.NotBefore = time.UnixMilli(m.NotBefore.UnixMilli()).UTC()
	}
	return m
}
