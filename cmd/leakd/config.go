package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"leak/policy"
	"leak/policy/auth"
	"leak/relay"
	"leak/relay/anonymize"
	"leak/relay/courier"
	"leak/relay/queue"
	"leak/relay/sign"
)

// Config is leakd's whole configuration. Every key is listed in README.md;
// defaults live in defaultConfig and nowhere else.
type Config struct {
	Domain    string `yaml:"domain"`
	Hostname  string `yaml:"hostname"`
	DataDir   string `yaml:"data_dir"`
	LogLevel  string `yaml:"log_level"`
	LogFormat string `yaml:"log_format"`
	// LogRecipients puts recipient addresses in delivery log lines.
	LogRecipients bool `yaml:"log_recipients"`

	Spool struct {
		ReserveBytes int64 `yaml:"reserve_bytes"`
	} `yaml:"spool"`

	SMTP struct {
		Listen          string   `yaml:"listen"`
		MaxMessageBytes int64    `yaml:"max_message_bytes"`
		MaxRecipients   int      `yaml:"max_recipients"`
		IdleTimeout     Duration `yaml:"idle_timeout"`
		CommandTimeout  Duration `yaml:"command_timeout"`
		FirstCommand    Duration `yaml:"first_command_timeout"`
		StressTimeout   Duration `yaml:"stress_timeout"`
		MinDataRate     int64    `yaml:"min_data_rate"`
		ShutdownGrace   Duration `yaml:"shutdown_grace"`
		TLSCert         string   `yaml:"tls_cert"`
		TLSKey          string   `yaml:"tls_key"`
		MaxHeaderBytes  int      `yaml:"max_header_bytes"`
		MaxHeaderFields int      `yaml:"max_header_fields"`
		MaxMIMEDepth    int      `yaml:"max_mime_depth"`
		MaxMIMEParts    int      `yaml:"max_mime_parts"`
		MaxReceived     int      `yaml:"max_received"`
		// ProxyProtocol takes the client's address from a load
		// balancer's PROXY header (proxy.go).
		ProxyProtocol ProxyProtocolConfig `yaml:"proxy_protocol"`
	} `yaml:"smtp"`

	HTTP struct {
		Listen         string   `yaml:"listen"`
		PublicURL      string   `yaml:"public_url"`
		MaxConnections int      `yaml:"max_connections"`
		IdleTimeout    Duration `yaml:"idle_timeout"`
		// Pprof serves Go's profiles under /debug/pprof/ on this private
		// listener (httpserver.go). Off by default: a profile shows the
		// program's internals and costs CPU while it runs.
		Pprof bool `yaml:"pprof"`
	} `yaml:"http"`

	Web WebConfig `yaml:"web"`

	Scan ScanConfig `yaml:"scan"`

	TLS struct {
		ACME ACMEConfig `yaml:"acme"`
	} `yaml:"tls"`

	Policy PolicyConfig `yaml:"policy"`

	Anonymity struct {
		Delay            Duration `yaml:"delay"`
		DatePrecision    Duration `yaml:"date_precision"`
		PassTypes        []string `yaml:"pass_types"`
		MaxDocumentBytes int64    `yaml:"max_document_bytes"`
		DocumentBudget   int64    `yaml:"document_budget"`
	} `yaml:"anonymity"`

	DKIM struct {
		KeyDir string `yaml:"key_dir"`
		// Sign lists the selectors each copy is signed with; every key
		// in KeyDir is published (see relay/sign/selectors.go).
		Sign []string `yaml:"sign"`
	} `yaml:"dkim"`

	Delivery struct {
		Mode                 string   `yaml:"mode"`
		Dir                  string   `yaml:"dir"`
		Workers              int      `yaml:"workers"`
		Lifetime             Duration `yaml:"lifetime"`
		FailureLifetime      Duration `yaml:"failure_lifetime"`
		Smarthost            string   `yaml:"smarthost"`
		SmarthostTLS         string   `yaml:"smarthost_tls"`
		SmarthostTLSInsecure bool     `yaml:"smarthost_tls_insecure"`
		SmarthostUsername    string   `yaml:"smarthost_username"`
		SmarthostPassword    string   `yaml:"smarthost_password_file"`
		Resolver             string   `yaml:"resolver"`
		MXPort               int      `yaml:"mx_port"`
		AllowPrivateMX       bool     `yaml:"allow_private_mx"`
		MTASTS               bool     `yaml:"mta_sts"`
		MaxPerDestination    int      `yaml:"max_per_destination"`
		BounceKeyFile        string   `yaml:"bounce_key_file"`
	} `yaml:"delivery"`
}

