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
// (message and prefix bytes, oldest dropped first), so it adds at most
// that much to the live heap. An entry whose first delivery is held back
// (Meta.NotBefore) is not kept. Remove and Close drop what they find; the
// copies are left to the garbage collector, like every other buffer a
// message passes through in memory.
type hotSet struct {
	mu    sync.Mutex
	max   int64
	bytes int64
	m     map[string]hotEntry
	order []string // insertion order, for eviction; may name ids already taken
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
	if h.max <= 0 || int64(len(body)+len(m.Prefix)) > h.max || m.NotBefore.After(time.Now()) {
		return
	}
	e := hotEntry{body: bytes.Clone(body), meta: storedMeta(m)}
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.bytes+e.size() > h.max && len(h.order) > 0 {
		id := h.order[0]
		h.order = h.order[1:]
		if old, ok := h.m[id]; ok {
			delete(h.m, id)
			h.bytes -= old.size()
		}
	}
	if len(h.order) > 2*len(h.m)+64 { // ids taken since: drop them from order
		order := make([]string, 0, 2*len(h.m)+1)
		for _, id := range h.order {
			if _, ok := h.m[id]; ok {
				order = append(order, id)
			}
		}
		h.order = order
	}
	if h.m == nil {
		h.m = map[string]hotEntry{}
	}
	h.m[m.ID] = e
	h.order = append(h.order, m.ID)
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
	h.m, h.order, h.bytes = nil, nil, 0
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
