package anonymize

import (
	"bufio"
	"io"
	"sync"
)

// The buffers of one Rewrite come from pools and go back when it returns
// (rewriter.release): a message passes through several 4 KiB readers (the
// message, each multipart body and each part's header, each leaf, each
// quoted-printable part's decoder), a 4 KiB writer per copy and an 8 KiB
// copy buffer. With the pools of content/text and content/html, a 2 KiB
// message allocates 52 KB on the accept path instead of 88 KB
// (BenchmarkAccept/2KiB in relay), garbage the collector no longer has to
// reclaim. Nothing of a Rewrite outlives it: there are no goroutines, and
// what it writes is flushed to the copies' writers before it returns.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
	bufPool    = sync.Pool{New: func() any { b := make([]byte, 8<<10); return &b }}
	qpPool     = sync.Pool{New: func() any { return newQPReader(nil) }}
)

// getBuf returns an 8 KiB copy buffer from bufPool.
func getBuf() []byte { return *bufPool.Get().(*[]byte) }

// reader returns a pooled 4 KiB reader of src, given back by release.
func (r *rewriter) reader(src io.Reader) *bufio.Reader {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(src)
	r.readers = append(r.readers, br)
	return br
}

// decoder is decoder(cte, body), with a quoted-printable reader (4 KiB of
// buffer, and as much again for the decoded line) from qpPool, given back
// by release.
func (r *rewriter) decoder(cte string, body io.Reader) io.Reader {
	if cte != "quoted-printable" {
		return decoder(cte, body)
	}
	q := qpPool.Get().(*qpReader)
	q.br.Reset(body)
	r.qps = append(r.qps, q)
	return q
}

// release gives the rewriter's buffers back to their pools. The rewriter
// must not be used afterwards. The readers and writers are reset first,
// so that the pools do not keep what they read from or wrote to alive.
func (r *rewriter) release() {
	if r.held != nil {
		// The message failed while a part waited.
		r.budget.release(r.held.budget)
		r.held = nil
	}
	for _, br := range r.readers {
		br.Reset(nil)
		readerPool.Put(br)
	}
	r.readers = nil
	for _, q := range r.qps {
		q.br.Reset(nil)
		q.out, q.err = nil, nil
		qpPool.Put(q)
	}
	r.qps = nil
	for i := range r.out.copies {
		w := r.out.copies[i].w
		w.Reset(nil)
		writerPool.Put(w)
		r.out.copies[i].w = nil
	}
	buf := r.buf
	r.buf = nil
	bufPool.Put(&buf)
}