// PolicyConfig is the policy section; see README.md "Policies".
type PolicyConfig struct {
	Redis                string   `yaml:"redis"`
	SecretFile           string   `yaml:"secret_file"`
	Operator             string   `yaml:"operator"`
	OperatorAliases      []string `yaml:"operator_aliases"`
	InboundAuth          string   `yaml:"inbound_auth"`
	AuthResolver         string   `yaml:"auth_resolver"`
	ConnPerIP            int      `yaml:"conn_per_ip"`
	ConnTotal            int      `yaml:"conn_total"`
	RateIP               Limit    `yaml:"rate_ip"`
	RateNet              Limit    `yaml:"rate_net"`
	RateSender           Limit    `yaml:"rate_sender"`
	RateSenderDomain     Limit    `yaml:"rate_sender_domain"`
	RateAuthDomain       Limit    `yaml:"rate_auth_domain"`
	RateRecipient        Limit    `yaml:"rate_recipient"`
	RateGlobal           Limit    `yaml:"rate_global"`
	SuppressFor          Duration `yaml:"suppress_for"`
	SoftBounceLimit      int      `yaml:"soft_bounce_limit"`
	HardBounceLimit      int      `yaml:"hard_bounce_limit"`
	ReportThreshold      int      `yaml:"report_threshold"`
	ReportWindow         Duration `yaml:"report_window"`
	ReportBlockFor       Duration `yaml:"report_block_for"`
	RecipientDomainDeny  string   `yaml:"recipient_domain_deny"`
	RecipientDomainAllow string   `yaml:"recipient_domain_allow"`
	SenderDomainDeny     string   `yaml:"sender_domain_deny"`
	SenderDomainAllow    string   `yaml:"sender_domain_allow"`
}

// ACMEConfig is tls.acme: certificates obtained and renewed from an ACME CA
// (Let's Encrypt by default) instead of smtp.tls_cert files; see tls.go.
type ACMEConfig struct {
	Enabled      bool     `yaml:"enabled"`
	Email        string   `yaml:"email"`
	DirectoryURL string   `yaml:"directory_url"`
	Hostnames    []string `yaml:"hostnames"`
	CacheDir     string   `yaml:"cache_dir"`
	HTTPListen   string   `yaml:"http_listen"`
	CAFile       string   `yaml:"ca_file"`
}

// Limit is a rate limit: Rate events per Period, bursts of up to Burst.
// Rate 0 turns the limit off.
type Limit struct {
	Rate   int      `yaml:"rate"`
	Burst  int      `yaml:"burst"`
	Period Duration `yaml:"period"`
}

func limitFrom(l policy.Limit) Limit {
	return Limit{Rate: l.Rate, Burst: l.Burst, Period: Duration{l.Period}}
}

func (l Limit) policy() policy.Limit {
	return policy.Limit{Rate: l.Rate, Burst: l.Burst, Period: l.Period.Duration}
}

