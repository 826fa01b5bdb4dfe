package courier

import (
	"strings"
	"testing"

	"leak/policy/testutil"

	"github.com/miekg/dns"
)

// startDNS starts the shared test DNS server with records in zone-file
// syntax, or the directives "servfail NAME" (SERVFAIL for every type),
// "mxfail NAME" (SERVFAIL for MX only) and "truncate NAME" (UDP answers
// truncated and empty).
func startDNS(t testing.TB, records ...string) *testutil.DNS {
	t.Helper()
	d := testutil.StartDNS(t)
	for _, r := range records {
		f := strings.Fields(r)
		switch {
		case len(f) == 2 && f[0] == "servfail":
			d.Fail(f[1], dns.TypeANY)
		case len(f) == 2 && f[0] == "mxfail":
			d.Fail(f[1], dns.TypeMX)
		case len(f) == 2 && f[0] == "truncate":
			d.Truncate(f[1])
		default:
			d.Add(t, r)
		}
	}
	return d
}
