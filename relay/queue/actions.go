package queue

import (
	"slices"
	"time"
)

// What operators do to entries (the admin socket, `leakd queue`). Each
// action that changes an entry calls Options.OnAction; logging it, with who
// asked, is the caller's part.
//
// A copy whose first attempt is held back by the anonymity delay is never
// made due by RetryAll or RetryDomain: sending it early would date its
// sending, which the delay hides. RetryNow, for one named entry, does.

// Delete removes an entry from the queue and the spool, unless it is being
// delivered at this moment. It reports whether the entry was deleted.
func (q *Queue) Delete(id string) (bool, error) {
	q.mu.Lock()
	e := q.entries[id]
	if e == nil || e.state == busy {
		q.mu.Unlock()
		return false, nil
	}
	switch e.state {
	case waiting:
		q.waiting.remove(e)
		q.arm()
	case ready:
		q.ready = slices.DeleteFunc(q.ready, func(x *entry) bool { return x == e })
	}
	delete(q.entries, id)
	q.mu.Unlock()
	q.acted("delete", 1)
	err := q.sp.Remove(id)
	if e.held {
		if herr := q.saveHolds(); err == nil {
			err = herr
		}
	}
	return true, err
}

// RetryAll makes every entry waiting for a retry due now and returns how
// many.
func (q *Queue) RetryAll() int {
	return q.retryWhere(func(*entry) bool { return true })
}

// RetryDomain makes every entry for domain (an address's domain, or a
// domain: compared as Domain gives them) that waits for a retry due now,
// and returns how many: after a destination's outage, or once it stops
// throttling.
func (q *Queue) RetryDomain(domain string) int {
	d := Domain(domain)
	return q.retryWhere(func(e *entry) bool { return e.domain == d })
}

// retryWhere makes the entries waiting for a retry that match due now.
func (q *Queue) retryWhere(match func(*entry) bool) int {
	q.mu.Lock()
	var due []*entry
	for _, e := range q.waiting {
		// attempt 0: still before its first attempt, the anonymity delay.
		if e.attempt > 0 && match(e) {
			due = append(due, e)
		}
	}
	for _, e := range due {
		q.waiting.remove(e)
		q.makeReady(e)
	}
	q.arm()
	q.mu.Unlock()
	q.acted("retry", len(due))
	return len(due)
}

// RetryNow moves a waiting entry to the front of the schedule. It reports
// whether the entry is now due: false if the id is unknown, the entry is
// held, or it is being delivered at this moment.
func (q *Queue) RetryNow(id string) bool {
	q.mu.Lock()
	e := q.entries[id]
	ok := e != nil && (e.state == ready || e.state == waiting)
	if ok && e.state == waiting {
		q.waiting.remove(e)
		q.makeReady(e)
		q.arm()
	}
	q.mu.Unlock()
	if ok {
		q.acted("retry", 1)
	}
	return ok
}

// Hold puts an entry on hold: it is not attempted again until Release. An
// entry being delivered at this moment is held once that attempt ends, if
// the attempt does not end it. Hold reports whether the id is known, and
// an error if the hold could not be saved to HoldFile (it holds in memory
// all the same). Holding a held entry does nothing.
func (q *Queue) Hold(id string) (bool, error) {
	q.mu.Lock()
	e := q.entries[id]
	if e == nil || e.held {
		q.mu.Unlock()
		return e != nil, nil
	}
	e.held = true
	switch e.state {
	case ready:
		q.ready = slices.DeleteFunc(q.ready, func(x *entry) bool { return x == e })
		e.state, e.due = parked, time.Now()
	case waiting:
		q.waiting.remove(e)
		q.arm()
		e.state = parked // e.due is kept for Release
	}
	q.mu.Unlock()
	q.acted("hold", 1)
	return true, q.saveHolds()
}

// Release takes an entry off hold: it is attempted when it was due, or at
// once if that time has passed. It reports whether the entry was held, and
// an error if HoldFile could not be saved.
func (q *Queue) Release(id string) (bool, error) {
	q.mu.Lock()
	e := q.entries[id]
	if e == nil || !e.held {
		q.mu.Unlock()
		return false, nil
	}
	e.held = false
	if e.state == parked {
		if e.due.After(time.Now()) {
			q.schedule(e, e.due)
		} else {
			q.makeReady(e)
		}
	}
	q.mu.Unlock()
	q.acted("release", 1)
	return true, q.saveHolds()
}

// acted reports n entries acted on to OnAction.
func (q *Queue) acted(action string, n int) {
	if q.opts.OnAction == nil {
		return
	}
	for range n {
		q.opts.OnAction(action)
	}
}