// Duration is a time.Duration written as "90s", "5m" or "120h" in YAML.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("not a duration (use e.g. 30s, 5m, 120h): %q", n.Value)
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// defaultConfig is what leakd runs with when no file is given: a relay for
// leak.example on loopback that delivers into ./leak-data/outbox.
func defaultConfig() *Config {
	c := &Config{
		Domain:    "leak.example",
		Hostname:  "mx.leak.example",
		DataDir:   "./leak-data",
		LogLevel:  "info",
		LogFormat: "text",
	}
	c.SMTP.Listen = "127.0.0.1:2525"
	c.SMTP.MaxMessageBytes = relay.DefaultMaxMessageBytes
	c.SMTP.MaxRecipients = relay.DefaultMaxRecipients
	c.SMTP.IdleTimeout = Duration{relay.DefaultIdleTimeout}
	c.SMTP.CommandTimeout = Duration{relay.DefaultCommandTimeout}
	c.SMTP.FirstCommand = Duration{relay.DefaultFirstCommandTimeout}
	c.SMTP.StressTimeout = Duration{relay.DefaultStressTimeout}
	c.SMTP.MinDataRate = relay.DefaultMinDataRate
	c.SMTP.ShutdownGrace = Duration{30 * time.Second}
	a := anonymize.DefaultOptions()
	c.SMTP.MaxHeaderBytes = a.MaxHeaderBytes
	c.SMTP.MaxHeaderFields = a.MaxHeaderFields
	c.SMTP.MaxMIMEDepth = a.MaxDepth
	c.SMTP.MaxMIMEParts = a.MaxParts
	c.SMTP.MaxReceived = a.MaxReceived
	c.HTTP.Listen = "127.0.0.1:8025"
	c.HTTP.PublicURL = "http://127.0.0.1:8025"
	c.HTTP.MaxConnections = 256
	c.HTTP.IdleTimeout = Duration{time.Minute}
	c.Web = defaultWebConfig()
	c.Scan = defaultScanConfig()
	c.TLS.ACME.DirectoryURL = letsEncrypt
	p := policy.DefaultOptions()
	c.Policy = PolicyConfig{
		// Off on a laptop with no network; the shipped production configs
		// (deploy/) set enforce.
		InboundAuth:      "off",
		ConnPerIP:        p.ConnPerIP,
		ConnTotal:        p.ConnTotal,
		RateIP:           limitFrom(p.IP),
		RateNet:          limitFrom(p.Net),
		RateSender:       limitFrom(p.Sender),
		RateSenderDomain: limitFrom(p.SenderDomain),
		RateAuthDomain:   limitFrom(p.AuthDomain),
		RateRecipient:    limitFrom(p.Recipient),
		RateGlobal:       limitFrom(p.Global),
		SuppressFor:      Duration{p.SuppressFor},
		SoftBounceLimit:  p.SoftBounceLimit,
		HardBounceLimit:  2,
		ReportThreshold:  p.ReportThreshold,
		ReportWindow:     Duration{p.ReportWindow},
		ReportBlockFor:   Duration{p.ReportBlockFor},
	}
	c.Policy.OperatorAliases = slices.Clone(relay.DefaultOperatorAliases)
	c.DKIM.Sign = []string{sign.SelectorRSA, sign.SelectorEd25519}
	// Instant delivery on a laptop; the shipped production configs wait.
	c.Anonymity.DatePrecision = Duration{time.Minute}
	c.Anonymity.MaxDocumentBytes = a.MaxDocumentBytes
	c.Anonymity.DocumentBudget = a.DocumentBudget
	c.Delivery.Mode = "dir"
	qd := queue.DefaultOptions()
	c.Delivery.Workers = qd.Workers
	c.Delivery.Lifetime = Duration{qd.Lifetime}
	c.Spool.ReserveBytes = 64 << 20
	c.Delivery.FailureLifetime = Duration{qd.FailureLifetime}
	cd := courier.DefaultSMTPOptions()
	c.Delivery.SmarthostTLS = cd.SmarthostTLS
	c.Delivery.MXPort = cd.MXPort
	c.Delivery.MTASTS = true
	c.Delivery.MaxPerDestination = cd.MaxPerDest
	return c
}

// loadConfig reads path over the defaults ("" means defaults only) and
// validates the result. Errors name the file and the key.
func loadConfig(path string) (*Config, error) { return readConfig(path, true) }

// readConfig is loadConfig; with keys false it leaves out the check of the
// DKIM signing keys, for the commands that make keys or only read the
// published ones (dkim keygen, dkim dns, dns, health).
func readConfig(path string, keys bool) (*Config, error) {
	c := defaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
		if len(root.Content) > 0 {
			if err := decodeStrict(root.Content[0], reflect.ValueOf(c).Elem(), ""); err != nil {
				return nil, fmt.Errorf("config: %s: %w", path, err)
			}
		}
	}
	c.fill()
	err := c.validate()
	if err == nil {
		err = c.checkFiles()
	}
	if err == nil && keys {
		err = c.checkKeys()
	}
	if err != nil {
		name := path
		if name == "" {
			name = "(defaults)"
		}
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	return c, nil
}

