package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// commitReq is one Writer.Commit waiting for the committer.
type commitReq struct {
	f    *os.File // flushed, still open; the committer closes it
	id   string
	err  error         // set by the committer before done is closed
	done chan struct{} // closed when the commit is durable or has failed
	// moved is set once the file has been renamed into q/.
	moved bool
}

// committer is the group commit loop. It takes whatever commits are waiting
// when it wakes (up to MaxBatch) and makes them durable together, so that
// concurrent commits share one directory fsync.
//
// s.reqs is unbuffered on purpose: a request is either received here, and
// then always answered, or its sender sees s.quit. Nothing can be left
// behind in a buffer when Close stops the loop. The non-blocking receives
// below collect exactly the writers that queued up while the previous
// batch was being synced.
func (s *Spool) committer() {
	defer close(s.done)
	batch := make([]*commitReq, 0, s.opts.MaxBatch)
	for {
		// Close wins over writers still queuing up.
		select {
		case <-s.quit:
			return
		default:
		}
		select {
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		case <-s.quit:
			return
		}
	gather:
		for len(batch) < s.opts.MaxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.commitBatch(batch)
		clear(batch)
	}
}

// commitBatch makes a batch durable: fsync and close each file in the order
// received, rename each into q/, then one fsync of q/ so the new names
// survive a crash (rename alone only orders them in memory). A failure on
// one file fails only that commit; a failed directory fsync fails the whole
// batch, since none of its names is known to be on disk.
func (s *Spool) commitBatch(batch []*commitReq) {
	start := time.Now()
	moved := 0
	for _, r := range batch {
		tmp := filepath.Join(s.tmp, r.id)
		err := r.f.Sync()
		if err != nil {
			err = fmt.Errorf("spool: sync %s: %w", r.id, err)
		}
		if cerr := r.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("spool: close %s: %w", r.id, cerr)
		}
		if err == nil {
			if rerr := os.Rename(tmp, filepath.Join(s.q, r.id)); rerr != nil {
				err = fmt.Errorf("spool: rename %s: %w", r.id, rerr)
			}
		}
		if err != nil {
			os.Remove(tmp)
			r.err = err
			continue
		}
		r.moved = true
		moved++
	}
	if moved > 0 {
		if err := syncDir(s.q); err != nil {
			for _, r := range batch {
				if r.moved {
					os.Remove(filepath.Join(s.q, r.id))
					r.err = err
				}
			}
		}
	}
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(len(batch), time.Since(start))
	}
	for _, r := range batch {
		close(r.done)
	}
}

// syncDir fsyncs a directory, making the entries created or renamed in it
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool: sync dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spool: sync dir %s: %w", dir, err)
	}
	return nil
}
