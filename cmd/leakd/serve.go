package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"leak/metrics"
	"leak/policy"
	"leak/policy/auth"
	"leak/relay"
	"leak/relay/bounce"
	"leak/relay/courier"
	"leak/relay/queue"
	"leak/relay/sign"
	"leak/relay/spool"
)

func cmdServe(args []string, stdout, stderr io.Writer) error {
	path, err := configFlag("serve", args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	gcDefaults()
	procsDefaults()
	// Whatever logs through the default logger (a library, a readiness
	// check) goes through the configured handler and level too.
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, log)
}

// leakdGOGC is the garbage collector's target that serve sets when the
// environment leaves GOGC unset: 200, where Go's default is 100. leakd's
// live heap is small (a few MiB) and its garbage is per message, so at 100
// the collector runs hundreds of times a second under load, and each run
// also shrinks the connections' stacks, which then grow again. Measured
// with smtp-source (a connection per message, 10 sessions, 2 KiB): 790
// msgs/s and 1.47 ms of CPU per message at 100, 880 and 1.27 ms at 200,
// for a peak RSS of 57 MiB instead of 50. GOGC (and GOMEMLIMIT) in the
// environment still win, as in any Go program.
const leakdGOGC = 200

func gcDefaults() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(leakdGOGC)
	}
}

// leakdProcsPerCPU is how many Ps (goroutines running Go code at once,
// GOMAXPROCS) serve gives the scheduler per CPU when OpenSSL signs and the
// environment leaves GOMAXPROCS unset: 3, where Go's default is 1.
//
// An RSA signature is a cgo call of 0.6 ms, and for Go a cgo call is a
// system call that keeps its P: with one P per CPU, two messages being
// signed on two CPUs leave none for the sessions waiting to answer their
// clients, until the runtime's monitor takes a P back (golang/go#19574,
// #58492), and the signing thread, back from C, must find one again. With
// spare Ps the sessions run beside the signatures, the kernel sharing the
// CPUs between them. Measured with smtp-source (a connection per message,
// 10 sessions, 2 KiB, into smtp-sink) on 2 CPUs, alternating 8 pairs:
// 667 msgs/s median at 2 Ps against 741 at 6, 7 pairs of 8 won, and 5%
// less CPU a message (fewer hand-offs of Ps between threads); 4 Ps gave
// less, 12 no more than 6. compare.sh showed it in a quiet hour (934
// against 843 msgs/s) and not in two loaded ones (README, "Three Ps per
// CPU").
const leakdProcsPerCPU = 3

func procsDefaults() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	if rsa, _ := sign.Backend(); rsa != "openssl" {
		return // Go's RSA is Go code, which the scheduler preempts
	}
	runtime.GOMAXPROCS(leakdProcsPerCPU * runtime.GOMAXPROCS(0))
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat != "json" && os.Getenv("JOURNAL_STREAM") != "" {
		// journald stamps every line itself; a second timestamp is noise.
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}
	}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the daemon until ctx is done, then shuts down in order: stop