// checkFiles checks what serve reads from disk and the listeners it opens,
// before anything is written: `config check` and the start of serve refuse
// the same configs.
func (c *Config) checkFiles() error {
	if c.SMTP.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.SMTP.TLSCert, c.SMTP.TLSKey); err != nil {
			return fmt.Errorf("smtp.tls_cert and smtp.tls_key: %w", err)
		}
	}
	files := []struct{ key, path string }{
		{"delivery.smarthost_password_file", c.Delivery.SmarthostPassword},
		{"scan.password_file", c.Scan.PasswordFile},
		{"policy.recipient_domain_deny", c.Policy.RecipientDomainDeny},
		{"policy.recipient_domain_allow", c.Policy.RecipientDomainAllow},
		{"policy.sender_domain_deny", c.Policy.SenderDomainDeny},
		{"policy.sender_domain_allow", c.Policy.SenderDomainAllow},
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		fh, err := os.Open(f.path)
		if err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
		fh.Close()
	}
	if sameListener(c.SMTP.Listen, c.HTTP.Listen) {
		return fmt.Errorf("smtp.listen and http.listen: both are %q", c.HTTP.Listen)
	}
	return c.TLS.ACME.checkFiles(c)
}

// sameListener reports whether two host:port addresses would collide: the
// same port on the same host, or on a wildcard host.
func sameListener(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || pa != pb || pa == "0" {
		return false
	}
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wild(ha) || wild(hb)
}

// decodeStrict decodes a mapping node into a struct key by key, so an
// unknown key or a value of the wrong type is reported with its full name
// ("smtp.max_message_bytes") and line.
func decodeStrict(n *yaml.Node, v reflect.Value, prefix string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s: expected a mapping", n.Line, orTop(prefix))
	}
	fields := map[string]reflect.Value{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		fields[tag] = v.Field(i)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		f, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("line %d: unknown key %q", k.Line, key)
		}
		if line, dup := seen[k.Value]; dup {
			return fmt.Errorf("line %d: %s: given twice (first on line %d)", k.Line, key, line)
		}
		seen[k.Value] = k.Line
		if f.Type() == reflect.TypeOf(Limit{}) {
			// A limit in the file replaces the default one whole: a
			// burst left out means burst = rate, not the default's.
			f.Set(reflect.Zero(f.Type()))
		}
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(Duration{}) {
			if err := decodeStrict(val, f, key); err != nil {
				return err
			}
			continue
		}
		if err := val.Decode(f.Addr().Interface()); err != nil {
			var te *yaml.TypeError
			msg := err.Error()
			if errors.As(err, &te) && len(te.Errors) > 0 {
				msg = te.Errors[0]
			}
			return fmt.Errorf("line %d: %s: %s", val.Line, key, msg)
		}
	}
	return nil
}

func orTop(s string) string {
	if s == "" {
		return "top level"
	}
	return s
}

// fill derives the defaults that depend on other keys.
func (c *Config) fill() {
	for _, p := range []*string{&c.DataDir, &c.DKIM.KeyDir, &c.Delivery.Dir} {
		if *p != "" {
			*p = filepath.Clean(*p)
		}
	}
	if c.DKIM.KeyDir == "" {
		c.DKIM.KeyDir = filepath.Join(c.DataDir, "dkim")
	}
	if c.Delivery.Dir == "" {
		c.Delivery.Dir = filepath.Join(c.DataDir, "outbox")
	}
	c.TLS.ACME.fill(c)
}

