package bounce

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// is, up to case, exactly the address Address gives for the id it returns.
func FuzzParse(f *testing.F) {
	tk := NewTokens(testKey)
	addr := tk.Address(testQID, "leak.example")
	f.Add(addr)
	f.Add(strings.ToUpper(addr))
	f.Add(tk.Address("0123456789abcdef0123456789abcdef", "relay.example.org"))
	f.Add(addr[:len(addr)-1])
	f.Add(strings.Replace(addr, "@", "a@", 1))
	f.Add(Prefix + testQID + "@leak.example")
	f.Add("to+bob=example.com@leak.example")
	f.Add("")
	f.Fuzz(func(t *testing.T, rcpt string) {
		qid, ok := tk.Parse(rcpt)
		if !ok {
			if qid != "" {
				t.Fatalf("Parse(%q) = %q, false", rcpt, qid)
			}
			return
		}
		var raw [qidBytes]byte
		if !decodeQID(raw[:], qid) {
			t.Fatalf("Parse(%q) = %q, not a spool id", rcpt, qid)
		}
		at := strings.LastIndexByte(rcpt, '@')
		again := tk.Address(qid, rcpt[at+1:])
		if !strings.EqualFold(again, rcpt) || again[at:] != rcpt[at:] {
			t.Fatalf("Parse(%q) = %q, but Address gives %q", rcpt, qid, again)
		}
	})
}

// FuzzParseDSN checks that ParseDSN never panics and keeps its promises:
// a non-nil DSN, recipients only without error, only known actions and
// well-formed statuses, Permanent exactly for failed 5.x.x, and errors of
// the two documented kinds.
func FuzzParseDSN(f *testing.F) {
	for _, tt := range sampleCases {
		raw := readSample(f, tt.file)
		f.Add(raw)
		f.Add(crlf(raw))
	}
	f.Add([]byte(report(perMessage + "Action: failed\r\nStatus: 5.1.1\r\n")))
	f.Add([]byte(nested(3, "Action: delayed\r\nStatus: 4.4.1\r\n")))
	f.Add([]byte("Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\nQWN0aW9uOiBmYWlsZWQNClN0YXR1czogNS4xLjENCg==\r\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=\"\"\r\n\r\n--\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		d, err := ParseDSN(bytes.NewReader(msg), 1<<16)
		if d == nil {
			t.Fatal("nil DSN")
		}
		if err != nil {
			if len(d.Recipients) != 0 {
				t.Fatalf("error %v with recipients %+v", err, d.Recipients)
			}
			if !errors.Is(err, ErrNotDSN) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is neither ErrNotDSN nor ErrMalformed", err)
			}
			return
		}
		if len(d.Recipients) == 0 || len(d.Recipients) > maxRecipients {
			t.Fatalf("%d recipients without error", len(d.Recipients))
		}
		for _, rs := range d.Recipients {
			switch rs.Action {
			case "failed", "delayed", "delivered", "relayed", "expanded":
			default:
				t.Fatalf("action %q", rs.Action)
			}
			if rs.Status != "" && !validStatus(rs.Status) {
				t.Fatalf("status %q", rs.Status)
			}
			if rs.Permanent != (rs.Action == "failed" && strings.HasPrefix(rs.Status, "5.")) {
				t.Fatalf("Permanent %v for %+v", rs.Permanent, rs)
			}
		}
	})
}