// taking mail, let sessions in DATA finish, stop delivery, close the spool.
func serve(ctx context.Context, cfg *Config, log *slog.Logger) error {
	d, err := Build(cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Run(ctx)
}

// Daemon is leakd wired from one config: what serve runs, and what tests
// run in-process. Build opens and binds everything, Run serves until its
// context ends, Close releases what Build opened.
type Daemon struct {
	cfg *Config
	log *slog.Logger
	m   *metrics.Metrics

	engine *policy.Engine
	certs  *Certificates
	q      *queue.Queue
	srv    *relay.Server
	hs     *http.Server
	webL   *webListener
	smtpL  net.Listener
	httpL  net.Listener

	// draining is set when the drain begins: /readyz says 503 from then.
	draining atomic.Bool
	// closers release what Build opened, last opened first.
	closers []func()
	closed  bool
}

// onClose registers f to run at Close, before what was registered earlier.
func (d *Daemon) onClose(f func()) { d.closers = append(d.closers, f) }

// Close releases what Build opened: listeners, the policy store, the
// spool, the data directory's lock. Call it once Run has returned (or
// instead of Run); a second call does nothing.
func (d *Daemon) Close() {
	if d.closed {
		return
	}
	d.closed = true
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// SMTPAddr and HTTPAddr are the bound listeners' addresses (with port 0 in
// the config, the ports the system chose).
func (d *Daemon) SMTPAddr() string { return d.smtpL.Addr().String() }
func (d *Daemon) HTTPAddr() string { return d.httpL.Addr().String() }

// Build wires leakd from cfg: the data directory's lock, DKIM keys (made
// if missing), spool, courier, policy engine and store, bounces, queue,
// certificates, the relay, the listeners (bound, not yet serving) and the
// admin socket. On error what it opened is closed again.
func Build(cfg *Config, log *slog.Logger) (_ *Daemon, err error) {
	d := &Daemon{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	rsa, _ := sign.Backend()
	m := metrics.NewBuild(version(), rsa)
	d.m = m
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	d.onClose(func() { lock.Close() })

	for _, w := range cfg.warnings() {
		log.Warn("config: " + w)
	}
	keys, created, err := sign.Ensure(cfg.DKIM.KeyDir, cfg.Domain, cfg.DKIM.Sign...)
	if err != nil {
		return nil, dkimSignError(err)
	}
	for _, f := range created {
		log.Warn("generated a new DKIM key; publish its DNS record (leakd dkim dns)", "file", f)
	}
	keys.Precision = cfg.Anonymity.DatePrecision.Duration

	sp, err := spool.Open(filepath.Join(cfg.DataDir, "spool"), spool.Options{
		OnCommit: func(batch int, d time.Duration) { m.SpoolBatchSize.Observe(float64(batch)) },
		Reserve:  spoolReserve(cfg),
		// The first delivery of a small message reads a copy in memory,
		// not the disk. 1 MiB holds ~300 copies of 2 KiB with their DKIM
		// prefix: far more than the queue leaves unopened when it keeps
		// up, and little live heap when it lags (then the copies kept are
		// the oldest, the next to be delivered).
		HotMax: 1 << 20,
		OnDrop: func(reason string) { m.SpoolDropped.WithLabelValues(reason).Inc() },
		Logger: log,
	})
	if err != nil {
		return nil, err
	}
	d.onClose(func() { sp.Close() })
	m.SetSpoolFuncs(sp.Size, func() int64 { n, _ := sp.Free(); return n })

	cour, err := newCourier(cfg, m, log)
	if err != nil {
		return nil, err
	}
	if c, ok := cour.(io.Closer); ok {
		d.onClose(func() { c.Close() })
	}
	if s, ok := cour.(*courier.SMTP); ok {
		m.SetDestinationFuncs(s.InUse)
	}
	engine, store, err := openPolicy(cfg, m, log)
	if err != nil {
		return nil, err
	}
	d.onClose(func() { store.Close() })
	// Everything about bounces: each copy's envelope sender, the sent
	// log, DSNs and the queue's failures about a recipient.
	bounces, err := openBounces(cfg, engine, store)
	if err != nil {
		return nil, err
	}
	d.onClose(func() { bounces.Close() })
	qo := cfg.queueOptions()
	qo.HoldFile = holdFile(cfg) // `leakd queue hold` survives a restart
	qo.Logger = log
	qo.LogRecipients = cfg.LogRecipients
	qo.OnAction = func(action string) { m.QueueActions.WithLabelValues(action).Inc() }
	qo.OnResult = func(r queue.Result) {
		m.DeliveryAttempts.WithLabelValues(r.Outcome).Inc()
		if r.Reason != "" {
			m.DeliveryFailures.WithLabelValues(r.Reason).Inc()
		}
		switch r.Outcome {
		case queue.Delivered:
			m.DeliveryLatency.Observe(r.Latency.Seconds())
		case queue.Bounced, queue.Expired:
			// Only a failure about the recipient counts against it: a
			// refusal of the recipient is a hard bounce (policy
			// suppresses at the second message), giving up on one that
			// kept failing is a soft one. A refusal of the message
			// (queue.Failed) or a next hop that was down never counts.
			if r.Rcpt != "" && r.About == courier.AboutRecipient {
				if err := bounces.Result(context.Background(), r.ID, r.Rcpt, r.Outcome == queue.Bounced); err != nil {
					log.Warn("policy: cannot record a bounce", "qid", r.ID, "err", err)
				}
			}
		}
	}
	q := queue.New(sp, inFlight{cour, m}, qo)
	m.SetQueueFuncs(q.Len, q.Oldest)
	m.SetQueueStates(q.Counts)

	// Files or ACME (tls.go); the web listener takes
	// certs.TLSConfig(metrics.ListenerHTTP).
	certs, err := openCertificates(cfg, m, log)
	if err != nil {
		return nil, err
	}
	d.onClose(func() { certs.Close() })
	tlsConf := certs.TLSConfig(metrics.ListenerSMTP)

	mode, _ := auth.ParseMode(cfg.Policy.InboundAuth)
	checker, err := auth.New(auth.Options{
		Mode:           mode,
		Resolver:       cfg.Policy.AuthResolver,
		MaxHeaderBytes: cfg.SMTP.MaxHeaderBytes,
		Logger:         log,
	})
	if err != nil {
		return nil, fmt.Errorf("policy.inbound_auth: %w", err)
	}

	// Every copy's footer links to the report page, when the web listener
	// that serves it is on; the clean copies are kept for the reports.
	report, err := reportURL(cfg, engine)
	if err != nil {
		return nil, err
	}
	scanner, err := cfg.Scan.scanner()
	if err != nil {
		return nil, err
	}
	kept, err := openKept(cfg, log)
	if err != nil {
		return nil, err
	}
	d.onClose(func() { kept.Close() })
	ro := cfg.relayOptions()
	ro.Space = sp.CheckSpace
	ro.TLS = tlsConf
	ro.Policy = engine
	ro.ReportURL = report
	ro.Keep = kept.put()
	ro.Scan = scanner
	ro.Domains = domainChecker(cour)
	ro.Bounces = bounces
	ro.Auth = checker
	ro.Keys = keys
	ro.Spool = sp
	ro.Queue = q
	ro.Metrics = m
	ro.Logger = log
	srv, err := relay.New(ro)
	if err != nil {
		return nil, err
	}

	smtpL, err := listenSMTP(cfg) // behind the PROXY protocol if on (proxy.go)
	if err != nil {
		return nil, fmt.Errorf("smtp.listen: %w", err)
	}
	d.onClose(func() { smtpL.Close() })
	httpL, err := listenHTTP(cfg.HTTP.Listen, cfg.HTTP.MaxConnections)
	if err != nil {
		return nil, fmt.Errorf("http.listen: %w", err)
	}
	d.onClose(func() { httpL.Close() })
	spoolDir := filepath.Join(cfg.DataDir, "spool")
	mux := http.NewServeMux()
	// The public listener (web.listen, off by default): the form, its API
	// and, from mux, the /u/ pages.
	webL, err := listenWeb(cfg, srv, engine, mux, kept, certs, m, log)
	if err != nil {
		return nil, err
	}
	d.onClose(func() { webL.Close() })
	// The unsubscribe pages: a delivered copy's link opts out; opting back
	// in needs a link Leak mails to the address itself.
	pages, err := unsubscribePages(cfg, srv, engine, log)
	if err != nil {
		return nil, err
	}
	mux.Handle("/u/", pages)
	// Not ready from the moment the drain begins: balancers and
	// Kubernetes stop sending new connections while sessions finish.
	mux.Handle("/", metrics.Handler(m, map[string]metrics.Check{
		"drain": func(context.Context) error {
			if d.draining.Load() {
				return errors.New("shutting down")
			}
			return nil
		},
		"spool": func(context.Context) error {
			if err := sp.CheckSpace(); err != nil {
				return err
			}
			return writable(spoolDir)
		},
		"policy": engine.Ping,
		"web":    webL.Ready,
	}))
	hs := newHTTPServer(cfg, withPprof(cfg, webL.Private(mux)), m, log)

	stopAdmin, err := serveAdmin(context.Background(), socketPath(cfg), adminHandler(q, sp, log))
	if err != nil {
		return nil, err
	}
	d.onClose(stopAdmin)

	d.engine, d.certs, d.q, d.srv, d.hs, d.webL, d.smtpL, d.httpL = engine, certs, q, srv, hs, webL, smtpL, httpL
	return d, nil
}

// Run serves until ctx is done or a listener fails, then drains: stop
// taking mail, let sessions in DATA finish within smtp.shutdown_grace,
// stop delivery. SIGHUP reloads the domain lists and certificate files.
func (d *Daemon) Run(ctx context.Context) error {
	cfg, log, m := d.cfg, d.log, d.m
	engine, certs, q, srv, hs, webL, smtpL, httpL := d.engine, d.certs, d.q, d.srv, d.hs, d.webL, d.smtpL, d.httpL
	go watchStore(ctx, engine.Ping, m.PolicyStoreUp.Set, log)

	qctx, qcancel := context.WithCancel(context.Background())
	qdone := make(chan error, 1)
	go func() { qdone <- q.Run(qctx) }()
	smtpDone := make(chan error, 1)
	go func() { smtpDone <- srv.Serve(smtpL) }()
	// The private listener carries /readyz and /metrics: without it the
	// daemon cannot be watched, so its end ends the daemon, as the SMTP
	// listener's does, for the supervisor to restart it.
	httpDone := make(chan error, 1)
	go func() { httpDone <- hs.Serve(httpL) }()
	webL.Serve()

	rsaName, rsaDetail := sign.Backend()
	if rsaName != "openssl" {
		log.Warn("RSA signatures use Go's crypto/rsa, about 3 times OpenSSL's CPU; build with cgo on a machine with libcrypto.so.3 (libssl3)", "why", rsaDetail)
	}
	log.Info("leakd started", "version", version(), "domain", cfg.Domain,
		"smtp", smtpL.Addr().String(), "http", httpL.Addr().String(),
		"delivery", cfg.Delivery.Mode, "data_dir", cfg.DataDir, "rsa", rsaName, "rsa_detail", rsaDetail,
		"gomaxprocs", runtime.GOMAXPROCS(0))
	sd := notifier{log}
	sd.ready()
	watchdog := sd.watchdog(ctx)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var runErr error
wait:
	for {
		select {
		case <-watchdog:
			sd.ping()
		case <-hup:
			// SIGHUP re-reads the domain lists and the certificate
			// files (systemctl reload).
			sd.reloading()
			if err := engine.Reload(); err != nil {
				log.Error("reload failed; keeping the previous lists", "err", err)
			} else {
				log.Info("reloaded domain lists")
			}
			if err := certs.Reload(); err != nil {
				log.Error("certificate reload failed", "err", err)
			}
			sd.ready()
		case <-ctx.Done():
			log.Info("shutting down")
			break wait
		case runErr = <-smtpDone:
			log.Error("smtp server stopped", "err", runErr)
			break wait
		case err := <-httpDone:
			if errors.Is(err, http.ErrServerClosed) {
				continue
			}
			runErr = fmt.Errorf("http.listen: the private listener stopped: %w", err)
			log.Error("private http listener stopped; shutting down", "err", err)
			break wait
		}
	}
	d.draining.Store(true)
	sd.stopping()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.SMTP.ShutdownGrace.Duration)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("smtp sessions cut at the end of the grace period", "err", err)
	}
	hs.Shutdown(sctx)
	webL.Shutdown(sctx)
	qcancel()
	<-qdone
	log.Info("leakd stopped")
	return runErr
}

func newCourier(cfg *Config, m *metrics.Metrics, log *slog.Logger) (courier.Courier, error) {
	d := cfg.Delivery
	switch d.Mode {
	case "dir":
		return courier.NewDir(d.Dir)
	case "smarthost", "mx":
		opts := cfg.courierOptions()
		opts.OnSTS = func(r string) { m.DeliverySTS.WithLabelValues(r).Inc() }
		opts.OnTLS = func(tls string) { m.DeliveryTLS.WithLabelValues(tls).Inc() }
		opts.Logger = log
		if d.SmarthostPassword != "" {
			pw, err := os.ReadFile(d.SmarthostPassword)
			if err != nil {
				return nil, fmt.Errorf("delivery.smarthost_password_file: %w", err)
			}
			opts.Password = strings.TrimRight(string(pw), "\r\n")
		}
		return courier.NewSMTP(opts)
	}
	return nil, fmt.Errorf("delivery.mode: unknown mode %q", d.Mode)
}

// inFlight counts deliveries running now (leak_delivery_in_flight).
type inFlight struct {
	courier.Courier
	m *metrics.Metrics
}

func (c inFlight) Deliver(ctx context.Context, msg *courier.Message) error {
	c.m.DeliveryInFlight.Inc()
	defer c.m.DeliveryInFlight.Dec()
	return c.Courier.Deliver(ctx, msg)
}

// domainChecker returns the courier's RCPT-time domain check in MX mode.
func domainChecker(c courier.Courier) relay.DomainChecker {
	if s, ok := c.(*courier.SMTP); ok && s.Mode() == courier.ModeMX {
		return s
	}
	return nil
}

// openPolicy opens the policy store (Redis when configured, else local
// under data_dir) and the engine.
func openPolicy(cfg *Config, m *metrics.Metrics, log *slog.Logger) (*policy.Engine, policy.Store, error) {
	secret, err := policy.LoadSecret(cfg.Policy.SecretFile, cfg.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("policy.secret_file: %w", err)
	}
	var store policy.Store
	if cfg.Policy.Redis != "" {
		redis.SetLogger(redisLog{log})
		store, err = policy.OpenRedis(cfg.Policy.Redis)
	} else {
		store, err = policy.OpenLocal(cfg.DataDir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err)
	}
	opts := cfg.policyOptions()
	opts.Secret, opts.Metrics, opts.Logger = secret, m, log
	engine, err := policy.Open(opts, store)
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("policy: %w", err)
	}
	return engine, store, nil
}

