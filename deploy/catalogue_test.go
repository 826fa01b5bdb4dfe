package deploy

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// metricDef is one row of the catalogue in metrics/README.md.
type metricDef struct {
	name, typ string
	// labels maps each label to its closed set of values, or to nil when
	// the values are open (version, policy).
	labels map[string][]string
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	openLabel  = regexp.MustCompile("`([a-z_]+)` \\(")
)

// loadCatalogue parses the metric table and the reason table of
// metrics/README.md, the one list of the metrics that exist.
func loadCatalogue(t *testing.T) map[string]*metricDef {
	t.Helper()
	data, err := os.ReadFile("../metrics/README.md")
	if err != nil {
		t.Fatal(err)
	}
	defs := map[string]*metricDef{}
	var reasons []string
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#") {
			section = line
			continue
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cols := strings.Split(line, "|")
		if len(cols) < 4 {
			continue
		}
		first := strings.Trim(strings.TrimSpace(cols[1]), "`")
		switch {
		case strings.Contains(section, "`reason` values"):
			reasons = append(reasons, first)
		case strings.HasPrefix(first, "leak_") && len(cols) >= 5:
			d := &metricDef{name: first, typ: strings.TrimSpace(cols[2]), labels: map[string][]string{}}
			for _, part := range strings.Split(cols[3], ";") {
				if name, values, ok := strings.Cut(part, "="); ok {
					label := backticked.FindStringSubmatch(name)
					if label == nil {
						t.Fatalf("metrics/README.md: %s: cannot read labels %q", first, part)
					}
					for _, m := range backticked.FindAllStringSubmatch(values, -1) {
						d.labels[label[1]] = append(d.labels[label[1]], m[1])
					}
					continue
				}
				for _, m := range openLabel.FindAllStringSubmatch(part, -1) {
					d.labels[m[1]] = nil
				}
			}
			defs[first] = d
		}
	}
	// "reason (see below)" is the SMTP reason table; a metric with its own
	// reason values (leak_spool_dropped_entries_total) keeps them.
	for _, d := range defs {
		if v, ok := d.labels["reason"]; ok && v == nil {
			d.labels["reason"] = reasons
		}
	}
	if len(defs) < 20 || len(reasons) < 10 {
		t.Fatalf("metrics/README.md: read %d metrics and %d reasons; has its layout changed?", len(defs), len(reasons))
	}
	return defs
}

// TestCatalogueParse pins the parser to a few rows it must read right.
func TestCatalogueParse(t *testing.T) {
	t.Parallel()
	defs := loadCatalogue(t)
	tests := []struct {
		metric, label string
		want          []string // nil: open set
	}{
		{"leak_smtp_commands_total", "class", []string{"2xx", "3xx", "4xx", "5xx"}},
		{"leak_delivery_attempts_total", "result", []string{"delivered", "deferred", "bounced", "failed", "expired"}},
		{"leak_spool_dropped_entries_total", "reason", []string{"corrupt", "truncated"}},
		{"leak_http_requests_total", "handler", []string{"unsubscribe", "form", "api", "report", "metrics", "health", "other"}},
		{"leak_http_requests_total", "class", []string{"2xx", "3xx", "4xx", "5xx"}},
		{"leak_tls_cert_expiry_timestamp_seconds", "listener", []string{"smtp", "http"}},
		{"leak_build_info", "goversion", nil},
		{"leak_policy_decisions_total", "policy", nil},
		{"leak_policy_decisions_total", "result", []string{"allow", "defer", "reject", "error"}},
		{"leak_policy_store_duration_seconds", "store", []string{"local", "redis"}},
		{"leak_policy_store_errors_total", "store", []string{"local", "redis"}},
		{"leak_policy_optouts_total", "action", []string{"optout", "optin"}},
		{"leak_policy_suppressions_total", "kind", []string{"hard", "soft"}},
		{"leak_smtp_recipients_total", "reason", []string{"ok", "relay_denied", "invalid_recipient", "loop", "too_many_recipients", "size", "line_ending", "header", "mime", "internal", "policy", "timeout", "content"}},
	}
	for _, tt := range tests {
		d := defs[tt.metric]
		if d == nil {
			t.Errorf("%s: not in the catalogue", tt.metric)
			continue
		}
		got, ok := d.labels[tt.label]
		if !ok || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s{%s}: values %q (present %v), want %q", tt.metric, tt.label, got, ok, tt.want)
		}
	}
	for _, name := range []string{"leak_queue_depth_messages", "leak_policy_store_up", "leak_spool_free_bytes"} {
		if d := defs[name]; d == nil || len(d.labels) != 0 || d.typ != "gauge" {
			t.Errorf("%s: %+v, want a gauge without labels", name, d)
		}
	}
}

