package sign

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	k := testKeys(t)
	msg := testMessage(sizedBody(3000))
	for _, chunk := range []int{0, 1, 7, 78, 4096} {
		h := signWith(t, k, msg, chunk)
		vs := verify(t, k, h+msg)
		if len(vs) != 2 {
			t.Fatalf("chunk %d: %d verifications, want 2", chunk, len(vs))
		}
		for i, v := range vs {
			if v.Err != nil {
				t.Errorf("chunk %d: signature %d: %v", chunk, i, v.Err)
			}
			if v.Domain != testDomain {
				t.Errorf("chunk %d: signature %d: d=%q, want %q", chunk, i, v.Domain, testDomain)
			}
		}
	}
}

func TestHeaderShape(t *testing.T) {
	k := testKeys(t)
	h := signWith(t, k, testMessage("hi\r\n"), 0)
	fields := splitFields(t, h)
	if len(fields) != 2 {
		t.Fatalf("%d fields, want 2:\n%s", len(fields), h)
	}
	for i, want := range []struct{ a, s string }{{RSASHA256, SelectorRSA}, {Ed25519SHA256, SelectorEd25519}} {
		tags := parseTags(fields[i])
		if tags["a"] != want.a || tags["s"] != want.s {
			t.Errorf("field %d: a=%q s=%q, want a=%q s=%q", i, tags["a"], tags["s"], want.a, want.s)
		}
		if tags["c"] != "relaxed/relaxed" {
			t.Errorf("field %d: c=%q, want relaxed/relaxed", i, tags["c"])
		}
		if tags["d"] != testDomain {
			t.Errorf("field %d: d=%q, want %q", i, tags["d"], testDomain)
		}
		count := map[string]int{}
		for name := range strings.SplitSeq(tags["h"], ":") {
			count[strings.ToLower(strings.TrimSpace(name))]++
		}
		for _, name := range []string{"from", "to", "subject", "date", "message-id", "mime-version",
			"content-type", "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post",
			"reply-to", "cc", "in-reply-to", "references"} {
			if count[name] != 2 {
				t.Errorf("field %d: h= lists %q %d times, want 2 (oversigned)", i, name, count[name])
			}
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(h, "\r\n"), "\r\n") {
		if len(line) > 998 {
			t.Errorf("header line of %d octets exceeds RFC 5322's 998", len(line))
		}
	}
}

// splitFields splits a block of header fields, each ending in CRLF and
// folded with CRLF WSP.
func splitFields(t *testing.T, h string) []string {
	t.Helper()
	if !strings.HasSuffix(h, "\r\n") {
		t.Fatalf("header does not end in CRLF: %q", h)
	}
	var fields []string
	for _, line := range strings.SplitAfter(h, "\r\n") {
		switch {
		case line == "":
		case line[0] == ' ' || line[0] == '\t':
			fields[len(fields)-1] += line
		default:
			if !strings.HasPrefix(line, "DKIM-Signature:") {
				t.Fatalf("unexpected field %q", line)
			}
			fields = append(fields, line)
		}
	}
	return fields
}

func parseTags(field string) map[string]string {
	_, v, _ := strings.Cut(field, ":")
	tags := map[string]string{}
	for tv := range strings.SplitSeq(v, ";") {
		name, value, ok := strings.Cut(tv, "=")
		if !ok {
			continue
		}
		value = strings.Join(strings.Fields(value), "")
		tags[strings.TrimSpace(name)] = value
	}
	return tags
}

func TestTampering(t *testing.T) {
	k := testKeys(t)
	msg := testMessage("Hello Bob.\r\n")
	h := signWith(t, k, msg, 0)
	hdr, body, _ := strings.Cut(msg, "\r\n\r\n")
	tests := []struct {
		name   string
		modify func(hdr, body string) string
		pass   bool
	}{
		{"unchanged", func(h, b string) string { return h + "\r\n\r\n" + b }, true},
		{"refolded Subject (relaxed)", func(h, b string) string {
			return strings.Replace(h, "Subject: Hello there", "Subject:  Hello\r\n   there", 1) + "\r\n\r\n" + b
		}, true},
		{"unsigned field added", func(h, b string) string { return "X-Extra: 1\r\n" + h + "\r\n\r\n" + b }, true},
		{"Subject changed", func(h, b string) string {
			return strings.Replace(h, "Hello there", "Hello thera", 1) + "\r\n\r\n" + b
		}, false},
		{"second From on top", func(h, b string) string { return "From: evil@example.net\r\n" + h + "\r\n\r\n" + b }, false},
		{"second From at bottom", func(h, b string) string { return h + "\r\nFrom: evil@example.net\r\n\r\n" + b }, false},
		{"Reply-To added", func(h, b string) string { return "Reply-To: evil@example.net\r\n" + h + "\r\n\r\n" + b }, false},
		{"Cc added", func(h, b string) string { return "Cc: evil@example.net\r\n" + h + "\r\n\r\n" + b }, false},
		{"Sender added", func(h, b string) string { return "Sender: evil@example.net\r\n" + h + "\r\n\r\n" + b }, false},
		{"References added", func(h, b string) string { return "References: <x@y>\r\n" + h + "\r\n\r\n" + b }, false},
		{"second Content-Type", func(h, b string) string {
			return "Content-Type: text/html\r\n" + h + "\r\n\r\n" + b
		}, false},
		{"List-Unsubscribe-Post removed", func(h, b string) string {
			return strings.Replace(h, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click", "", 1) + "\r\n\r\n" + b
		}, false},
		{"body changed", func(h, b string) string { return h + "\r\n\r\nHello Eve.\r\n" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.modify(hdr, body)
			if !tt.pass && m == msg {
				t.Fatal("modify left the message unchanged; this case checks nothing")
			}
			vs := verify(t, k, h+m)
			if len(vs) != 2 {
				t.Fatalf("%d verifications, want 2", len(vs))
			}
			for i, v := range vs {
				if (v.Err == nil) != tt.pass {
					t.Errorf("signature %d: err = %v, want pass = %v", i, v.Err, tt.pass)
				}
			}
		})
	}
}

func TestDurations(t *testing.T) {
	k := testKeys(t)
	s, err := k.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(s, testMessage("x\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	d := s.Durations()
	got := slices.Sorted(func(yield func(string) bool) {
		for a := range d {
			if !yield(a) {
				return
			}
		}
	})
	if want := []string{Ed25519SHA256, RSASHA256}; !slices.Equal(got, want) {
		t.Errorf("Durations keys = %v, want %v", got, want)
	}
	for a, v := range d {
		if v < 0 {
			t.Errorf("Durations[%s] = %v", a, v)
		}
	}
}

// failingSigner has a real public key but cannot sign.
type failingSigner struct{ crypto.Signer }

var errNoSign = errors.New("hardware key unplugged")

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errNoSign
}

func TestCloseErrors(t *testing.T) {
	k := testKeys(t)
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	failing := &Keys{Domain: testDomain, Keys: []Key{
		k.Keys[1], // RSA, signs fine
		{Selector: "broken", Algorithm: Ed25519SHA256, Signer: failingSigner{ek}},
	}}
	tests := []struct {
		name string
		keys *Keys
		msg  string
		want error // nil: any error
	}{
		{"header never ends", k, "From: a@leak.example\r\nSubject: x\r\n", nil},
		{"header starts with a folded line", k, " 8\r\nFrom: a@leak.example\r\n\r\nx\r\n", nil},
		{"key cannot sign", failing, testMessage("x\r\n"), errNoSign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			s, err := tt.keys.NewSigner()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(s, tt.msg); err != nil {
				t.Fatal(err)
			}
			err = s.Close()
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Close = %v, want %v", err, tt.want)
			}
			if err2 := s.Close(); err2 != err {
				t.Errorf("second Close = %v, want %v", err2, err)
			}
			if s.Header() != "" {
				t.Errorf("Header after failed Close = %q, want empty", s.Header())
			}
			if _, err := s.Write([]byte("x")); err == nil {
				t.Error("Write after failed Close succeeded")
			}
			s.Abort()
			waitGoroutines(t, before)
		})
	}
}

func TestAbortReleasesGoroutines(t *testing.T) {
	k := testKeys(t)
	msg := testMessage(sizedBody(100 << 10))
	headerEnd := strings.Index(msg, "\r\n\r\n")
	tests := []struct {
		name  string
		write int  // octets of msg to write first
		close bool // Close before Abort
	}{
		{"before any write", 0, false},
		{"inside the header", headerEnd / 2, false},
		{"inside the body", headerEnd + 50<<10, false},
		{"after the whole message", len(msg), false},
		{"after Close", len(msg), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			s, err := k.NewSigner()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(s, msg[:tt.write]); err != nil {
				t.Fatal(err)
			}
			if tt.close {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
			h := s.Header()
			s.Abort()
			s.Abort()
			waitGoroutines(t, before)
			if tt.close {
				if s.Header() != h || s.Close() != nil {
					t.Error("Abort after Close undid the signatures")
				}
				return
			}
			if err := s.Close(); !errors.Is(err, errAborted) {
				t.Errorf("Close after Abort = %v, want errAborted", err)
			}
			if _, err := s.Write([]byte("x")); !errors.Is(err, errAborted) {
				t.Errorf("Write after Abort = %v, want errAborted", err)
			}
		})
	}
}

func TestWriteAfterClose(t *testing.T) {
	k := testKeys(t)
	s, err := k.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	if _, err := io.WriteString(s, testMessage("x\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("more")); !errors.Is(err, errClosed) {
		t.Errorf("Write after Close = %v, want errClosed", err)
	}
}

func TestNewSignerRejects(t *testing.T) {
	k := testKeys(t)
	rsaKey, edKey := k.Keys[1], k.Keys[0]
	mislabelled := edKey
	mislabelled.Algorithm = RSASHA256
	badSelector := edKey
	badSelector.Selector = "../etc"
	tests := []struct {
		name string
		keys *Keys
	}{
		{"no keys", &Keys{Domain: testDomain}},
		{"bad domain", &Keys{Domain: "leak example", Keys: []Key{rsaKey}}},
		{"algorithm mismatch", &Keys{Domain: testDomain, Keys: []Key{mislabelled}}},
		{"unknown algorithm", &Keys{Domain: testDomain, Keys: []Key{{Selector: "x", Algorithm: "dsa", Signer: edKey.Signer}}}},
		{"bad selector", &Keys{Domain: testDomain, Keys: []Key{badSelector}}},
		{"nil signer", &Keys{Domain: testDomain, Keys: []Key{{Selector: "x", Algorithm: Ed25519SHA256}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			if s, err := tt.keys.NewSigner(); err == nil {
				s.Abort()
				t.Fatal("NewSigner succeeded")
			}
			waitGoroutines(t, before)
		})
	}
}

// Keys.Precision rounds each signature's t= down, as the copy's Date is: a
// timestamp to the second would tell when the sender sent.
func TestPrecisionRoundsTimestamp(t *testing.T) {
	k := *testKeys(t)
	k.Precision = time.Hour
	s, err := k.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(s, testMessage("Hello\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ts := regexp.MustCompile(`[;\s]t=(\d+);`).FindAllStringSubmatch(s.Header(), -1)
	if len(ts) != 2 {
		t.Fatalf("%d t= tags in\n%s\nwant 2", len(ts), s.Header())
	}
	for _, m := range ts {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		if n%3600 != 0 || time.Since(time.Unix(n, 0)) > time.Hour {
			t.Errorf("t=%s with a precision of an hour, want the hour begun", m[1])
		}
	}
}
