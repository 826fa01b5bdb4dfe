package main

import (
	"fmt"
	"os"
	"strings"

	"leak/relay"
	"leak/relay/scan"
)

// ScanConfig is the scan section: outbound content scanning with Rspamd
// (relay/scan), off unless url is set. See README.md "Content scanning".
type ScanConfig struct {
	// URL is Rspamd's normal worker, e.g. http://127.0.0.1:11333.
	URL string `yaml:"url"`
	// PasswordFile holds the worker's password, if it has one.
	PasswordFile string      `yaml:"password_file"`
	Timeout      Duration    `yaml:"timeout"`
	RejectScore  float64     `yaml:"reject_score"`
	DeferScore   float64     `yaml:"defer_score"`
	OnError      scan.Action `yaml:"on_error"`
}

func defaultScanConfig() ScanConfig {
	o := scan.DefaultOptions()
	return ScanConfig{Timeout: Duration{o.Timeout}, RejectScore: o.RejectScore, DeferScore: o.DeferScore, OnError: o.OnError}
}

// options maps the section onto relay/scan; the password is read by
// scanner.
func (c ScanConfig) options() scan.Options {
	return scan.Options{URL: c.URL, Timeout: c.Timeout.Duration, RejectScore: c.RejectScore,
		DeferScore: c.DeferScore, OnError: c.OnError}
}

// validate checks the section when scanning is on; relay/scan's errors
// already name the keys (scan.reject_score, …).
func (c ScanConfig) validate() error {
	if c.URL == "" {
		return nil
	}
	return c.options().Validate()
}

// scanner returns the relay's content scanner, or nil when scan.url is not
// set.
func (c ScanConfig) scanner() (relay.Scanner, error) {
	if c.URL == "" {
		return nil, nil
	}
	o := c.options()
	if c.PasswordFile != "" {
		pw, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("scan.password_file: %w", err)
		}
		o.Password = strings.TrimSpace(string(pw))
	}
	s, err := scan.New(o, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}
