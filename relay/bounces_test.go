package relay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leak/relay/bounce"
)

// flakySent is a sent log whose reads fail while down is set.
type flakySent struct {
	bounce.SentLog
	down atomic.Bool
}

func (f *flakySent) Get(ctx context.Context, qid string) (string, bool, error) {
	if f.down.Load() {
		return "", false, errors.New("sent log unreachable")
	}
	return f.SentLog.Get(ctx, qid)
}

// bounceRelay is a relay with a bounce desk whose reports are recorded.
type bounceRelay struct {
	*testRelay
	tokens *bounce.Tokens
	sent   *flakySent
	mu     sync.Mutex
	got    []string // key + " hard" / " soft"
	fail   error    // returned by the report function when set
}

func rcptKey(rcpt string) string {
	h := sha256.Sum256([]byte("rcpt:" + rcpt))
	return hex.EncodeToString(h[:])
}

func startBounceRelay(t *testing.T) *bounceRelay {
	t.Helper()
	file, err := bounce.OpenSent(filepath.Join(t.TempDir(), "sent.db"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	br := &bounceRelay{tokens: bounce.NewTokens([]byte("0123456789abcdef0123456789abcdef")), sent: &flakySent{SentLog: file}}
	desk, err := bounce.NewDesk(bounce.Options{
		Tokens: br.tokens, Domain: "leak.example", Sent: br.sent, Key: rcptKey,
		Report: func(_ context.Context, key string, permanent bool) error {
			br.mu.Lock()
			defer br.mu.Unlock()
			if br.fail != nil {
				return br.fail
			}
			br.got = append(br.got, key+map[bool]string{true: " hard", false: " soft"}[permanent])
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { desk.Close() })
	br.testRelay = startRelay(t, func(o *Options) { o.Bounces = desk })
	return br
}

func (br *bounceRelay) reports() []string {
	br.mu.Lock()
	defer br.mu.Unlock()
	return append([]string(nil), br.got...)
}

// dsnFor is a Postfix-like DSN saying delivery to rcpt failed with status.
func dsnFor(rcpt, status string) string {
	return "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver it.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: " + status + "\r\n\r\n--b--\r\n"
}

// TestBounces: a copy leaves with a signed bounce address the desk has
// recorded; its DSN is taken (250) and reported against the copy's
// recipient; forged, foreign and expired bounce addresses are refused;
// a desk that cannot record defers (451) rather than drop the bounce.
func TestBounces(t *testing.T) {
	t.Parallel()
	br := startBounceRelay(t)
	c := dial(t, br.addr)
	c.open("to+bob+x=example.com@leak.example")
	c.cmd("DATA", "354")
	c.send(simpleMessage + ".\r\n")
	c.expect("250")
	msg := br.delivered(t, 1)[0]
	m := regexp.MustCompile(`Return-Path: <(bounce\+[a-z2-7]+@leak\.example)>`).FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("no signed bounce address in the copy:\n%s", msg)
	}
	from := m[1]
	if _, ok := br.tokens.Parse(from); !ok {
		t.Fatalf("Return-Path %q is not a genuine token", from)
	}

	c = dial(t, br.addr)
	c.cmd("EHLO mx.example.com", "250")
	c.cmd("MAIL FROM:<>", "250")
	c.cmd("RCPT TO:<"+br.tokens.Address("fedcba9876543210fedcba9876543210", "leak.example")+">", "550 5.1.1")
	c.cmd("RCPT TO:<bounce+"+strings.Repeat("a", 42)+"@leak.example>", "550 5.1.1")
	c.cmd("RCPT TO:<"+strings.Replace(from, "leak.example", "elsewhere.example", 1)+">", "550 5.7.1")
	br.sent.down.Store(true)
	c.cmd("RCPT TO:<"+from+">", "451 4.3.0")
	br.sent.down.Store(false)
	c.cmd("RCPT TO:<"+strings.ToUpper(from)+">", "250")
	c.cmd("DATA", "354")
	c.send(dsnFor("bob+x@example.com", "5.1.1") + ".\r\n")
	c.expect("250")
	// The key is the delivered address's, tag and all: the desk's Key
	// (policy's BounceKey) decides what it covers.
	if got := br.reports(); len(got) != 1 || got[0] != rcptKey("bob+x@example.com")+" hard" {
		t.Errorf("reported %q, want one hard bounce for the copy's recipient", got)
	}

	// A bounce that breaks the line-ending rules is refused like any
	// message, and reports nothing.
	c.cmd("MAIL FROM:<>", "250")
	c.cmd("RCPT TO:<"+from+">", "250")
	c.cmd("DATA", "354")
	c.send(strings.Replace(dsnFor("bob+x@example.com", "5.1.1"), "\r\n\r\n--b--", "\n\r\n--b--", 1) + ".\r\n")
	c.expect("554 5.6.0")
	if n := len(br.reports()); n != 1 {
		t.Errorf("%d reports after a refused bounce, want still 1", n)
	}

	// Policy cannot record it: 451, so the sender's MTA tries again.
	br.mu.Lock()
	br.fail = errors.New("policy store down")
	br.mu.Unlock()
	c.cmd("MAIL FROM:<>", "250")
	c.cmd("RCPT TO:<"+from+">", "250")
	c.cmd("DATA", "354")
	c.send(dsnFor("bob+x@example.com", "5.1.1") + ".\r\n")
	c.expect("451 4.3.0")
}
