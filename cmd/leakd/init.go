package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"

	"leak/relay/sign"
)

// `leakd init` writes the config of a relay for a real domain, as the
// systemd unit runs it (deploy/systemd), makes its DKIM keys and prints the
// DNS records to publish. It never overwrites a config.

// initConfig is the config init writes; every value it fills in is quoted
// by yamlString.
var initConfig = template.Must(template.New("leak.yaml").Funcs(template.FuncMap{"q": yamlString}).Parse(
	`# leakd configuration for {{.Domain}}, written by leakd init.
# Every key is listed in README.md; deploy/leak.example.yaml has the defaults.
domain: {{q .Domain}}
hostname: {{q .Hostname}}             # the relay's name: MX target, banner, PTR of its addresses
data_dir: {{q .DataDir}}              # spool, DKIM keys, state (the systemd unit's StateDirectory)
log_level: info
log_format: text

smtp:
  listen: ":25"                      # the systemd unit grants CAP_NET_BIND_SERVICE
  # The STARTTLS certificate comes from ACME (tls: below). To use files instead
  # (e.g. certbot's, handed over by LoadCredential=, see deploy/README.md), remove
  # the tls: block and set:
  # tls_cert: /run/credentials/leakd.service/tls.crt
  # tls_key: /run/credentials/leakd.service/tls.key

tls:
  # leakd obtains and renews a certificate for {{.Hostname}} from Let's Encrypt
  # (enabling it accepts the CA's terms). The CA's HTTP-01 check must reach port 80
  # of {{.Hostname}}; until the certificate is in, senders go on without TLS.
  acme:
    enabled: true
    email: {{q .Operator}}
    http_listen: ":80"

http:
  listen: 127.0.0.1:8025             # /metrics, /healthz, /readyz: loopback only
  # Every copy's unsubscribe link starts here: serve /u/ publicly over HTTPS through a
  # reverse proxy with a certificate for this name (forward only /u/).
  public_url: {{q .PublicURL}}

policy:
  # postmaster@, abuse@, dmarc@ and tlsrpt@{{.Domain}} reach this mailbox, unchanged.
  operator: {{q .Operator}}
  inbound_auth: enforce              # SPF, DKIM, DMARC: refuse spoofed p=reject senders

anonymity:
  delay: 10m                         # a random wait before each copy's first delivery

dkim:
  # Every key in key_dir (<data_dir>/dkim) is published; these sign.
  sign: [leak-rsa, leak-ed]

delivery:
  mode: mx                           # direct delivery; see README.md for smarthost
  lifetime: 120h
`))

// yamlString quotes s as a YAML scalar.
func yamlString(s string) (string, error) {
	b, err := yaml.Marshal(s)
	return strings.TrimSuffix(string(b), "\n"), err
}

func cmdInit(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("init", flag.ContinueOnError)
	flags.SetOutput(stderr)
	domain := flags.String("domain", "", "the Leak domain (required): recipients write to to+…@DOMAIN")
	hostname := flags.String("hostname", "", "the relay's host name (required): the MX target, with A/AAAA and PTR records")
	operator := flags.String("operator", "", "the operator's mailbox outside DOMAIN (required): postmaster@, abuse@ and the report addresses reach it")
	dir := flags.String("dir", ".", "where to write leak.yaml")
	dataDir := flags.String("data-dir", "/var/lib/leak", "data_dir of the config: where the DKIM keys are made")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "usage: leakd init --domain D --hostname H --operator ADDRESS [flags]\n  %s\n\nflags:\n", describe["init"])
		flags.PrintDefaults()
	}
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			flags.SetOutput(stdout)
			flags.Usage()
			return errHelp
		}
	}
	if err := flags.Parse(args); err != nil {
		return errUsage
	}
	if flags.NArg() > 0 || *domain == "" || *hostname == "" || *operator == "" {
		fmt.Fprintln(stderr, "init: --domain, --hostname and --operator are required, and nothing else")
		return errUsage
	}
	data, err := filepath.Abs(*dataDir)
	if err != nil {
		return fmt.Errorf("init: --data-dir: %w", err)
	}
	path := filepath.Join(*dir, "leak.yaml")
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("init: %s exists; init never overwrites a config (move it away, or edit it)", path)
	}
	var text strings.Builder
	err = initConfig.Execute(&text, map[string]string{
		"Domain": fqdn(*domain), "Hostname": fqdn(*hostname), "DataDir": data,
		"PublicURL": "https://" + fqdn(*hostname), "Operator": *operator,
	})
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("init: %w", err)
	}

	// Checked as serve would check it before anything else is written.
	tmp, err := writeTemp(*dir, text.String())
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	defer os.Remove(tmp)
	cfg, err := loadConfig(tmp)
	if err != nil {
		return fmt.Errorf("init: the config for these flags is refused: %w", errors.Unwrap(err))
	}
	_, created, err := sign.Ensure(cfg.DKIM.KeyDir, cfg.Domain, cfg.DKIM.Sign...)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	// link(2) fails on an existing name: a config made meanwhile is kept.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("init: %s exists; init never overwrites a config", path)
		}
		return fmt.Errorf("init: %w", err)
	}
	if err := syncDir(*dir); err != nil {
		return fmt.Errorf("init: %w", err)
	}

	fmt.Fprintln(stdout, "wrote", path)
	for _, f := range created {
		fmt.Fprintln(stdout, "created", f)
	}
	if len(created) == 0 {
		fmt.Fprintln(stdout, "kept the DKIM keys already in", cfg.DKIM.KeyDir)
	}
	fmt.Fprintf(stdout, `
Next:
  1. Publish the records below, with A/AAAA and PTR records for %s.
  2. Let port 80 reach leakd for the ACME check (or see tls: in %s).
  3. Proxy https://%s/u/ to http.listen, for the unsubscribe links.
  4. Start leakd (deploy/README.md), and run leakd dns check --config %s once
     the records resolve.

`, cfg.Hostname, path, cfg.Hostname, path)
	keys, err := publishedKeys(cfg)
	if err != nil {
		return err
	}
	recs, notes := domainRecords(cfg, keys, "testing")
	return printRecords(stdout, "zone", recs, notes)
}

// writeTemp writes text to a new file in dir, synced, mode 0644 (the
// config holds no secret), and returns its name.
func writeTemp(dir, text string) (string, error) {
	f, err := os.CreateTemp(dir, ".leak.yaml.tmp-*")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(text)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
