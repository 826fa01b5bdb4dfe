// Package queue schedules the delivery of spooled copies through a
// courier: it tries each new entry at once, retries temporary failures with
// backoff, and removes an entry from the spool once it is delivered,
// bounced (a permanent failure about the recipient), failed (a permanent
// failure about the message or the next hop, still so after
// FailureLifetime) or expired (still failing after Lifetime).
//
// A permanent refusal is only final when it is about the recipient
// (courier.AboutRecipient). A next hop that refuses the sender, the
// content or the size may be misconfigured for a few minutes, or restarted
// with other limits: the copy is retried with the usual backoff until such
// refusals have lasted FailureLifetime.
//
// What it promises:
//   - Every entry in the spool when Run starts, and every entry given to
//     Add, is attempted until one of those four outcomes; nothing is
//     dropped because the workers are busy.
//   - At most Workers deliveries run at once, and one entry is never in
//     two deliveries at once.
//   - Each attempt logs one line, as Postfix's "status=" line: the entry
//     id, the copy's Message-ID (which Leak made up), the outcome, the
//     attempt, the next hop by name and address, the TLS version, the
//     delay since the copy was made, the DSN status, the next hop's reply
//     and a bounded failure reason. Never the sender, and the recipient
//     only with Options.LogRecipients: both are cut out of replies.
//   - A held entry (Hold) is never attempted until it is released.
//
// Attempt counts live in memory only: after a restart every entry is tried
// at once and its backoff starts over. Expiry does not depend on them: it is
// judged from Meta.Created + Lifetime, which is on disk. The start of a run
// of permanent refusals is in memory too: a restart grants a copy a new
// FailureLifetime, never less than one. The last error of each entry is in
// memory only too.
//
// Holds are kept in Options.HoldFile, if set, so an entry put on hold stays
// so across restarts; without it they are in memory only. Hold does not
// stop the clock: an entry held past Lifetime is given up at its first
// attempt after release, unless that attempt delivers it.
//
// A bounce sends nothing back: Leak does not keep the original sender. The
// copy is dropped and the outcome reported.
package queue

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/idna"

	"leak/relay/courier"
	"leak/relay/spool"
)

// Outcomes reported in Result.Outcome. They are the result label values of
// leak_delivery_attempts_total (metrics.Delivery*).
const (
	Delivered = "delivered"
	Deferred  = "deferred"
	Bounced   = "bounced" // refused for good, about the recipient
	Failed    = "failed"  // refused about the message or the next hop for FailureLifetime
	Expired   = "expired"
)

// Options tune a Queue. The zero value gives the defaults.
type Options struct {
	Workers  int           // concurrent deliveries, default 8
	Lifetime time.Duration // give up after this long since Meta.Created, default 120h (5 days)
	// FailureLifetime is how long a copy is retried while the next hop
	// refuses it permanently for a reason other than its recipient (a 5xx
	// at MAIL, for the content, a SIZE or SMTPUTF8 mismatch), counted from
	// the first such refusal in a row; default 1h. With DefaultBackoff
	// that is six attempts, the second a minute after the first: a relay
	// misconfigured for a few minutes loses nothing, and mail it will
	// never take does not wait for Lifetime.
	FailureLifetime time.Duration

	// Backoff gives the delay before the next attempt after attempt
	// failures (attempt ≥ 1). Default DefaultBackoff.
	Backoff func(attempt int) time.Duration

	// OnResult, if set, is called after every attempt (metrics). It runs on
	// a worker: keep it quick. Result.Err is the courier's error as is and
	// may quote the recipient address in a server's reply.
	OnResult func(r Result)

	// OnAction, if set, is called once for every entry an operator acts
	// on, with the action: "delete", "retry", "hold" or "release"
	// (metrics). RetryAll and RetryDomain call it once per entry made due.
	OnAction func(action string)

	// HoldFile, if set, is where the ids of held entries are kept (one a
	// line, replaced atomically), so holds survive a restart. Without it
	// holds last as long as the process.
	HoldFile string

	// LogRecipients puts each copy's recipient in its delivery log lines
	// ("to"), and leaves it in the next hop's replies. Off by default:
	// the log then names no recipient.
	LogRecipients bool

	Logger *slog.Logger // default slog.Default()
}

