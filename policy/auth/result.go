package auth

import (
	"log/slog"
	"strings"
)

// Results of the checks, as RFC 8601 names them for Authentication-Results.
const (
	Pass      = "pass"
	Fail      = "fail"
	SoftFail  = "softfail"  // SPF only
	Neutral   = "neutral"   // SPF only
	None      = "none"      // no record (SPF, DMARC)
	TempError = "temperror" // a DNS lookup failed or timed out
	PermError = "permerror" // a record or the message is malformed
	// PolicyResult is a DKIM signature that was not verified because the
	// message is not acceptable to this verifier (RFC 8601 section
	// 2.7.1): its body holds a run of empty lines over maxBlankRun.
	PolicyResult = "policy"
)

// Signature is the result of one DKIM signature.
type Signature struct {
	Result string // pass, fail, temperror, permerror or policy
	Domain string // its d= (SDID), lower-case; may be empty if malformed
}

// String is "pass d=example.com", or the result alone without a domain.
func (s Signature) String() string {
	if s.Domain == "" {
		return s.Result
	}
	return s.Result + " d=" + s.Domain
}

// Result is what the checks found out about one message. It names the
// sender's domains: keep it in memory for the session's decision; log it
// only through its LogValue, which leaves the domains out.
type Result struct {
	// SPF: pass, fail, softfail, neutral, none, temperror or permerror.
	SPF string
	// DKIM has one entry per verified signature, top of the header first
	// (at most MaxSignatures); nil if the message is unsigned.
	DKIM []Signature
	// DMARC: pass, fail, none (no record), temperror, or permerror (a
	// malformed record, or no single From address).
	DMARC string
	// Policy is the requested policy that applies to the From domain
	// (p=, or sp= for a subdomain that found its organizational domain's
	// record): none, quarantine or reject; "" without a record.
	Policy string
	// FromDomain is the RFC5322.From domain, lower-case A-labels; "" if
	// there is no single From address.
	FromDomain string
	// Identity is the domain the message authenticated as: FromDomain
	// when an aligned SPF or DKIM pass authenticates it (that is, when
	// DMARC passes, or would pass if the domain published a record);
	// otherwise the MAIL FROM domain (the HELO domain for a bounce) if
	// SPF passed; otherwise "". It is the key of per-domain rate limits:
	// see OrgDomain to count subdomains together.
	Identity string
	// Reject is set in Mode Enforce when DMARC fails for a domain that
	// asks for p=reject (after pct= sampling, RFC 7489 section 6.6.4).
	// Answer 550 5.7.26 (RFC 7372). Never set on temperror or permerror.
	Reject bool
}

// LogValue logs the results without any domain: spf, dkim (the results
// of the signatures, comma-separated, or "none"), dmarc, policy and
// reject.
func (r Result) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("spf", r.SPF),
		slog.String("dkim", r.dkimSummary()),
		slog.String("dmarc", r.DMARC),
		slog.String("policy", r.Policy),
		slog.Bool("reject", r.Reject),
	)
}

// String is the summary LogValue logs: "spf=pass dkim=pass dmarc=pass".
func (r Result) String() string {
	return "spf=" + r.SPF + " dkim=" + r.dkimSummary() + " dmarc=" + r.DMARC
}

func (r Result) dkimSummary() string {
	if len(r.DKIM) == 0 {
		return None
	}
	var b strings.Builder
	for i, s := range r.DKIM {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.Result)
	}
	return b.String()
}
