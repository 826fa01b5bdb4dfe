package bounce

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The samples in testdata are synthetic, written after what Postfix, Exim,
// Exchange Online and qmail send, with .example domains.
var sampleCases = []struct {
	file string
	want []RecipientStatus
	err  error
}{
	{"postfix-failed.eml", []RecipientStatus{{"failed", "5.1.1", true}}, nil},
	{"postfix-delayed.eml", []RecipientStatus{{"delayed", "4.4.1", false}}, nil},
	// Postfix giving up after maximal_queue_lifetime: failed, but 4.x.x.
	{"postfix-expired.eml", []RecipientStatus{{"failed", "4.4.1", false}}, nil},
	{"postfix-delivered.eml", []RecipientStatus{{"delivered", "2.0.0", false}}, nil},
	{"exim-failed.eml", []RecipientStatus{{"failed", "5.0.0", true}}, nil},
	{"exim-delayed.eml", []RecipientStatus{{"delayed", "4.0.0", false}}, nil},
	{"exchange-failed.eml", []RecipientStatus{{"failed", "5.1.10", true}}, nil},
	{"qmail-plain.eml", nil, ErrNotDSN},
	{"plain-undelivered.eml", nil, ErrNotDSN},
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// crlf turns LF line ends into CRLF, as they arrive over SMTP.
func crlf(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}

func TestParseDSNSamples(t *testing.T) {
	t.Parallel()
	for _, tt := range sampleCases {
		raw := readSample(t, tt.file)
		for _, form := range []struct {
			name string
			b    []byte
		}{{"LF", raw}, {"CRLF", crlf(raw)}} {
			d, err := ParseDSN(bytes.NewReader(form.b), 0)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Errorf("%s (%s): error %v, want %v", tt.file, form.name, err, tt.err)
			}
			if d == nil {
				t.Fatalf("%s (%s): nil DSN", tt.file, form.name)
			}
			if !reflect.DeepEqual(d.Recipients, tt.want) {
				t.Errorf("%s (%s): %+v, want %+v", tt.file, form.name, d.Recipients, tt.want)
			}
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestParseDSNStopsAtStatus(t *testing.T) {
	t.Parallel()
	// A returned message far over the limit: ParseDSN never reads it.
	raw := readSample(t, "postfix-failed.eml")
	head, tail, _ := bytes.Cut(raw, []byte("Content-Description: Undelivered Message"))
	huge := bytes.Repeat([]byte("The original body, which must never be read.\n"), 200_000)
	msg := append(append(append(append([]byte{}, head...), "Content-Description: Undelivered Message"...), tail[:len(tail)-60]...), huge...)
	cr := &countingReader{r: bytes.NewReader(msg)}
	d, err := ParseDSN(cr, 64<<10)
	if err != nil || len(d.Recipients) != 1 || !d.Recipients[0].Permanent {
		t.Fatalf("ParseDSN = %+v, %v", d, err)
	}
	if cr.n > len(head)+64<<10 {
		t.Errorf("read %d bytes of %d; the status part ends before %d", cr.n, len(msg), len(head))
	}
}

// report builds a multipart/report around the given delivery-status body.
func report(status string) string {
	return "From: MAILER-DAEMON@mx.bob.example\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n" +
		"\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nIt failed.\r\n" +
		"--b1\r\nContent-Type: message/delivery-status\r\n\r\n" + status + "\r\n" +
		"--b1--\r\n"
}

const perMessage = "Reporting-MTA: dns; mx.bob.example\r\n\r\n"

func TestParseDSNFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status string
		want   []RecipientStatus
	}{
		{"comments", perMessage + "Final-Recipient: rfc822; bob@bob.example\r\nAction: failed (bad mailbox)\r\nStatus: 5.1.1 (bad destination mailbox address)\r\n",
			[]RecipientStatus{{"failed", "5.1.1", true}}},
		{"case and space", perMessage + "final-recipient:rfc822;bob@bob.example\r\naction :  FAILED  \r\nSTATUS:5.7.1\r\n",
			[]RecipientStatus{{"failed", "5.7.1", true}}},
		{"folded status", perMessage + "Action: failed\r\nStatus:\r\n 5.2.2\r\n",
			[]RecipientStatus{{"failed", "5.2.2", true}}},
		{"soft failure", perMessage + "Action: failed\r\nStatus: 4.2.2\r\n",
			[]RecipientStatus{{"failed", "4.2.2", false}}},
		{"missing status", perMessage + "Action: failed\r\n",
			[]RecipientStatus{{"failed", "", false}}},
		{"smtp code as status", perMessage + "Action: failed\r\nStatus: 550\r\n",
			[]RecipientStatus{{"failed", "", false}}},
		{"bad class", perMessage + "Action: failed\r\nStatus: 3.1.1\r\n",
			[]RecipientStatus{{"failed", "", false}}},
		{"long detail", perMessage + "Action: failed\r\nStatus: 5.1.1000\r\n",
			[]RecipientStatus{{"failed", "", false}}},
		{"delayed 5.x.x", perMessage + "Action: delayed\r\nStatus: 5.0.0\r\n",
			[]RecipientStatus{{"delayed", "5.0.0", false}}},
		{"relayed and expanded", perMessage + "Action: relayed\r\nStatus: 2.0.0\r\n\r\nAction: expanded\r\nStatus: 2.0.0\r\n",
			[]RecipientStatus{{"relayed", "2.0.0", false}, {"expanded", "2.0.0", false}}},
		{"two recipients", perMessage + "Final-Recipient: rfc822; a@bob.example\r\nAction: delayed\r\nStatus: 4.4.7\r\n\r\nFinal-Recipient: rfc822; b@bob.example\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]RecipientStatus{{"delayed", "4.4.7", false}, {"failed", "5.1.1", true}}},
		{"unknown action skipped", perMessage + "Action: bounced\r\nStatus: 5.1.1\r\n\r\nAction: failed\r\nStatus: 5.1.2\r\n",
			[]RecipientStatus{{"failed", "5.1.2", true}}},
		{"first field wins", perMessage + "Action: delayed\r\nAction: failed\r\nStatus: 4.0.0\r\nStatus: 5.0.0\r\n",
			[]RecipientStatus{{"delayed", "4.0.0", false}}},
		{"blank line with spaces", "Reporting-MTA: dns; mx.bob.example\r\n  \t\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]RecipientStatus{{"failed", "5.1.1", true}}},
		{"no per-message block, no final newline", "Action: failed\r\nStatus: 5.1.1",
			[]RecipientStatus{{"failed", "5.1.1", true}}},
		{"extra blank lines and junk", "\r\n\r\n" + perMessage + "\r\n\r\nnot a field\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\r\n",
			[]RecipientStatus{{"failed", "5.1.1", true}}},
		{"overlong line dropped", perMessage + "Diagnostic-Code: smtp; " + strings.Repeat("x", 5000) + "\r\n Status: 4.0.0\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]RecipientStatus{{"failed", "5.1.1", true}}},
	}
	for _, tt := range tests {
		d, err := ParseDSN(strings.NewReader(report(tt.status)), 0)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(d.Recipients, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, d.Recipients, tt.want)
		}
	}
}

func TestParseDSNStructures(t *testing.T) {
	t.Parallel()
	const status = "Reporting-MTA: dns; mx.bob.example\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	failed := []RecipientStatus{{"failed", "5.1.1", true}}
	tests := []struct {
		name string
		msg  string
		want []RecipientStatus
		err  error
	}{
		{"base64 status part",
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				"UmVwb3J0aW5nLU1UQTogZG5zOyBteC5ib2IuZXhhbXBsZQ0KDQpBY3Rpb246IGZhaWxlZA0KU3Rh\r\ndHVzOiA1LjEuMQ0K\r\n--b--\r\n",
			failed, nil},
		{"global delivery status (RFC 6533)",
			"Content-Type: multipart/report; report-type=global-delivery-status; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: message/global-delivery-status\r\n\r\n" + status + "--b--\r\n",
			failed, nil},
		{"status part alone",
			"Content-Type: message/delivery-status\r\n\r\n" + status,
			failed, nil},
		{"report inside multipart/mixed",
			"Content-Type: multipart/mixed; boundary=outer\r\n\r\n" +
				"--outer\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
				"--outer\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=inner\r\n\r\n" +
				"--inner\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
				"--inner\r\nContent-Type: message/delivery-status\r\n\r\n" + status + "--inner--\r\nepilogue\r\n" +
				"--outer--\r\n",
			failed, nil},
		{"status after the returned message",
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: original\r\n\r\nbody\r\n" +
				"--b\r\nContent-Type: message/delivery-status\r\n\r\n" + status + "--b--\r\n",
			failed, nil},
		{"status only inside the returned message",
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
				"--b\r\nContent-Type: message/rfc822\r\n\r\n" +
				"Content-Type: multipart/report; report-type=delivery-status; boundary=c\r\n\r\n" +
				"--c\r\nContent-Type: message/delivery-status\r\n\r\n" + status + "--c--\r\n" +
				"--b--\r\n",
			nil, ErrNotDSN},
		{"feedback report (ARF)",
			"Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n\r\nabuse\r\n" +
				"--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n" +
				"--b--\r\n",
			nil, ErrNotDSN},
		{"no content type", "Subject: Undelivered Mail\r\n\r\nsorry\r\n", nil, ErrNotDSN},
		{"unparseable content type", "Content-Type: ;;;\r\n\r\nsorry\r\n", nil, ErrNotDSN},
		{"empty", "", nil, ErrNotDSN},

		{"report without status part",
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n",
			nil, ErrMalformed},
		{"no boundary",
			"Content-Type: multipart/report; report-type=delivery-status\r\n\r\n--b\r\n",
			nil, ErrMalformed},
		{"status without recipient block",
			"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.bob.example\r\n",
			nil, ErrMalformed},
		{"status with only unknown actions",
			"Content-Type: message/delivery-status\r\n\r\nAction: bounced\r\nStatus: 5.1.1\r\n",
			nil, ErrMalformed},
		{"unknown transfer encoding",
			"Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: x-rot13\r\n\r\n" + status,
			nil, ErrMalformed},
		{"corrupt base64",
			"Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n",
			nil, ErrMalformed},
		{"truncated multipart",
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n\r\nfailed, and then noth",
			nil, ErrMalformed},
		{"truncated status part",
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\nStat",
			nil, ErrMalformed},
		{"broken header", "Content-Type: multipart/report\r\nthis is no header line\r\n\r\n", nil, ErrMalformed},
		{"too deep", nested(maxDepth+1, status), nil, ErrMalformed},
		{"deep enough", nested(maxDepth, status), failed, nil},
		{"too many parts",
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n", maxParts+1) +
				"--b\r\nContent-Type: message/delivery-status\r\n\r\n" + status + "--b--\r\n",
			nil, ErrMalformed},
		{"status part too large",
			"Content-Type: message/delivery-status\r\n\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 70)+"\r\n", maxStatusBytes/70) + "\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			nil, ErrMalformed},
		{"header too large",
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 70)+"\r\n", 2*maxHeaderBytes/70) + "\r\n",
			nil, ErrMalformed},
		{"part header too large",
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 70)+"\r\n", 2*maxHeaderBytes/70) + "\r\nx\r\n--b--\r\n",
			nil, ErrMalformed},
	}
	for _, tt := range tests {
		d, err := ParseDSN(strings.NewReader(tt.msg), 0)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
		}
		if d == nil {
			t.Fatalf("%s: nil DSN", tt.name)
		}
		if !reflect.DeepEqual(d.Recipients, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, d.Recipients, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "@") || strings.Contains(err.Error(), "example")) {
			t.Errorf("%s: error text quotes the message: %v", tt.name, err)
		}
	}
}

