// Package address decodes and encodes Leak relay addresses.
//
// A sender writes to PREFIX+LOCAL=DOMAIN@LEAKDOMAIN, for example
// to+bob=example.com@leak.example, and Leak delivers to bob@example.com,
// telling Bob that the message comes from "someone" (see Relationship).
//
// The package promises that a Recipient returned by Decode is an Internet
// address Leak may deliver to: a dot-atom local part that needs no quoting
// (RFC 5321 section 4.1.2), UTF-8 only as SMTPUTF8 allows it (RFC 6531), and
// an ASCII, lower-case DNS name that is not an IP address, not a special-use
// name (localhost, .invalid, .local, ...) and neither a Leak domain nor a
// look-alike of one, so Leak never relays to itself or to the host it runs
// on. Every error is an *Error: its Text is one ASCII line for the sender's
// SMTP reply, and its Error string, for logs, never repeats the recipient's
// name or domain.
package address

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Limits, in octets.
const (
	maxLocal  = 64  // local part, RFC 5321 section 4.5.3.1.1
	maxDomain = 253 // domain name without the root dot, RFC 1035 section 2.3.4
	maxLabel  = 63  // one DNS label, RFC 1035 section 2.3.4
	maxPath   = 254 // local@domain: the 256-octet path of RFC 5321 section 4.5.3.1.3 less "<>"
	// maxRCPT bounds the work done on one RCPT. Every valid relay address is
	// shorter: prefix, '+', 254 octets of address, '@' and a Leak domain.
	maxRCPT = 1024
)

// profile converts domains to A-labels: UTS #46 lookup mapping (case, width,
// NFC), non-transitional as in IDNA2008, STD3 letters-digits-hyphen rules,
// the Bidi rule (RFC 5893) and DNS lengths (RFC 5891 section 5).
var profile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.VerifyDNSLength(true),
)

// Reason classifies a Decode error; the SMTP session maps it to a reply.
type Reason uint8

// The reasons Decode refuses a recipient.
const (
	NotLocal Reason = iota + 1 // the RCPT domain is not a Leak domain: relaying denied (550 5.7.1)
	Invalid                    // malformed, unknown prefix, bad destination (550 5.1.1)
	Loop                       // destination is a Leak domain or a look-alike of one (550 5.1.1)
)

