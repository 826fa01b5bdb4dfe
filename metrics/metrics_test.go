package metrics

import (
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// catalogue is every Leak metric family, sorted. metrics/README.md lists the
// same names; TestDocsListCatalogue keeps the two in step.
var catalogue = []string{
	"leak_anonymize_duration_seconds",
	"leak_build_info",
	"leak_delivery_attempts_total",
	"leak_delivery_destination_concurrency_max",
	"leak_delivery_destinations_active",
	"leak_delivery_failures_total",
	"leak_delivery_in_flight",
	"leak_delivery_latency_seconds",
	"leak_delivery_mta_sts_total",
	"leak_delivery_tls_total",
	"leak_dkim_sign_duration_seconds",
	"leak_dkim_signatures_total",
	"leak_http_requests_total",
	"leak_panics_total",
	"leak_policy_decisions_total",
	"leak_policy_optouts_total",
	"leak_policy_store_duration_seconds",
	"leak_policy_store_errors_total",
	"leak_policy_store_up",
	"leak_policy_suppressions_total",
	"leak_queue_actions_total",
	"leak_queue_depth_messages",
	"leak_queue_messages",
	"leak_queue_oldest_age_seconds",
	"leak_scan_duration_seconds",
	"leak_scan_results_total",
	"leak_smtp_commands_total",
	"leak_smtp_connections_open",
	"leak_smtp_connections_total",
	"leak_smtp_message_size_bytes",
	"leak_smtp_messages_total",
	"leak_smtp_received_bytes_total",
	"leak_smtp_recipients_total",
	"leak_smtp_tls_total",
	"leak_spool_commit_batch_size",
	"leak_spool_commit_duration_seconds",
	"leak_spool_dropped_entries_total",
	"leak_spool_errors_total",
	"leak_spool_free_bytes",
	"leak_spool_size_bytes",
	"leak_web_reports_total",
}

// testPolicies stand for the policies the policy package will register.
var testPolicies = []string{"ratelimit", "optout"}

func newTest(t testing.TB) *Metrics {
	t.Helper()
	m := New("v1.2.3-test")
	m.InitPolicy(testPolicies...)
	return m
}

func gather(t testing.TB, m *Metrics) []*dto.MetricFamily {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	return mfs
}

func TestCatalogue(t *testing.T) {
	m := newTest(t)
	var leak, other []string
	for _, mf := range gather(t, m) {
		name := mf.GetName()
		switch {
		case strings.HasPrefix(name, "leak_"):
			leak = append(leak, name)
		case strings.HasPrefix(name, "go_"), strings.HasPrefix(name, "process_"):
			other = append(other, name)
		default:
			t.Errorf("unexpected family %q: only leak_, go_ and process_ belong here", name)
		}
	}
	slices.Sort(leak)
	if !slices.Equal(leak, catalogue) {
		t.Errorf("leak families:\n got %q\nwant %q", leak, catalogue)
	}
	// The runtime and process collectors are registered too.
	for _, want := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !slices.Contains(other, want) {
			t.Errorf("family %s missing; have %q", want, other)
		}
	}
}

func TestCatalogueIsSorted(t *testing.T) {
	if !slices.IsSorted(catalogue) {
		t.Error("catalogue is not sorted")
	}
}

func TestBuildInfo(t *testing.T) {
	m := NewBuild("v9", "openssl")
	want := `
# HELP leak_build_info Always 1; the labels name the running build.
# TYPE leak_build_info gauge
leak_build_info{goversion="` + runtime.Version() + `",rsa="openssl",version="v9"} 1
`
	if got := exposition(t, m, "leak_build_info"); got != want[1:] {
		t.Errorf("got\n%s\nwant\n%s", got, want[1:])
	}
}