// selector is one vector selector of a PromQL expression.
type selector struct {
	metric   string
	matchers []matcher
}

type matcher struct{ label, op, value string }

// exprInfo is what parseExpr reads from an expression: its selectors, the
// labels of its grouping clauses and the contents of its range brackets.
type exprInfo struct {
	selectors []selector
	grouping  []string
	ranges    []string
}

// keywords are PromQL words that are neither metrics nor functions.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "inf": true, "nan": true,
	// Aggregations, which may take their by/without clause before the
	// parenthesis: sum by (le) (...).
	"sum": true, "min": true, "max": true, "avg": true, "group": true,
	"stddev": true, "stdvar": true, "count": true, "count_values": true,
	"bottomk": true, "topk": true, "quantile": true, "limitk": true, "limit_ratio": true,
}

// parseExpr is a small PromQL reader: enough to find every metric name and
// label matcher in the dashboard's and the rules' expressions. Syntax errors
// are Prometheus's job (promtool and the live test); this reader fails on
// what it does not understand rather than guessing.
func parseExpr(expr string) (*exprInfo, error) {
	info := &exprInfo{}
	s := expr
	i := 0
	ident := func() string {
		j := i
		for j < len(s) && (s[j] == '_' || s[j] == ':' || isAlnum(s[j])) {
			j++
		}
		w := s[i:j]
		i = j
		return w
	}
	skipSpace := func() {
		for i < len(s) && strings.ContainsRune(" \t\r\n", rune(s[i])) {
			i++
		}
	}
	str := func() (string, error) {
		q := s[i]
		j := i + 1
		var b strings.Builder
		for j < len(s) && s[j] != q {
			if s[j] == '\\' && q != '`' && j+1 < len(s) {
				j++
			}
			b.WriteByte(s[j])
			j++
		}
		if j >= len(s) {
			return "", fmt.Errorf("unterminated string at %d", i)
		}
		i = j + 1
		return b.String(), nil
	}
	labelList := func() ([]string, error) {
		skipSpace()
		if i >= len(s) || s[i] != '(' {
			return nil, fmt.Errorf("expected a label list at %d", i)
		}
		end := strings.IndexByte(s[i:], ')')
		if end < 0 {
			return nil, fmt.Errorf("unclosed label list at %d", i)
		}
		var out []string
		for _, l := range strings.Split(s[i+1:i+end], ",") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		i += end + 1
		return out, nil
	}
	for i < len(s) {
		c := s[i]
		switch {
		case strings.ContainsRune(" \t\r\n()+-*/^%,<>=!", rune(c)):
			i++
		case c == '"' || c == '\'' || c == '`':
			if _, err := str(); err != nil {
				return nil, err
			}
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at %d", i)
			}
			info.ranges = append(info.ranges, s[i+1:i+end])
			i += end + 1
		case c >= '0' && c <= '9' || c == '.':
			// A number or a duration: 0.99, 1e-9, 5m.
			for i < len(s) && (isAlnum(s[i]) || s[i] == '.' ||
				(s[i] == '-' || s[i] == '+') && (s[i-1] == 'e' || s[i-1] == 'E')) {
				i++
			}
		case c == '{':
			return nil, fmt.Errorf("selector without a metric name at %d: name the metric", i)
		case c == '_' || c == ':' || isAlnum(c):
			w := ident()
			skipSpace()
			next := byte(0)
			if i < len(s) {
				next = s[i]
			}
			switch {
			case w == "by" || w == "without" || w == "on" || w == "ignoring" || w == "group_left" || w == "group_right":
				if next != '(' {
					if w == "group_left" || w == "group_right" {
						continue // no label list
					}
					return nil, fmt.Errorf("%s without a label list", w)
				}
				ls, err := labelList()
				if err != nil {
					return nil, err
				}
				if w == "by" || w == "without" {
					info.grouping = append(info.grouping, ls...)
				}
			case keywords[strings.ToLower(w)]:
			case next == '(':
				// A function or an aggregation.
			default:
				sel := selector{metric: w}
				if next == '{' {
					i++
					for {
						skipSpace()
						if i < len(s) && s[i] == ',' {
							i++
							skipSpace()
						}
						if i < len(s) && s[i] == '}' {
							i++
							break
						}
						if i >= len(s) {
							return nil, fmt.Errorf("unclosed { in selector of %s", w)
						}
						l := ident()
						skipSpace()
						var op string
						for _, o := range []string{"=~", "!~", "!=", "="} {
							if strings.HasPrefix(s[i:], o) {
								op = o
								break
							}
						}
						if l == "" || op == "" {
							return nil, fmt.Errorf("bad matcher in selector of %s at %d", w, i)
						}
						i += len(op)
						skipSpace()
						if i >= len(s) || !strings.ContainsRune("\"'`", rune(s[i])) {
							return nil, fmt.Errorf("matcher %s%s without a quoted value", l, op)
						}
						v, err := str()
						if err != nil {
							return nil, err
						}
						sel.matchers = append(sel.matchers, matcher{l, op, v})
					}
				}
				info.selectors = append(info.selectors, sel)
			}
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return info, nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// standardMetric reports whether name is one of the collectors every
// Prometheus target or Go process has (metrics/README.md, "Also exported"),
// or a series Prometheus makes itself (up, and ALERTS for the alert rules).
func standardMetric(name string) bool {
	return name == "up" || name == "ALERTS" || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_")
}

// targetLabels are the labels Prometheus attaches to every series of a
// target: instance and job always, namespace under Kubernetes service
// discovery (the Prometheus Operator's ServiceMonitor).
var targetLabels = map[string]bool{"instance": true, "job": true, "namespace": true}

// resolve maps a series name to its catalogue entry: a histogram's _bucket,
// _sum and _count series belong to the histogram.
func resolve(defs map[string]*metricDef, name string) (*metricDef, string) {
	if d := defs[name]; d != nil {
		return d, ""
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if d := defs[base]; d != nil && d.typ == "histogram" {
				return d, suffix
			}
		}
	}
	return nil, ""
}

// regexAlternatives returns the alternatives of a regex that is only a list
// of plain words ("4xx|5xx"), or nil for anything else.
func regexAlternatives(v string) []string {
	if !regexp.MustCompile(`^[a-z0-9_.-]+(\|[a-z0-9_.-]+)*$`).MatchString(v) {
		return nil
	}
	return strings.Split(v, "|")
}

// checkExpr returns what is wrong with expr against the catalogue: unknown
// metrics, labels a metric does not have, values outside a label's set, and
// grouping by a label none of the expression's metrics has.
func checkExpr(defs map[string]*metricDef, expr string) []string {
	info, err := parseExpr(expr)
	if err != nil {
		return []string{err.Error()}
	}
	var errs []string
	groupable := map[string]bool{}
	for l := range targetLabels {
		groupable[l] = true
	}
	nonLeak := false
	for _, sel := range info.selectors {
		if standardMetric(sel.metric) {
			nonLeak = true
			continue
		}
		d, suffix := resolve(defs, sel.metric)
		if d == nil {
			errs = append(errs, fmt.Sprintf("metric %s is not in metrics/README.md", sel.metric))
			continue
		}
		for l := range d.labels {
			groupable[l] = true
		}
		if suffix == "_bucket" {
			groupable["le"] = true
		}
		for _, m := range sel.matchers {
			values, known := d.labels[m.label]
			switch {
			case targetLabels[m.label]:
				continue
			case m.label == "le" && suffix == "_bucket":
				continue
			case !known:
				errs = append(errs, fmt.Sprintf("%s has no label %q", sel.metric, m.label))
				continue
			case values == nil:
				continue
			}
			check := []string{m.value}
			if m.op == "=~" || m.op == "!~" {
				check = regexAlternatives(m.value)
			}
			for _, v := range check {
				found := false
				for _, w := range values {
					found = found || v == w
				}
				if !found {
					errs = append(errs, fmt.Sprintf("%s{%s}: value %q is not one of %v", sel.metric, m.label, v, values))
				}
			}
		}
	}
	if !nonLeak {
		for _, g := range info.grouping {
			if !groupable[g] {
				errs = append(errs, fmt.Sprintf("groups by %q, which none of its metrics has", g))
			}
		}
	}
	return errs
}

// TestCheckExpr shows the checker catching the mistakes it is for.
func TestCheckExpr(t *testing.T) {
	t.Parallel()
	defs := loadCatalogue(t)
	tests := []struct {
		expr string
		bad  string // a substring of the expected problem; "" for none
	}{
		{`sum by (result, reason) (rate(leak_smtp_messages_total{instance=~".*"}[15s]))`, ""},
		{`histogram_quantile(0.99, sum by (le, algorithm) (rate(leak_dkim_sign_duration_seconds_bucket[5m])))`, ""},
		{`sum(rate(leak_smtp_commands_total{class=~"4xx|5xx"}[5m])) / clamp_min(sum(rate(leak_smtp_commands_total[5m])), 1e-9)`, ""},
		{`process_resident_memory_bytes and on (job, instance) leak_build_info`, ""},
		{`time() - process_start_time_seconds offset 5m`, ""},
		{`rate(leak_smtp_mesages_total[5m])`, "not in metrics/README.md"},
		{`leak_delivery_attempts_total{result="delivred"}`, `value "delivred"`},
		{`leak_delivery_attempts_total{outcome="delivered"}`, `no label "outcome"`},
		{`leak_smtp_commands_total{class=~"4xx|6xx"}`, `value "6xx"`},
		{`sum by (reasons) (leak_smtp_messages_total)`, `groups by "reasons"`},
		{`leak_spool_errors_total_bucket`, "not in metrics/README.md"},
		{`leak_policy_store_up{namespace=~".*",job="leak"} == 0`, ""},
		{`sum by (alertname, severity) (ALERTS{alertstate="firing"})`, ""},
		{`leak_http_requests_total{class="5xx",handler!="healthz"}`, `value "healthz"`},
		{`sum without (reason) (leak_spool_dropped_entries_total{pod="leak-0"})`, `no label "pod"`},
		{`leak_spool_dropped_entries_total{reason="internal"}`, `value "internal"`},
		{`{__name__="leak_build_info"}`, "without a metric name"},
	}
	for _, tt := range tests {
		errs := checkExpr(defs, tt.expr)
		got := strings.Join(errs, "; ")
		switch {
		case tt.bad == "" && len(errs) > 0:
			t.Errorf("%s: unexpected problems: %s", tt.expr, got)
		case tt.bad != "" && !strings.Contains(got, tt.bad):
			t.Errorf("%s: problems %q, want one containing %q", tt.expr, got, tt.bad)
		}
	}
}
