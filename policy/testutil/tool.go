package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// Interop is the environment variable that turns a missing external tool
// from a skip into a failure: CI sets LEAK_INTEROP=1, so an interop test
// cannot pass there by not running.
const Interop = "LEAK_INTEROP"

// NeedTool returns the path of the external program name (promtool,
// redis-server, chromium, ...), or skips the test when it is not on PATH.
// With LEAK_INTEROP=1 a missing tool fails the test instead. install, when
// given, says how to get it (e.g. "apt-get install prometheus") and goes
// into the message.
//
// A test that needs an external program is an interoperability test, slow
// to start its peer: under -short it is skipped, whatever LEAK_INTEROP says.
func NeedTool(t testing.TB, name string, install ...string) string {
	t.Helper()
	Short(t, "an interop test with "+name)
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	how := "install it, or run .ci/run"
	if len(install) > 0 {
		how = install[0] + ", or run .ci/run"
	}
	if os.Getenv(Interop) == "1" {
		t.Fatalf("%s is not installed, and %s=1 requires it (%s)", name, Interop, how)
	}
	t.Skipf("%s is not installed (%s)", name, how)
	return ""
}

// Short skips a test that runs a real external peer (Postfix, Chromium,
// Prometheus, Pebble, redis-server) or is otherwise slow, when go test
// runs with -short.
func Short(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: skipping %s", what)
	}
}
