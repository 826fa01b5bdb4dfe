package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"leak/policy/testutil"
)

// realDomainConfig writes the config of a relay for a real domain under
// dir, with extra YAML appended, and makes its DKIM keys.
func realDomainConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "leak.yaml")
	cfg := "domain: leak-relay.net\nhostname: mx.leak-relay.net\ndata_dir: " + filepath.Join(dir, "data") + "\n" +
		"http:\n  public_url: https://mx.leak-relay.net\n" +
		"delivery:\n  mode: mx\n" + extra
	if !strings.Contains(extra, "policy:") {
		cfg += "policy:\n  operator: ops@operator.example\n"
	}
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"dkim", "keygen", "--config", path}, &out, &errb); code != 0 {
		t.Fatalf("dkim keygen: %s", errb.String())
	}
	return path
}

func runLeakd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestDNSRecords: every record in zone-file syntax that a DNS server
// loads, and the same records one name, type and value a line.
func TestDNSRecords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := realDomainConfig(t, dir, "")
	code, zone, errs := runLeakd(t, "dns", "records", "--config", cfg)
	if code != 0 {
		t.Fatalf("dns records: exit %d: %s", code, errs)
	}
	testutil.StartDNS(t).Load(t, zone) // every line parses as a zone file
	for _, re := range []string{
		`(?m)^leak-relay\.net\. IN MX 10 mx\.leak-relay\.net\.$`,
		`(?m)^leak-relay\.net\. IN TXT "v=spf1 mx -all"$`,
		`(?m)^leak-rsa\._domainkey\.leak-relay\.net\. IN TXT "v=DKIM1; k=rsa; " "p=`,
		`(?m)^leak-ed\._domainkey\.leak-relay\.net\. IN TXT "v=DKIM1; k=ed25519; " "p=`,
		`(?m)^_dmarc\.leak-relay\.net\. IN TXT "v=DMARC1; p=reject; adkim=s; aspf=s; rua=mailto:dmarc@leak-relay\.net"$`,
		`(?m)^_mta-sts\.leak-relay\.net\. IN TXT "v=STSv1; id=[0-9a-f]{20}"$`,
		`(?m)^_smtp\._tls\.leak-relay\.net\. IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@leak-relay\.net"$`,
		`(?m)^; MTA-STS: serve this policy at https://mta-sts\.leak-relay\.net/\.well-known/mta-sts\.txt`,
		`(?m)^;     mode: testing$`,
		`(?m)^;     mx: mx\.leak-relay\.net$`,
		`(?m)^; mx\.leak-relay\.net needs A \(and AAAA\) records .* PTR record`,
	} {
		if !regexp.MustCompile(re).MatchString(zone) {
			t.Errorf("zone output lacks %s:\n%s", re, zone)
		}
	}

	// The value form: no quotes, no trailing dots, long values whole.
	code, values, _ := runLeakd(t, "dns", "records", "--config", cfg, "--format", "value", "--mta-sts-mode", "enforce")
	if code != 0 {
		t.Fatal("dns records --format value failed")
	}
	for _, re := range []string{
		`(?m)^leak-relay\.net +MX +10 mx\.leak-relay\.net$`,
		`(?m)^leak-rsa\._domainkey\.leak-relay\.net +TXT +v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$`,
		`(?m)^_dmarc\.leak-relay\.net +TXT +v=DMARC1; p=reject`,
		`(?m)^#     mode: enforce$`,
	} {
		if !regexp.MustCompile(re).MatchString(values) {
			t.Errorf("value output lacks %s:\n%s", re, values)
		}
	}
	if strings.Contains(values, `"`) {
		t.Errorf("value output quotes something:\n%s", values)
	}
	idOf := func(s string) string { return regexp.MustCompile(`id=([0-9a-f]+)`).FindStringSubmatch(s)[1] }
	if idOf(zone) == idOf(values) {
		t.Error("the MTA-STS id did not change with the policy's mode")
	}

	// Without the report aliases, DMARC asks for no reports and TLS-RPT
	// sends them to the operator directly.
	dir2 := t.TempDir()
	cfg2 := realDomainConfig(t, dir2, "policy:\n  operator: ops@operator.example\n  operator_aliases: [postmaster, abuse]\n")
	_, zone2, _ := runLeakd(t, "dns", "records", "--config", cfg2)
	if !strings.Contains(zone2, `"v=DMARC1; p=reject; adkim=s; aspf=s"`) || !strings.Contains(zone2, `"v=TLSRPTv1; rua=mailto:ops@operator.example"`) {
		t.Errorf("records without the dmarc and tlsrpt aliases:\n%s", zone2)
	}
	if code, _, errs := runLeakd(t, "dns", "records", "--config", cfg2, "--format", "json"); code != 2 || !strings.Contains(errs, "--format") {
		t.Errorf("--format json: exit %d, %q", code, errs)
	}
}

