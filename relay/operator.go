package relay

import "strings"

// DefaultOperatorAliases are the mailboxes at the Leak domain that reach
// the operator unless Options.OperatorAliases says otherwise: postmaster
// (RFC 5321 section 4.5.1 requires it), abuse (RFC 2142), and the report
// addresses `leakd dns records` publishes, dmarc (DMARC aggregate reports,
// RFC 7489 rua=) and tlsrpt (TLS reports, RFC 8460 rua=).
var DefaultOperatorAliases = []string{"postmaster", "abuse", "dmarc", "tlsrpt"}

// operatorAlias reports whether local, the part before @ of a recipient in
// the Leak domain, is one of the operator's mailboxes.
func (s *Server) operatorAlias(local string) bool {
	aliases := s.opts.OperatorAliases
	if len(aliases) == 0 {
		aliases = DefaultOperatorAliases
	}
	for _, a := range aliases {
		if strings.EqualFold(local, a) {
			return true
		}
	}
	return false
}
