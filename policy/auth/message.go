package auth

import (
	"context"
	"errors"
	"io"

	"github.com/emersion/go-msgauth/dkim"
)

// errClosed is returned by Write and Close after Close or Abort.
var errClosed = errors.New("auth: message already closed")

// Message checks one message while it streams. Its methods must not be
// called concurrently.
type Message struct {
	c      *Checker
	off    bool // Mode Off: do nothing at all
	closed bool
	ctx    context.Context
	cancel context.CancelFunc

	// SPF, run from Begin; spfDone is nil when no check runs.
	spfDomain string
	spf       string
	spfDone   chan struct{}

	head headerBlock
	from string // the RFC5322.From domain; "" if there is no single one

	// DKIM, run from the end of the header block if it has signatures.
	signatures int
	pw         *io.PipeWriter // the verifier's input; nil once ended
	blankRun   int            // CR and LF octets in a row at the end of the input
	blankAbort bool
	dkimDone   chan struct{}
	verifs     []*dkim.Verification
	verifyErr  error

	// DMARC policy discovery, run from the end of the header block.
	record    policyRecord
	dmarcDone chan struct{}
}

// Write takes the next bytes of the raw message as received in DATA (CRLF
// line endings, dot-stuffing removed). It keeps the header block only and
// never fails while the message is open: what goes wrong shows in the
// Result. It may block while the DKIM verifier waits for a key.
func (m *Message) Write(p []byte) (int, error) {
	if m.closed {
		return 0, errClosed
	}
	if m.off {
		return len(p), nil
	}
	n := len(p)
	if !m.head.done {
		h := m.head.write(p)
		if !m.head.done {
			return n, nil
		}
		m.endHeader()
		p = p[h:]
	}
	m.feedDKIM(p)
	return n, nil
}

// endHeader starts what needs the whole header block: DMARC policy
// discovery for the From domain, and DKIM if there are signatures.
func (m *Message) endHeader() {
	if m.head.tooLarge {
		return // no From domain, no DKIM
	}
	f := scanFields(m.head.buf)
	m.from, _ = fromDomain(f.from)
	if m.from != "" {
		m.dmarcDone = make(chan struct{})
		go func() {
			defer close(m.dmarcDone)
			m.record = discover(m.ctx, m.c.dns, m.from)
		}()
	}
	if m.signatures = f.signatures; m.signatures > 0 {
		m.startDKIM()
	}
	m.head.buf = nil
}

// Close ends the message, waits for the checks and returns their Result.
// It returns an error only if the message was closed or aborted already.
func (m *Message) Close() (Result, error) {
	if m.closed {
		return Result{}, errClosed
	}
	m.closed = true
	if m.off {
		return Result{}, nil
	}
	defer m.cancel()
	if !m.head.done {
		m.head.finish()
		m.endHeader()
	}
	m.endDKIM()

	r := Result{DKIM: m.dkimResults(), FromDomain: m.from}
	if m.spfDone != nil {
		<-m.spfDone
	}
	r.SPF = m.spf
	if m.dmarcDone == nil {
		r.DMARC = PermError // no single From domain
	} else {
		<-m.dmarcDone
		v := evaluate(m.from, m.record, m.spf, m.spfDomain, r.DKIM)
		r.DMARC, r.Policy = v.result, v.policy
		if v.authenticated {
			r.Identity = m.from
		}
		r.Reject = m.c.opts.Mode == Enforce && v.result == Fail && v.policy == "reject" && v.sampled
	}
	if r.Identity == "" && r.SPF == Pass {
		r.Identity = m.spfDomain
	}
	m.c.log.Debug("auth: checked", "auth", r)
	return r, nil
}

// Abort ends the message without a result: it cancels the lookups under
// way and waits for the goroutines to end. It may be called after Close,
// and more than once.
func (m *Message) Abort() {
	if m.closed {
		return
	}
	m.closed = true
	if m.off {
		return
	}
	m.cancel()
	m.endDKIM()
	for _, done := range []chan struct{}{m.spfDone, m.dkimDone, m.dmarcDone} {
		if done != nil {
			<-done
		}
	}
}
