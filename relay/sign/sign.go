package sign

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// signedFields is the h= list of every signature. Each name appears twice,
// once more than it may occur in a message Leak emits, so a copy of the field
// added later breaks the signature (RFC 6376 section 8.15). go-msgauth skips
// names that are not (or no longer) present, which signs their absence.
var signedFields = []string{
	// What the reader sees.
	"From", "From",
	"To", "To",
	"Cc", "Cc",
	"Subject", "Subject",
	"Date", "Date",
	"Reply-To", "Reply-To",
	"Sender", "Sender",
	// How the body is decoded.
	"MIME-Version", "MIME-Version",
	"Content-Type", "Content-Type",
	"Content-Transfer-Encoding", "Content-Transfer-Encoding",
	// Threading.
	"Message-ID", "Message-ID",
	"In-Reply-To", "In-Reply-To",
	"References", "References",
	// One-click unsubscribe (RFC 8058 section 4 requires both signed).
	"List-Unsubscribe", "List-Unsubscribe",
	"List-Unsubscribe-Post", "List-Unsubscribe-Post",
}

var (
	errAborted = errors.New("sign: aborted")
	errClosed  = errors.New("sign: write after Close")
)

// Signer signs one message copy with every key of a Keys. Write the whole
// message to it (header, empty line, body; CRLF line endings; the first line
// a header field), then call Close and prepend Header to the message.
//
// Each key has a go-msgauth signer hashing in its own goroutine, fed through
// an io.Pipe; Write hands the bytes to each in turn. Close or Abort must be
// called, or those goroutines wait forever. A Signer is for one goroutine.
type Signer struct {
	parts  []part
	state  int // stateOpen, stateClosed or stateAborted
	err    error
	header string
}

const (
	stateOpen = iota
	stateClosed
	stateAborted
)

// part is the signing of the copy by one key.
type part struct {
	selector  string
	algorithm string
	dkim      *dkim.Signer
	gate      *gate
	done      bool          // dkim.Close was called; it must not be called twice
	took      time.Duration // in Close
}

// gate wraps a private key so that an aborted signing skips the costly
// private-key operation: go-msgauth has no way to cancel, so after Abort
// its goroutine reads to the end of the pipe and then calls Sign.
type gate struct {
	crypto.Signer
	stop atomic.Bool
}

func (g *gate) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if g.stop.Load() {
		return nil, errAborted
	}
	return g.Signer.Sign(rand, digest, opts)
}

// NewSigner starts the signing of one message copy: RSA keys first, so
// Header lists their signatures first.
func (k *Keys) NewSigner() (*Signer, error) {
	if len(k.Keys) == 0 {
		return nil, errors.New("sign: no keys")
	}
	domain, err := normalizeDomain(k.Domain)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	for _, key := range k.Keys {
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
	}
	s := &Signer{parts: make([]part, 0, len(k.Keys))}
	for _, alg := range []string{RSASHA256, Ed25519SHA256} {
		for _, key := range k.Keys {
			if key.Algorithm != alg {
				continue
			}
			if err := s.start(domain, key); err != nil {
				s.Abort()
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *Signer) start(domain string, key Key) error {
	g := &gate{Signer: key.Signer}
	d, err := dkim.NewSigner(&dkim.SignOptions{
		Domain:                 domain,
		Selector:               key.Selector,
		Signer:                 g,
		Hash:                   crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedFields,
	})
	if err != nil {
		return fmt.Errorf("sign: selector %q: %w", key.Selector, err)
	}
	s.parts = append(s.parts, part{selector: key.Selector, algorithm: key.Algorithm, dkim: d, gate: g})
	return nil
}

// Write hands p to every key's signer. After an error the Signer is unusable:
// call Abort.
func (s *Signer) Write(p []byte) (int, error) {
	switch s.state {
	case stateClosed:
		return 0, errClosed
	case stateAborted:
		return 0, errAborted
	}
	if s.err != nil {
		return 0, s.err
	}
	for i := range s.parts {
		pt := &s.parts[i]
		if n, err := pt.dkim.Write(p); err != nil {
			s.err = fmt.Errorf("sign: %s (%s): %w", pt.selector, pt.algorithm, err)
			// Some keys may have taken all of p and others not: report the
			// smallest count.
			return n, s.err
		}
	}
	return len(p), nil
}

// Close finishes every signature. It returns the first error; Close again
// returns the same result.
func (s *Signer) Close() error {
	if s.state != stateOpen {
		if s.err == nil && s.state == stateAborted {
			return errAborted
		}
		return s.err
	}
	if s.err != nil {
		s.Abort()
		return s.err
	}
	// The keys sign side by side: the Ed25519 signature and the hashing
	// left to each key overlap the RSA operation instead of following it.
	errs := make([]error, len(s.parts))
	var wg sync.WaitGroup
	for i := range s.parts {
		pt := &s.parts[i]
		closeOne := func() {
			start := time.Now()
			errs[i] = pt.dkim.Close()
			pt.took = time.Since(start)
		}
		if i == len(s.parts)-1 {
			closeOne() // the last one on this goroutine
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			closeOne()
		}()
	}
	wg.Wait()
	var b strings.Builder
	for i := range s.parts {
		pt := &s.parts[i]
		pt.done = true
		if errs[i] != nil {
			s.err = fmt.Errorf("sign: %s (%s): %w", pt.selector, pt.algorithm, errs[i])
			s.Abort()
			return s.err
		}
		b.WriteString(pt.dkim.Signature())
	}
	s.header = b.String()
	s.state = stateClosed
	return nil
}

// Header returns, after a successful Close, the DKIM-Signature header fields
// to prepend to the message, RSA first, each ending in CRLF. Before that it
// returns "".
func (s *Signer) Header() string {
	return s.header
}

// Durations returns, after Close, the time each algorithm took in Close:
// the hashing left to do plus the private-key operation.
func (s *Signer) Durations() map[string]time.Duration {
	m := make(map[string]time.Duration, len(s.parts))
	for _, pt := range s.parts {
		m[pt.algorithm] += pt.took
	}
	return m
}

// Abort stops every signing still running and waits for its goroutine to
// end. It is safe to call at any time, more than once, and after Close.
func (s *Signer) Abort() {
	if s.state == stateClosed {
		return
	}
	s.state = stateAborted
	for i := range s.parts {
		pt := &s.parts[i]
		if pt.done {
			continue
		}
		pt.gate.stop.Store(true)
		// Closing the pipe lets the goroutine run to its end, where the gate
		// refuses to sign; Close returns once it has. Its error is moot.
		_ = pt.dkim.Close()
		pt.done = true
	}
	s.header = ""
}