func TestParseDSNLimit(t *testing.T) {
	t.Parallel()
	raw := crlf(readSample(t, "exchange-failed.eml"))
	end := bytes.Index(raw, []byte("Content-Type: message/rfc822"))
	// Enough for the status part: parsed.
	if d, err := ParseDSN(bytes.NewReader(raw), int64(end)); err != nil || len(d.Recipients) != 1 {
		t.Errorf("limit past the status part: %+v, %v", d, err)
	}
	// Cut before it: an error saying so, not a clean "not a DSN".
	d, err := ParseDSN(bytes.NewReader(raw), 1000)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "over 1000 bytes") || len(d.Recipients) != 0 {
		t.Errorf("limit before the status part: %+v, %v", d, err)
	}
	// A message exactly as long as the limit is whole.
	msg := []byte(report(perMessage + "Action: failed\r\nStatus: 5.1.1\r\n"))
	if _, err := ParseDSN(bytes.NewReader(msg), int64(len(msg))); err != nil {
		t.Errorf("limit = length: %v", err)
	}
	if _, err := ParseDSN(bytes.NewReader(msg), math.MaxInt64); err != nil {
		t.Errorf("no practical limit: %v", err)
	}
}

// nested wraps a delivery-status part in depth multiparts.
func nested(depth int, status string) string {
	var b strings.Builder
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=d%d\r\n\r\n--d%d\r\n", i, i)
	}
	b.WriteString("Content-Type: message/delivery-status\r\n\r\n" + status)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "\r\n--d%d--\r\n", i)
	}
	return b.String()
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestParseDSNReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	msg := readSample(t, "postfix-failed.eml")[:400]
	_, err := ParseDSN(&failingReader{data: msg, err: boom}, 0)
	if !errors.Is(err, boom) || !errors.Is(err, ErrMalformed) {
		t.Errorf("error %v, want one wrapping the read error and ErrMalformed", err)
	}
}

