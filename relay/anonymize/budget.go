package anonymize

import (
	"io"
	"sync"
	"time"

	"leak/relay/content/refusal"
)

// budget bounds the memory held by documents being cleaned at once, across
// every message the daemon is reading. A PDF or an office document needs
// random access, so it is held whole; with a hundred clients each sending
// one, the sum would be unbounded without this. A document waits for room
// up to the budget's wait, then the message is deferred (451): the client
// retries later, and nothing is lost.
type budget struct {
	mu   sync.Mutex
	cond *sync.Cond
	max  int64
	used int64
	wait time.Duration
}

// documentCost is how many times its size a document holds while it is
// cleaned: the input, the rewritten output and the cleaner's own working
// copies (decompressed members, parsed objects).
const documentCost = 4

var errBusy = refusal.New(refusal.Busy, "Leak is busy cleaning other documents; please try again in a few minutes")

func newBudget(max int64, wait time.Duration) *budget {
	b := &budget{max: max, wait: wait}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire reserves n octets, waiting for room at most the budget's wait.
func (b *budget) acquire(n int64) error {
	deadline := time.Now().Add(b.wait)
	stop := time.AfterFunc(b.wait, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer stop.Stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used+n > b.max {
		if !time.Now().Before(deadline) {
			return errBusy
		}
		b.cond.Wait()
	}
	b.used += n
	return nil
}

// tryAcquire reserves n octets if there is room now, without waiting.
func (b *budget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// release gives back n octets.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.cond.Broadcast()
	b.mu.Unlock()
}

// readDocument reads src whole, refusing it past max octets, and holds
// budget for it. It reserves room for the largest document first, waiting
// for it with nothing held, and gives back what the document did not need
// once it is read: a waiter never holds part of the budget, so documents
// read at the same time cannot starve each other into a deadlock (growing
// a reservation step by step did, with a hundred clients). The caller
// releases held once the document is written.
func (b *budget) readDocument(src io.Reader, max int64) (data []byte, held int64, err error) {
	reserve := max * documentCost
	if err := b.acquire(reserve); err != nil {
		return nil, 0, err
	}
	data, err = io.ReadAll(io.LimitReader(src, max+1))
	if err == nil && int64(len(data)) > max {
		err = errTooLargeDoc
	}
	if err != nil {
		b.release(reserve)
		return nil, 0, err
	}
	held = int64(len(data)) * documentCost
	b.release(reserve - held)
	return data, held, nil
}
