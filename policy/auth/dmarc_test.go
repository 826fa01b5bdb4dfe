package auth

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"leak/policy/testutil"

	"github.com/emersion/go-msgauth/dmarc"
)

func TestAligned(t *testing.T) {
	for _, tt := range []struct {
		from, auth string
		strict     bool
		want       bool
	}{
		{"example.com", "example.com", true, true},
		{"mail.example.com", "example.com", false, true},
		{"mail.example.com", "example.com", true, false},
		{"a.example.co.uk", "b.example.co.uk", false, true},
		{"example.co.uk", "other.co.uk", false, false},
		{"co.uk", "example.co.uk", false, false}, // a public suffix is its own org domain
		{"example.com", "example.com.evil.example", false, false},
		{"example.com", "", false, false},
	} {
		mode := dmarc.AlignmentMode(dmarc.AlignmentRelaxed)
		if tt.strict {
			mode = dmarc.AlignmentStrict
		}
		if got := aligned(tt.from, tt.auth, mode); got != tt.want {
			t.Errorf("aligned(%q, %q, %s) = %v", tt.from, tt.auth, mode, got)
		}
	}
}

func TestEvaluate(t *testing.T) {
	rec := func(txt string) *dmarc.Record {
		r, err := dmarc.Parse(txt)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	reject := policyRecord{rec: rec("v=DMARC1; p=reject; sp=quarantine")}
	orgReject := policyRecord{rec: reject.rec, org: true}
	pass := []Signature{{Pass, "example.com"}}
	tests := []struct {
		name     string
		from     string
		pr       policyRecord
		spf, dom string
		sigs     []Signature
		want     verdict
	}{
		{"spf temperror, unaligned: fail", "example.com", reject, TempError, "other.example", nil,
			verdict{result: Fail, policy: "reject", sampled: true}},
		{"spf temperror, aligned: temperror", "example.com", reject, TempError, "example.com", nil,
			verdict{result: TempError, policy: "reject", sampled: true}},
		{"dkim temperror, unaligned: fail", "example.com", reject, Fail, "example.com", []Signature{{TempError, "other.example"}},
			verdict{result: Fail, policy: "reject", sampled: true}},
		{"unaligned dkim pass: fail", "example.com", reject, None, "", []Signature{{Pass, "other.example"}},
			verdict{result: Fail, policy: "reject", sampled: true}},
		{"sp applies at the org domain only", "sub.example.com", orgReject, Fail, "", nil,
			verdict{result: Fail, policy: "quarantine", sampled: true}},
		{"p applies to a subdomain's own record", "sub.example.com", reject, Fail, "", nil,
			verdict{result: Fail, policy: "reject", sampled: true}},
		{"no record: authenticated, result none", "example.com", policyRecord{status: None}, Fail, "", pass,
			verdict{result: None, authenticated: true}},
		{"malformed record", "example.com", policyRecord{status: PermError}, Fail, "", nil,
			verdict{result: PermError}},
		{"pct=100 is sampled", "example.com", policyRecord{rec: rec("v=DMARC1; p=reject; pct=100")}, Fail, "", nil,
			verdict{result: Fail, policy: "reject", sampled: true}},
		{"pct=0 is not", "example.com", policyRecord{rec: rec("v=DMARC1; p=reject; pct=0")}, Fail, "", nil,
			verdict{result: Fail, policy: "reject"}},
	}
	for _, tt := range tests {
		if got := evaluate(tt.from, tt.pr, tt.spf, tt.dom, tt.sigs); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestIsDMARC1(t *testing.T) {
	for txt, want := range map[string]bool{
		"v=DMARC1; p=none":    true,
		"v=DMARC1":            true,
		" v = DMARC1 ;p=none": true,
		"v=DMARC10; p=none":   false,
		"v=dmarc1; p=none":    false,
		"p=none; v=DMARC1":    false,
		"v=spf1 -all":         false,
		"":                    false,
	} {
		if got := isDMARC1(txt); got != want {
			t.Errorf("isDMARC1(%q) = %v", txt, got)
		}
	}
}

// TestLogsNoIdentity checks the promise of the package comment: with
// debug logging on, neither the client's address, its HELO name, the
// envelope sender nor any domain of the message reaches the log.
func TestLogsNoIdentity(t *testing.T) {
	d := testutil.StartDNS(t)
	zone(t, d)
	var buf bytes.Buffer
	c, err := New(Options{Mode: Enforce, Resolver: d.Addr,
		Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	msg := sign(t, message("Alice <alice@mail.example.com>", "hi\r\n"), signOpts{domain: "example.com", selector: "rsa", key: rsaKey})
	r := check(t, c, otherIP, "helo.client.example", "bob@bounces.example.org", msg, 4096)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("session", "auth", r)
	out := buf.String()
	if !strings.Contains(out, `"dmarc":"pass"`) || !strings.Contains(out, `"dkim":"pass"`) {
		t.Fatalf("log lacks the results: %s", out)
	}
	for _, secret := range []string{otherIP.String(), "helo", "client.example", "bob", "alice", "Alice", "example"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q: %s", secret, out)
		}
	}
	if s := r.String(); strings.Contains(s, "example") {
		t.Errorf("String() = %q names a domain", s)
	}
}