func (c *Config) validate() error {
	switch {
	case c.Domain == "" || !strings.Contains(c.Domain, "."):
		return fmt.Errorf("domain: must be a domain name like leak.example, got %q", c.Domain)
	case c.Hostname == "":
		return errors.New("hostname: must be set (the name in the banner and EHLO)")
	case c.DataDir == "":
		return errors.New("data_dir: must be set")
	case (c.SMTP.TLSCert == "") != (c.SMTP.TLSKey == ""):
		return errors.New("smtp.tls_cert and smtp.tls_key: set both or neither")
	case c.Anonymity.Delay.Duration < 0 || c.Anonymity.Delay.Duration > 24*time.Hour:
		return errors.New("anonymity.delay: must be between 0s and 24h")
	case c.Spool.ReserveBytes < 0:
		return errors.New("spool.reserve_bytes: must be >= 0 (0 turns the free-space check off)")
	case c.Policy.HardBounceLimit < 1:
		// policy reads 0 as its default; in the config 0 is a mistake.
		return errors.New("policy.hard_bounce_limit: must be at least 1 (2 or more, so that one crafted message cannot block a recipient)")
	}
	if err := c.relayOptions().Validate(); err != nil {
		return err
	}
	if err := c.anonymizeOptions().Validate(); err != nil {
		return err
	}
	if err := c.queueOptions().Validate(); err != nil {
		return err
	}
	if err := c.SMTP.ProxyProtocol.validate(); err != nil {
		return err
	}
	for key, addr := range map[string]string{"smtp.listen": c.SMTP.Listen, "http.listen": c.HTTP.Listen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%s: not a host:port address: %q", key, addr)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: must be debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log_format: must be text or json, got %q", c.LogFormat)
	}
	if u, err := url.Parse(c.HTTP.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("http.public_url: must be an http(s) URL like https://leak.example, got %q", c.HTTP.PublicURL)
	}
	if c.HTTP.MaxConnections < 1 {
		return fmt.Errorf("http.max_connections: must be at least 1, got %d", c.HTTP.MaxConnections)
	}
	if c.HTTP.IdleTimeout.Duration <= 0 {
		return fmt.Errorf("http.idle_timeout: must be positive, got %s", c.HTTP.IdleTimeout.Duration)
	}
	if err := c.Web.validate(c); err != nil {
		return err
	}
	if err := c.Scan.validate(); err != nil {
		return err
	}
	if c.Policy.Redis != "" && !strings.HasPrefix(c.Policy.Redis, "redis://") && !strings.HasPrefix(c.Policy.Redis, "rediss://") {
		return fmt.Errorf("policy.redis: must be a redis:// or rediss:// URL")
	}
	if _, err := auth.ParseMode(c.Policy.InboundAuth); err != nil {
		return fmt.Errorf("policy.inbound_auth: must be off, record or enforce, got %q", c.Policy.InboundAuth)
	}
	if c.Policy.AuthResolver != "" {
		// The resolver dials this address itself: a name would need a
		// resolver of its own.
		if _, err := netip.ParseAddrPort(c.Policy.AuthResolver); err != nil {
			return fmt.Errorf("policy.auth_resolver: must be an IP address and port like 127.0.0.1:53, got %q", c.Policy.AuthResolver)
		}
	}
	if c.Policy.Operator != "" && !strings.Contains(c.Policy.Operator, "@") {
		return fmt.Errorf("policy.operator: must be an email address, got %q", c.Policy.Operator)
	}
	if err := c.checkOperator(); err != nil {
		return err
	}
	if err := c.validateDKIM(); err != nil {
		return err
	}
	if err := c.policyOptions().Validate(); err != nil {
		return err
	}
	switch c.Delivery.Mode {
	case "dir":
	case "smarthost", "mx":
		// The courier checks its own options, as NewSMTP will at serve.
		if err := c.courierOptions().Validate(); err != nil {
			return err
		}
		if (c.Delivery.SmarthostUsername == "") != (c.Delivery.SmarthostPassword == "") {
			return errors.New("delivery.smarthost_username and delivery.smarthost_password_file: set both or neither")
		}
	default:
		return fmt.Errorf("delivery.mode: must be dir, smarthost or mx, got %q", c.Delivery.Mode)
	}
	return c.TLS.ACME.validate(c)
}

// letsEncrypt is the default tls.acme.directory_url: Let's Encrypt's
// production CA.
const letsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

// fill derives tls.acme's defaults from the rest of the config: the cache
// under data_dir, and the SMTP hostname plus, when Leak's pages are public
// over https, the host of http.public_url.
func (a *ACMEConfig) fill(c *Config) {
	if !a.Enabled {
		return
	}
	if a.CacheDir == "" {
		a.CacheDir = filepath.Join(c.DataDir, "acme")
	}
	a.CacheDir = filepath.Clean(a.CacheDir)
	if len(a.Hostnames) == 0 {
		a.Hostnames = []string{certName(c.Hostname)}
		if h := publicHost(c.HTTP.PublicURL); h != "" && h != certName(c.Hostname) {
			a.Hostnames = append(a.Hostnames, h)
		}
	}
	for i, h := range a.Hostnames {
		a.Hostnames[i] = certName(h)
	}
}