// String names the reason for logs.
func (r Reason) String() string {
	switch r {
	case NotLocal:
		return "not local"
	case Invalid:
		return "invalid"
	case Loop:
		return "loop"
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Error is why Decode refused a recipient.
type Error struct {
	Reason Reason
	// Text is one line of printable ASCII that helps the sender fix the
	// address, e.g. `unknown relationship "boss": use to, friend, coworker,
	// family or fof`. It never contains the recipient's name or domain, but
	// may quote an unknown relationship prefix, which the sender typed and
	// which may be a name (bob+tag=...): log Error(), not Text.
	Text string

	// log is Text without anything the sender typed, for Error; empty when
	// Text quotes nothing.
	log string
}

// Error returns a line for logs. Unlike Text it never quotes what the sender
// typed: a mistyped prefix may be the recipient's name (bob+tag=...).
func (e *Error) Error() string {
	text := e.Text
	if e.log != "" {
		text = e.log
	}
	return "address: " + e.Reason.String() + ": " + text
}

// Recipient is a decoded relay address: where to deliver and what the sender
// says they are to the recipient.
type Recipient struct {
	Relationship Relationship
	Local        string // the decoded local part, case preserved; may be UTF-8 (SMTPUTF8)
	Domain       string // ASCII (IDNA A-label), lower-case, no trailing dot
}

// Address returns the recipient's address, Local@Domain.
func (r Recipient) Address() string { return r.Local + "@" + r.Domain }

// NeedsSMTPUTF8 reports whether delivery needs the SMTPUTF8 extension
// (RFC 6531): the local part is not ASCII. The domain always is.
func (r Recipient) NeedsSMTPUTF8() bool { return !isASCII(r.Local) }

// Codec decodes relay addresses for a fixed set of Leak domains. It is safe
// for concurrent use.
type Codec struct {
	domains   []string // normalised Leak domains; the first is used in help texts
	skeletons []string // lookAlike form of each domain, same order
}

// NewCodec returns a Codec for the given Leak domains. Each is normalised:
// converted to an A-label, lower-cased, without a trailing dot. It fails if
// none is given or one is not a valid DNS name.
func NewCodec(leakDomains ...string) (*Codec, error) {
	if len(leakDomains) == 0 {
		return nil, fmt.Errorf("address: no Leak domain given")
	}
	c := &Codec{}
	for _, raw := range leakDomains {
		d, err := profile.ToASCII(strings.TrimSuffix(raw, "."))
		if err != nil {
			return nil, fmt.Errorf("address: Leak domain %q: %w", raw, err)
		}
		d = strings.ToLower(d)
		if problem := dnsNameProblem(d, 1); problem != "" {
			return nil, fmt.Errorf("address: Leak domain %q: %s", raw, problem)
		}
		if slices.Contains(c.domains, d) {
			continue
		}
		c.domains = append(c.domains, d)
		c.skeletons = append(c.skeletons, skeleton(d))
	}
	return c, nil
}

// IsLeakDomain reports whether domain is a Leak domain or a subdomain of
// one, ignoring case, a trailing dot and the difference between U-labels
// and A-labels.
func (c *Codec) IsLeakDomain(domain string) bool {
	d, err := profile.ToASCII(strings.TrimSuffix(domain, "."))
	if err != nil {
		// Not a valid name, but it may still end in a Leak domain: answer
		// from its plain lower-case form rather than "no".
		d = strings.TrimSuffix(domain, ".")
	}
	return c.isLeak(strings.ToLower(d))
}

// Decode decodes a RCPT TO mailbox as go-smtp hands it over (source route
// stripped, quotes removed). Errors are *Error.
func (c *Codec) Decode(rcpt string) (Recipient, error) {
	if len(rcpt) > maxRCPT {
		return Recipient{}, c.invalid("address too long")
	}
	// RFC 5321 section 4.1.2: the domain follows the last '@'; an '@' before
	// it is in the local part, where Decode refuses it below.
	at := strings.LastIndexByte(rcpt, '@')
	if at < 0 {
		return Recipient{}, c.invalid("no domain")
	}
	local, domain := rcpt[:at], rcpt[at+1:]
	if d, ok := rcptDomain(domain); !ok || !slices.Contains(c.domains, d) {
		return Recipient{}, &Error{Reason: NotLocal,
			Text: "relaying denied: this relay only accepts relationship+name=domain@" + c.domains[0]}
	}

	// The domain part is checked for an IP literal first so that the sender
	// reads why, rather than that '[' is not allowed.
	if eq := strings.LastIndexByte(local, '='); eq >= 0 && strings.HasPrefix(local[eq+1:], "[") {
		return Recipient{}, &Error{Reason: Invalid,
			Text: "IP address literals are not accepted: write the destination's domain name after '='"}
	}
	if e := c.checkChars(local); e != nil {
		return Recipient{}, e
	}

	plus := strings.IndexByte(local, '+')
	if plus < 0 {
		return Recipient{}, c.invalid("no relationship prefix")
	}
	rel, ok := ParseRelationship(local[:plus])
	if !ok {
		return Recipient{}, unknownRelationship(local[:plus])
	}
	rest := local[plus+1:]
	// The name may itself contain '=' (a=b@example.com), a domain cannot:
	// split on the last one.
	eq := strings.LastIndexByte(rest, '=')
	if eq < 0 {
		return Recipient{}, c.invalid("no '=' between name and domain")
	}
	name, dest := rest[:eq], rest[eq+1:]
	if e := c.checkName(name); e != nil {
		return Recipient{}, e
	}
	d, e := c.destination(dest)
	if e != nil {
		return Recipient{}, e
	}
	if len(name)+1+len(d) > maxPath {
		return Recipient{}, &Error{Reason: Invalid,
			Text: "the destination address is longer than 254 octets (RFC 5321 section 4.5.3.1.3)"}
	}
	return Recipient{Relationship: rel, Local: name, Domain: d}, nil
}

// Encode returns the relay address that reaches addr through leakDomain as
// rel: Encode(Someone, "bob+tag@example.com", "leak.example") is
// "to+bob+tag=example.com@leak.example". Domains are lower-cased, lose a
// trailing dot and become A-labels when they are valid IDNs. Encode does not
// validate; addr should be a Recipient's Address. An unknown rel yields an
// address Decode refuses.
func Encode(rel Relationship, addr, leakDomain string) string {
	local, domain := addr, ""
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		local, domain = addr[:at], addr[at+1:]
	}
	return rel.Prefix() + "+" + local + "=" + encodeDomain(domain) + "@" + encodeDomain(leakDomain)
}

func encodeDomain(d string) string {
	d = strings.TrimSuffix(d, ".")
	if a, err := profile.ToASCII(d); err == nil {
		return strings.ToLower(a)
	}
	return strings.ToLower(d)
}

// invalid returns an Invalid error whose text names the problem and recalls
// the form of a relay address.
func (c *Codec) invalid(problem string) *Error {
	return &Error{Reason: Invalid, Text: problem + ": write to relationship+name=domain@" + c.domains[0]}
}

func unknownRelationship(prefix string) *Error {
	const use = "use to, friend, coworker, family or fof"
	e := &Error{Reason: Invalid, Text: "unknown relationship: " + use}
	// Quote the prefix back only when it is short printable ASCII, so the
	// reply stays one readable ASCII line (checkChars already refused
	// controls).
	if prefix != "" && len(prefix) <= 20 && isASCII(prefix) {
		e.log = e.Text
		e.Text = "unknown relationship " + strconv.Quote(prefix) + ": " + use
	}
	return e
}

// checkChars refuses, anywhere in the local part, what RFC 5321 section
// 4.1.2 only allows quoted (controls, space, specials), the '%' and '!'
// routing hacks, and non-ASCII that is not a letter, mark or digit
// (RFC 6531 allows UTF-8; invisible format characters and other spaces
// have no place in an address).
func (c *Codec) checkChars(local string) *Error {
	if !utf8.ValidString(local) {
		return c.invalid("the address is not valid UTF-8")
	}
	for _, r := range local {
		if r < utf8.RuneSelf {
			if atext[r] {
				continue
			}
			if r == '%' || r == '!' {
				// user%host@relay and host!user@relay route through the
				// relay to another host (RFC 5321 section 3.6.1, Appendix C).
				return c.invalid("'%' and '!' routing is not relayed")
			}
		} else if unicode.In(r, unicode.L, unicode.M, unicode.N) {
			continue
		}
		return c.invalid("character " + strconv.QuoteRuneToASCII(r) + " is not allowed")
	}
	return nil
}

// atext marks the ASCII characters allowed unquoted in a Dot-string
// (RFC 5321 section 4.1.2, atext of RFC 5322 section 3.2.3, plus '.'),
// less '%' and '!'.
var atext = func() (t [utf8.RuneSelf]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "#$&'*+-/=?^_`{|}~." {
		t[c] = true
	}
	return t
}()

// checkName checks the decoded local part: a Dot-string (RFC 5321 section
// 4.1.2) of at most 64 octets.
func (c *Codec) checkName(name string) *Error {
	switch {
	case name == "":
		return c.invalid("the name before '=' is empty")
	case len(name) > maxLocal:
		return c.invalid("the name before '=' is longer than 64 octets (RFC 5321 section 4.5.3.1.1)")
	case name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, ".."):
		return c.invalid("the name before '=' must not start or end with a dot or have two dots in a row")
	}
	return nil
}

