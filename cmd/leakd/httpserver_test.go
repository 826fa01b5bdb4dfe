package main

import (
	"testing"

	"leak/metrics"
)

func TestPageFamily(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"/u/TOKEN": metrics.HandlerUnsubscribe, "/u/resubscribe": metrics.HandlerUnsubscribe,
		"/r/TOKEN": metrics.HandlerReport, "/api/v1/messages": metrics.HandlerAPI,
		"/": metrics.HandlerForm, "/send": metrics.HandlerForm, "/static/pow.js": metrics.HandlerForm,
		"/metrics": metrics.HandlerMetrics, "/healthz": metrics.HandlerHealth, "/readyz": metrics.HandlerHealth,
		"/wp-login.php": metrics.HandlerOther, "/sendx": metrics.HandlerOther,
	} {
		if got := pageFamily(path); got != want {
			t.Errorf("pageFamily(%q) = %q, want %q", path, got, want)
		}
	}
}
