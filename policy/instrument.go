package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"leak/metrics"
)

// instrumentedStore times every call to a Store in
// leak_policy_store_duration_seconds{store} and counts its failures in
// leak_policy_store_errors_total{store}. Open puts it around the store
// when Options.Metrics is set; the Engine sees no other difference.
//
// Every method is written out rather than embedded, so that a method added
// to Store does not slip through untimed: the compiler asks for it here.
type instrumentedStore struct {
	s    Store
	dur  prometheus.Observer
	errs prometheus.Counter
}

// instrument wraps s. The store label takes its value from s.Name(), which
// must be one of the closed set of metrics.StoreLocal and
// metrics.StoreRedis: any other name would be a label value nobody
// declared.
func instrument(s Store, m *metrics.Metrics) (*instrumentedStore, error) {
	name := s.Name()
	if name != metrics.StoreLocal && name != metrics.StoreRedis {
		return nil, fmt.Errorf("policy: store name %q: want %q or %q", name, metrics.StoreLocal, metrics.StoreRedis)
	}
	return &instrumentedStore{
		s:    s,
		dur:  m.PolicyStoreDuration.WithLabelValues(name),
		errs: m.PolicyStoreErrors.WithLabelValues(name),
	}, nil
}

// done records one call that started at start and returned err. A call
// whose caller gave up (an SMTP client that hung up, a browser that
// closed the unsubscribe page) is not the store's failure: counting it
// would page the operator for a peer's impatience.
func (i *instrumentedStore) done(ctx context.Context, start time.Time, err error) {
	i.dur.Observe(time.Since(start).Seconds())
	if err != nil && !errors.Is(ctx.Err(), context.Canceled) {
		i.errs.Inc()
	}
}

// Name implements Store.
func (i *instrumentedStore) Name() string { return i.s.Name() }

// Allow implements Store.
func (i *instrumentedStore) Allow(ctx context.Context, key string, l Limit) (bool, time.Duration, error) {
	start := time.Now()
	ok, retry, err := i.s.Allow(ctx, key, l)
	i.done(ctx, start, err)
	return ok, retry, err
}

// Recipient implements Store.
func (i *instrumentedStore) Recipient(ctx context.Context, key string) (RecipientState, error) {
	start := time.Now()
	st, err := i.s.Recipient(ctx, key)
	i.done(ctx, start, err)
	return st, err
}

// SetOptOut implements Store.
func (i *instrumentedStore) SetOptOut(ctx context.Context, key string, out bool) error {
	start := time.Now()
	err := i.s.SetOptOut(ctx, key, out)
	i.done(ctx, start, err)
	return err
}

// Suppress implements Store.
func (i *instrumentedStore) Suppress(ctx context.Context, key string, d time.Duration) error {
	start := time.Now()
	err := i.s.Suppress(ctx, key, d)
	i.done(ctx, start, err)
	return err
}

// SoftBounce implements Store.
func (i *instrumentedStore) SoftBounce(ctx context.Context, key string, window time.Duration) (int, error) {
	start := time.Now()
	n, err := i.s.SoftBounce(ctx, key, window)
	i.done(ctx, start, err)
	return n, err
}

// HardBounce implements Store.
func (i *instrumentedStore) HardBounce(ctx context.Context, key, msg string, window time.Duration) (int, error) {
	start := time.Now()
	n, err := i.s.HardBounce(ctx, key, msg, window)
	i.done(ctx, start, err)
	return n, err
}

// Ping implements Store.
func (i *instrumentedStore) Ping(ctx context.Context) error {
	start := time.Now()
	err := i.s.Ping(ctx)
	i.done(ctx, start, err)
	return err
}

// Close implements Store. It is not timed: closing is no part of serving.
func (i *instrumentedStore) Close() error { return i.s.Close() }

// Put implements Store.
func (i *instrumentedStore) Put(ctx context.Context, key, value string, ttl time.Duration) error {
	start := time.Now()
	err := i.s.Put(ctx, key, value, ttl)
	i.done(ctx, start, err)
	return err
}

// Get implements Store.
func (i *instrumentedStore) Get(ctx context.Context, key string) (string, bool, error) {
	start := time.Now()
	v, ok, err := i.s.Get(ctx, key)
	i.done(ctx, start, err)
	return v, ok, err
}