// openBounces sets up the bounce desk: the token key of Leak's VERP
// envelope senders (shared by every instance, like policy.secret_file),
// the sent log, which keeps each copy's recipient key for the queue
// lifetime plus two days of bounce delay, and policy's bounce records.
// With policy.redis the sent log lives in that Redis, so that any instance
// takes a bounce for a copy another one sent; otherwise in
// data_dir/sent.db.
func openBounces(cfg *Config, engine *policy.Engine, store policy.Store) (*bounce.Desk, error) {
	key, err := bounce.LoadKey(cfg.Delivery.BounceKeyFile, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("delivery.bounce_key_file: %w", err)
	}
	keep := cfg.Delivery.Lifetime.Duration + 48*time.Hour
	var sent bounce.SentLog
	if rs, ok := store.(*policy.RedisStore); ok {
		sent = bounce.NewRedisSent(rs.Client(), keep)
	} else if sent, err = bounce.OpenSent(filepath.Join(cfg.DataDir, "sent.db"), keep); err != nil {
		return nil, err
	}
	desk, err := bounce.NewDesk(bounce.Options{
		Tokens:   bounce.NewTokens(key),
		Domain:   cfg.Domain,
		Sent:     sent,
		Key:      engine.BounceKey,
		Report:   engine.BounceHash,
		Failed:   engine.Bounce,
		MaxBytes: cfg.SMTP.MaxMessageBytes,
	})
	if err != nil {
		sent.Close()
		return nil, err
	}
	return desk, nil
}

