package main

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"leak/policy/testutil"
)

// TestPolicyStoreUp: with no traffic and no probe calling /readyz, a Redis
// that stops is noticed by leakd's own check: leak_policy_store_up drops to
// 0, one error line says so, and both come back when Redis does.
func TestPolicyStoreUp(t *testing.T) {
	t.Parallel()
	redisBin := testutil.NeedTool(t, "redis-server")
	redisAddr := testutil.ReservePort(t)
	_, port, _ := strings.Cut(redisAddr, ":")
	startRedis := func() *exec.Cmd {
		rd := exec.Command(redisBin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
		if err := rd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rd.Process.Kill(); rd.Wait() })
		waitPort(t, redisAddr)
		return rd
	}
	rd := startRedis()
	d := newDaemon(t, sections{Policy: limitsExcept("  redis: redis://" + redisAddr + "/0\n")})
	d.start()

	storeUp := func() string {
		resp, err := http.Get("http://" + d.httpAddr + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "leak_policy_store_up "); ok {
				return v
			}
		}
		return ""
	}
	testutil.WaitFor(t, "leak_policy_store_up 1", func() bool { return storeUp() == "1" })

	rd.Process.Kill()
	rd.Wait()
	testutil.WaitFor(t, "leak_policy_store_up 0 after Redis stopped", func() bool { return storeUp() == "0" })
	if n := strings.Count(d.log.String(), "policy store unreachable"); n != 1 {
		t.Errorf("%d log lines say the store is unreachable, want 1", n)
	}

	startRedis()
	testutil.WaitFor(t, "leak_policy_store_up 1 after Redis came back", func() bool { return storeUp() == "1" })
	if !strings.Contains(d.log.String(), "policy store reachable again") {
		t.Error("no log line says the store is back")
	}
	d.stop()
}
