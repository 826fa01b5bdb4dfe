// Package sts finds and keeps the MTA-STS policies of recipient domains
// (RFC 8461), for MX delivery.
//
// A domain that publishes a TXT record at _mta-sts.<domain> serves its
// policy at https://mta-sts.<domain>/.well-known/mta-sts.txt. A policy in
// "enforce" mode asks senders to deliver only to the MX hosts it lists,
// over TLS with a certificate valid for the MX host's name; "testing" asks
// them to report what would have failed and deliver anyway.
//
// A Cache looks policies up and remembers them until their max_age, so
// that an attacker who blocks the policy fetch later cannot remove a
// policy already seen (RFC 8461 section 10.2). It promises never to fail a
// delivery by itself: whatever goes wrong, Get returns the policy to
// apply, or nil when there is none to apply.
package sts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Mode is what a policy asks of senders (RFC 8461 section 5).
type Mode string

// The modes of RFC 8461 section 3.2.
const (
	// Enforce: deliver only to a listed MX host, over TLS verified for its
	// name; otherwise do not deliver.
	Enforce Mode = "enforce"
	// Testing: deliver as usual, and report what Enforce would refuse.
	Testing Mode = "testing"
	// None: the domain has no policy (any more).
	None Mode = "none"
)

// MaxAge is the longest time a policy may be kept: one year (RFC 8461
// section 3.2).
const MaxAge = 31557600 * time.Second

// Policy is a parsed MTA-STS policy. A Policy returned by this package
// is shared: it must not be modified.
type Policy struct {
	Mode Mode
	// MX lists the allowed MX hosts: a host name, or "*." and a domain
	// for any host one label below it. Lower case, A-labels, no final
	// dot.
	MX []string
	// MaxAge is how long the policy may be kept after it was fetched.
	MaxAge time.Duration
}

// Allows reports whether the MX host host is one the policy lists (RFC
// 8461 section 4.1). A wildcard stands for exactly one label:
// "*.example.com" allows "mx.example.com", not "example.com" nor
// "a.b.example.com".
func (p *Policy) Allows(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.MX {
		if rest, ok := strings.CutPrefix(pat, "*."); ok {
			i := strings.IndexByte(host, '.')
			if i > 0 && host[i+1:] == rest {
				return true
			}
		} else if host == pat {
			return true
		}
	}
	return false
}

// maxPolicyLines bounds the work on a hostile policy: real ones have a
// handful of lines.
const maxPolicyLines = 1000