func (a *ACMEConfig) validate(c *Config) error {
	if !a.Enabled {
		for _, k := range []struct {
			key string
			set bool
		}{
			{"email", a.Email != ""}, {"hostnames", len(a.Hostnames) > 0}, {"cache_dir", a.CacheDir != ""},
			{"http_listen", a.HTTPListen != ""}, {"ca_file", a.CAFile != ""},
		} {
			if k.set {
				return fmt.Errorf("tls.acme.%s: set, but tls.acme.enabled is false", k.key)
			}
		}
		return nil
	}
	if c.SMTP.TLSCert != "" || c.SMTP.TLSKey != "" {
		return errors.New("tls.acme.enabled and smtp.tls_cert/smtp.tls_key: use one or the other (ACME obtains the certificate itself)")
	}
	if u, err := url.Parse(a.DirectoryURL); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("tls.acme.directory_url: must be an https URL like %s, got %q", letsEncrypt, a.DirectoryURL)
	}
	if a.Email != "" && (!strings.Contains(a.Email, "@") || strings.ContainsAny(a.Email, " \t<>,")) {
		return fmt.Errorf("tls.acme.email: must be one email address, got %q", a.Email)
	}
	for i, h := range a.Hostnames {
		if err := checkCertName(h); err != nil {
			return fmt.Errorf("tls.acme.hostnames[%d]: %v, got %q", i, err, h)
		}
	}
	if !slices.Contains(a.Hostnames, certName(c.Hostname)) {
		return fmt.Errorf("tls.acme.hostnames: must include hostname %q, the name sending servers reach by MX", c.Hostname)
	}
	if a.HTTPListen != "" {
		if _, _, err := net.SplitHostPort(a.HTTPListen); err != nil {
			return fmt.Errorf("tls.acme.http_listen: not a host:port address: %q", a.HTTPListen)
		}
	}
	return nil
}

// checkFiles is checkFiles for tls.acme: the CA file is read, the cache
// is a directory if it exists, and the HTTP-01 listener has a port of its own.
func (a *ACMEConfig) checkFiles(c *Config) error {
	if !a.Enabled {
		return nil
	}
	if a.CAFile != "" {
		if _, err := loadCAFile(a.CAFile); err != nil {
			return fmt.Errorf("tls.acme.ca_file: %w", err)
		}
	}
	if st, err := os.Stat(a.CacheDir); err == nil && !st.IsDir() {
		return fmt.Errorf("tls.acme.cache_dir: %s is not a directory", a.CacheDir)
	}
	for _, l := range []struct{ key, addr string }{{"smtp.listen", c.SMTP.Listen}, {"http.listen", c.HTTP.Listen}} {
		if a.HTTPListen != "" && sameListener(a.HTTPListen, l.addr) {
			return fmt.Errorf("tls.acme.http_listen and %s: both are %q", l.key, a.HTTPListen)
		}
	}
	return nil
}

// certName is a host name as certificates carry it: lower case, without
// the root's trailing dot.
func certName(h string) string { return strings.ToLower(strings.TrimSuffix(h, ".")) }

// publicHost is the host of http.public_url when Leak's pages are public
// over https under a DNS name, else "".
func publicHost(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme != "https" || net.ParseIP(u.Hostname()) != nil || !strings.Contains(u.Hostname(), ".") {
		return ""
	}
	return certName(u.Hostname())
}

// checkCertName checks a name an ACME CA can issue for over HTTP-01 or
// TLS-ALPN-01: a DNS name, no IP address and no wildcard.
func checkCertName(h string) error {
	switch {
	case strings.HasPrefix(h, "*."):
		return errors.New("a wildcard needs the DNS-01 challenge, which leakd does not answer; list each name")
	case net.ParseIP(h) != nil:
		return errors.New("must be a DNS name, not an IP address")
	case len(h) > 253 || !strings.Contains(h, "."):
		return errors.New("must be a fully qualified DNS name like mx.leak.example")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' ||
			strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return errors.New("must be a DNS name of letters, digits and hyphens (an IDN in its xn-- form)")
		}
	}
	return nil
}

