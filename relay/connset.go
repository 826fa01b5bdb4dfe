package relay

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// stressHold is how long the server stays under stress after the
// connection limit was last reached.
const stressHold = time.Minute

// connSet tracks open connections: a shutdown wakes the idle ones and at
// its end cuts the rest; when the connection limit is reached, an idle one
// makes room for a newcomer.
type connSet struct {
	draining    atomic.Bool
	stressUntil atomic.Int64 // unix ns; see stress
	mu          sync.Mutex
	m           map[*conn]struct{}
}

func newConnSet() *connSet { return &connSet{m: make(map[*conn]struct{})} }

func (s *connSet) add(c *conn) {
	s.mu.Lock()
	s.m[c] = struct{}{}
	s.mu.Unlock()
}

func (s *connSet) remove(c *conn) {
	s.mu.Lock()
	delete(s.m, c)
	s.mu.Unlock()
}

func (s *connSet) all() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := make([]*conn, 0, len(s.m))
	for c := range s.m {
		cs = append(cs, c)
	}
	return cs
}

// receiving counts the connections a message body is coming in on.
func (s *connSet) receiving() int {
	n := 0
	for _, c := range s.all() {
		if c.receiving.Load() {
			n++
		}
	}
	return n
}

// drain makes every connection that is not receiving a message say 421 and
// close at its next read; the others finish their message first.
func (s *connSet) drain() {
	s.draining.Store(true)
	s.poke()
}

// poke wakes every connection blocked in a read, to look again at its state
// and deadline. A connection receiving a message keeps its deadline.
func (s *connSet) poke() {
	now := time.Now()
	for _, c := range s.all() {
		if !c.receiving.Load() {
			c.Conn.SetReadDeadline(now)
		}
	}
}

// closeAll ends every connection (the shutdown grace is over).
func (s *connSet) closeAll() {
	for _, c := range s.all() {
		c.hangUp()
	}
}

// stress notes that the connection limit was reached. Like Postfix's
// stress mode, it shortens the command timeouts of everyone for a while;
// it reports whether the server was not under stress before.
func (s *connSet) stress(now time.Time) bool {
	prev := s.stressUntil.Swap(now.Add(stressHold).UnixNano())
	if prev > now.UnixNano() {
		return false
	}
	s.poke()
	return true
}

func (s *connSet) stressed(now time.Time) bool { return now.UnixNano() < s.stressUntil.Load() }

// evict makes room for a new connection from ip: it picks an idle
// connection (no transaction, no message coming in) from the address that
// holds the most connections, and among those the one that has waited
// longest for a command, and gives its slot back at once; the connection
// says 421 4.4.2 at its next read. An address never evicts one of its own
// or of an address holding as few connections as it does, so a flood from
// a few addresses cannot push out the others. False if there was none.
func (s *connSet) evict(ip netip.Addr) bool {
	for range 3 {
		v := s.victim(ip)
		if v == nil {
			return false
		}
		// The victim may have just begun a transaction.
		if v.phase.CompareAndSwap(phaseIdle, phaseEvicted) {
			v.release()
			v.Conn.SetReadDeadline(time.Now())
			return true
		}
	}
	return false
}

func (s *connSet) victim(ip netip.Addr) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Held in memory for the length of this call only.
	per := make(map[netip.Addr]int)
	for c := range s.m {
		if c.phase.Load() != phaseEvicted {
			per[c.ip]++
		}
	}
	mine := per[ip]
	var v *conn
	for c := range s.m {
		if c.phase.Load() != phaseIdle || c.receiving.Load() || per[c.ip] <= mine {
			continue
		}
		switch {
		case v == nil, per[c.ip] > per[v.ip]:
			v = c
		case per[c.ip] == per[v.ip] && c.waitSince.Load() < v.waitSince.Load():
			v = c
		}
	}
	return v
}
