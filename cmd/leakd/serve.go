package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"leak/metrics"
	"leak/relay"
	"leak/relay/anonymize"
	"leak/relay/courier"
	"leak/relay/queue"
	"leak/relay/sign"
	"leak/relay/spool"
)

func cmdServe(args []string, stderr io.Writer) error {
	path, err := configFlag("serve", args, stderr, nil)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, log)
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the daemon until ctx is done, then shuts down in order: stop
// taking mail, let sessions in DATA finish, stop delivery, close the spool.
func serve(ctx context.Context, cfg *Config, log *slog.Logger) error {
	m := metrics.New(version())

	keys, created, err := sign.Ensure(cfg.DKIM.KeyDir, cfg.Domain)
	if err != nil {
		return err
	}
	for _, f := range created {
		log.Warn("generated a new DKIM key; publish its DNS record (leakd dkim dns)", "file", f)
	}

	sp, err := spool.Open(filepath.Join(cfg.DataDir, "spool"), spool.Options{
		OnCommit: func(batch int, d time.Duration) { m.SpoolBatchSize.Observe(float64(batch)) },
	})
	if err != nil {
		return err
	}
	defer sp.Close()

	cour, err := newCourier(cfg)
	if err != nil {
		return err
	}
	q := queue.New(sp, cour, queue.Options{
		Workers:  cfg.Delivery.Workers,
		Lifetime: cfg.Delivery.Lifetime.Duration,
		Logger:   log,
		OnResult: func(r queue.Result) {
			m.DeliveryAttempts.WithLabelValues(r.Outcome).Inc()
			if r.Outcome == "delivered" {
				m.DeliveryLatency.Observe(r.Latency.Seconds())
			}
		},
	})
	m.SetQueueFuncs(q.Len, q.Oldest)

	var tlsConf *tls.Config
	if cfg.SMTP.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.SMTP.TLSCert, cfg.SMTP.TLSKey)
		if err != nil {
			return fmt.Errorf("smtp.tls_cert/smtp.tls_key: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	srv, err := relay.New(relay.Options{
		Domain:          cfg.Domain,
		Hostname:        cfg.Hostname,
		MaxMessageBytes: cfg.SMTP.MaxMessageBytes,
		MaxRecipients:   cfg.SMTP.MaxRecipients,
		IdleTimeout:     cfg.SMTP.IdleTimeout.Duration,
		TLS:             tlsConf,
		Anonymize: anonymize.Options{
			MaxHeaderBytes:  cfg.SMTP.MaxHeaderBytes,
			MaxHeaderFields: cfg.SMTP.MaxHeaderFields,
			MaxDepth:        cfg.SMTP.MaxMIMEDepth,
			MaxParts:        cfg.SMTP.MaxMIMEParts,
			MaxReceived:     cfg.SMTP.MaxReceived,
		},
		Keys:    keys,
		Spool:   sp,
		Queue:   q,
		Metrics: m,
		Logger:  log,
	})
	if err != nil {
		return err
	}

	smtpL, err := net.Listen("tcp", cfg.SMTP.Listen)
	if err != nil {
		return fmt.Errorf("smtp.listen: %w", err)
	}
	httpL, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		smtpL.Close()
		return fmt.Errorf("http.listen: %w", err)
	}
	spoolDir := filepath.Join(cfg.DataDir, "spool")
	hs := &http.Server{
		Handler: metrics.Handler(m, map[string]metrics.Check{
			"spool": func(context.Context) error { return writable(spoolDir) },
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}

	qctx, qcancel := context.WithCancel(context.Background())
	qdone := make(chan error, 1)
	go func() { qdone <- q.Run(qctx) }()
	smtpDone := make(chan error, 1)
	go func() { smtpDone <- srv.Serve(smtpL) }()
	go hs.Serve(httpL)

	log.Info("leakd started", "version", version(), "domain", cfg.Domain,
		"smtp", smtpL.Addr().String(), "http", httpL.Addr().String(),
		"delivery", cfg.Delivery.Mode, "data_dir", cfg.DataDir)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-smtpDone:
		log.Error("smtp server stopped", "err", runErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.SMTP.ShutdownGrace.Duration)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("smtp sessions cut at the end of the grace period", "err", err)
	}
	hs.Shutdown(sctx)
	qcancel()
	<-qdone
	log.Info("leakd stopped")
	return runErr
}

func newCourier(cfg *Config) (courier.Courier, error) {
	switch cfg.Delivery.Mode {
	case "dir":
		return courier.NewDir(cfg.Delivery.Dir)
	}
	return nil, fmt.Errorf("delivery.mode: unknown mode %q", cfg.Delivery.Mode)
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
