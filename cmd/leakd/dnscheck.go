package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/dmarc"
)

// `leakd dns check` looks up what `leakd dns records` prints, plus the
// relay's addresses and their PTR records, and names every record that is
// missing or wrong.

// Status of one finding.
const (
	statusOK      = "ok"
	statusMissing = "MISSING"
	statusWrong   = "WRONG"
	statusError   = "ERROR" // the lookup itself failed
)

// finding is the outcome of one check.
type finding struct {
	Status string
	What   string // "MX", "A/AAAA", "PTR", "SPF", "DKIM leak-rsa", ...
	Name   string // the name looked up
	Detail string
}

func cmdDNSCheck(args []string, stdout, stderr io.Writer) error {
	var server string
	path, err := configFlag("dns check", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&server, "resolver", "", "DNS server to ask, IP:port (default: delivery.resolver, else /etc/resolv.conf)")
	})
	if err != nil {
		return err
	}
	cfg, err := readConfig(path, false)
	if err != nil {
		return err
	}
	if server == "" {
		server = cfg.Delivery.Resolver
	}
	r, err := newDNSResolver(server)
	if err != nil {
		return fmt.Errorf("dns check: %w", err)
	}
	keys, err := publishedKeys(cfg)
	if err != nil {
		return err
	}
	recs, _ := domainRecords(cfg, keys, "testing")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	found := checkDNS(ctx, cfg, recs, keys != nil, r)

	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	bad := 0
	for _, f := range found {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Status, f.What, f.Name, f.Detail)
		if f.Status != statusOK {
			bad++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("dns check: %d of %d checks failed; `leakd dns records` prints what to publish", bad, len(found))
	}
	fmt.Fprintf(stdout, "all %d checks passed\n", len(found))
	return nil
}

