package auth

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// OrgDomain is the organizational domain of a (normalised) domain: its
// registrable part per the public suffix list, RFC 7489 section 3.2
// ("mail.example.co.uk" → "example.co.uk"). A domain that is itself a
// public suffix, or a single label, is its own organizational domain.
func OrgDomain(d string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}

// aligned reports whether an authenticated domain is in alignment with the
// From domain (RFC 7489 sections 3.1.1 and 3.1.2): the same name in
// strict mode, the same organizational domain in relaxed mode. Both are
// normalised already.
func aligned(from, authenticated string, mode dmarc.AlignmentMode) bool {
	if authenticated == "" {
		return false
	}
	if from == authenticated {
		return true
	}
	return mode != dmarc.AlignmentStrict && OrgDomain(from) == OrgDomain(authenticated)
}

// policyRecord is what DMARC policy discovery found for a From domain.
type policyRecord struct {
	rec    *dmarc.Record
	status string // when rec is nil: None, TempError or PermError
	org    bool   // rec was found at the organizational domain
}

// discover finds the DMARC record of a From domain (RFC 7489 section
// 6.6.3): at _dmarc.<from>, or else at _dmarc.<organizational domain>.
// go-msgauth's dmarc.Lookup queries only the first.
func discover(ctx context.Context, r *resolver, from string) policyRecord {
	pr := lookupRecord(ctx, r, from)
	if pr.status == None {
		if org := OrgDomain(from); org != from {
			pr = lookupRecord(ctx, r, org)
			pr.org = true
		}
	}
	return pr
}

// lookupRecord queries the DMARC record published for one domain.
func lookupRecord(ctx context.Context, r *resolver, domain string) policyRecord {
	txts, err := r.LookupTXT(ctx, "_dmarc."+domain)
	if err != nil {
		if de := (*net.DNSError)(nil); errors.As(err, &de) && de.IsNotFound {
			return policyRecord{status: None}
		}
		return policyRecord{status: TempError}
	}
	// Step 2 of 6.6.3: records that do not start with v=DMARC1 are not
	// DMARC's; step 5: several records are as good as none.
	var found string
	n := 0
	for _, t := range txts {
		if isDMARC1(t) {
			found = t
			n++
		}
	}
	if n != 1 {
		return policyRecord{status: None}
	}
	rec, err := dmarc.Parse(found)
	if err != nil {
		// Step 6 would let a record with a bad p= but a good rua= count
		// as p=none; with or without reports, nothing is enforced, and
		// permerror says more (RFC 7489 section 11.2).
		return policyRecord{status: PermError}
	}
	return policyRecord{rec: rec}
}

// isDMARC1 reports whether a TXT record starts with the v=DMARC1 tag
// (RFC 7489 section 6.4: it must be first, its value is case-sensitive).
func isDMARC1(txt string) bool {
	rest, ok := strings.CutPrefix(strings.TrimLeft(txt, " \t"), "v")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(strings.TrimLeft(rest, " \t"), "=")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(strings.TrimLeft(rest, " \t"), "DMARC1")
	if !ok {
		return false
	}
	rest = strings.TrimLeft(rest, " \t")
	return rest == "" || rest[0] == ';'
}

// verdict is the outcome of DMARC for one message.
type verdict struct {
	result        string // Pass, Fail, None, TempError or PermError
	policy        string // requested policy; "" without a record
	authenticated bool   // an aligned SPF or DKIM pass vouches for from
	sampled       bool   // pct= selects this message for the policy
}

// evaluate applies DMARC (RFC 7489 section 6.6.2) to a message from the
// From domain from, given the record found for it and the SPF and DKIM
// results. Without a record alignment is judged relaxed, so that the
// caller still learns whether the From domain authenticated.
func evaluate(from string, pr policyRecord, spfResult, spfDomain string, sigs []Signature) verdict {
	dkimMode, spfMode := dmarc.AlignmentMode(dmarc.AlignmentRelaxed), dmarc.AlignmentMode(dmarc.AlignmentRelaxed)
	if pr.rec != nil {
		dkimMode, spfMode = pr.rec.DKIMAlignment, pr.rec.SPFAlignment
	}
	var dkimPass, dkimTemp bool
	for _, s := range sigs {
		if !aligned(from, s.Domain, dkimMode) {
			continue
		}
		switch s.Result {
		case Pass:
			dkimPass = true
		case TempError:
			dkimTemp = true
		}
	}
	spfAligned := aligned(from, spfDomain, spfMode)
	v := verdict{authenticated: dkimPass || spfAligned && spfResult == Pass}
	if pr.rec == nil {
		v.result = pr.status
		return v
	}
	v.policy = string(pr.rec.Policy)
	if pr.org && pr.rec.SubdomainPolicy != "" {
		v.policy = string(pr.rec.SubdomainPolicy)
	}
	v.sampled = pr.rec.Percent == nil || *pr.rec.Percent >= 100 || rand.IntN(100) < *pr.rec.Percent
	switch {
	case v.authenticated:
		v.result = Pass
	case dkimTemp || spfAligned && spfResult == TempError:
		// An aligned identifier could not be checked: it might have
		// passed.
		v.result = TempError
	default:
		v.result = Fail
	}
	return v
}
