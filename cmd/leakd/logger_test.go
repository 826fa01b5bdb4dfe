package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestLoggerJournald: under systemd (JOURNAL_STREAM set) text lines carry
// no time of their own, since journald stamps them; JSON keeps it, and so
// does text anywhere else.
func TestLoggerJournald(t *testing.T) {
	for _, tt := range []struct {
		format, journal string
		wantTime        bool
	}{
		{"text", "", true},
		{"text", "8:12345", false},
		{"json", "8:12345", true},
	} {
		t.Setenv("JOURNAL_STREAM", tt.journal)
		var buf bytes.Buffer
		cfg := defaultConfig()
		cfg.LogFormat = tt.format
		newLogger(cfg, &buf).Info("hello", "k", "v")
		line := buf.String()
		if got := strings.Contains(line, "time"); got != tt.wantTime {
			t.Errorf("%s, JOURNAL_STREAM=%q: %q, want time=%v", tt.format, tt.journal, line, tt.wantTime)
		}
		if !strings.Contains(line, "hello") || !strings.Contains(line, "k") {
			t.Errorf("%s: %q lost the message", tt.format, line)
		}
	}
}
