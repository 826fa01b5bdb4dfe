package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthTimeout bounds the whole request: a container runtime kills a
// check that hangs, and one that hangs means not ready anyway.
const healthTimeout = 5 * time.Second

// cmdHealth asks the running relay's /readyz, for a container HEALTHCHECK
// (the distroless image has no shell or curl). Exit 0 when ready; 1, with
// the reason on stderr, when not ready or not answering.
func cmdHealth(args []string, stdout, stderr io.Writer) error {
	path, err := configFlag("health", args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	// Only http.listen matters: the keys are serve's business.
	cfg, err := readConfig(path, false)
	if err != nil {
		return err
	}
	url := "http://" + localAddr(cfg.HTTP.Listen) + "/readyz"
	client := &http.Client{Timeout: healthTimeout}
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	text := strings.Join(strings.Fields(string(body)), " ")
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s: %s (failing: %s)", url, resp.Status, text)
	}
	fmt.Fprintln(stdout, text)
	return nil
}

// localAddr turns a listen address into one to dial from the same host:
// a wildcard host becomes the loopback address of its family.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
