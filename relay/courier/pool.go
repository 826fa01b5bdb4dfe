package courier

import (
	"context"
	"sync"
	"time"
)

// pool keeps idle sessions per destination key, newest first out, so that
// the oldest age out. A sweeper closes those idle longer than the timeout,
// or open longer than maxAge; take skips them too, in case the sweeper is
// late.
type pool struct {
	maxIdle int // per key
	timeout time.Duration
	maxAge  time.Duration

	mu     sync.Mutex
	idle   map[string][]*session
	closed bool

	stop    chan struct{}
	closing sync.WaitGroup // the sweeper and sessions being closed
}

func newPool(maxIdle int, timeout, maxAge time.Duration) *pool {
	p := &pool{maxIdle: maxIdle, timeout: timeout, maxAge: maxAge, idle: map[string][]*session{}, stop: make(chan struct{})}
	p.closing.Go(p.sweeper)
	return p
}

// take returns an idle session for key, or nil.
func (p *pool) take(key string) *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[key]
	for len(list) > 0 {
		ss := list[len(list)-1]
		list[len(list)-1] = nil
		list = list[:len(list)-1]
		if !p.expired(ss, time.Now()) {
			p.setLocked(key, list)
			return ss
		}
		p.closeLocked(ss)
	}
	p.setLocked(key, list)
	return nil
}

// put returns a session after a successful or cleanly failed transaction.
// It is closed instead if the pool is closed or key has enough idle ones.
func (p *pool) put(key string, ss *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.closed || len(p.idle[key]) >= p.maxIdle || now.Sub(ss.opened) >= p.maxAge {
		p.closeLocked(ss)
		return
	}
	ss.idleSince = now
	p.idle[key] = append(p.idle[key], ss)
}

// flush closes the idle sessions of key.
func (p *pool) flush(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ss := range p.idle[key] {
		ss.close(false)
	}
	delete(p.idle, key)
}

func (p *pool) setLocked(key string, list []*session) {
	if len(list) == 0 {
		delete(p.idle, key)
		return
	}
	p.idle[key] = list
}

// closeLocked closes ss with a QUIT, off the lock's goroutine: the QUIT
// waits for a reply. Once the pool is closed nobody waits for it.
func (p *pool) closeLocked(ss *session) {
	if p.closed {
		go ss.close(true)
		return
	}
	p.closing.Go(func() { ss.close(true) })
}

// sweeper closes sessions idle too long until the pool is closed.
func (p *pool) sweeper() {
	t := time.NewTicker(max(min(p.timeout, p.maxAge)/2, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.sweep()
		}
	}
}

func (p *pool) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for key, list := range p.idle {
		// Sessions are not idle in the order they were opened: look at
		// each one.
		keep := list[:0]
		for _, ss := range list {
			if p.expired(ss, now) {
				p.closeLocked(ss)
				continue
			}
			keep = append(keep, ss)
		}
		clear(list[len(keep):])
		p.setLocked(key, keep)
	}
}

// expired reports whether an idle session has been idle too long, or open
// too long, to carry another transaction.
func (p *pool) expired(ss *session, now time.Time) bool {
	return now.Sub(ss.idleSince) >= p.timeout || now.Sub(ss.opened) >= p.maxAge
}

// close closes every idle session and stops the sweeper. It waits for the
// QUITs, which are bounded by quitTimeout.
func (p *pool) close() {
	p.mu.Lock()
	if !p.closed {
		close(p.stop)
		for _, list := range p.idle {
			for _, ss := range list {
				p.closeLocked(ss)
			}
		}
		p.closed = true
		p.idle = map[string][]*session{}
	}
	p.mu.Unlock()
	p.closing.Wait()
}

// limiter bounds the deliveries running at once per destination key. A
// key's slot disappears when nobody holds or waits for it, so the map
// does not grow with every domain ever seen.
type limiter struct {
	max int

	mu    sync.Mutex
	slots map[string]*slot
}

type slot struct {
	sem  chan struct{}
	refs int // holders and waiters
}

func newLimiter(max int) *limiter {
	return &limiter{max: max, slots: map[string]*slot{}}
}

// inUse returns how many destinations have a delivery running and the
// most deliveries running to any one of them.
func (l *limiter) inUse() (dests, busiest int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, sl := range l.slots {
		if n := len(sl.sem); n > 0 {
			dests++
			busiest = max(busiest, n)
		}
	}
	return dests, busiest
}

// acquire waits for a free place for key, or for ctx to be done.
func (l *limiter) acquire(ctx context.Context, key string) (release func(), err error) {
	l.mu.Lock()
	sl := l.slots[key]
	if sl == nil {
		sl = &slot{sem: make(chan struct{}, l.max)}
		l.slots[key] = sl
	}
	sl.refs++
	l.mu.Unlock()

	select {
	case sl.sem <- struct{}{}:
		return func() {
			<-sl.sem
			l.unref(key, sl)
		}, nil
	case <-ctx.Done():
		l.unref(key, sl)
		return nil, ctx.Err()
	}
}

func (l *limiter) unref(key string, sl *slot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sl.refs--
	if sl.refs == 0 {
		delete(l.slots, key)
	}
}
