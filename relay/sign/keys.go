// Package sign holds Leak's DKIM keys and signs every outgoing copy while it
// streams.
//
// It promises:
//   - each copy carries two DKIM signatures by the Leak domain, RSA-2048
//     (rsa-sha256) first, then Ed25519 (ed25519-sha256, RFC 8463), because
//     large receivers still verify RSA only;
//   - c=relaxed/relaxed, and the header fields a reader sees or that steer
//     MIME decoding are oversigned (RFC 6376 section 8.15), so a relay can
//     neither alter nor add them without breaking both signatures;
//   - private keys live in one PEM PKCS#8 file per selector, mode 0600, written
//     atomically and never overwritten; a file readable by group or others is
//     refused;
//   - the message is never buffered whole: its header block (bounded) is
//     held until it ends, the body is canonicalized and hashed as it is
//     written, once for all the keys (canon.go). Verification, in the tests
//     and by receivers, is go-msgauth's and dkimpy's.
package sign

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Algorithms, as written in the a= tag of a DKIM-Signature.
const (
	RSASHA256     = "rsa-sha256"
	Ed25519SHA256 = "ed25519-sha256"
)

// Default selectors: one key per algorithm.
const (
	SelectorRSA     = "leak-rsa"
	SelectorEd25519 = "leak-ed"
)

// rsaBits is the size of generated RSA keys and the smallest size Load
// accepts: RFC 8301 section 3.2 asks signers for at least 2048 bits.
const rsaBits = 2048

// Key is one private signing key and the selector it is published under.
type Key struct {
	Selector  string
	Algorithm string // RSASHA256 or Ed25519SHA256
	Signer    crypto.Signer
}

// Keys is the set of keys for one domain, loaded from a directory.
type Keys struct {
	Domain string
	Keys   []Key
	// Precision rounds each signature's t= tag down, as
	// anonymity.date_precision rounds the copy's Date: a timestamp to the
	// second would tell the recipient when the sender sent, to the second,
	// which the rounded Date and the delay before delivery are there to hide.
	// Zero leaves it exact.
	Precision time.Duration
}

// algorithmOf names the DKIM algorithm for a private key, or fails for key
// types and sizes Leak does not sign with.
func algorithmOf(s crypto.Signer) (string, error) {
	switch pub := s.Public().(type) {
	case *rsa.PublicKey:
		if n := pub.N.BitLen(); n < rsaBits {
			return "", fmt.Errorf("RSA key of %d bits, want at least %d", n, rsaBits)
		}
		return RSASHA256, nil
	case ed25519.PublicKey:
		return Ed25519SHA256, nil
	default:
		return "", fmt.Errorf("unsupported key type %T", pub)
	}
}

// checkKey reports whether k is usable: a valid selector, and an algorithm
// that matches its key.
func checkKey(k Key) error {
	if err := checkName(k.Selector); err != nil {
		return fmt.Errorf("selector %q: %w", k.Selector, err)
	}
	if k.Signer == nil {
		return fmt.Errorf("selector %q: no private key", k.Selector)
	}
	alg, err := algorithmOf(k.Signer)
	if err != nil {
		return fmt.Errorf("selector %q: %w", k.Selector, err)
	}
	if alg != k.Algorithm {
		return fmt.Errorf("selector %q: algorithm %q does not match its %s key", k.Selector, k.Algorithm, alg)
	}
	return nil
}

// normalizeDomain lower-cases d, drops a trailing dot and checks it is a host
// name in A-label form: the d= tag is ASCII (RFC 6376 section 3.5).
func normalizeDomain(d string) (string, error) {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if err := checkName(d); err != nil {
		return "", fmt.Errorf("domain %q: %w", d, err)
	}
	return d, nil
}

// checkName accepts dot-separated LDH labels (RFC 6376 section 3.1 selector
// and domain syntax). Selectors are also file names, so this keeps "/" and
// ".." out of paths.
func checkName(s string) error {
	if s == "" {
		return errors.New("empty name")
	}
	if len(s) > 253 {
		return errors.New("name longer than 253 octets")
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("empty label or label longer than 63 octets")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("label starts or ends with a hyphen")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("octet %q not allowed (letters, digits and hyphens only; use the xn-- form for IDNs)", c)
			}
		}
	}
	return nil
}
