package scan

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxAnswer bounds the /checkv2 answer read into memory. A real answer is
// a few KiB (one entry per symbol that fired).
const maxAnswer = 1 << 20

// Verdict is the outcome of one scan.
type Verdict struct {
	Action Action
	// Score is Rspamd's score; 0 when the scan failed.
	Score float64
	// Symbols are the names of the rules that fired, sorted, for the
	// log line; nil when the scan failed.
	Symbols []string
}

// Scanner sends messages to one Rspamd. It is safe for concurrent use.
type Scanner struct {
	o      Options
	check  string // o.URL + /checkv2
	client *http.Client
}

// New returns a Scanner for valid options. A nil client gets a private one
// that ignores the HTTP_PROXY environment variables: clean copies go to
// the configured Rspamd and nowhere else.
func New(o Options, client *http.Client) (*Scanner, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil
		client = &http.Client{Transport: t}
	}
	return &Scanner{
		o:      o,
		check:  strings.TrimSuffix(o.URL, "/") + "/checkv2",
		client: client,
	}, nil
}

// Check scans msg, size bytes long, addressed to rcpt (may be empty).
//
// msg must be Leak's clean copy, never the message as received: what Leak
// signs is what Rspamd should judge, and Rspamd's history and logs must not
// see the sender. For the same reason the request carries no IP, Hostname,
// Helo, From or User header, only Content-Length, Rcpt and Password.
//
// The verdict follows the scores in Options: at least RejectScore is
// Reject, else at least DeferScore is Defer, else Accept. Rspamd's own
// action is not consulted; a pre-result such as the GTUBE test string
// comes with the score of the action Rspamd forces (GTUBE: Rspamd's reject
// score, 15 by default), so the thresholds see it too.
//
// When the scan fails, Check returns Options.OnError as the verdict and an
// error naming the cause. The error never quotes the message.
func (s *Scanner) Check(ctx context.Context, msg io.Reader, size int64, rcpt string) (Verdict, error) {
	score, symbols, err := s.post(ctx, msg, size, rcpt)
	if err != nil {
		return Verdict{Action: s.o.OnError}, fmt.Errorf("scan: rspamd at %s: %w", s.o.URL, err)
	}
	return Verdict{Action: s.decide(score), Score: score, Symbols: symbols}, nil
}

// sized reads a message declared to hold size bytes, and fails with an
// error of its own when it holds fewer or more. The transport checks the
// length too, but its error races with the teardown of the connection it
// causes ("use of closed network connection"), and with an answer the
// server may send once it has the declared bytes; an error reading the
// request body is the one the transport reports before any other. So the
// last bytes are held back until a read past them finds the end.
type sized struct {
	r    io.Reader
	size int64
	n    int64
}

func (b *sized) Read(p []byte) (int, error) {
	left := b.size - b.n
	if left <= 0 {
		return 0, io.EOF // the end was found when the last bytes went
	}
	p = p[:min(int64(len(p)), left)]
	n, err := b.r.Read(p)
	b.n += int64(n)
	switch {
	case err != nil && err != io.EOF:
		return n, err
	case b.n < b.size && err == io.EOF:
		return n, fmt.Errorf("the message holds %d bytes, fewer than the %d declared", b.n, b.size)
	case b.n < b.size:
		return n, nil
	}
	if err == nil {
		var one [1]byte
		switch _, err := io.ReadFull(b.r, one[:]); err {
		case nil:
			return 0, fmt.Errorf("the message holds more than the %d bytes declared", b.size)
		case io.EOF:
		default:
			return 0, err
		}
	}
	return n, io.EOF
}

func (s *Scanner) decide(score float64) Action {
	switch {
	case s.o.RejectScore > 0 && score >= s.o.RejectScore:
		return Reject
	case s.o.DeferScore > 0 && score >= s.o.DeferScore:
		return Defer
	}
	return Accept
}

func (s *Scanner) post(parent context.Context, msg io.Reader, size int64, rcpt string) (float64, []string, error) {
	if size < 0 {
		return 0, nil, fmt.Errorf("message size %d is negative", size)
	}
	ctx, cancel := context.WithTimeout(parent, s.o.Timeout)
	defer cancel()
	// timedOut tells the caller's cancellation from scan.timeout.
	timedOut := func() bool { return ctx.Err() != nil && parent.Err() == nil }
	body := io.NopCloser(&sized{r: msg, size: size})
	if size == 0 {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.check, body)
	if err != nil {
		return 0, nil, err
	}
	// A known length, so that Rspamd gets a plain body, not chunks; sized
	// fails the request if msg holds more or fewer bytes.
	req.ContentLength = size
	if rcpt != "" {
		req.Header.Set("Rcpt", rcpt)
	}
	if s.o.Password != "" {
		req.Header.Set("Password", s.o.Password)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if timedOut() {
			return 0, nil, fmt.Errorf("no answer within scan.timeout (%v): %w", s.o.Timeout, context.DeadlineExceeded)
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		if timedOut() {
			return 0, nil, fmt.Errorf("reading the answer: no end within scan.timeout (%v): %w", s.o.Timeout, context.DeadlineExceeded)
		}
		return 0, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(b) > maxAnswer {
		return 0, nil, fmt.Errorf("the answer is over %d bytes", maxAnswer)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, nil, fmt.Errorf("answered %s%s", resp.Status, rspamdError(b))
	}
	return parse(b)
}