// TestParseDSNMalformedReason checks that each limit is the one reported.
func TestParseDSNMalformedReason(t *testing.T) {
	t.Parallel()
	const status = "Action: failed\r\nStatus: 5.1.1\r\n"
	pad := func(n int) string { return strings.Repeat("X-Pad: "+strings.Repeat("p", 70)+"\r\n", n/70+1) }
	tests := []struct{ name, msg, reason string }{
		{"deep", nested(maxDepth+1, status), "nested deeper than 4"},
		{"parts", "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\n\r\nx\r\n", maxParts+1), "more than 64 parts"},
		{"header", "Subject: x\r\n" + pad(maxHeaderBytes+headerSlack) + "\r\n", "message header: header over 65536 bytes"},
		{"part header", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + pad(maxHeaderBytes+headerSlack) + "\r\n", "multipart structure: header over 65536 bytes"},
		{"status size", "Content-Type: message/delivery-status\r\n\r\n" + pad(maxStatusBytes) + "\r\n" + status, "delivery-status part over 65536 bytes"},
		{"no block", "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n", "without a recipient block"},
		{"no status part", "Content-Type: multipart/report; report-type=Delivery-Status; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n", "without a delivery-status part"},
	}
	for _, tt := range tests {
		_, err := ParseDSN(strings.NewReader(tt.msg), 0)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: %v, want ErrMalformed saying %q", tt.name, err, tt.reason)
		}
	}
}
