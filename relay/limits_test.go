package relay

import (
	"strings"
	"testing"
	"time"

	"leak/policy"
)

// trickle sends s one byte at a time, every gap, until it is all sent or
// the server hangs up.
func (c *client) trickle(s string, gap time.Duration) {
	go func() {
		for i := range len(s) {
			if _, err := c.conn.Write([]byte{s[i]}); err != nil {
				return
			}
			time.Sleep(gap) // a slow client is what the tests are about
		}
	}()
}

// A command must be complete within CommandTimeout of the previous reply,
// however steadily its bytes trickle in: the idle timer alone never fires.
func TestCommandTimeoutIgnoresTrickle(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) {
		o.IdleTimeout = time.Minute
		o.CommandTimeout = 300 * time.Millisecond
	})
	c := dial(t, tr.addr)
	c.cmd("EHLO client.example", "250")
	// 40 bytes at one per 50ms: two seconds for one line.
	c.trickle("NOOP aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 50*time.Millisecond)
	c.expect("421 4.4.2")
	if !c.closed() {
		t.Error("connection open after the command timeout")
	}
}

// The first command has its own, shorter deadline; after it the longer
// per-command one applies.
func TestFirstCommandTimeout(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) {
		o.IdleTimeout = time.Minute
		o.CommandTimeout = time.Minute
		o.FirstCommandTimeout = 200 * time.Millisecond
	})
	silent := dial(t, tr.addr)
	silent.expect("421 4.4.2")

	prompt := dial(t, tr.addr)
	prompt.cmd("EHLO client.example", "250")
	time.Sleep(400 * time.Millisecond) // twice the first-command deadline
	prompt.cmd("NOOP", "250")
}

// A message body must keep up MinDataRate once the grace has passed.
func TestMinDataRate(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) {
		o.IdleTimeout = time.Minute
		o.CommandTimeout = 300 * time.Millisecond // the grace
		o.MinDataRate = 1000
	})
	c := dial(t, tr.addr)
	c.open("to+bob=example.com@leak.example")
	c.cmd("DATA", "354")
	c.send("Subject: slow\r\n\r\n")
	// 20 bytes a second, against 1000 required after the grace.
	c.trickle("slow body line that never ends in time\r\n", 50*time.Millisecond)
	c.expect("421 4.4.2")
	tr.noneDelivered(t)
}

// connLimits is a policy engine with small connection limits.
func connLimits(t *testing.T, perIP, total int) *policy.Engine {
	t.Helper()
	store, err := policy.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	opts := policy.DefaultOptions()
	opts.Secret = []byte("limits test secret, 32 bytes....")
	opts.ConnPerIP, opts.ConnTotal = perIP, total
	e, err := policy.Open(opts, store)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// At the connection limit a newcomer takes the place of an idle connection
// from the address holding the most; a connection in a transaction is never
// the one; an address cannot evict its peers to grow its share.
func TestEvictionIsFair(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) {
		o.Policy = connLimits(t, 20, 4)
		o.StressTimeout = time.Minute // only eviction in this test
	})
	busy := dialFrom(t, tr.addr, "127.0.2.1")
	busy.open("to+bob=example.com@leak.example") // in a transaction
	idleA := dialFrom(t, tr.addr, "127.0.2.1")
	idleA2 := dialFrom(t, tr.addr, "127.0.2.1")
	idleB := dialFrom(t, tr.addr, "127.0.2.2")
	idleA.cmd("EHLO a.example", "250")
	idleA2.cmd("EHLO a.example", "250")
	idleB.cmd("EHLO b.example", "250")

	// 127.0.2.3 holds nothing: an idle connection of 127.0.2.1 (three)
	// makes room, the one that waited longest.
	newcomer := dialFrom(t, tr.addr, "127.0.2.3")
	idleA.expect("421 4.4.2")
	newcomer.cmd("EHLO c.example", "250")

	// Now 127.0.2.1 holds two: it may not push out 127.0.2.2 (one) or
	// 127.0.2.3 (one), nor its own.
	again := dialRaw(t, tr.addr, "127.0.2.1")
	again.expect("421 4.7.0")

	// The transaction goes on.
	busy.cmd("DATA", "354")
	busy.send(simpleMessage + ".\r\n")
	busy.expect("250")
	idleA2.cmd("NOOP", "250")
	idleB.cmd("NOOP", "250")
}

// Under stress (the connection limit reached), everyone waiting for a
// command gets StressTimeout instead of CommandTimeout.
func TestStressShortensTimeouts(t *testing.T) {
	t.Parallel()
	tr := startRelay(t, func(o *Options) {
		o.Policy = connLimits(t, 20, 2)
		o.IdleTimeout = time.Minute
		o.CommandTimeout = time.Minute
		o.StressTimeout = 300 * time.Millisecond
	})
	a := dialFrom(t, tr.addr, "127.0.3.1")
	a.cmd("EHLO a.example", "250")
	b := dialFrom(t, tr.addr, "127.0.3.1")
	b.cmd("EHLO b.example", "250")
	c := dialFrom(t, tr.addr, "127.0.3.2") // the limit: one of a, b makes room
	c.cmd("EHLO c.example", "250")
	// Neither the survivor of a and b nor c has a minute any more.
	var dropped int
	for _, cl := range []*client{a, b, c} {
		if strings.HasPrefix(cl.reply(), "421 4.4.2") {
			dropped++
		}
	}
	if dropped != 3 {
		t.Errorf("%d of 3 idle connections dropped under stress", dropped)
	}
}
