// Package metrics holds every Prometheus collector of Leak and serves them
// over HTTP together with the health and readiness probes.
//
// It promises three things. Every metric is named
// leak_<subsystem>_<thing>_<unit|total> and listed in metrics/README.md. Every
// label takes its values from a small closed set (see labels.go): no label
// ever carries a sender, a recipient, a domain, an IP or an id. And every
// known label combination exists at zero from [New] on, so that dashboards
// and alert rules see a series before the first event.
//
// The package imports nothing from the rest of Leak; the relay and policy
// packages import it.
package metrics

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the set of Leak's collectors, all registered in Registry. The
// fields are safe for concurrent use. Label values must come from the
// constants of this package.
type Metrics struct {
	// Registry holds every collector below, plus the Go runtime and process
	// collectors and leak_build_info. It is not the global default registry.
	Registry *prometheus.Registry

	// SMTP in.

	// ConnectionsOpen is leak_smtp_connections_open.
	ConnectionsOpen prometheus.Gauge
	// Connections is leak_smtp_connections_total{result}.
	Connections *prometheus.CounterVec
	// Commands is leak_smtp_commands_total{command,class}; build the labels
	// with CommandLabel and ReplyClass.
	Commands *prometheus.CounterVec
	// Messages is leak_smtp_messages_total{result,reason}, one per
	// transaction that reached DATA/BDAT or was refused at MAIL.
	Messages *prometheus.CounterVec
	// Recipients is leak_smtp_recipients_total{result,reason}, one per RCPT.
	Recipients *prometheus.CounterVec
	// ReceivedBytes is leak_smtp_received_bytes_total.
	ReceivedBytes prometheus.Counter
	// MessageSize is leak_smtp_message_size_bytes.
	MessageSize prometheus.Histogram
	// TLS is leak_smtp_tls_total{used}, one per accepted message.
	TLS *prometheus.CounterVec

	// Pipeline.

	// AnonymizeDuration is leak_anonymize_duration_seconds.
	AnonymizeDuration prometheus.Histogram
	// Signatures is leak_dkim_signatures_total{algorithm,result}.
	Signatures *prometheus.CounterVec
	// SignDuration is leak_dkim_sign_duration_seconds{algorithm}.
	SignDuration *prometheus.HistogramVec
	// SpoolCommitDuration is leak_spool_commit_duration_seconds.
	SpoolCommitDuration prometheus.Histogram
	// SpoolBatchSize is leak_spool_commit_batch_size.
	SpoolBatchSize prometheus.Histogram
	// SpoolErrors is leak_spool_errors_total{op}.
	SpoolErrors *prometheus.CounterVec
	// SpoolDropped is leak_spool_dropped_entries_total{reason}: entries
	// recovery found damaged and set aside in corrupt/.
	SpoolDropped *prometheus.CounterVec
	// Panics is leak_panics_total: panics recovered in a session or a
	// handler. Each is a bug.
	Panics prometheus.Counter

	// Queue and delivery. leak_queue_depth_messages and
	// leak_queue_oldest_age_seconds are computed at scrape time from the
	// functions given to SetQueueFuncs.

	// DeliveryAttempts is leak_delivery_attempts_total{result}.
	DeliveryAttempts *prometheus.CounterVec
	// DeliveryLatency is leak_delivery_latency_seconds.
	DeliveryLatency prometheus.Histogram
	// DeliveryTLS is leak_delivery_tls_total{tls}.
	DeliveryTLS *prometheus.CounterVec
	// DeliveryInFlight is leak_delivery_in_flight.
	DeliveryInFlight prometheus.Gauge
	// DeliveryFailures is leak_delivery_failures_total{reason}, one per
	// failed attempt (deferred, bounced, failed or expired).
	DeliveryFailures *prometheus.CounterVec
	// QueueActions is leak_queue_actions_total{action}, one per entry an
	// operator acted on.
	QueueActions *prometheus.CounterVec
	// DeliverySTS is leak_delivery_mta_sts_total{result}.
	DeliverySTS *prometheus.CounterVec

	// Policy.

	// PolicyDecisions is leak_policy_decisions_total{policy,result}; call
	// InitPolicy with each policy's name when it is built.
	PolicyDecisions *prometheus.CounterVec
	// PolicyOptOuts is leak_policy_optouts_total{action}, one per opt-out
	// or opt-in made through the unsubscribe page.
	PolicyOptOuts *prometheus.CounterVec
	// PolicySuppressions is leak_policy_suppressions_total{kind}, one per
	// recipient suppressed after bounces.
	PolicySuppressions *prometheus.CounterVec
	// PolicyStoreDuration is leak_policy_store_duration_seconds{store}, one
	// per call to the policy store, failed or not.
	PolicyStoreDuration *prometheus.HistogramVec
	// PolicyStoreErrors is leak_policy_store_errors_total{store}.
	PolicyStoreErrors *prometheus.CounterVec
	// WebReports is leak_web_reports_total: abuse reports of delivered
	// copies sent to the operator from the report page.
	WebReports prometheus.Counter
	// ScanResults is leak_scan_results_total{result}: one per message the
	// content scanner rated (accept, defer, reject) or failed to (error).
	ScanResults *prometheus.CounterVec
	// ScanDuration is leak_scan_duration_seconds: the time of each scan.
	ScanDuration prometheus.Histogram
	// PolicyStoreUp is leak_policy_store_up: 1 when the last check of the
	// policy store (made every few seconds by the daemon itself, not by a
	// probe) succeeded, 0 when it failed.
	PolicyStoreUp prometheus.Gauge

	// HTTP.

	// HTTPRequests is leak_http_requests_total{handler,class}; build class
	// with ReplyClass-like HTTPClass.
	HTTPRequests *prometheus.CounterVec
	// CertExpiry is leak_tls_cert_expiry_timestamp_seconds{listener}: when
	// the certificate a listener serves stops being valid (Unix time).
	CertExpiry *prometheus.GaugeVec

	queue  atomic.Pointer[queueFuncs]
	states atomic.Pointer[func() (active, deferred, held int)]
	spool  atomic.Pointer[spoolFuncs]
	dests  atomic.Pointer[func() (destinations, busiest int)]
	now    func() time.Time
}