// DefaultOptions returns the defaults New gives zero fields, and leakd's
// config starts from: 8 workers, copies given up after 5 days, or after an
// hour of refusals of the message itself.
func DefaultOptions() Options {
	return Options{Workers: 8, Lifetime: 120 * time.Hour, FailureLifetime: time.Hour}
}

// Validate checks options as a configuration gives them, every field set;
// its errors name leakd's configuration keys (delivery.*).
func (o Options) Validate() error {
	switch {
	case o.Workers < 1:
		return errors.New("delivery.workers: must be at least 1")
	case o.Lifetime < time.Minute:
		return errors.New("delivery.lifetime: must be at least 1m")
	case o.FailureLifetime < time.Minute || o.FailureLifetime > o.Lifetime:
		return errors.New("delivery.failure_lifetime: must be at least 1m and at most delivery.lifetime")
	}
	return nil
}

// Result is the outcome of one delivery attempt.
type Result struct {
	ID      string
	Rcpt    string        // the copy's recipient, for bounce handling; never logged
	Outcome string        // Delivered, Deferred, Bounced, Failed or Expired
	Attempt int           // 1 for the first attempt since the queue started
	Latency time.Duration // since Meta.Created; set for Delivered
	Err     error         // nil for Delivered
	// About is what Err is about (courier.AboutOf; courier.AboutLocal when
	// the spool could not be read). Only a failure about the recipient
	// should count against it: Bounced always is, Expired may be.
	About courier.About
	// Reason is where the attempt failed, one of Reasons (a bounded metric
	// label); "" for Delivered.
	Reason string
}

// DefaultBackoff waits 1m, 5m, 15m and 30m after the first four failures,
// then 1h, each ±20% at random so that entries that failed together (a
// restart, a peer outage) do not retry in lockstep.
func DefaultBackoff(attempt int) time.Duration {
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute}
	d := time.Hour
	if attempt >= 1 && attempt <= len(steps) {
		d = steps[attempt-1]
	}
	// d × [0.8, 1.2)
	return d*8/10 + rand.N(d*4/10)
}

// Queue delivers spooled entries. Its methods are safe for concurrent use.
type Queue struct {
	sp   *spool.Spool
	c    courier.Courier
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	cond     *sync.Cond // signalled when ready grows or stopping is set
	entries  map[string]*entry
	ready    []*entry  // to attempt now, first in first out
	waiting  retryHeap // to attempt later, earliest first
	timer    *time.Timer
	stopping bool
	loaded   bool
	// holds are the ids read from HoldFile, until Load has applied them.
	holds map[string]bool

	holdMu sync.Mutex // serialises writes of HoldFile
}

// entry is one spooled copy known to the queue. Only what scheduling needs
// is kept in memory: the addresses and the DKIM prefix are read from the
// spool at each attempt.
type entry struct {
	id      string
	created time.Time
	attempt int // attempts started so far
	// refused is when the current run of permanent refusals about the
	// message or the next hop began; zero when the last attempt was not
	// one.
	refused time.Time
	state   state
	due     time.Time // when waiting; when parked, when it was due
	index   int       // position in the heap when waiting
	// held is set while the entry is on hold: parked, or busy and to be
	// parked if its attempt does not end it.
	held    bool
	domain  string // the recipient's domain, as Domain gives it
	lastErr string // the error of the last attempt, redacted
}

type state int

const (
	ready   state = iota // in q.ready
	waiting              // in q.waiting
	busy                 // being delivered
	parked               // on hold, in neither
)