// Parse parses a policy file (RFC 8461 section 3.2): "key: value" lines
// ended by LF or CRLF. version, mode and max_age are required, and at
// least one mx unless the mode is none. Keys are case-sensitive; unknown
// keys are ignored; of a key other than mx given twice, the first counts.
// Blank lines are skipped, and a max_age over a year counts as a year:
// refusing such policies would leave their domains unprotected.
func Parse(text []byte) (*Policy, error) {
	p := &Policy{}
	seen := map[string]bool{}
	lines := strings.Split(string(text), "\n")
	if len(lines) > maxPolicyLines {
		return nil, fmt.Errorf("sts: policy has over %d lines", maxPolicyLines)
	}
	for n, line := range lines {
		line = strings.TrimRight(strings.TrimSuffix(line, "\r"), " \t")
		if strings.Trim(line, " \t") == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || !isFieldName(key) {
			return nil, fmt.Errorf("sts: policy line %d: not a \"key: value\" field", n+1)
		}
		value = strings.TrimLeft(value, " \t")
		first := !seen[key]
		seen[key] = true
		var err error
		switch key {
		case "version":
			if value != "STSv1" {
				err = errors.New("version is not STSv1")
			}
		case "mode":
			switch m := Mode(value); m {
			case Enforce, Testing, None:
				if first {
					p.Mode = m
				}
			default:
				err = errors.New("mode is not enforce, testing nor none")
			}
		case "max_age":
			var age time.Duration
			if age, err = parseMaxAge(value); err == nil && first {
				p.MaxAge = age
			}
		case "mx":
			var pat string
			if pat, err = parseMX(value); err == nil {
				p.MX = append(p.MX, pat)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("sts: policy line %d: %w", n+1, err)
		}
	}
	for _, key := range []string{"version", "mode", "max_age"} {
		if !seen[key] {
			return nil, fmt.Errorf("sts: policy has no %s", key)
		}
	}
	if len(p.MX) == 0 && p.Mode != None {
		return nil, fmt.Errorf("sts: policy in %s mode lists no mx", p.Mode)
	}
	return p, nil
}

// parseMaxAge parses 1*10DIGIT seconds (RFC 8461 section 3.2).
func parseMaxAge(v string) (time.Duration, error) {
	if len(v) == 0 || len(v) > 10 || strings.Trim(v, "0123456789") != "" {
		return 0, errors.New("max_age is not 1 to 10 digits")
	}
	secs, _ := strconv.ParseInt(v, 10, 64)
	return time.Duration(min(secs, int64(MaxAge/time.Second))) * time.Second, nil
}

// parseMX parses an mx pattern: a domain of letters, digits and hyphens
// (A-labels, RFC 8461 section 3.2), perhaps after "*.".
func parseMX(v string) (string, error) {
	v = strings.ToLower(strings.TrimSuffix(v, "."))
	host := strings.TrimPrefix(v, "*.")
	if !isHostname(host) {
		return "", errors.New("mx is not a host name nor \"*.\" and a domain")
	}
	return v, nil
}

// isHostname reports whether h is a host name of LDH labels (RFC 5321
// section 4.1.2's Domain).
func isHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isFieldName reports whether k is a policy field name: (ALPHA / DIGIT)
// *31(ALPHA / DIGIT / "_" / "-" / ".") (RFC 8461 section 3.2).
func isFieldName(k string) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-' && c != '.') {
			return false
		}
	}
	return true
}

// maxIDLen is the longest id of a TXT record (RFC 8461 section 3.1).
const maxIDLen = 32

// ParseRecord parses an MTA-STS TXT record, "v=STSv1; id=…" (RFC 8461
// section 3.1), and returns its id. Other fields are ignored; of two ids,
// the first counts.
func ParseRecord(txt string) (id string, err error) {
	fields := strings.Split(txt, ";")
	if strings.TrimRight(fields[0], " \t") != "v=STSv1" {
		return "", errors.New("sts: record does not begin with v=STSv1")
	}
	for i, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" && i == len(fields)-2 {
			break // a final ";"
		}
		key, value, ok := strings.Cut(f, "=")
		if !ok || !isFieldName(key) || !isRecordValue(value) {
			return "", fmt.Errorf("sts: record field %d is not key=value", i+2)
		}
		if key == "id" && id == "" {
			if len(value) > maxIDLen || !isAlnum(value) {
				return "", errors.New("sts: record id is not 1 to 32 letters and digits")
			}
			id = value
		}
	}
	if id == "" {
		return "", errors.New("sts: record has no id")
	}
	return id, nil
}

// isRecordValue reports whether v is 1*(%x21-3A / %x3C / %x3E-7E): any
// visible character but ";" and "=".
func isRecordValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// pickRecord returns the id of the one MTA-STS record among txts. Records
// that do not begin with "v=STSv1" are someone else's; if not exactly one
// remains, or it does not parse, the domain has no policy to discover
// (RFC 8461 section 3.1).
func pickRecord(txts []string) (string, error) {
	var sts []string
	for _, t := range txts {
		if rest, ok := strings.CutPrefix(t, "v=STSv1"); ok && (rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t') {
			sts = append(sts, t)
		}
	}
	switch len(sts) {
	case 0:
		return "", errNoRecord
	case 1:
		return ParseRecord(sts[0])
	}
	return "", fmt.Errorf("sts: %d MTA-STS records, want one", len(sts))
}

var errNoRecord = errors.New("sts: no MTA-STS record")
