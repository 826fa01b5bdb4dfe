package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// sendOptions configure a send run.
type sendOptions struct {
	Addr     string
	N        int           // messages to send
	C        int           // concurrent SMTP sessions
	Size     int           // message size in octets
	From     string        // envelope sender and From address
	Rcpt     string        // the one recipient of every message
	HELO     string        // EHLO name
	Duration time.Duration // the run stops sending after this long
	Timeout  time.Duration // each network read or write
	PerConn  int           // messages per connection before reconnecting; 0: no limit
	Attach   string        // a file every message carries instead of the filler; Size is then ignored
	File     string        // a whole message (header and body) sent as it is instead of the generated one
	Rate     float64       // messages per second over all sessions; 0: as fast as the relay answers
	Progress io.Writer     // progress lines every few seconds; nil: none
}

func (o *sendOptions) check() error {
	switch {
	case o.Addr == "":
		return errors.New("send: --addr is required")
	case o.N < 1:
		return errors.New("send: --n must be at least 1")
	case o.C < 1:
		return errors.New("send: --c must be at least 1")
	case o.Size < 1:
		return errors.New("send: --size must be at least 1")
	case o.Duration <= 0 || o.Timeout <= 0:
		return errors.New("send: --duration and --timeout must be positive")
	case o.Rate < 0:
		return errors.New("send: --rate must not be negative")
	case o.File != "" && o.Attach != "":
		return errors.New("send: --file and --attach exclude each other")
	}
	return nil
}

// sendResult is what a send run measured.
type sendResult struct {
	Run         string         `json:"run"`
	MessageSize int            `json:"message_size"`
	Attempted   int            `json:"attempted"`
	Accepted    int            `json:"accepted"`
	Errors      map[string]int `json:"errors"`
	Connections int            `json:"connections"`
	Seconds     float64        `json:"seconds"`
	PerSecond   float64        `json:"accepted_per_second"`
	Latency     percentiles    `json:"data_end_to_reply"`
	Start       time.Time      `json:"start"`
	End         time.Time      `json:"end"`
}

// newRunID returns a random run id of runWidth hex digits.
func newRunID() string {
	b := make([]byte, runWidth/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// send runs o.N transactions over o.C sessions, or fewer if o.Duration
// passes first or ctx is cancelled. Every attempt is counted: accepted,
// or an error by reply code or network failure.
func send(ctx context.Context, o sendOptions) (*sendResult, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	gen, err := newGenerator(newRunID(), o.From, o.Rcpt, o.Size)
	if err == nil && o.Attach != "" {
		var data []byte
		if data, err = os.ReadFile(o.Attach); err == nil {
			gen.attach(data, o.Attach)
		}
	}
	var file *message
	if err == nil && o.File != "" {
		file, err = readMessage(o.File)
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()

	var (
		next, accepted, conns atomic.Int64
		errs                  counts
		lat                   latencies
		wg                    sync.WaitGroup
	)
	res := &sendResult{Run: gen.run, MessageSize: gen.Size(), Start: time.Now()}
	if file != nil {
		res.MessageSize = file.Len()
	}
	stopProgress := progress(o.Progress, func() string {
		return fmt.Sprintf("send: %d/%d attempted, %d accepted, errors: %s",
			min(next.Load(), int64(o.N)), o.N, accepted.Load(), formatCounts(errs.snapshot()))
	})
	for range min(o.C, o.N) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *client
			defer func() {
				if c != nil {
					c.quit()
				}
			}()
			fails, onConn := 0, 0
			for ctx.Err() == nil {
				seq := int(next.Add(1) - 1)
				if seq >= o.N {
					return
				}
				if o.Rate > 0 {
					// Message seq leaves at its slot, whatever session
					// sends it: an open-loop rate, not one per reply.
					sleep(ctx, time.Until(res.Start.Add(time.Duration(float64(seq)/o.Rate*float64(time.Second)))))
					if ctx.Err() != nil {
						return
					}
				}
				if c == nil {
					nc, err := dial(o.Addr, o.HELO, o.Timeout)
					if err != nil {
						errs.add(errorKey(err))
						fails++
						// Back off so that a relay that is down does
						// not turn the run into a dial loop.
						sleep(ctx, time.Duration(min(fails, 10))*100*time.Millisecond)
						continue
					}
					c = nc
					conns.Add(1)
					fails, onConn = 0, 0
				}
				m := file
				if m == nil {
					m = gen.Message(seq, time.Now())
				}
				d, err := c.send(o.From, o.Rcpt, m)
				onConn++
				if err != nil {
					errs.add(errorKey(err))
					var re *replyError
					if !errors.As(err, &re) || re.closed {
						c.conn.Close()
						c = nil
					}
					continue
				}
				accepted.Add(1)
				lat.add(d)
				if o.PerConn > 0 && onConn >= o.PerConn {
					c.quit()
					c = nil
				}
			}
		}()
	}
	wg.Wait()
	stopProgress()
	res.End = time.Now()
	res.Attempted = int(min(next.Load(), int64(o.N)))
	res.Accepted = int(accepted.Load())
	res.Errors = errs.snapshot()
	res.Connections = int(conns.Load())
	res.Seconds = res.End.Sub(res.Start).Seconds()
	res.PerSecond = rate(res.Accepted, res.End.Sub(res.Start))
	res.Latency = lat.summary()
	return res, nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// progress prints line() to w every 5 seconds until the returned function
// is called.
func progress(w io.Writer, line func() string) func() {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintln(w, line())
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

func (r *sendResult) write(w io.Writer) {
	fmt.Fprintf(w, "send: run %s, %d attempted, %d accepted in %.2f s over %d connections (message size %d octets)\n",
		r.Run, r.Attempted, r.Accepted, r.Seconds, r.Connections, r.MessageSize)
	fmt.Fprintf(w, "send: accepted %.1f msgs/s\n", r.PerSecond)
	fmt.Fprintf(w, "send: errors: %s\n", formatCounts(r.Errors))
	fmt.Fprintf(w, "send: DATA end → reply: %s\n", r.Latency)
}