// New returns a queue delivering the entries of sp through c. Nothing
// happens until Run.
func New(sp *spool.Spool, c courier.Courier, opts Options) *Queue {
	def := DefaultOptions()
	if opts.Workers <= 0 {
		opts.Workers = def.Workers
	}
	if opts.Lifetime <= 0 {
		opts.Lifetime = def.Lifetime
	}
	if opts.FailureLifetime <= 0 {
		opts.FailureLifetime = def.FailureLifetime
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	q := &Queue{sp: sp, c: c, opts: opts, log: lg, entries: map[string]*entry{}}
	q.cond = sync.NewCond(&q.mu)
	q.timer = time.AfterFunc(time.Hour, q.promote)
	q.timer.Stop()
	return q
}

// Load reads every entry of the spool, and the holds of HoldFile. Run
// calls it if it has not been; a tool working on the spool of a stopped
// daemon calls Load alone, never Run, to list entries and act on them. It
// returns an error if the spool cannot be listed or HoldFile read.
func (q *Queue) Load() error {
	holds, err := ReadHolds(q.opts.HoldFile)
	if err != nil {
		return err
	}
	metas, err := q.sp.List()
	if err != nil {
		return err
	}
	// Oldest first: they are the closest to expiry.
	slices.SortFunc(metas, func(a, b spool.Meta) int { return a.Created.Compare(b.Created) })
	q.mu.Lock()
	q.holds = holds
	for _, m := range metas {
		q.addLocked(m)
	}
	q.holds = nil
	q.loaded = true
	q.mu.Unlock()
	q.log.Info("queue: loaded", "entries", len(metas), "held", len(holds))
	return nil
}

// Run loads the queue (Load) unless it is loaded, then delivers with
// Workers workers until ctx is done. It returns after the deliveries in
// flight have finished: they are not cancelled (an interrupted SMTP
// transaction is how duplicates happen), so the courier must bound its
// own time. Undelivered entries stay in the spool for the next Run. Run is
// called once.
func (q *Queue) Run(ctx context.Context) error {
	q.mu.Lock()
	loaded := q.loaded
	q.mu.Unlock()
	if !loaded {
		if err := q.Load(); err != nil {
			return err
		}
	}

	dctx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for range q.opts.Workers {
		wg.Go(func() { q.work(dctx) })
	}
	<-ctx.Done()
	q.mu.Lock()
	q.stopping = true
	q.timer.Stop()
	q.cond.Broadcast()
	q.mu.Unlock()
	wg.Wait()
	return nil
}

// Add schedules a newly committed entry for an attempt now, or at
// m.NotBefore if that is later. It never blocks on delivery. An id already
// known is ignored. Only m.ID, m.Created, m.NotBefore and the domain of
// m.Rcpt are kept.
func (q *Queue) Add(m spool.Meta) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(m)
}

// addLocked records a new entry and makes it ready, or schedules it for
// m.NotBefore (the anonymity delay, which survives a restart because it is
// stored with the copy). q.mu is held.
func (q *Queue) addLocked(m spool.Meta) {
	if m.ID == "" || q.entries[m.ID] != nil {
		return
	}
	e := &entry{id: m.ID, created: m.Created, domain: Domain(m.Rcpt)}
	q.entries[m.ID] = e
	if q.holds[m.ID] {
		e.held, e.state, e.due = true, parked, m.NotBefore
		return
	}
	if m.NotBefore.After(time.Now()) {
		q.schedule(e, m.NotBefore)
		return
	}
	q.makeReady(e)
}

// Len returns the number of entries in the queue: waiting, ready or being
// delivered.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries)
}

// Oldest returns the creation time of the oldest entry, or the zero time
// if the queue is empty. It scans every entry: meant for a metrics scrape,
// not a hot path.
func (q *Queue) Oldest() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	var oldest time.Time
	for _, e := range q.entries {
		if oldest.IsZero() || e.created.Before(oldest) {
			oldest = e.created
		}
	}
	return oldest
}

// The states of Info.State, as Postfix names its queues.
const (
	StateActive   = "active"   // being delivered, or due now
	StateDeferred = "deferred" // waiting for a retry, or for a first attempt held back by the anonymity delay
	StateHeld     = "held"     // on hold: not attempted until released
)

