//go:build linux

package main

import (
	"net"
	"syscall"
	"testing"
)

// TestSMTPListenerNoKeepAlive: the connections listenSMTP accepts carry
// no SO_KEEPALIVE (the sessions' own timeouts find dead peers), so that
// accepting one costs no keep-alive setsockopt calls.
func TestSMTPListenerNoKeepAlive(t *testing.T) {
	cfg := &Config{}
	cfg.SMTP.Listen = "127.0.0.1:0"
	l, err := listenSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	raw, err := a.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var on int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		on, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	}); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	if on != 0 {
		t.Errorf("SO_KEEPALIVE = %d on an accepted SMTP connection, want 0", on)
	}
}
