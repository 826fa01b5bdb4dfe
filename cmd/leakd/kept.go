package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"leak/relay/keep"
	"leak/relay/web"
)

// keptOptions maps web.report_keep* onto relay/keep: the clean copies a
// report notice carries live in data_dir/kept, one file per hour, erased
// when the hour is older than web.report_keep. Nothing is kept when the
// web listener (which serves the report page) is off.
func keptOptions(cfg *Config) keep.Options {
	o := keep.DefaultOptions()
	o.Dir = filepath.Join(cfg.DataDir, "kept")
	o.Keep = cfg.Web.ReportKeep.Duration
	o.MaxBytes = cfg.Web.ReportKeepBytes
	o.MaxCopy = cfg.Web.ReportKeepMaxCopy
	if cfg.Web.Listen == "" {
		o.Keep = 0
	}
	return o
}

// validateKept checks web.report_keep*, naming the keys.
func validateKept(cfg *Config) error {
	o := keptOptions(cfg)
	if cfg.Web.ReportKeep.Duration == 0 {
		return nil
	}
	o.Keep = cfg.Web.ReportKeep.Duration
	if err := o.Validate(); err != nil {
		msg := err.Error()
		for field, key := range map[string]string{
			"Options.Keep": "web.report_keep", "Options.MaxBytes": "web.report_keep_bytes",
			"Options.MaxCopy": "web.report_keep_max_copy",
		} {
			if strings.Contains(msg, field) {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
		return fmt.Errorf("web.report_keep: %w", err)
	}
	return nil
}

// keptCopies is the store of kept copies; nil keeps nothing.
type keptCopies struct {
	s   *keep.Store
	log *slog.Logger
}

// openKept opens the store of kept copies, or returns nil when nothing is
// kept.
func openKept(cfg *Config, log *slog.Logger) (*keptCopies, error) {
	o := keptOptions(cfg)
	if o.Keep == 0 {
		return nil, nil
	}
	o.Logger = log
	s, err := keep.Open(o)
	if err != nil {
		return nil, fmt.Errorf("web.report_keep: %w", err)
	}
	return &keptCopies{s: s, log: log}, nil
}

// put is relay.Options.Keep: nil when nothing is kept. A copy that cannot
// be kept is logged and the message goes on: a report of it then reaches
// the operator without it.
func (k *keptCopies) put() func(id string, r io.Reader) error {
	if k == nil {
		return nil
	}
	return func(id string, r io.Reader) error {
		if err := k.s.Put(id, r); err != nil {
			k.log.Warn("report copy not kept", "qid", id, "err", err)
		}
		return nil
	}
}

// get is web.ReportOptions.Copy: nil when nothing is kept.
func (k *keptCopies) get() func(id string) ([]byte, bool, error) {
	if k == nil {
		return nil
	}
	return func(id string) ([]byte, bool, error) {
		data, cut, err := k.s.Get(id)
		if errors.Is(err, keep.ErrNotKept) {
			return nil, false, web.ErrNotKept
		}
		return data, cut, err
	}
}

// Close closes the store.
func (k *keptCopies) Close() {
	if k != nil {
		k.s.Close()
	}
}