// labelSets is the declared domain of every label of every Leak family.
// leak_build_info's labels are not sets but single constants.
func labelSets() map[string]map[string][]string {
	return map[string]map[string][]string{
		"leak_smtp_connections_total":            {"result": connectionResults},
		"leak_smtp_commands_total":               {"command": commands, "class": replyClasses},
		"leak_smtp_messages_total":               {"result": transactionResult, "reason": reasons},
		"leak_smtp_recipients_total":             {"result": transactionResult, "reason": reasons},
		"leak_smtp_tls_total":                    {"used": tlsUsed},
		"leak_dkim_signatures_total":             {"algorithm": algorithms, "result": signResults},
		"leak_dkim_sign_duration_seconds":        {"algorithm": algorithms},
		"leak_spool_errors_total":                {"op": spoolOps},
		"leak_spool_dropped_entries_total":       {"reason": dropReasons},
		"leak_http_requests_total":               {"handler": httpHandlers, "class": httpClasses},
		"leak_tls_cert_expiry_timestamp_seconds": {"listener": tlsListeners},
		"leak_delivery_mta_sts_total":            {"result": stsResults},
		"leak_delivery_failures_total":           {"reason": failReasons},
		"leak_queue_actions_total":               {"action": queueActions},
		"leak_queue_messages":                    {"state": queueStates},
		"leak_delivery_attempts_total":           {"result": deliveryResults},
		"leak_delivery_tls_total":                {"tls": deliveryTLS},
		"leak_policy_decisions_total":            {"policy": testPolicies, "result": policyResults},
		"leak_policy_optouts_total":              {"action": optOutActions},
		"leak_policy_suppressions_total":         {"kind": suppressionKinds},
		"leak_policy_store_duration_seconds":     {"store": policyStores},
		"leak_policy_store_errors_total":         {"store": policyStores},
		"leak_scan_results_total":                {"result": scanResults},
		"leak_build_info":                        {"version": {"v1.2.3-test"}, "goversion": {runtime.Version()}, "rsa": {""}},
	}
}

// TestLabelCardinality checks that after New every series carries exactly
// its declared label names, each with a value from its declared set, and that
// the number of series is what pre-initialisation promises.
func TestLabelCardinality(t *testing.T) {
	m := newTest(t)
	sets := labelSets()
	wantSeries := map[string]int{
		"leak_smtp_connections_total":        3,
		"leak_smtp_commands_total":           13 * 4,
		"leak_smtp_messages_total":           13,
		"leak_smtp_recipients_total":         13,
		"leak_smtp_tls_total":                2,
		"leak_dkim_signatures_total":         4,
		"leak_dkim_sign_duration_seconds":    2,
		"leak_spool_errors_total":            5,
		"leak_delivery_attempts_total":       5,
		"leak_spool_dropped_entries_total":   2,
		"leak_http_requests_total":           28,
		"leak_delivery_mta_sts_total":        4,
		"leak_delivery_failures_total":       8,
		"leak_queue_actions_total":           4,
		"leak_queue_messages":                3,
		"leak_delivery_tls_total":            3,
		"leak_policy_decisions_total":        4 * len(testPolicies),
		"leak_policy_optouts_total":          2,
		"leak_policy_suppressions_total":     2,
		"leak_policy_store_duration_seconds": 2,
		"leak_policy_store_errors_total":     2,
		"leak_scan_results_total":            4,
	}
	for _, mf := range gather(t, m) {
		name := mf.GetName()
		if !strings.HasPrefix(name, "leak_") {
			continue
		}
		declared := sets[name]
		want, ok := wantSeries[name]
		if !ok {
			want = 1
		}
		if got := len(mf.GetMetric()); got != want {
			t.Errorf("%s: %d series, want %d", name, got, want)
		}
		for _, metric := range mf.GetMetric() {
			var names []string
			for _, lp := range metric.GetLabel() {
				names = append(names, lp.GetName())
				allowed, ok := declared[lp.GetName()]
				if !ok {
					t.Errorf("%s: undeclared label %q", name, lp.GetName())
					continue
				}
				if !slices.Contains(allowed, lp.GetValue()) {
					t.Errorf("%s: %s=%q outside %q", name, lp.GetName(), lp.GetValue(), allowed)
				}
			}
			if len(names) != len(declared) {
				t.Errorf("%s: labels %q, want the %d declared", name, names, len(declared))
			}
		}
	}
}

