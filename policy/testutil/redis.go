package testutil

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// StartRedis runs a real redis-server for the test on a loopback port,
// with no persistence, and returns its address once it answers PING. It is
// killed when the test ends. Without redis-server the test is skipped, or
// fails under LEAK_INTEROP=1.
func StartRedis(t testing.TB) string {
	t.Helper()
	bin := NeedTool(t, "redis-server", "apt-get install redis-server")
	addr := ReservePort(t)
	_, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	var out SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	if !Poll(WaitTimeout, func() bool { return ping(addr) == nil }) {
		t.Fatalf("redis-server on %s did not answer PING: %v\n%s", addr, ping(addr), out.String())
	}
	return addr
}

// ping sends one PING in the Redis protocol and wants +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}
