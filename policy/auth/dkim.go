package auth

import (
	"errors"
	"io"

	"github.com/emersion/go-msgauth/dkim"
)

// maxBlankRun bounds a run of CR and LF octets in a body fed to DKIM.
// go-msgauth's body canonicalisers hold such a run until the next other
// octet (it may be trailing empty lines, which RFC 6376 sections 3.4.3
// and 3.4.4 ignore), and the "simple" one copies all it holds on every
// 4 KiB write: a body of megabytes of empty lines would cost memory in
// proportion and CPU in its square. 64 KiB is 32,768 empty lines in a row,
// which no real message has; past it the signatures get PolicyResult.
const maxBlankRun = 64 << 10

// errVerified fails the writes that come after the verifier returned.
var errVerified = errors.New("auth: DKIM verification done")

// startDKIM starts verifying the signatures of the header block in the
// background. The verifier reads the message from a pipe: first the header
// block, then the body as Write feeds it, so that the body is hashed
// while it streams and never held.
func (m *Message) startDKIM() {
	pr, pw := io.Pipe()
	m.pw = pw
	m.dkimDone = make(chan struct{})
	opts := &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			return m.c.dns.LookupTXT(m.ctx, name)
		},
		MaxVerifications: m.c.opts.MaxSignatures,
	}
	go func() {
		defer close(m.dkimDone)
		m.verifs, m.verifyErr = dkim.VerifyWithOptions(pr, opts)
		// The verifier may stop before the end (a malformed signature
		// needs no body): let further writes fail fast instead of block.
		pr.CloseWithError(errVerified)
	}()
	m.feedDKIM(m.head.buf)
}

// feedDKIM writes the next bytes of the message to the verifier, unless
// it is done with them or the body has a run of empty lines too long.
//
// The verifier's input is only ever ended by EOF (endDKIM), never by an
// error: with several signatures, go-msgauth returns on a read error
// without closing the pipes of its per-signature goroutines, which would
// then wait forever.
func (m *Message) feedDKIM(p []byte) {
	if m.pw == nil {
		return
	}
	run := m.blankRun
	for _, b := range p {
		if b != '\r' && b != '\n' {
			run = 0
		} else if run++; run > maxBlankRun {
			m.blankAbort = true
			m.endDKIM()
			return
		}
	}
	m.blankRun = run
	if _, err := m.pw.Write(p); err != nil {
		m.pw = nil // the verifier stopped reading: it needs no more
	}
}

// endDKIM ends the verifier's input.
func (m *Message) endDKIM() {
	if m.pw != nil {
		m.pw.Close()
		m.pw = nil
	}
}

// dkimResults waits for the verifier and returns one Signature per
// verified signature.
func (m *Message) dkimResults() []Signature {
	if m.dkimDone == nil {
		return nil
	}
	<-m.dkimDone
	var res string
	switch err := m.verifyErr; {
	case m.blankAbort:
		// The verifier saw a cut body: its results mean nothing.
		res = PolicyResult
	case err != nil && !errors.Is(err, dkim.ErrTooManySignatures):
		// It failed as a whole; a verification it returns may even
		// claim a pass (go-msgauth clears the error it returns).
		res = PermError
	}
	if res != "" {
		sigs := make([]Signature, min(m.signatures, m.c.opts.MaxSignatures))
		for i := range sigs {
			sigs[i].Result = res
			if i < len(m.verifs) && m.verifs[i] != nil {
				sigs[i].Domain, _ = normDomain(m.verifs[i].Domain)
			}
		}
		return sigs
	}
	sigs := make([]Signature, len(m.verifs))
	for i, v := range m.verifs {
		sigs[i].Domain, _ = normDomain(v.Domain)
		switch {
		case v.Err == nil:
			sigs[i].Result = Pass
		case dkim.IsTempFail(v.Err):
			sigs[i].Result = TempError
		case dkim.IsPermFail(v.Err):
			sigs[i].Result = PermError
		default:
			// A signature or body hash that does not verify, and l=,
			// which go-msgauth refuses (it leaves the rest unsigned).
			sigs[i].Result = Fail
		}
	}
	return sigs
}