// TestResultReasonPairs checks that "accepted" only ever goes with "ok", and
// "rejected" never does.
func TestResultReasonPairs(t *testing.T) {
	m := newTest(t)
	for _, mf := range gather(t, m) {
		if n := mf.GetName(); n != "leak_smtp_messages_total" && n != "leak_smtp_recipients_total" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range metric.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if (l["result"] == ResultAccepted) != (l["reason"] == ReasonOK) {
				t.Errorf("%s: result=%q with reason=%q", mf.GetName(), l["result"], l["reason"])
			}
		}
	}
}

// TestPreinitZero checks that every pre-initialised series reads 0: nothing
// was counted by building the metrics.
func TestPreinitZero(t *testing.T) {
	m := newTest(t)
	for _, mf := range gather(t, m) {
		name := mf.GetName()
		if !strings.HasPrefix(name, "leak_") || name == "leak_build_info" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			var v float64
			switch {
			case metric.Counter != nil:
				v = metric.GetCounter().GetValue()
			case metric.Gauge != nil:
				v = metric.GetGauge().GetValue()
			case metric.Histogram != nil:
				v = float64(metric.GetHistogram().GetSampleCount())
			}
			if v != 0 {
				t.Errorf("%s %v = %v after New, want 0", name, metric.GetLabel(), v)
			}
		}
	}
}

func TestLint(t *testing.T) {
	m := newTest(t)
	var leak []*dto.MetricFamily
	for _, mf := range gather(t, m) {
		if strings.HasPrefix(mf.GetName(), "leak_") {
			leak = append(leak, mf)
		}
	}
	problems, err := promlint.NewWithMetricFamilies(leak).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func TestQueueFuncs(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		set        bool
		depth      func() int
		oldest     func() time.Time
		wantDepth  string
		wantOldest string
	}{
		{name: "unset", wantDepth: "0", wantOldest: "0"},
		{
			name: "busy", set: true,
			depth:     func() int { return 42 },
			oldest:    func() time.Time { return now.Add(-90 * time.Second) },
			wantDepth: "42", wantOldest: "90",
		},
		{
			name: "empty", set: true,
			depth:     func() int { return 0 },
			oldest:    func() time.Time { return time.Time{} },
			wantDepth: "0", wantOldest: "0",
		},
		{
			name: "clock stepped back", set: true,
			depth:     func() int { return 1 },
			oldest:    func() time.Time { return now.Add(time.Hour) },
			wantDepth: "1", wantOldest: "0",
		},
		{name: "nil funcs", set: true, wantDepth: "0", wantOldest: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New("test")
			m.now = func() time.Time { return now }
			if tt.set {
				m.SetQueueFuncs(tt.depth, tt.oldest)
			}
			want := `
# HELP leak_queue_depth_messages Copies waiting in the queue.
# TYPE leak_queue_depth_messages gauge
leak_queue_depth_messages ` + tt.wantDepth + `
# HELP leak_queue_oldest_age_seconds Age of the oldest copy in the queue; 0 when the queue is empty.
# TYPE leak_queue_oldest_age_seconds gauge
leak_queue_oldest_age_seconds ` + tt.wantOldest + `
`
			got := exposition(t, m, "leak_queue_depth_messages", "leak_queue_oldest_age_seconds")
			if got != want[1:] {
				t.Errorf("got\n%s\nwant\n%s", got, want[1:])
			}
		})
	}
}

// TestQueueFuncsReadAtScrape checks that the gauges follow the queue between
// scrapes without anyone setting them.
func TestQueueFuncsReadAtScrape(t *testing.T) {
	m := New("test")
	depth := 1
	m.SetQueueFuncs(func() int { return depth }, nil)
	for _, d := range []int{1, 7, 0} {
		depth = d
		if got := gaugeValue(t, m, "leak_queue_depth_messages"); got != float64(d) {
			t.Errorf("depth = %v, want %d", got, d)
		}
	}
}

