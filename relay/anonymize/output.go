package anonymize

import (
	"bufio"
	"io"
)

// fanout writes the shared part of the output (everything below the
// top-level header) to every copy, and lets the per-copy parts (the header,
// a footer) go to one copy. Each copy is buffered so that small writes do
// not reach the caller's writer (a file, a signer) one line at a time.
type fanout struct {
	copies []outCopy
	err    error      // the first write error; every later write fails with it
	rec    *recording // while set, writes are recorded instead (hold)
}

type outCopy struct {
	w    *bufio.Writer
	tail [2]byte // the last two octets written, to end the copy with CRLF
}

func newFanout(copies []Copy) *fanout {
	f := &fanout{copies: make([]outCopy, len(copies))}
	for i, c := range copies {
		w := writerPool.Get().(*bufio.Writer)
		w.Reset(c.W)
		f.copies[i].w = w
	}
	return f
}

// Write writes p to every copy.
func (f *fanout) Write(p []byte) (int, error) {
	if f.rec != nil {
		if err := f.recordTo(-1, p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	for i := range f.copies {
		if err := f.writeTo(i, p); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (f *fanout) writeTo(i int, p []byte) error {
	if f.err != nil {
		return f.err
	}
	if len(p) == 0 {
		return nil
	}
	if f.rec != nil {
		return f.recordTo(i, p)
	}
	c := &f.copies[i]
	if _, err := c.w.Write(p); err != nil {
		f.err = err
		return err
	}
	if len(p) >= 2 {
		c.tail = [2]byte{p[len(p)-2], p[len(p)-1]}
	} else {
		c.tail = [2]byte{c.tail[1], p[0]}
	}
	return nil
}

// one returns a writer to copy i alone.
func (f *fanout) one(i int) io.Writer { return copyWriter{f, i} }

type copyWriter struct {
	f *fanout
	i int
}

func (w copyWriter) Write(p []byte) (int, error) {
	if err := w.f.writeTo(w.i, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// finish ends every copy with CRLF (a message is a sequence of lines, RFC
// 5322 section 2.1) and flushes it.
func (f *fanout) finish() error {
	for i := range f.copies {
		c := &f.copies[i]
		if c.tail != [2]byte{'\r', '\n'} {
			if err := f.writeTo(i, crlf); err != nil {
				return err
			}
		}
		if f.err != nil {
			return f.err
		}
		if err := c.w.Flush(); err != nil {
			f.err = err
			return err
		}
	}
	return nil
}

var crlf = []byte("\r\n")

// recording holds what the copies were written while a part waits for the
// parts after it (rewriter.hold): the output they share once, and each
// copy's own writes (its footer) in order between.
type recording struct {
	data  []byte
	marks []mark
	limit int          // past it, full is called
	full  func() error // makes room, or ends the recording
}

// mark ends a run of recorded data written to one copy, or to all (-1).
type mark struct {
	copy, end int
}

func (r *recording) add(i int, p []byte) {
	r.data = append(r.data, p...)
	if n := len(r.marks); n > 0 && r.marks[n-1].copy == i {
		r.marks[n-1].end = len(r.data)
		return
	}
	r.marks = append(r.marks, mark{i, len(r.data)})
}

// record starts recording the writes to f. When the recording passes
// limit, full is called once: it raises the limit or ends the recording
// (replay), after which writes go to the copies again.
func (f *fanout) record(limit int, full func() error) {
	f.rec = &recording{limit: limit, full: full}
}

// recordTo records p for copy i (-1: every copy).
func (f *fanout) recordTo(i int, p []byte) error {
	r := f.rec
	r.add(i, p)
	if len(r.data) <= r.limit {
		return nil
	}
	if err := r.full(); err != nil {
		f.err = err
		return err
	}
	return nil
}

// replay stops recording and writes what was recorded, in order.
func (f *fanout) replay(r *recording) error {
	start := 0
	for _, m := range r.marks {
		b := r.data[start:m.end]
		start = m.end
		if m.copy < 0 {
			if _, err := f.Write(b); err != nil {
				return err
			}
		} else if err := f.writeTo(m.copy, b); err != nil {
			return err
		}
	}
	return nil
}