// queueFuncs are the scrape-time sources of the queue gauges.
type queueFuncs struct {
	depth  func() int
	oldest func() time.Time
}

// spoolFuncs are the scrape-time sources of the spool space gauges.
type spoolFuncs struct {
	size func() int64
	free func() int64
}

// Bucket layouts. Durations of in-process work span an Ed25519 signature
// (~60 µs) to a slow disk (seconds); delivery latency spans a local dir
// delivery to five days in the queue.
var (
	opBuckets = []float64{
		.000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01,
		.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30,
	}
	// 1 KiB, 2 KiB, ... 64 MiB.
	sizeBuckets = prometheus.ExponentialBuckets(1024, 2, 17)
	// 1, 2, 4, ... 256 files per directory fsync.
	batchBuckets = prometheus.ExponentialBuckets(1, 2, 9)
	// A policy store call spans a bbolt read (~10 µs) or a Redis round
	// trip on a LAN (~200 µs) to a store that stalls; past 1 s the SMTP
	// command is deferred anyway (the Redis I/O timeout).
	storeBuckets = []float64{
		.00005, .0001, .00025, .0005, .001, .0025, .005, .01,
		.025, .05, .1, .25, .5, 1,
	}
	latencyBuckets = []float64{
		.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 1800,
		3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 5 * 86400,
	}
)

// New returns Leak's metrics registered in a fresh Registry, with every known
// label combination initialised to zero and leak_build_info set to 1 with
// the given version.
func New(version string) *Metrics { return NewBuild(version, "") }

