package policy

import (
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// Limit is a rate limit: Rate events per Period, of which up to Burst may
// come at once. It is a GCRA (generic cell rate algorithm, as in
// github.com/go-redis/redis_rate): one event is allowed every Period/Rate on
// average, and a key that has been quiet may spend Burst events at once. A
// zero Rate turns the limit off; a zero Burst means Burst = Rate.
type Limit struct {
	Rate   int
	Burst  int
	Period time.Duration
}

// Off reports whether the limit is turned off.
func (l Limit) Off() bool { return l.Rate == 0 }

// burst is Burst with its default applied.
func (l Limit) burst() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// interval is the GCRA emission interval, Period/Rate.
func (l Limit) interval() time.Duration {
	return l.Period / time.Duration(l.Rate)
}

func (l Limit) validate(name string) error {
	switch {
	case l.Rate < 0 || l.Burst < 0:
		return fmt.Errorf("%s: rate and burst must not be negative", name)
	case l.Rate > 0 && l.Period <= 0:
		return fmt.Errorf("%s: period must be positive when rate is set", name)
	case l.Rate > 0 && l.interval() <= 0:
		return fmt.Errorf("%s: rate %d per %s is too fast", name, l.Rate, l.Period)
	}
	return nil
}

// limiter is an in-memory GCRA limiter with the semantics of redis_rate's
// Allow: an event at now is allowed if tat' - now <= Burst*T, where
// T = Period/Rate, tat' = max(tat, now) + T and tat (theoretical arrival
// time) is what is stored per key; a refused event changes nothing.
//
// A key whose tat is not after now is in its initial state, so dropping it
// changes no decision: sweeps drop those keys. The map is sharded to keep
// lock contention low and bounded to maxKeys in total; only if every key is
// busy are busy keys dropped, which forgets (lets through) some recent
// history rather than growing without bound.
type limiter struct {
	seed    maphash.Seed
	shards  [limiterShards]limiterShard
	maxKeys int // per shard
	now     func() time.Time
}

const (
	limiterShards = 16
	// defaultMaxKeys bounds the memory of the local limiter: about 150
	// bytes a key, so ~150 MB at the bound.
	defaultMaxKeys = 1 << 20
	// sweepEvery is how often a shard drops its idle keys.
	sweepEvery = time.Minute
)

type limiterShard struct {
	mu        sync.Mutex
	tat       map[string]int64 // key → theoretical arrival time, Unix ns
	lastSweep int64
}

func newLimiter(maxKeys int, now func() time.Time) *limiter {
	l := &limiter{seed: maphash.MakeSeed(), maxKeys: max(maxKeys/limiterShards, 1), now: now}
	for i := range l.shards {
		l.shards[i].tat = make(map[string]int64)
	}
	return l
}

// allow takes one event for key under lim and reports whether it is
// allowed and, if not, how long until it would be.
func (l *limiter) allow(key string, lim Limit) (bool, time.Duration) {
	now := l.now().UnixNano()
	t := int64(lim.interval())
	s := &l.shards[maphash.String(l.seed, key)%limiterShards]

	s.mu.Lock()
	defer s.mu.Unlock()
	tat, ok := s.tat[key]
	if !ok || tat < now {
		tat = now
	}
	newTAT := tat + t
	allowAt := newTAT - int64(lim.burst())*t
	if now < allowAt {
		return false, time.Duration(allowAt - now)
	}
	if !ok {
		s.makeRoom(now, l.maxKeys)
	}
	s.tat[key] = newTAT
	return true, 0
}

// makeRoom sweeps idle keys every sweepEvery, and at once when the shard is
// full. A full shard of busy keys loses some of them (map order is random).
func (s *limiterShard) makeRoom(now int64, maxKeys int) {
	if len(s.tat) < maxKeys && now-s.lastSweep < int64(sweepEvery) {
		return
	}
	s.lastSweep = now
	for k, tat := range s.tat {
		if tat <= now {
			delete(s.tat, k)
		}
	}
	if len(s.tat) < maxKeys {
		return
	}
	// Drop a tenth at once so that the next new keys do not each pay for
	// a full sweep.
	target := maxKeys - max(maxKeys/10, 1)
	for k := range s.tat {
		if len(s.tat) <= target {
			break
		}
		delete(s.tat, k)
	}
}

// size is the number of keys held, for tests.
func (l *limiter) size() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}
