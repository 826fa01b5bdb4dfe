package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"leak/policy/testutil"

	"github.com/redis/go-redis/v9"
)

// TestReplicasShareBounces runs two daemons on one real redis-server,
// sharing policy.secret_file and delivery.bounce_key_file as two replicas
// behind one MX do. A DSN for a copy daemon A sent reaches daemon B: B
// takes it (250), and the recipient is refused at A and at B. A DSN for a
// sub-address (carol+x@) suppresses that sub-address alone, on both, while
// carol@ still gets mail. Redis holds one key per copy, and no address.
func TestReplicasShareBounces(t *testing.T) {
	t.Parallel()
	redisAddr := redisServer(t)
	keys := t.TempDir()
	secret := filepath.Join(keys, "policy.secret")
	bounceKey := filepath.Join(keys, "bounce.key")
	os.WriteFile(secret, []byte("a shared secret of enough length for both\n"), 0o600)
	os.WriteFile(bounceKey, []byte("0123456789abcdef0123456789abcdef0123456789abcdef\n"), 0o600)
	pol := relaxedPolicy + fmt.Sprintf("  redis: redis://%s/0\n  secret_file: %s\n", redisAddr, secret)
	var ds [2]*daemon
	for i := range ds {
		d := newDaemon(t, sections{Policy: pol})
		b, err := os.ReadFile(d.config)
		if err != nil {
			t.Fatal(err)
		}
		cfg := strings.Replace(string(b), "\ndelivery:\n", "\ndelivery:\n  bounce_key_file: "+bounceKey+"\n", 1)
		if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		d.start()
		ds[i] = d
	}
	a, b := ds[0], ds[1]

	for _, rcpt := range []string{"to+bob=example.com@leak.example", "to+carol+x=example.org@leak.example"} {
		if r, data := send(t, a.smtpAddr, rcpt, "via A"); !strings.HasPrefix(r, "250") || !strings.HasPrefix(data, "250") {
			t.Fatalf("sending to %s through A: %q, %q", rcpt, r, data)
		}
	}
	a.waitDelivered(2)
	for _, rcpt := range []string{"bob@example.com", "carol+x@example.org"} {
		from := envelopeSender(t, a, rcpt)
		if r := sendDSN(t, b.smtpAddr, from, rcpt); !strings.HasPrefix(r, "250") {
			t.Fatalf("DSN for A's copy to %s, sent to B: %q; log of B:\n%s", rcpt, r, b.log.String())
		}
	}

	for _, tt := range []struct {
		rcpt, want string
	}{
		{"to+bob=example.com@leak.example", "550 5.7.1"},
		{"to+carol+x=example.org@leak.example", "550 5.7.1"},
		{"to+carol=example.org@leak.example", "250"},
		{"to+carol+y=example.org@leak.example", "250"},
	} {
		for _, d := range []*daemon{a, b} {
			name := map[*daemon]string{a: "A", b: "B"}[d]
			if r, _ := send(t, d.smtpAddr, tt.rcpt, "after the bounces"); !strings.HasPrefix(r, tt.want) {
				t.Errorf("RCPT %s at %s: %q, want %s", tt.rcpt, name, r, tt.want)
			}
		}
	}

	c := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer c.Close()
	ctx := context.Background()
	sentKeys, err := c.Keys(ctx, "leak:sent:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	// Two copies by A before the bounces, two by each daemon after.
	if len(sentKeys) != 6 {
		t.Errorf("%d sent-log keys in Redis, want 6 (one per delivered copy)", len(sentKeys))
	}
	hexKey := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, k := range sentKeys {
		if v := c.Get(ctx, k).Val(); !hexKey.MatchString(v) {
			t.Errorf("Redis %s holds %q, want a keyed hash", k, v)
		}
	}
	for _, d := range []*daemon{a, b} {
		if _, err := os.Stat(filepath.Join(d.dir, "data", "sent.db")); err == nil {
			t.Error("a daemon with policy.redis opened a local sent log too")
		}
		for _, name := range []string{"bob@example.com", "carol+x@example.org"} {
			if strings.Contains(d.log.String(), name) {
				t.Errorf("a daemon's log names %s", name)
			}
		}
	}
}

// redisServer runs a real redis-server for the test and returns its
// address.
func redisServer(t *testing.T) string { return testutil.StartRedis(t) }

var returnPathRE = regexp.MustCompile(`(?m)^Return-Path: <(bounce\+[a-z2-7]{42}@leak\.example)>\r$`)

// envelopeSender returns the envelope sender of the copy d delivered to
// rcpt: the signed bounce address its DSN goes to.
func envelopeSender(t *testing.T, d *daemon, rcpt string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(d.outbox, "new", "*.eml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "\r\nDelivered-To: "+rcpt+"\r\n") && !strings.HasPrefix(string(b), "Delivered-To: "+rcpt+"\r\n") {
			continue
		}
		m := returnPathRE.FindSubmatch(b)
		if m == nil {
			t.Fatalf("the copy to %s has no signed Return-Path:\n%s", rcpt, b)
		}
		return string(m[1])
	}
	t.Fatalf("no delivered copy to %s", rcpt)
	return ""
}

// sendDSN sends a hard-failure DSN about rcpt to the bounce address from,
// and returns the reply to its final dot (or the refusal of RCPT).
func sendDSN(t *testing.T, addr, from, rcpt string) string {
	t.Helper()
	c := dialSMTP(t, addr)
	c.cmd("EHLO mx.example.com")
	c.cmd("MAIL FROM:<>")
	if r := c.cmd("RCPT TO:<" + from + ">"); !strings.HasPrefix(r, "250") {
		return r
	}
	c.cmd("DATA")
	c.raw([]byte("From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver it.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n.\r\n"))
	r := c.read()
	c.cmd("QUIT")
	return r
}