// NewBuild is New with the RSA signer of the build ("go", "openssl") as
// the rsa label of leak_build_info, so a dashboard shows which builds run
// the slow path.
func NewBuild(version, rsa string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		now:      time.Now,

		ConnectionsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leak_smtp_connections_open",
			Help: "SMTP connections currently open.",
		}),
		Connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_smtp_connections_total",
			Help: "SMTP connections, accepted or refused before the greeting.",
		}, []string{"result"}),
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_smtp_commands_total",
			Help: "SMTP commands received, by verb and class of the reply.",
		}, []string{"command", "class"}),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_smtp_messages_total",
			Help: "SMTP transactions, accepted or rejected with a reason.",
		}, []string{"result", "reason"}),
		Recipients: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_smtp_recipients_total",
			Help: "RCPT commands, accepted or rejected with a reason.",
		}, []string{"result", "reason"}),
		ReceivedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leak_smtp_received_bytes_total",
			Help: "Message octets read in DATA and BDAT, accepted or not.",
		}),
		MessageSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leak_smtp_message_size_bytes",
			Help:    "Size of each message read to its end.",
			Buckets: sizeBuckets,
		}),
		TLS: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_smtp_tls_total",
			Help: "Accepted messages, by whether the session used TLS.",
		}, []string{"used"}),

		AnonymizeDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leak_anonymize_duration_seconds",
			Help:    "Time to anonymize one message.",
			Buckets: opBuckets,
		}),
		Signatures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_dkim_signatures_total",
			Help: "DKIM signatures made, by algorithm and result.",
		}, []string{"algorithm", "result"}),
		SignDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "leak_dkim_sign_duration_seconds",
			Help:    "Time to make one DKIM signature.",
			Buckets: opBuckets,
		}, []string{"algorithm"}),
		SpoolCommitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leak_spool_commit_duration_seconds",
			Help:    "Time a session waits for a spool commit (write and fsync).",
			Buckets: opBuckets,
		}),
		SpoolBatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leak_spool_commit_batch_size",
			Help:    "Files committed by one shared directory fsync.",
			Buckets: batchBuckets,
		}),
		SpoolErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_spool_errors_total",
			Help: "Spool file system errors, by operation.",
		}, []string{"op"}),

		SpoolDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_spool_dropped_entries_total",
			Help: "Spool entries recovery found damaged and moved to corrupt/ instead of delivering.",
		}, []string{"reason"}),
		Panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leak_panics_total",
			Help: "Panics recovered in an SMTP session or an HTTP handler; each is a bug.",
		}),

		DeliveryAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_delivery_attempts_total",
			Help: "Delivery attempts, by outcome.",
		}, []string{"result"}),
		DeliveryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leak_delivery_latency_seconds",
			Help:    "Time from acceptance to delivery of each copy.",
			Buckets: latencyBuckets,
		}),
		DeliveryTLS: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_delivery_tls_total",
			Help: "Copies delivered over SMTP, by transport security.",
		}, []string{"tls"}),
		DeliveryInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leak_delivery_in_flight",
			Help: "Delivery attempts currently running.",
		}),

		DeliveryFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_delivery_failures_total",
			Help: "Failed delivery attempts, by where they failed.",
		}, []string{"reason"}),
		QueueActions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_queue_actions_total",
			Help: "Queue entries an operator deleted, retried, held or released.",
		}, []string{"action"}),
		DeliverySTS: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_delivery_mta_sts_total",
			Help: "MX deliveries by what the recipient domain's MTA-STS policy made of them.",
		}, []string{"result"}),

		PolicyDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_policy_decisions_total",
			Help: "Policy decisions, by policy and result.",
		}, []string{"policy", "result"}),
		PolicyOptOuts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_policy_optouts_total",
			Help: "Recipients opting out of or back into Leak messages on the unsubscribe page.",
		}, []string{"action"}),
		PolicySuppressions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_policy_suppressions_total",
			Help: "Recipients suppressed after a hard bounce or too many soft bounces.",
		}, []string{"kind"}),
		PolicyStoreDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "leak_policy_store_duration_seconds",
			Help:    "Time of one call to the policy store, failed or not.",
			Buckets: storeBuckets,
		}, []string{"store"}),
		PolicyStoreErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_policy_store_errors_total",
			Help: "Failed calls to the policy store.",
		}, []string{"store"}),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_http_requests_total",
			Help: "HTTP requests served, by page family and status class.",
		}, []string{"handler", "class"}),
		CertExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "leak_tls_cert_expiry_timestamp_seconds",
			Help: "When the certificate a listener serves expires, as a Unix time; absent without TLS.",
		}, []string{"listener"}),
		WebReports: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leak_web_reports_total",
			Help: "Abuse reports of delivered copies sent to the operator from the report page.",
		}),
		ScanResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leak_scan_results_total",
			Help: "Messages the content scanner (Rspamd) rated, by outcome; error when it did not answer.",
		}, []string{"result"}),
		ScanDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leak_scan_duration_seconds",
			Help:    "Time of each content scan, from sending the clean copy to the verdict.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		PolicyStoreUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leak_policy_store_up",
			Help: "1 when the daemon's last check of the policy store succeeded, else 0.",
		}),
	}

	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "leak_build_info",
		Help: "Always 1; the labels name the running build.",
		ConstLabels: prometheus.Labels{
			"version":   version,
			"goversion": runtime.Version(),
			"rsa":       rsa,
		},
	})
	buildInfo.Set(1)

	// The queue gauges are GaugeFuncs so that a scrape reads the queue as it
	// is, not as it was at the last event. They exist from the start and
	// read 0 until SetQueueFuncs is called.
	queueDepth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leak_queue_depth_messages",
		Help: "Copies waiting in the queue.",
	}, m.queueDepth)
	queueOldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leak_queue_oldest_age_seconds",
		Help: "Age of the oldest copy in the queue; 0 when the queue is empty.",
	}, m.queueOldestAge)

	// Per-destination concurrency, as two bounded numbers (a label per
	// destination would name recipients' domains and grow without bound).
	destsActive := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leak_delivery_destinations_active",
		Help: "Destinations (the smarthost, or recipient domains) with deliveries running now.",
	}, func() float64 { d, _ := m.destinations(); return float64(d) })
	destsBusiest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leak_delivery_destination_concurrency_max",
		Help: "Most deliveries running now to any one destination (bounded by delivery.max_per_destination).",
	}, func() float64 { _, b := m.destinations(); return float64(b) })

	spoolSize := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leak_spool_size_bytes",
		Help: "Bytes the spool's files take on disk.",
	}, func() float64 { return m.spoolValue(func(f *spoolFuncs) func() int64 { return f.size }) })
	spoolFree := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leak_spool_free_bytes",
		Help: "Bytes free for the spool on its file system, as an unprivileged process sees it.",
	}, func() float64 { return m.spoolValue(func(f *spoolFuncs) func() int64 { return f.free }) })

	var stateGauges []prometheus.Collector
	for i, st := range queueStates {
		stateGauges = append(stateGauges, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "leak_queue_messages",
			Help:        "Copies in the queue by state: active (being delivered or due), deferred (waiting for a retry), held.",
			ConstLabels: prometheus.Labels{"state": st},
		}, func() float64 { return m.queueState(i) }))
	}

	// MustRegister can only fail here on a programming error (a duplicate
	// or malformed name), which the tests catch.
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
		queueDepth, queueOldest, destsActive, destsBusiest, spoolSize, spoolFree,
		m.ConnectionsOpen, m.Connections, m.Commands, m.Messages, m.Recipients,
		m.ReceivedBytes, m.MessageSize, m.TLS,
		m.AnonymizeDuration, m.Signatures, m.SignDuration,
		m.SpoolCommitDuration, m.SpoolBatchSize, m.SpoolErrors, m.SpoolDropped, m.Panics,
		m.DeliveryAttempts, m.DeliveryLatency, m.DeliveryTLS, m.DeliveryInFlight, m.DeliverySTS,
		m.DeliveryFailures, m.QueueActions,
		m.PolicyDecisions, m.PolicyOptOuts, m.PolicySuppressions,
		m.PolicyStoreDuration, m.PolicyStoreErrors, m.PolicyStoreUp,
		m.HTTPRequests, m.CertExpiry, m.WebReports, m.ScanResults, m.ScanDuration,
	)
	m.Registry.MustRegister(stateGauges...)
	m.preinit()
	return m
}