// destination normalises the domain after '=' to a lower-case A-label and
// refuses what Leak must not deliver to.
func (c *Codec) destination(raw string) (string, *Error) {
	raw = strings.TrimSuffix(raw, ".")
	if raw == "" {
		return "", c.invalid("the domain after '=' is empty")
	}
	if _, err := netip.ParseAddr(raw); err == nil {
		return "", &Error{Reason: Invalid,
			Text: "IP addresses are not accepted: write the destination's domain name after '='"}
	}
	d, err := profile.ToASCII(raw)
	if err != nil {
		return "", c.invalid("the domain after '=' is not a valid domain name")
	}
	d = strings.ToLower(d)
	if name := specialUse(d); name != "" {
		return "", &Error{Reason: Invalid,
			Text: "the domain after '=' is under ." + name + ", which is not delivered to on the Internet"}
	}
	if problem := dnsNameProblem(d, 2); problem != "" {
		return "", c.invalid("the domain after '=' " + problem)
	}
	if c.isLeak(d) {
		return "", &Error{Reason: Loop,
			Text: "the destination is a Leak address: Leak does not relay to itself; write the recipient's own address"}
	}
	sk := skeleton(d)
	idn := strings.Contains(d, "xn--")
	for _, l := range c.skeletons {
		if isDomainOrSub(sk, l) || idn && editDistance(sk, l) <= lookAlikeDistance {
			return "", &Error{Reason: Loop,
				Text: "the destination looks like a Leak domain: Leak does not relay to look-alikes of itself"}
		}
	}
	return d, nil
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// lookAlikeDistance is how close (in edits, after folding accents) an
// internationalised name may come to a Leak domain before it is refused.
// An IDN that close ("laké.example" for "leak.example") exists to be
// mistaken for Leak; plain ASCII neighbours are ordinary, unrelated domains
// and are not judged this way.
const lookAlikeDistance = 2

// specialUse returns the special-use top-level name d is under, or "".
// These names never reach a mailbox on the Internet: localhost and invalid
// (RFC 6761 sections 6.3 and 6.4), local (mDNS, RFC 6762), onion (RFC 7686),
// alt (RFC 9476), internal (reserved by ICANN for private use, 2024) and
// arpa (infrastructure, RFC 3172, including home.arpa of RFC 8375).
func specialUse(d string) string {
	tld := d[strings.LastIndexByte(d, '.')+1:]
	switch tld {
	case "localhost", "invalid", "local", "onion", "alt", "internal", "arpa":
		return tld
	}
	return ""
}

// dnsNameProblem returns what makes the lower-case ASCII name d an invalid
// host name, or "": letters, digits and hyphens, no hyphen at either end of
// a label (RFC 1123 section 2.1), labels of 1 to 63 octets, at most 253 in
// all, at least minLabels labels, and a last label that is not a number,
// which resolvers would read as an IPv4 address (the "ends in a number"
// check of the WHATWG URL standard: 127.1, 0x7f.0x1).
func dnsNameProblem(d string, minLabels int) string {
	if len(d) > maxDomain {
		return "is longer than 253 octets"
	}
	labels := 0
	for label := range strings.SplitSeq(d, ".") {
		labels++
		if label == "" {
			return "has an empty label"
		}
		if len(label) > maxLabel {
			return "has a label longer than 63 octets"
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "has a label that starts or ends with a hyphen"
		}
		for i := 0; i < len(label); i++ {
			if b := label[i]; !('a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-') {
				return "may only have letters, digits and hyphens"
			}
		}
	}
	if labels < minLabels {
		return "is not a fully qualified domain name"
	}
	if isNumeric(d[strings.LastIndexByte(d, '.')+1:]) {
		return "ends in a number, like an IP address"
	}
	return ""
}

// isNumeric reports whether label is a decimal number, or "0x" and hex
// digits.
func isNumeric(label string) bool {
	digits := "0123456789"
	if strings.HasPrefix(label, "0x") {
		label, digits = label[2:], "0123456789abcdef"
		if label == "" {
			return true
		}
	}
	for i := 0; i < len(label); i++ {
		if strings.IndexByte(digits, label[i]) < 0 {
			return false
		}
	}
	return true
}

// skeleton returns the look-alike form of the A-label domain d: its Unicode
// form, NFKD-decomposed, without combining marks, lower-cased. Two domains
// with the same skeleton differ only by accents and compatibility forms
// (léak.example, leak.example).
func skeleton(d string) string {
	if !strings.Contains(d, "xn--") {
		return d // plain lower-case ASCII is its own skeleton
	}
	u, err := idna.Display.ToUnicode(d)
	if err != nil {
		return d
	}
	var b strings.Builder
	for _, r := range norm.NFKD.String(u) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// rcptDomain returns the RCPT domain d lower-cased without a trailing dot,
// U-labels turned into A-labels; false if d is not ASCII and not a valid
// IDN. Unlike the lookup mapping it does not drop or fold characters (a
// zero-width space, full-width letters): the RCPT domain must be a Leak
// domain exactly.
func rcptDomain(d string) (string, bool) {
	d = strings.TrimSuffix(d, ".")
	if isASCII(d) {
		return strings.ToLower(d), true
	}
	a, err := idna.Registration.ToASCII(strings.ToLower(d))
	if err != nil {
		return "", false
	}
	return a, true
}

// isLeak reports whether the folded domain d is a Leak domain or under one.
func (c *Codec) isLeak(d string) bool {
	for _, l := range c.domains {
		if isDomainOrSub(d, l) {
			return true
		}
	}
	return false
}

// isDomainOrSub reports whether d is parent or a subdomain of it.
func isDomainOrSub(d, parent string) bool {
	return d == parent ||
		len(d) > len(parent) && d[len(d)-len(parent)-1] == '.' && strings.HasSuffix(d, parent)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