// exposition gathers m and returns the named families in the text format,
// in gathering order (sorted by name).
func exposition(t testing.TB, m *Metrics, names ...string) string {
	t.Helper()
	var b strings.Builder
	for _, mf := range gather(t, m) {
		if slices.Contains(names, mf.GetName()) {
			if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
				t.Fatalf("encode %s: %v", mf.GetName(), err)
			}
		}
	}
	return b.String()
}

// counterValue gathers m and returns the value of the unlabelled counter name.
func counterValue(t testing.TB, m *Metrics, name string) float64 {
	t.Helper()
	for _, mf := range gather(t, m) {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("counter %s not gathered", name)
	return 0
}

// gaugeValue gathers m and returns the value of the unlabelled gauge name.
func gaugeValue(t testing.TB, m *Metrics, name string) float64 {
	t.Helper()
	for _, mf := range gather(t, m) {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("gauge %s not gathered", name)
	return 0
}

func TestNewIsIndependent(t *testing.T) {
	a, b := New("a"), New("b")
	a.ReceivedBytes.Add(10)
	if got := counterValue(t, b, "leak_smtp_received_bytes_total"); got != 0 {
		t.Errorf("second Metrics sees %v bytes from the first", got)
	}
}

func TestHistogramBuckets(t *testing.T) {
	tests := []struct {
		name     string
		buckets  []float64
		min, max float64
	}{
		{"size", sizeBuckets, 1024, 64 << 20},
		{"batch", batchBuckets, 1, 256},
		{"latency", latencyBuckets, .01, 5 * 86400},
		{"op", opBuckets, .000025, 30},
		{"store", storeBuckets, .00005, 1},
	}
	for _, tt := range tests {
		if !slices.IsSorted(tt.buckets) {
			t.Errorf("%s buckets not sorted", tt.name)
		}
		if got := tt.buckets[0]; got != tt.min {
			t.Errorf("%s first bucket %v, want %v", tt.name, got, tt.min)
		}
		if got := tt.buckets[len(tt.buckets)-1]; got != tt.max {
			t.Errorf("%s last bucket %v, want %v", tt.name, got, tt.max)
		}
	}
}

var docRow = regexp.MustCompile("(?m)^\\| `(leak_[a-z0-9_]+)`")

// TestDocsListCatalogue keeps metrics/README.md and the code in step: the
// table has one row per family, no more, no fewer.
// setLater are the families that exist only once the daemon sets them: a
// certificate expiry of 0 before any certificate is loaded would page.
var setLater = []string{"leak_tls_cert_expiry_timestamp_seconds"}

func TestDocsListCatalogue(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read catalogue: %v", err)
	}
	var rows []string
	for _, match := range docRow.FindAllStringSubmatch(string(doc), -1) {
		rows = append(rows, match[1])
	}
	slices.Sort(rows)
	want := slices.Sorted(slices.Values(append(slices.Clone(catalogue), setLater...)))
	if !slices.Equal(rows, want) {
		t.Errorf("metrics/README.md rows:\n got %q\nwant %q", rows, want)
	}
}

func TestDestinationFuncs(t *testing.T) {
	m := New("test")
	read := func(name string) float64 {
		t.Helper()
		mfs, err := m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatalf("%s not gathered", name)
		return 0
	}
	if read("leak_delivery_destinations_active") != 0 || read("leak_delivery_destination_concurrency_max") != 0 {
		t.Error("destination gauges not 0 before SetDestinationFuncs")
	}
	m.SetDestinationFuncs(func() (int, int) { return 3, 7 })
	if a, b := read("leak_delivery_destinations_active"), read("leak_delivery_destination_concurrency_max"); a != 3 || b != 7 {
		t.Errorf("gauges read %v, %v; want 3, 7", a, b)
	}
}