// preinit creates every known label combination at zero. A series that
// appears only on the first event breaks rate() and alert rules such as
// "rejections > 0" until then.
func (m *Metrics) preinit() {
	for _, r := range connectionResults {
		m.Connections.WithLabelValues(r)
	}
	for _, r := range scanResults {
		m.ScanResults.WithLabelValues(r)
	}
	for _, c := range commands {
		for _, k := range replyClasses {
			m.Commands.WithLabelValues(c, k)
		}
	}
	for _, vec := range []*prometheus.CounterVec{m.Messages, m.Recipients} {
		vec.WithLabelValues(ResultAccepted, ReasonOK)
		for _, r := range reasons {
			if r != ReasonOK {
				vec.WithLabelValues(ResultRejected, r)
			}
		}
	}
	for _, u := range tlsUsed {
		m.TLS.WithLabelValues(u)
	}
	for _, a := range algorithms {
		m.SignDuration.WithLabelValues(a)
		for _, r := range signResults {
			m.Signatures.WithLabelValues(a, r)
		}
	}
	for _, op := range spoolOps {
		m.SpoolErrors.WithLabelValues(op)
	}
	for _, r := range dropReasons {
		m.SpoolDropped.WithLabelValues(r)
	}
	for _, r := range deliveryResults {
		m.DeliveryAttempts.WithLabelValues(r)
	}
	for _, t := range deliveryTLS {
		m.DeliveryTLS.WithLabelValues(t)
	}
	for _, r := range failReasons {
		m.DeliveryFailures.WithLabelValues(r)
	}
	for _, a := range queueActions {
		m.QueueActions.WithLabelValues(a)
	}
	for _, r := range stsResults {
		m.DeliverySTS.WithLabelValues(r)
	}
	for _, a := range optOutActions {
		m.PolicyOptOuts.WithLabelValues(a)
	}
	for _, k := range suppressionKinds {
		m.PolicySuppressions.WithLabelValues(k)
	}
	for _, h := range httpHandlers {
		for _, c := range httpClasses {
			m.HTTPRequests.WithLabelValues(h, c)
		}
	}
	// Both stores, whichever is in use: a dashboard or a rule written for
	// Redis then reads 0 on a local-store instance instead of nothing.
	for _, st := range policyStores {
		m.PolicyStoreDuration.WithLabelValues(st)
		m.PolicyStoreErrors.WithLabelValues(st)
	}
}

