package policy

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"leak/metrics"
	"leak/policy/testutil"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// clock is a settable time source for the local store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// offOptions is DefaultOptions with every limit off, so that a test turns
// on only what it checks.
func offOptions() Options {
	o := DefaultOptions()
	o.Secret = testSecret
	o.ConnPerIP, o.ConnTotal = 0, 0
	o.ReportThreshold = 0
	o.IP, o.Net, o.Sender, o.SenderDomain, o.AuthDomain, o.Recipient, o.Global =
		Limit{}, Limit{}, Limit{}, Limit{}, Limit{}, Limit{}, Limit{}
	return o
}

// localEngine opens an Engine with opts on a fresh local store driven by
// clk, with fresh metrics.
func localEngine(t testing.TB, opts Options, clk *clock) (*Engine, *LocalStore, *metrics.Metrics) {
	t.Helper()
	s, err := openLocal(t.TempDir(), defaultMaxKeys, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	m := metrics.New("test")
	opts.Metrics = m
	e, err := Open(opts, s)
	if err != nil {
		t.Fatal(err)
	}
	return e, s, m
}

// decisions reads leak_policy_decisions_total{policy,result}. (The
// client's testutil package needs a module go.mod does not list.)
func decisions(m *metrics.Metrics, policy, result string) int {
	var pm dto.Metric
	if err := m.PolicyDecisions.WithLabelValues(policy, result).Write(&pm); err != nil {
		panic(err)
	}
	return int(pm.GetCounter().GetValue())
}

// policySeries counts the series of leak_policy_decisions_total.
func policySeries(t *testing.T, m *metrics.Metrics) int {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "leak_policy_decisions_total" {
			return len(mf.GetMetric())
		}
	}
	return 0
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// startRedis runs a real redis-server for the test (testutil.StartRedis)
// and returns its URL.
func startRedis(t testing.TB) string {
	return "redis://" + testutil.StartRedis(t) + "/0"
}

// counter reads one series of a counter vector.
func counter(t testing.TB, vec *prometheus.CounterVec, labels ...string) int {
	t.Helper()
	var pm dto.Metric
	if err := vec.WithLabelValues(labels...).Write(&pm); err != nil {
		t.Fatal(err)
	}
	return int(pm.GetCounter().GetValue())
}

// storeCalls reads how many calls leak_policy_store_duration_seconds
// timed, and how many leak_policy_store_errors_total counted, for store.
func storeCalls(t testing.TB, m *metrics.Metrics, store string) (calls, errs int) {
	t.Helper()
	var pm dto.Metric
	h, ok := m.PolicyStoreDuration.WithLabelValues(store).(prometheus.Metric)
	if !ok {
		t.Fatal("the store histogram is not a prometheus.Metric")
	}
	if err := h.Write(&pm); err != nil {
		t.Fatal(err)
	}
	return int(pm.GetHistogram().GetSampleCount()), counter(t, m.PolicyStoreErrors, store)
}

// onEveryStore runs a store contract on the local store (holding maxKeys),
// on miniredis and on a real redis-server, each with its own way to move
// time: advance is the real server's (nil: it has no clock to move), and
// real then checks what only the real server shows (its TTLs).
func onEveryStore(t *testing.T, maxKeys int, contract func(*testing.T, Store, func(time.Duration)),
	advance func(time.Duration), real func(*testing.T, *RedisStore)) {
	t.Run("local", func(t *testing.T) {
		clk := newClock()
		s, err := openLocal(t.TempDir(), maxKeys, clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		contract(t, s, clk.Advance)
	})
	t.Run("miniredis", func(t *testing.T) {
		mr := miniredis.RunT(t)
		s, err := OpenRedis("redis://" + mr.Addr() + "/0")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		contract(t, s, mr.FastForward)
	})
	t.Run("redis-server", func(t *testing.T) {
		s, err := OpenRedis(startRedis(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		contract(t, s, advance)
		real(t, s)
	})
}
