package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// sampleMaxBytes bounds a message kept for DKIM verification.
const sampleMaxBytes = 1 << 20

// sinkOptions configure a sink.
type sinkOptions struct {
	Listen     string
	DKIMSample int // messages kept for DKIM verification (the first ones of at most 1 MiB)
}

// sink is an SMTP server that accepts every message, counts it, and reads
// back the marker the sender put in it.
type sink struct {
	srv  *smtp.Server
	ln   net.Listener
	done chan struct{}

	mu         sync.Mutex
	delivered  int // distinct marked messages plus unmarked ones
	duplicates int
	unmarked   int
	bytes      int64
	first      time.Time
	last       time.Time
	firstSent  time.Time
	seen       map[string]struct{} // run-seq of the marked messages
	lat        latencies
	samples    [][]byte
	sampleMax  int
}

// startSink listens on o.Listen and serves until Close.
func startSink(o sinkOptions) (*sink, error) {
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	s := &sink{ln: ln, seen: map[string]struct{}{}, sampleMax: o.DKIMSample, done: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: s}, nil
	}))
	srv.Domain = "sink.leak-load.invalid"
	srv.MaxMessageBytes = 64 << 20
	srv.ReadTimeout = 5 * time.Minute
	srv.WriteTimeout = 5 * time.Minute
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv
	go func() {
		defer close(s.done)
		srv.Serve(ln)
	}()
	return s, nil
}

// Addr is the address the sink listens on.
func (s *sink) Addr() string { return s.ln.Addr().String() }

// Close stops the sink and closes its connections.
func (s *sink) Close() error {
	err := s.srv.Close()
	<-s.done
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Delivered is the number of distinct messages received so far.
func (s *sink) Delivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// wait returns true once n messages have arrived, false if ctx ends first.
func (s *sink) wait(ctx context.Context, n int) bool {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for s.Delivered() < n {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// record counts one message that ended at arrival.
func (s *sink) record(m marker, marked bool, size int64, arrival time.Time, sample []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first.IsZero() {
		s.first = arrival
	}
	s.last = arrival
	s.bytes += size
	if sample != nil && len(s.samples) < s.sampleMax {
		s.samples = append(s.samples, sample)
	}
	if !marked {
		s.unmarked++
		s.delivered++
		return
	}
	key := fmt.Sprintf("%s-%d", m.run, m.seq)
	if _, dup := s.seen[key]; dup {
		s.duplicates++
		return
	}
	s.seen[key] = struct{}{}
	s.delivered++
	if s.firstSent.IsZero() || m.sent.Before(s.firstSent) {
		s.firstSent = m.sent
	}
	s.lat.add(arrival.Sub(m.sent))
}

func (s *sink) wantSample() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.samples) < s.sampleMax
}

// sinkResult is what a sink measured.
type sinkResult struct {
	Delivered  int         `json:"delivered"`
	Duplicates int         `json:"duplicates"`
	Unmarked   int         `json:"unmarked"`
	Bytes      int64       `json:"bytes"`
	First      time.Time   `json:"first_arrival"`
	Last       time.Time   `json:"last_arrival"`
	FirstSent  time.Time   `json:"first_sent"`
	Seconds    float64     `json:"seconds"`
	PerSecond  float64     `json:"delivered_per_second"`
	Latency    percentiles `json:"end_to_end"`
	DKIM       *dkimResult `json:"dkim,omitempty"`
}

// result summarises what arrived. The rate runs from since (the start of
// sending) to the last arrival; a zero since means the earliest send time
// read from a marker, or else the first arrival.
func (s *sink) result(since time.Time) *sinkResult {
	s.mu.Lock()
	r := &sinkResult{Delivered: s.delivered, Duplicates: s.duplicates, Unmarked: s.unmarked,
		Bytes: s.bytes, First: s.first, Last: s.last, FirstSent: s.firstSent}
	s.mu.Unlock()
	r.Latency = s.lat.summary()
	if since.IsZero() {
		since = r.FirstSent
	}
	if since.IsZero() {
		since = r.First
	}
	if r.Delivered > 0 {
		r.Seconds = r.Last.Sub(since).Seconds()
		r.PerSecond = rate(r.Delivered, r.Last.Sub(since))
	}
	return r
}

// takeSamples returns the messages kept for DKIM verification.
func (s *sink) takeSamples() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.samples
	s.samples = nil
	return out
}

func (r *sinkResult) write(w io.Writer) {
	fmt.Fprintf(w, "sink: %d delivered (%d duplicates, %d without a marker), %d octets\n",
		r.Delivered, r.Duplicates, r.Unmarked, r.Bytes)
	fmt.Fprintf(w, "sink: end to end %.1f msgs/s (%.2f s from the first send to the last arrival)\n", r.PerSecond, r.Seconds)
	fmt.Fprintf(w, "sink: end-to-end latency: %s\n", r.Latency)
	if r.DKIM != nil {
		r.DKIM.write(w)
	}
}

// sinkSession accepts everything.
type sinkSession struct{ s *sink }

func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*sinkSession) Reset()                               {}
func (*sinkSession) Logout() error                        { return nil }

// Data reads the message line by line, looking for the marker at the
// start of a line, and keeps a copy while DKIM samples are wanted.
func (ss *sinkSession) Data(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var keep *bytes.Buffer
	if ss.s.wantSample() {
		keep = new(bytes.Buffer)
	}
	var (
		m       marker
		marked  bool
		size    int64
		atStart = true
	)
	for {
		line, err := br.ReadSlice('\n')
		size += int64(len(line))
		if keep != nil {
			if keep.Len()+len(line) > sampleMaxBytes {
				keep = nil
			} else {
				keep.Write(line)
			}
		}
		if atStart && !marked && bytes.HasPrefix(line, []byte(markerPrefix)) {
			m, marked = parseMarker(bytes.TrimRight(line, "\r\n"))
		}
		atStart = bytes.HasSuffix(line, []byte("\n"))
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
	}
	var sample []byte
	if keep != nil {
		sample = keep.Bytes()
	}
	ss.s.record(m, marked, size, time.Now(), sample)
	return nil
}
