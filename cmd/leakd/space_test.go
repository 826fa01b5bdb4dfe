package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"leak/policy/testutil"
)

// TestSpoolReserve: when the spool's file system has less free space than
// spool.reserve_bytes, /readyz says so and MAIL is deferred with 452 4.3.1
// instead of taking mail that could not be stored. (A reserve larger than
// any disk stands in for a full one.)
func TestSpoolReserve(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, sections{Top: "spool:\n  reserve_bytes: 1000000000000000000\n"})
	d.launch()

	var status int
	var body string
	testutil.WaitFor(t, "/readyz to answer", func() bool {
		resp, err := http.Get("http://" + d.httpAddr + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		status, body = resp.StatusCode, string(b)
		return true
	})
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "spool") {
		t.Errorf("/readyz with the spool below its reserve: %d %q, want 503 naming spool", status, body)
	}

	c := dialSMTP(t, d.smtpAddr)
	c.cmd("EHLO client.example")
	if r := c.cmd("MAIL FROM:<sender@example.net>"); !strings.HasPrefix(r, "452 4.3.1") {
		t.Errorf("MAIL with the spool below its reserve: %q, want 452 4.3.1", r)
	}
	c.cmd("QUIT")
	d.stop()
}
