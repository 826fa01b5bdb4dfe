package sign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// signedFields is the h= list of every signature. Each name appears twice,
// once more than it may occur in a message Leak emits, so a copy of the field
// added later breaks the signature (RFC 6376 section 8.15). A name with no
// field (left) adds nothing to the hash, which signs its absence.
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
// The message is canonicalized and its body hashed once, as it streams
// (canon.go): every key signs the same body hash and the same header
// fields. Close signs with the keys side by side. Close or Abort should be
// called; a Signer holds no goroutine between calls. A Signer is for one
// goroutine.
type Signer struct {
	domain string
	parts  []part
	state  int // stateOpen, stateClosed or stateAborted
	err    error
	header string

	head    []byte // the header block, until its end is seen
	scanned int    // head up to here holds no end of header
	fields  []string
	inBody  bool
	body    *relaxedBody
	now     func() time.Time // the t= tag's clock; tests set it
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
	key       crypto.Signer
	sig       string        // the DKIM-Signature field, after Close
	took      time.Duration // in Close
}

// NewSigner starts the signing of one message copy: RSA keys first, so
// Header lists their signatures first. Its t= is the time of signing.
func (k *Keys) NewSigner() (*Signer, error) { return k.NewSignerAt(time.Time{}) }

// NewSignerAt is NewSigner with t= set from at, rounded down by Precision
// as the rest: the time a copy is dated, which may be the delayed time it
// is to leave (see relay's Options.Delay). A zero at is the time of
// signing.
func (k *Keys) NewSignerAt(at time.Time) (*Signer, error) {
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
	now := time.Now
	if !at.IsZero() {
		now = func() time.Time { return at }
	}
	if p := k.Precision; p > 0 {
		clock := now
		now = func() time.Time { return clock().Truncate(p) }
	}
	s := &Signer{domain: domain, parts: make([]part, 0, len(k.Keys)), body: newRelaxedBody(), now: now}
	for _, alg := range []string{RSASHA256, Ed25519SHA256} {
		for _, key := range k.Keys {
			if key.Algorithm == alg {
				s.parts = append(s.parts, part{selector: key.Selector, algorithm: key.Algorithm, key: key.Signer})
			}
		}
	}
	return s, nil
}

// Write takes the next octets of the message. After an error the Signer is
// unusable: call Abort.
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
	if s.inBody {
		s.body.Write(p)
		return len(p), nil
	}
	s.head = append(s.head, p...)
	end := headerEnd(s.head, s.scanned)
	if end < 0 {
		if len(s.head) > maxHeaderBytes {
			s.err = fmt.Errorf("sign: no end of header in the first %d octets", maxHeaderBytes)
			return 0, s.err
		}
		s.scanned = max(len(s.head)-3, 0)
		return len(p), nil
	}
	s.fields = headerFields(s.head[:end])
	s.inBody = true
	s.body.Write(s.head[end:])
	s.head = nil
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
	if s.err == nil && !s.inBody {
		s.err = errors.New("sign: the header never ends (no empty line)")
	}
	if s.err == nil && len(s.fields) > 0 && (s.fields[0][0] == ' ' || s.fields[0][0] == '\t') {
		// A folded line with no field before it would fold into the
		// DKIM-Signature fields written above it, and break them.
		s.err = errors.New("sign: the header starts with a folded line")
	}
	if s.err != nil {
		s.Abort()
		return s.err
	}
	bh := base64.StdEncoding.EncodeToString(s.body.sum())
	signed := signedHeader(s.fields, signedFields)
	t := strconv.FormatInt(s.now().Unix(), 10)
	hl := strings.Join(signedFields, ":")
	// The keys sign side by side: the Ed25519 signature overlaps the RSA
	// operation instead of following it.
	errs := make([]error, len(s.parts))
	var wg sync.WaitGroup
	for i := range s.parts {
		pt := &s.parts[i]
		one := func() {
			start := time.Now()
			errs[i] = pt.sign(s.domain, bh, hl, t, signed)
			pt.took = time.Since(start)
		}
		if i == len(s.parts)-1 {
			one() // the last one on this goroutine
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A panic here would end the process, not just this
			// message: it becomes this key's error.
			defer func() {
				if v := recover(); v != nil {
					errs[i] = fmt.Errorf("panic: %v", v)
				}
			}()
			one()
		}()
	}
	wg.Wait()
	var b strings.Builder
	for i := range s.parts {
		if errs[i] != nil {
			pt := &s.parts[i]
			s.err = fmt.Errorf("sign: %s (%s): %w", pt.selector, pt.algorithm, errs[i])
			s.Abort()
			return s.err
		}
		b.WriteString(s.parts[i].sig)
	}
	s.header = b.String()
	s.state = stateClosed
	return nil
}

// sign makes pt's DKIM-Signature field (RFC 6376 section 3.5) over the
// relaxed header fields signed and the body hash bh: the hash covers those
// fields, then this field with an empty b= and no final CRLF (section
// 3.7).
func (pt *part) sign(domain, bh, hl, t string, signed []byte) error {
	keyAlg, _, _ := strings.Cut(pt.algorithm, "-")
	tags := []tag{{"v", "1"}, {"a", pt.algorithm}, {"bh", bh}, {"c", "relaxed/relaxed"},
		{"d", domain}, {"s", pt.selector}, {"t", t}, {"h", hl}}
	unsigned := relaxedHeader(nil, formatSignature(tags, ""))
	h := sha256.New()
	h.Write(signed)
	h.Write(bytes.TrimRight(unsigned, crlf))
	digest := h.Sum(nil)
	var opts crypto.SignerOpts = crypto.SHA256
	if keyAlg == "ed25519" {
		// Ed25519 signs the SHA-256 digest as its message (RFC 8463
		// section 3), not a pre-hashed input.
		opts = crypto.Hash(0)
	}
	sig, err := pt.key.Sign(rand.Reader, digest, opts)
	if err != nil {
		return err
	}
	pt.sig = formatSignature(tags, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// Header returns, after a successful Close, the DKIM-Signature header fields
// to prepend to the message, RSA first, each ending in CRLF. Before that it
// returns "".
func (s *Signer) Header() string {
	return s.header
}

// Durations returns, after Close, the time each algorithm took in Close:
// the header hash plus the private-key operation.
func (s *Signer) Durations() map[string]time.Duration {
	m := make(map[string]time.Duration, len(s.parts))
	for _, pt := range s.parts {
		m[pt.algorithm] += pt.took
	}
	return m
}

// Abort gives the signing up: Write and Close then fail with errAborted,
// and no private-key operation runs. It is safe to call at any time, more
// than once, and after Close (which it leaves as it was).
func (s *Signer) Abort() {
	if s.state == stateClosed {
		return
	}
	s.state = stateAborted
	s.header = ""
	s.head = nil
}