// InitPolicy creates the leak_policy_decisions_total series of each named
// policy at zero, one per result. Policy names are fixed by code (for
// example "ratelimit", "optout"), never taken from a message.
func (m *Metrics) InitPolicy(names ...string) {
	for _, n := range names {
		for _, r := range policyResults {
			m.PolicyDecisions.WithLabelValues(n, r)
		}
	}
}

// SetQueueFuncs gives the sources of leak_queue_depth_messages and
// leak_queue_oldest_age_seconds, called at each scrape. depth returns the
// number of copies waiting; oldest returns the creation time of the oldest
// one, or the zero time when the queue is empty. Both must be safe for
// concurrent use and quick. A nil function reads as 0. A later call replaces
// an earlier one.
func (m *Metrics) SetQueueFuncs(depth func() int, oldest func() time.Time) {
	m.queue.Store(&queueFuncs{depth: depth, oldest: oldest})
}

// SetQueueStates gives the source of leak_queue_messages{state}, called at
// each scrape (queue.Queue.Counts). Until it is called every state reads 0.
func (m *Metrics) SetQueueStates(counts func() (active, deferred, held int)) {
	m.states.Store(&counts)
}

func (m *Metrics) queueState(i int) float64 {
	f := m.states.Load()
	if f == nil || *f == nil {
		return 0
	}
	a, d, h := (*f)()
	return float64([]int{a, d, h}[i])
}

// SetSpoolFuncs gives the sources of leak_spool_size_bytes and
// leak_spool_free_bytes, called at each scrape. Until it is called both
// read 0.
func (m *Metrics) SetSpoolFuncs(size, free func() int64) {
	m.spool.Store(&spoolFuncs{size: size, free: free})
}

func (m *Metrics) spoolValue(pick func(*spoolFuncs) func() int64) float64 {
	f := m.spool.Load()
	if f == nil || pick(f) == nil {
		return 0
	}
	return float64(pick(f)())
}

// SetDestinationFuncs gives the source of leak_delivery_destinations_active
// and leak_delivery_destination_concurrency_max, called at each scrape
// (courier.SMTP.InUse). Until it is called both read 0.
func (m *Metrics) SetDestinationFuncs(inUse func() (destinations, busiest int)) {
	m.dests.Store(&inUse)
}

func (m *Metrics) destinations() (int, int) {
	f := m.dests.Load()
	if f == nil || *f == nil {
		return 0, 0
	}
	return (*f)()
}

func (m *Metrics) queueDepth() float64 {
	q := m.queue.Load()
	if q == nil || q.depth == nil {
		return 0
	}
	return float64(q.depth())
}

func (m *Metrics) queueOldestAge() float64 {
	q := m.queue.Load()
	if q == nil || q.oldest == nil {
		return 0
	}
	t := q.oldest()
	if t.IsZero() {
		return 0
	}
	// A creation time in the future (clock stepped back) reads as 0
	// rather than as a negative age.
	return max(m.now().Sub(t).Seconds(), 0)
}