// checkDNS runs every check: the records of recs, the relay's addresses
// and their PTR records, and the MTA-STS policy host.
func checkDNS(ctx context.Context, cfg *Config, recs []dnsRecord, haveKeys bool, r *dnsResolver) []finding {
	domain, host := fqdn(cfg.Domain), fqdn(cfg.Hostname)
	var out []finding
	add := func(status, what, name, detail string) {
		out = append(out, finding{status, what, name, detail})
	}
	failed := func(what, name string, err error) {
		add(statusError, what, name, "lookup failed: "+err.Error())
	}

	// The relay's addresses, then each one's reverse name.
	addrs, err := r.addrs(ctx, host)
	switch {
	case errors.Is(err, errNoRecords):
		add(statusMissing, "A/AAAA", host, "no address: sending servers cannot reach the relay")
	case err != nil:
		failed("A/AAAA", host, err)
	default:
		add(statusOK, "A/AAAA", host, joinAddrs(addrs))
	}
	for _, a := range addrs {
		names, err := r.ptr(ctx, a)
		switch {
		case errors.Is(err, errNoRecords):
			add(statusMissing, "PTR", a.String(), "no reverse name; want "+host+" (your hosting provider sets it)")
		case err != nil:
			failed("PTR", a.String(), err)
		case slices.Contains(names, host):
			add(statusOK, "PTR", a.String(), host)
		default:
			add(statusWrong, "PTR", a.String(), fmt.Sprintf("%s, not %s: receivers distrust a sender whose address does not name it", strings.Join(names, ", "), host))
		}
	}

	for _, rec := range recs {
		switch {
		case rec.What == "MX":
			out = append(out, checkMX(ctx, r, rec, host))
		case rec.What == "SPF":
			out = append(out, checkSPF(ctx, r, rec, cfg, addrs))
		case rec.dkim != nil:
			out = append(out, checkTXT(ctx, r, rec, "v=DKIM1", dkimMatches))
		case rec.What == "DMARC":
			out = append(out, checkTXT(ctx, r, rec, "v=DMARC1", dmarcStrict))
		case rec.What == "MTA-STS":
			out = append(out, checkTXT(ctx, r, rec, "v=STSv1", stsValid))
		case rec.What == "TLS-RPT":
			out = append(out, checkTXT(ctx, r, rec, "v=TLSRPTv1", tlsrptValid))
		}
	}
	if !haveKeys {
		add(statusMissing, "DKIM", "_domainkey."+domain, "no keys in "+cfg.DKIM.KeyDir+" to check: run leakd dkim keygen")
	}

	policyHost := "mta-sts." + domain
	_, err = r.addrs(ctx, policyHost)
	switch {
	case errors.Is(err, errNoRecords):
		add(statusMissing, "A/AAAA", policyHost, "no address: senders cannot fetch the MTA-STS policy")
	case err != nil:
		failed("A/AAAA", policyHost, err)
	default:
		add(statusOK, "A/AAAA", policyHost, "the MTA-STS policy host (its HTTPS answer is not checked)")
	}
	return out
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func checkMX(ctx context.Context, r *dnsResolver, rec dnsRecord, host string) finding {
	f := finding{What: rec.What, Name: rec.Name}
	mxs, err := r.mx(ctx, rec.Name)
	var hosts []string
	for _, mx := range mxs {
		hosts = append(hosts, mx.Host)
	}
	switch {
	case errors.Is(err, errNoRecords):
		f.Status, f.Detail = statusMissing, "publish "+rec.Value+" (mail for the domain cannot reach Leak)"
	case err != nil:
		f.Status, f.Detail = statusError, "lookup failed: "+err.Error()
	case slices.Contains(hosts, host):
		f.Status, f.Detail = statusOK, strings.Join(hosts, ", ")
	default:
		f.Status, f.Detail = statusWrong, fmt.Sprintf("points at %s, not %s (the config's hostname)", strings.Join(hosts, ", "), host)
	}
	return f
}

// checkTXT finds the one TXT record at rec.Name whose text starts with
// prefix and asks valid about it; valid returns "" or what is wrong.
func checkTXT(ctx context.Context, r *dnsResolver, rec dnsRecord, prefix string, valid func(got, want string) string) finding {
	f := finding{What: rec.What, Name: rec.Name}
	txts, err := r.txt(ctx, rec.Name)
	if err != nil && !errors.Is(err, errNoRecords) {
		f.Status, f.Detail = statusError, "lookup failed: "+err.Error()
		return f
	}
	var found []string
	for _, t := range txts {
		if hasTag(t, prefix) {
			found = append(found, t)
		}
	}
	switch {
	case len(found) == 0:
		f.Status, f.Detail = statusMissing, "publish: "+rec.Value
	case len(found) > 1:
		// SPF, DMARC, MTA-STS and TLS-RPT all treat several records as none.
		f.Status, f.Detail = statusWrong, fmt.Sprintf("%d records start with %s: publish exactly one", len(found), prefix)
	default:
		if why := valid(found[0], rec.Value); why != "" {
			f.Status, f.Detail = statusWrong, why
		} else {
			f.Status, f.Detail = statusOK, found[0]
			if len(f.Detail) > 72 {
				f.Detail = f.Detail[:72] + "…"
			}
		}
	}
	return f
}

// hasTag reports whether a TXT record starts with the version tag v
// ("v=spf1"), followed by its end, a space or a semicolon.
func hasTag(txt, v string) bool {
	if len(txt) < len(v) || !strings.EqualFold(txt[:len(v)], v) {
		return false
	}
	rest := txt[len(v):]
	return rest == "" || rest[0] == ' ' || rest[0] == ';'
}

// tags parses "k=v; k=v" (DKIM, MTA-STS, TLS-RPT), white space removed
// from the values as RFC 6376 section 3.2 allows it anywhere.
func tags(txt string) map[string]string {
	m := map[string]string{}
	for part := range strings.SplitSeq(txt, ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		m[strings.TrimSpace(k)] = strings.Join(strings.Fields(v), "")
	}
	return m
}

func dkimMatches(got, want string) string {
	g, w := tags(got), tags(want)
	switch {
	case g["p"] == "":
		return "p= is empty: the key is revoked"
	case g["p"] != w["p"]:
		return "publishes another key than the one in dkim.key_dir (p= differs): publish: " + want
	case g["k"] != w["k"] && !(g["k"] == "" && w["k"] == "rsa"):
		return fmt.Sprintf("k=%s, want k=%s", g["k"], w["k"])
	}
	return ""
}

func dmarcStrict(got, _ string) string {
	rec, err := dmarc.Parse(got)
	switch {
	case err != nil:
		return "does not parse: " + err.Error()
	case rec.Policy == dmarc.PolicyNone:
		return "p=none: receivers are not asked to refuse forged mail; Leak's own mail aligns, so p=reject is safe"
	}
	return ""
}

var stsIDSyntax = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)

func stsValid(got, _ string) string {
	if !stsIDSyntax.MatchString(tags(got)["id"]) {
		return "no valid id= (1 to 32 letters and digits, RFC 8461 section 3.1)"
	}
	return ""
}

func tlsrptValid(got, _ string) string {
	if !strings.HasPrefix(tags(got)["rua"], "mailto:") && !strings.HasPrefix(tags(got)["rua"], "https:") {
		return "no rua=mailto: or rua=https: address for the reports (RFC 8460 section 3)"
	}
	return ""
}

// checkSPF finds the domain's one SPF record and, in MX mode, evaluates it
// for each of the relay's addresses, as a receiver would for a copy from
// bounce+…@domain.
func checkSPF(ctx context.Context, r *dnsResolver, rec dnsRecord, cfg *Config, addrs []netip.Addr) finding {
	f := checkTXT(ctx, r, rec, "v=spf1", func(string, string) string { return "" })
	if f.Status != statusOK || cfg.Delivery.Mode != "mx" {
		return f
	}
	var refused []string
	for _, a := range addrs {
		res, err := spf.CheckHostWithSender(a.AsSlice(), fqdn(cfg.Hostname), "bounce@"+fqdn(cfg.Domain),
			spf.WithContext(ctx), spf.WithResolver(spfResolver{r}))
		if res != spf.Pass {
			why := string(res)
			if err != nil {
				why += ": " + err.Error()
			}
			refused = append(refused, fmt.Sprintf("%s (%s)", a, why))
		}
	}
	if len(refused) > 0 {
		f.Status = statusWrong
		f.Detail = fmt.Sprintf("does not allow the relay's address %s: %s", strings.Join(refused, ", "), f.Detail)
	}
	return f
}
