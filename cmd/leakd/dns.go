package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"text/tabwriter"

	"leak/relay/sign"
)

// The DNS records a Leak domain needs, printed by `leakd dns records` and
// looked up by `leakd dns check` from the same list, so the two cannot
// disagree.

// dnsRecord is one record to publish.
type dnsRecord struct {
	What  string // what it is for: "MX", "SPF", "DKIM leak-rsa", "DMARC", "MTA-STS", "TLS-RPT"
	Name  string // owner name, without the root's trailing dot
	Type  string // "MX" or "TXT"
	Value string // MX: "10 host"; TXT: the whole text, unsplit
	dkim  *sign.Record
}

// zone formats r as a zone-file line. Long TXT values are split into
// character-strings of at most 255 octets (RFC 1035 section 3.3.14), which
// receivers join again; a DKIM record keeps sign's split before p=.
func (r dnsRecord) zone() string {
	if r.dkim != nil {
		return r.dkim.String()
	}
	if r.Type == "MX" {
		return fmt.Sprintf("%s. IN MX %s.", r.Name, r.Value)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s. IN TXT", r.Name)
	for v := r.Value; v != ""; {
		n := min(len(v), 255)
		b.WriteString(` "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v[:n]) + `"`)
		v = v[n:]
	}
	return b.String()
}

// stsMaxAge is the max_age of the MTA-STS policy: a week, within RFC 8461
// section 3.2's advice of weeks, so a policy host outage is ridden out.
const stsMaxAge = 604800

// stsPolicy is the MTA-STS policy file (RFC 8461 section 3.2) for the
// relay's hostname.
func stsPolicy(hostname, mode string) string {
	return fmt.Sprintf("version: STSv1\r\nmode: %s\r\nmx: %s\r\nmax_age: %d\r\n", mode, hostname, stsMaxAge)
}

// stsID is the id of the _mta-sts record: senders fetch the policy again
// when it changes, so it is derived from the policy and changes with it.
func stsID(policy string) string {
	sum := sha256.Sum256([]byte(policy))
	return hex.EncodeToString(sum[:10])
}

// reportAddress is where the domain's DMARC or TLS reports go: alias@domain
// when that alias reaches the operator, "" when no mailbox would take them.
func reportAddress(cfg *Config, alias string) string {
	if cfg.Policy.Operator == "" || !slices.ContainsFunc(cfg.Policy.OperatorAliases, func(a string) bool { return strings.EqualFold(a, alias) }) {
		return ""
	}
	return alias + "@" + cfg.Domain
}

// fqdn is a configured name as records carry it: lower case, no trailing dot.
func fqdn(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// domainRecords lists every record the domain needs, keys being every key
// in dkim.key_dir (nil: none yet), and the notes about what leakd cannot
// write for the operator.
func domainRecords(cfg *Config, keys *sign.Keys, stsMode string) ([]dnsRecord, []string) {
	domain, host := fqdn(cfg.Domain), fqdn(cfg.Hostname)
	recs := []dnsRecord{
		{What: "MX", Name: domain, Type: "MX", Value: "10 " + host},
		// Leak sends as bounce+…@domain from its own address: the hosts
		// of the domain's MX records are the ones sending.
		{What: "SPF", Name: domain, Type: "TXT", Value: "v=spf1 mx -all"},
	}
	var signing, published []string
	if keys != nil {
		for _, r := range keys.DNSRecords() {
			sel := strings.TrimSuffix(r.Name, "._domainkey."+keys.Domain)
			recs = append(recs, dnsRecord{What: "DKIM " + sel, Name: r.Name, Type: "TXT", Value: r.Value, dkim: &r})
			if slices.Contains(cfg.DKIM.Sign, sel) {
				signing = append(signing, sel)
			} else {
				published = append(published, sel)
			}
		}
	}
	dmarc := "v=DMARC1; p=reject; adkim=s; aspf=s"
	if a := reportAddress(cfg, "dmarc"); a != "" {
		dmarc += "; rua=mailto:" + a
	}
	policy := stsPolicy(host, stsMode)
	recs = append(recs,
		dnsRecord{What: "DMARC", Name: "_dmarc." + domain, Type: "TXT", Value: dmarc},
		dnsRecord{What: "MTA-STS", Name: "_mta-sts." + domain, Type: "TXT", Value: "v=STSv1; id=" + stsID(policy)},
	)
	rua := reportAddress(cfg, "tlsrpt")
	if rua == "" {
		rua = cfg.Policy.Operator
	}
	if rua != "" {
		recs = append(recs, dnsRecord{What: "TLS-RPT", Name: "_smtp._tls." + domain, Type: "TXT", Value: "v=TLSRPTv1; rua=mailto:" + rua})
	}

	notes := []string{
		fmt.Sprintf("%s needs A (and AAAA) records with the relay's public addresses, and each address a PTR record back to %s (your hosting provider sets it).", host, host),
		fmt.Sprintf("MTA-STS: serve this policy at https://mta-sts.%s/.well-known/mta-sts.txt (mta-sts.%s needs an address and a certificate for its name); the id above changes with it:", domain, domain),
	}
	for line := range strings.SplitSeq(strings.TrimSpace(policy), "\r\n") {
		notes = append(notes, "    "+line)
	}
	if stsMode == "testing" {
		notes = append(notes, "Once the TLS reports show no failures, print the records again with --mta-sts-mode enforce and publish the new policy and id.")
	}
	if cfg.SMTP.TLSCert == "" && !cfg.TLS.ACME.Enabled {
		notes = append(notes, fmt.Sprintf("leakd offers no STARTTLS yet: give it a certificate for %s (smtp.tls_cert, or tls.acme) before MTA-STS enforce.", host))
	}
	if cfg.Delivery.Mode == "smarthost" {
		notes = append(notes, fmt.Sprintf("Delivery goes through %s: add its SPF mechanism (its provider documents an include:) before -all.", cfg.Delivery.Smarthost))
	}
	switch {
	case keys == nil:
		notes = append(notes, fmt.Sprintf("No DKIM keys in %s yet: run leakd dkim keygen (or start serve once) and print the records again.", cfg.DKIM.KeyDir))
	case len(published) > 0:
		notes = append(notes, fmt.Sprintf("DKIM: %s sign (dkim.sign); %s published but not signing: a key on its way in or out (remove its file to retire it).",
			strings.Join(signing, ", "), strings.Join(published, ", ")))
	}
	for _, sel := range cfg.DKIM.Sign {
		if !slices.Contains(signing, sel) && keys != nil {
			notes = append(notes, fmt.Sprintf("DKIM: dkim.sign lists %s, which has no key in %s.", sel, cfg.DKIM.KeyDir))
		}
	}
	if cfg.Policy.Operator == "" {
		notes = append(notes, "policy.operator is not set: the records name no report address.")
	}
	return recs, notes
}

// publishedKeys loads every key in dkim.key_dir, or nil when there is none
// yet; a key that does not load is an error.
func publishedKeys(cfg *Config) (*sign.Keys, error) {
	keys, err := sign.LoadDir(cfg.DKIM.KeyDir, cfg.Domain)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return keys, err
}

func cmdDNSRecords(args []string, stdout, stderr io.Writer) error {
	var format, stsMode string
	path, err := configFlag("dns records", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "zone", "zone (zone-file lines) or value (name, type and value a line, for a provider's web form)")
		fs.StringVar(&stsMode, "mta-sts-mode", "testing", "mode of the MTA-STS policy: testing or enforce")
	})
	if err != nil {
		return err
	}
	if (format != "zone" && format != "value") || (stsMode != "testing" && stsMode != "enforce") {
		fmt.Fprintln(stderr, "dns records: --format is zone or value, --mta-sts-mode is testing or enforce")
		return errUsage
	}
	cfg, err := readConfig(path, false)
	if err != nil {
		return err
	}
	keys, err := publishedKeys(cfg)
	if err != nil {
		return err
	}
	recs, notes := domainRecords(cfg, keys, stsMode)
	return printRecords(stdout, format, recs, notes)
}

// printRecords writes the records, then the notes as comments: ";" in a
// zone file, "#" in the value form.
func printRecords(w io.Writer, format string, recs []dnsRecord, notes []string) error {
	comment := ";"
	if format == "zone" {
		for _, r := range recs {
			fmt.Fprintln(w, r.zone())
		}
	} else {
		comment = "#"
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		for _, r := range recs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Type, r.Value)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w, comment)
	}
	for _, n := range notes {
		_, err := fmt.Fprintln(w, comment, n)
		if err != nil {
			return err
		}
	}
	return nil
}