// policyOptions maps the policy section onto policy.Options, the one path
// both config check (Validate) and serve (Open) take; Secret, Metrics and
// Logger are serve's to add.
func (c *Config) policyOptions() policy.Options {
	p := c.Policy
	return policy.Options{
		ConnPerIP:            p.ConnPerIP,
		ConnTotal:            p.ConnTotal,
		IP:                   p.RateIP.policy(),
		Net:                  p.RateNet.policy(),
		Sender:               p.RateSender.policy(),
		SenderDomain:         p.RateSenderDomain.policy(),
		AuthDomain:           p.RateAuthDomain.policy(),
		Recipient:            p.RateRecipient.policy(),
		Global:               p.RateGlobal.policy(),
		SuppressFor:          p.SuppressFor.Duration,
		SoftBounceLimit:      p.SoftBounceLimit,
		HardBounceLimit:      p.HardBounceLimit,
		ReportThreshold:      p.ReportThreshold,
		ReportWindow:         p.ReportWindow.Duration,
		ReportBlockFor:       p.ReportBlockFor.Duration,
		RecipientDomainDeny:  p.RecipientDomainDeny,
		RecipientDomainAllow: p.RecipientDomainAllow,
		SenderDomainDeny:     p.SenderDomainDeny,
		SenderDomainAllow:    p.SenderDomainAllow,
	}
}

// anonymizeOptions maps the smtp limits and the anonymity section onto
// anonymize.Options: the one path config check (Validate) and serve take.
func (c *Config) anonymizeOptions() anonymize.Options {
	return anonymize.Options{
		MaxHeaderBytes:   c.SMTP.MaxHeaderBytes,
		MaxHeaderFields:  c.SMTP.MaxHeaderFields,
		MaxDepth:         c.SMTP.MaxMIMEDepth,
		MaxParts:         c.SMTP.MaxMIMEParts,
		MaxReceived:      c.SMTP.MaxReceived,
		DatePrecision:    c.Anonymity.DatePrecision.Duration,
		PassTypes:        c.Anonymity.PassTypes,
		MaxDocumentBytes: c.Anonymity.MaxDocumentBytes,
		DocumentBudget:   c.Anonymity.DocumentBudget,
	}
}

// queueOptions maps the delivery section's queue settings onto
// queue.Options: the one path config check (Validate) and serve take.
func (c *Config) queueOptions() queue.Options {
	return queue.Options{
		Workers:  c.Delivery.Workers,
		Lifetime: c.Delivery.Lifetime.Duration,
		// A copy the next hop refuses for itself (content, size, sender)
		// is retried this long before it is given up: a relay
		// misconfigured for a few minutes must not drop that window's mail.
		FailureLifetime: c.Delivery.FailureLifetime.Duration,
	}
}

// relayOptions maps the settings of the SMTP side onto relay.Options: the
// one path config check (Validate) and serve (Build adds what is built at
// start: keys, spool, queue, policy, TLS, …) take.
// courierOptions maps the delivery section onto the SMTP courier's
// options, for `config check` and `serve` alike; serve adds the password,
// the metrics' callbacks and the logger.
func (c *Config) courierOptions() courier.SMTPOptions {
	d := c.Delivery
	return courier.SMTPOptions{
		Mode:           d.Mode,
		Hostname:       c.Hostname,
		Smarthost:      d.Smarthost,
		SmarthostTLS:   d.SmarthostTLS,
		TLSInsecure:    d.SmarthostTLSInsecure,
		Username:       d.SmarthostUsername,
		Resolver:       d.Resolver,
		MXPort:         d.MXPort,
		AllowPrivateMX: d.AllowPrivateMX,
		MTASTS:         d.MTASTS,
		MaxPerDest:     d.MaxPerDestination,
	}
}

func (c *Config) relayOptions() relay.Options {
	return relay.Options{
		Domain:              c.Domain,
		Hostname:            c.Hostname,
		MaxMessageBytes:     c.SMTP.MaxMessageBytes,
		MaxRecipients:       c.SMTP.MaxRecipients,
		IdleTimeout:         c.SMTP.IdleTimeout.Duration,
		CommandTimeout:      c.SMTP.CommandTimeout.Duration,
		FirstCommandTimeout: c.SMTP.FirstCommand.Duration,
		StressTimeout:       c.SMTP.StressTimeout.Duration,
		MinDataRate:         c.SMTP.MinDataRate,
		Anonymize:           c.anonymizeOptions(),
		Delay:               c.Anonymity.Delay.Duration,
		UnsubscribeBase:     c.HTTP.PublicURL,
		Operator:            c.Policy.Operator,
		OperatorAliases:     c.Policy.OperatorAliases,
	}
}