// Info is what the queue knows of one entry, for operators.
type Info struct {
	ID         string    `json:"id"`
	Created    time.Time `json:"created"`
	Attempt    int       `json:"attempts"` // attempts started since the queue started
	State      string    `json:"state"`    // StateActive, StateDeferred or StateHeld
	Delivering bool      `json:"delivering,omitempty"`
	Due        time.Time `json:"due,omitzero"` // deferred: the next attempt
	Domain     string    `json:"domain"`       // the recipient's domain, as Domain gives it
	// LastError is the error of the last attempt, without the recipient
	// and the sender; "" before the first. In memory only.
	LastError string `json:"last_error,omitempty"`
}

// stateName is what Info.State says of e. q.mu is held.
func stateName(e *entry) string {
	switch e.state {
	case waiting:
		return StateDeferred
	case parked:
		return StateHeld
	}
	return StateActive
}

// Entries lists every entry, oldest first.
func (q *Queue) Entries() []Info {
	q.mu.Lock()
	out := make([]Info, 0, len(q.entries))
	for _, e := range q.entries {
		i := Info{ID: e.id, Created: e.created, Attempt: e.attempt, State: stateName(e),
			Delivering: e.state == busy, Domain: e.domain, LastError: e.lastErr}
		if e.state == waiting {
			i.Due = e.due
		}
		out = append(out, i)
	}
	q.mu.Unlock()
	slices.SortFunc(out, func(a, b Info) int { return a.Created.Compare(b.Created) })
	return out
}

// Counts returns how many entries are active (being delivered or due
// now), deferred (waiting for a later attempt) and held. They add up to
// Len. It scans every entry: meant for a metrics scrape.
func (q *Queue) Counts() (active, deferred, held int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range q.entries {
		switch e.state {
		case waiting:
			deferred++
		case parked:
			held++
		default:
			active++
		}
	}
	return active, deferred, held
}

// Domain returns the domain of an address (or a domain) in the form the
// queue compares: A-labels (RFC 5890), lower case, without a final dot.
func Domain(addr string) string {
	d := strings.ToLower(strings.TrimSuffix(addr[strings.LastIndexByte(addr, '@')+1:], "."))
	if a, err := idna.ToASCII(d); err == nil {
		d = a
	}
	return d
}

// makeReady appends e to the ready list and wakes a worker. q.mu is held.
func (q *Queue) makeReady(e *entry) {
	e.state = ready
	q.ready = append(q.ready, e)
	q.cond.Signal()
}

// schedule puts e in the waiting heap until due. q.mu is held.
func (q *Queue) schedule(e *entry, due time.Time) {
	e.state = waiting
	e.due = due
	q.waiting.push(e)
	q.arm()
}

// arm sets the one timer to the earliest due entry. A single timer serves
// every waiting entry, however many there are. q.mu is held.
func (q *Queue) arm() {
	if q.stopping || len(q.waiting) == 0 {
		q.timer.Stop()
		return
	}
	q.timer.Reset(max(time.Until(q.waiting[0].due), 0))
}

// promote runs on the timer: it moves every entry now due to the ready
// list. Running early or twice is harmless.
func (q *Queue) promote() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	for len(q.waiting) > 0 && !q.waiting[0].due.After(now) {
		q.makeReady(q.waiting.pop())
	}
	q.arm()
}

// next blocks until an entry is ready and claims it, or returns nil once
// the queue is stopping.
func (q *Queue) next() *entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 && !q.stopping {
		q.cond.Wait()
	}
	if q.stopping {
		return nil
	}
	e := q.ready[0]
	q.ready[0] = nil
	q.ready = q.ready[1:]
	e.state = busy
	e.attempt++
	return e
}

// work is one worker: it attempts ready entries one at a time.
func (q *Queue) work(ctx context.Context) {
	for {
		e := q.next()
		if e == nil {
			return
		}
		q.attempt(ctx, e)
	}
}