// redisLog sends go-redis's own messages (pool dial failures) to slog
// instead of stderr.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn("redis", "detail", fmt.Sprintf(format, v...))
}

// storeCheckEvery is how often the daemon checks its policy store, with or
// without traffic: an outage in a quiet hour must show before the first
// message is deferred for it.
const storeCheckEvery = 5 * time.Second

// watchStore pings the policy store every storeCheckEvery until ctx is done,
// sets leak_policy_store_up and logs each change of state once.
func watchStore(ctx context.Context, ping func(context.Context) error, set func(float64), log *slog.Logger) {
	up := true
	set(1)
	t := time.NewTicker(storeCheckEvery)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil && up:
			log.Error("policy store unreachable; mail is deferred until it is back", "err", err)
		case err == nil && !up:
			log.Info("policy store reachable again")
		}
		up = err == nil
		if up {
			set(1)
		} else {
			set(0)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// spoolReserve maps spool.reserve_bytes onto spool.Options.Reserve, where
// a negative value turns the check off.
func spoolReserve(cfg *Config) int64 {
	if cfg.Spool.ReserveBytes == 0 {
		return -1
	}
	return cfg.Spool.ReserveBytes
}

// writable checks that the spool can take a file right now.
func writable(dir string) error {
	f, err := os.CreateTemp(filepath.Join(dir, "tmp"), ".ready-")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return errors.Join(os.Remove(name))
}