// fullZone is what the operator publishes: the records leakd prints, the
// relay's addresses and their PTR records, and the MTA-STS policy host.
func fullZone(records string) string {
	return records + `
mx.leak-relay.net. IN A 192.0.2.25
mx.leak-relay.net. IN AAAA 2001:db8::25
25.2.0.192.in-addr.arpa. IN PTR mx.leak-relay.net.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. IN PTR mx.leak-relay.net.
mta-sts.leak-relay.net. IN A 192.0.2.80
`
}

// edit returns zone with every line matching re replaced by repl (""
// drops the line).
func edit(zone, re, repl string) string {
	return regexp.MustCompile(`(?m)^`+re+`.*$`).ReplaceAllLiteralString(zone, repl)
}

// TestDNSCheck runs `leakd dns check` against a real DNS server on
// loopback: a zone with everything leakd prints and the relay's addresses
// passes, and each broken zone fails, naming exactly the records that are
// missing or wrong.
func TestDNSCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := realDomainConfig(t, dir, "")
	_, records, _ := runLeakd(t, "dns", "records", "--config", cfg)
	full := fullZone(records)
	z := testutil.StartDNS(t)

	z.Load(t, full)
	code, out, errs := runLeakd(t, "dns", "check", "--config", cfg, "--resolver", z.Addr)
	if code != 0 || !regexp.MustCompile(`(?m)^all 11 checks passed$`).MatchString(out) {
		t.Fatalf("complete zone: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"A/AAAA", "PTR", "MX", "SPF", "DKIM leak-rsa", "DKIM leak-ed", "DMARC", "MTA-STS", "TLS-RPT"} {
		if !regexp.MustCompile(`(?m)^ok +` + regexp.QuoteMeta(want) + ` `).MatchString(out) {
			t.Errorf("complete zone: no ok line for %s:\n%s", want, out)
		}
	}

	for _, tc := range []struct {
		name string
		zone string
		bad  []string // the failing lines: status, what, name
	}{
		{"no MX", edit(full, `leak-relay\.net\. IN MX`, ""),
			// SPF's mx mechanism then no longer allows the relay either.
			[]string{`MISSING +MX +leak-relay\.net +publish 10 mx\.leak-relay\.net`, `WRONG +SPF +leak-relay\.net +does not allow`}},
		{"MX elsewhere", edit(full, `leak-relay\.net\. IN MX`, "leak-relay.net. IN MX 10 mail.other.example."),
			[]string{`WRONG +MX +leak-relay\.net +points at mail\.other\.example`, `WRONG +SPF +leak-relay\.net +does not allow`}},
		{"no SPF", edit(full, `leak-relay\.net\. IN TXT "v=spf1`, ""),
			[]string{`MISSING +SPF +leak-relay\.net`}},
		{"SPF without the relay", edit(full, `leak-relay\.net\. IN TXT "v=spf1`, `leak-relay.net. IN TXT "v=spf1 ip4:198.51.100.7 -all"`),
			[]string{`WRONG +SPF +leak-relay\.net +does not allow the relay's address 192\.0\.2\.25 \(fail: matched all\), 2001:db8::25 \(fail: matched all\)`}},
		{"two SPF records", full + "leak-relay.net. IN TXT \"v=spf1 a -all\"\n",
			[]string{`WRONG +SPF +leak-relay\.net +2 records`}},
		{"no Ed25519 key", edit(full, `leak-ed\._domainkey`, ""),
			[]string{`MISSING +DKIM leak-ed +leak-ed\._domainkey\.leak-relay\.net +publish: v=DKIM1; k=ed25519; p=`}},
		{"another RSA key", strings.Replace(full, `"p=MII`, `"p=MIJ`, 1),
			[]string{`WRONG +DKIM leak-rsa +leak-rsa\._domainkey\.leak-relay\.net +publishes another key`}},
		{"no DMARC", edit(full, `_dmarc\.`, ""),
			[]string{`MISSING +DMARC +_dmarc\.leak-relay\.net`}},
		{"DMARC p=none", edit(full, `_dmarc\.`, `_dmarc.leak-relay.net. IN TXT "v=DMARC1; p=none"`),
			[]string{`WRONG +DMARC +_dmarc\.leak-relay\.net +p=none`}},
		{"no MTA-STS", edit(full, `_mta-sts\.`, ""),
			[]string{`MISSING +MTA-STS +_mta-sts\.leak-relay\.net`}},
		{"MTA-STS without id", edit(full, `_mta-sts\.`, `_mta-sts.leak-relay.net. IN TXT "v=STSv1;"`),
			[]string{`WRONG +MTA-STS +_mta-sts\.leak-relay\.net +no valid id=`}},
		{"no MTA-STS policy host", edit(full, `mta-sts\.leak-relay\.net\. IN A`, ""),
			[]string{`MISSING +A/AAAA +mta-sts\.leak-relay\.net`}},
		{"no TLS-RPT", edit(full, `_smtp\._tls\.`, ""),
			[]string{`MISSING +TLS-RPT +_smtp\._tls\.leak-relay\.net`}},
		{"no PTR", edit(full, `25\.2\.0\.192\.in-addr\.arpa\.`, ""),
			[]string{`MISSING +PTR +192\.0\.2\.25 +no reverse name; want mx\.leak-relay\.net`}},
		{"PTR of the provider", edit(full, `25\.2\.0\.192\.in-addr\.arpa\.`, "25.2.0.192.in-addr.arpa. IN PTR host-25.provider.example."),
			[]string{`WRONG +PTR +192\.0\.2\.25 +host-25\.provider\.example, not mx\.leak-relay\.net`}},
		{"no address", edit(edit(full, `mx\.leak-relay\.net\. IN A `, ""), `mx\.leak-relay\.net\. IN AAAA`, ""),
			[]string{`MISSING +A/AAAA +mx\.leak-relay\.net`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z.Load(t, tc.zone)
			code, out, errs := runLeakd(t, "dns", "check", "--config", cfg, "--resolver", z.Addr)
			if code != 1 || !strings.Contains(errs, "checks failed") {
				t.Errorf("exit %d, stderr %q; want 1 and the count", code, errs)
			}
			var failing []string
			for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
				if !strings.HasPrefix(line, "ok ") {
					failing = append(failing, line)
				}
			}
			if len(failing) != len(tc.bad) {
				t.Errorf("%d failing lines, want %d:\n%s", len(failing), len(tc.bad), out)
			}
			for _, re := range tc.bad {
				if !regexp.MustCompile(`(?m)^` + re).MatchString(out) {
					t.Errorf("no line %s:\n%s", re, out)
				}
			}
		})
	}

	// A resolver that does not answer is an error, never an ok.
	t.Run("no resolver", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := pc.LocalAddr().String()
		pc.Close()
		code, out, _ := runLeakd(t, "dns", "check", "--config", cfg, "--resolver", dead)
		if code != 1 || strings.Contains(out, "\nok ") || strings.HasPrefix(out, "ok ") || !strings.Contains(out, "ERROR") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
}
