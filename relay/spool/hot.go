package spool

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"time"
)

// The hot set keeps a small entry's record buffer after its commit, for
// the first Open of the entry, which the queue makes within milliseconds
// when the next hop is up: that delivery then reads no file and decodes no
// meta JSON (three pread calls and a JSON decode of the two DKIM-Signature
// fields, about 3% of the daemon's CPU per message, in issue 13's
// profile). Later Opens, retries among them, read the disk as before.
//
// Nothing about durability changes: the record was written and fdatasync'd
// before Commit returned; the buffer is only a copy of what is on the
// disk. It is bounded by Options.HotMax (the capacity of the buffers kept,
// oldest dropped first), and an entry whose first delivery is held back
// (Meta.NotBefore) is not kept. Remove and Close drop what they find; the
// bytes are not wiped, like those of every pooled record buffer, which the
// next small entry overwrites.
type hotSet struct {
	mu    sync.Mutex
	max   int64
	bytes int64
	m     map[string]hotEntry
	order []string // insertion order, for eviction; may name ids already taken
}

type hotEntry struct {
	buf     *[]byte // the record as written: header, message bytes, meta JSON
	bodyLen int64
	meta    Meta
}

func (e hotEntry) size() int64 { return int64(cap(*e.buf)) }

// keepHot keeps the record buffer of the entry just committed as m, if the
// hot set has room for it. It reports whether buf was kept; if not, it is
// still the caller's.
func (s *Spool) keepHot(buf *[]byte, bodyLen int64, m Meta) bool {
	h := &s.hot
	e := hotEntry{buf: buf, bodyLen: bodyLen, meta: storedMeta(m)}
	if h.max <= 0 || e.size() > h.max || m.NotBefore.After(time.Now()) {
		return false
	}
	var evicted []*[]byte
	h.mu.Lock()
	for h.bytes+e.size() > h.max && len(h.order) > 0 {
		id := h.order[0]
		h.order = h.order[1:]
		if old, ok := h.m[id]; ok {
			delete(h.m, id)
			h.bytes -= old.size()
			evicted = append(evicted, old.buf)
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
	h.mu.Unlock()
	for _, b := range evicted {
		s.putRec(b)
	}
	return true
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

// dropHot gives id's buffer, if it is in the hot set, back to the pool.
func (s *Spool) dropHot(id string) {
	if e, ok := s.takeHot(id); ok {
		s.putRec(e.buf)
	}
}

// dropAllHot empties the hot set (Close).
func (s *Spool) dropAllHot() {
	h := &s.hot
	h.mu.Lock()
	m := h.m
	h.m, h.order, h.bytes = nil, nil, 0
	h.mu.Unlock()
	for _, e := range m {
		s.putRec(e.buf)
	}
}

// openHot returns a Message reading e from memory. Its Close gives the
// buffer back to the pool.
func (s *Spool) openHot(id string, e hotEntry) *Message {
	body := (*e.buf)[recHdrLen : recHdrLen+e.bodyLen]
	return &Message{
		Meta: e.meta,
		s:    s,
		id:   id,
		hot:  e.buf,
		r:    io.MultiReader(strings.NewReader(e.meta.Prefix), bytes.NewReader(body)),
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
