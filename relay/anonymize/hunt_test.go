package anonymize

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"leak/relay/content/refusal"
)

// Attachments cleaned by what they are, not by the label a client gave
// them, and the subject and file names checked as the text is.

const huntHeader = "From: Alice Smith <alice@sender.example>\nTo: to+bob=example.com@leak.example\nSubject: hello\nMIME-Version: 1.0\n"

// attached is a message with a text part and one attachment.
func attached(ctype, name, body string) []byte {
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	return crlfMsg(huntHeader + "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nsee attached\n--x\n" +
		"Content-Type: " + ctype + "; name=\"" + name + "\"\nContent-Disposition: attachment; filename=\"" + name + "\"\n" +
		"Content-Transfer-Encoding: base64\n\n" + wrap76(enc) + "--x--\n")
}

const outlookInvite = `BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
METHOD:REQUEST
X-MS-OLK-FORCEINSPECTOROPEN:TRUE
BEGIN:VEVENT
ATTENDEE;CN=Bob;RSVP=TRUE:mailto:bob@example.com
ATTENDEE;CN="Carol Jones";RSVP=TRUE:mailto:carol@sender.example
UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5A601000000000000000010000000ALICEPC
DTSTAMP:20261120T113012Z
DTSTART:20261201T100000Z
DTEND:20261201T110000Z
SUMMARY:Catch-up
X-MICROSOFT-CDO-OWNERAPPTID:-1234567890
END:VEVENT
END:VCALENDAR
`

// A calendar sent as application/octet-stream or text/x-vcalendar went
// through the text cleaner, which knows nothing of its X- properties and
// UID.
func TestCalendarUnderOtherTypes(t *testing.T) {
	for _, c := range []struct{ ctype, name string }{
		{"application/octet-stream", "invite.ics"},
		{"application/octet-stream", "invite.bin"},
		{"text/x-vcalendar", "invite.vcs"},
		{"text/plain", "invite.txt"},
	} {
		outs, err := rewrite(t, attached(c.ctype, c.name, outlookInvite))
		if err != nil {
			t.Errorf("%s %s: %v", c.ctype, c.name, err)
			continue
		}
		out := decodeView(outs[0]).text.String()
		for _, gone := range []string{"X-MS-OLK", "ALICEPC", "X-MICROSOFT-CDO"} {
			if strings.Contains(out, gone) {
				t.Errorf("%s %s: %q survives", c.ctype, c.name, gone)
			}
		}
		if !strings.Contains(out, "Catch-up") {
			t.Errorf("%s %s: the event is gone:\n%s", c.ctype, c.name, out)
		}
	}
}

// The sender's own card, attached under a generic type, is dropped as it
// is under text/vcard, not refused for holding their address.
func TestOwnCardUnderGenericType(t *testing.T) {
	card := "BEGIN:VCARD\nVERSION:3.0\nN:Smith;Alice;;;\nFN:Alice Smith\nTEL;TYPE=CELL:+44 7700 900123\nEMAIL:alice@sender.example\nEND:VCARD\n"
	outs, err := rewrite(t, attached("application/octet-stream", "Alice Smith.vcf", card))
	if err != nil {
		t.Fatal(err)
	}
	if out := decodeView(outs[0]).text.String(); strings.Contains(out, "7700 900123") {
		t.Errorf("the sender's card survives:\n%s", out)
	}
}

// An HTML file labelled application/octet-stream is cleaned as HTML.
func TestHTMLUnderGenericType(t *testing.T) {
	page := `<html><head><meta name="author" content="Alice Smith (asmith)"></head><body><p>KEEP-PAGE</p><img src="https://track.sender.example/open?u=8812"></body></html>`
	outs, err := rewrite(t, attached("application/octet-stream", "page.html", page))
	if err != nil {
		t.Fatal(err)
	}
	out := decodeView(outs[0]).text.String()
	for _, gone := range []string{"asmith", "track.sender.example"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q survives:\n%s", gone, out)
		}
	}
	if !strings.Contains(out, "KEEP-PAGE") {
		t.Errorf("the page is gone:\n%s", out)
	}
}

// Watch and AMP alternatives go; the HTML part stays.
func TestRedundantAlternatives(t *testing.T) {
	for _, typ := range []string{"text/watch-html", "text/x-amp-html"} {
		msg := crlfMsg(huntHeader + "Content-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/plain\n\nhello\n--x\n" +
			"Content-Type: " + typ + "; charset=utf-8\n\n<div class=\"gmail_signature\">Sender Corp</div><amp-img src=\"https://track.sender.example/p.gif\"></amp-img>\n" +
			"--x\nContent-Type: text/html; charset=utf-8\n\n<p>KEEP-HTML</p>\n--x--\n")
		outs, err := rewrite(t, msg)
		if err != nil {
			t.Fatal(err)
		}
		out := string(outs[0])
		if strings.Contains(out, "track.sender.example") || strings.Contains(out, typ) {
			t.Errorf("%s survives:\n%s", typ, out)
		}
		if !strings.Contains(out, "KEEP-HTML") {
			t.Errorf("the HTML part is gone:\n%s", out)
		}
	}
}

const armoredKey = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEaxU8dBYJKwYBBAHaRw8BAQdAqFE5xt/QUp102tZHCtGzQrxmHb4YVcCccNwk
morlEb60IkFsaWNlIFNtaXRoIDxhbGljZUBzZW5kZXIuZXhhbXBsZT6IkAQTFggA
=/2hg
-----END PGP PUBLIC KEY BLOCK-----
`

// A key or a detached signature sent as application/octet-stream is dropped
// as application/pgp-keys is: its user id is the sender's name and address.
func TestPGPFilesUnderGenericType(t *testing.T) {
	for _, name := range []string{"OpenPGP_0x5607463F30D03B8A.asc", "key.bin"} {
		outs, err := rewrite(t, attached("application/octet-stream", name, armoredKey))
		if err != nil {
			t.Fatal(err)
		}
		out := string(outs[0])
		if strings.Contains(out, "mDMEaxU8dBYJ") || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte("-----BEGIN PGP"))[:16]) {
			t.Errorf("%s: the key survives:\n%s", name, out)
		}
	}
}

// The subject is checked as the text is: the sender's display name is
// replaced, their address refused.
func TestSubjectChecked(t *testing.T) {
	msg := crlfMsg(strings.Replace(huntHeader, "Subject: hello", "Subject: notes from Alice Smith", 1) + "Content-Type: text/plain\n\nhi\n")
	outs, err := rewrite(t, msg)
	if err != nil {
		t.Fatal(err)
	}
	if out := string(outs[0]); strings.Contains(out, "Alice Smith") || !strings.Contains(out, "Subject: notes from Someone") {
		t.Errorf("subject not cleaned:\n%s", out)
	}
	msg = crlfMsg(strings.Replace(huntHeader, "Subject: hello", "Subject: write to alice@sender.example", 1) + "Content-Type: text/plain\n\nhi\n")
	if got, _ := refusedAs(t, testOptions(), msg, ""); got != refusal.Identifying {
		t.Errorf("a subject with the sender's address: %v, want a refusal", got)
	}
}

// File names are checked too: the display name replaced, a name holding
// the sender's address made plain.
func TestFileNamesChecked(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"CV Alice Smith.txt", `filename="CV Someone.txt"`},
		{"alice@sender.example.csv", `filename="file.csv"`},
	} {
		outs, err := rewrite(t, attached("text/plain", c.name, "a,b\n1,2\n"))
		if err != nil {
			t.Fatal(err)
		}
		out := string(outs[0])
		if !strings.Contains(out, c.want) || strings.Contains(out, "Alice Smith") || strings.Contains(out, "alice@") {
			t.Errorf("%q: want %s in\n%s", c.name, c.want, out)
		}
	}
}

// A sub-addressed sender's base mailbox identifies them as well.
func TestSubaddressBase(t *testing.T) {
	msg := crlfMsg(strings.Replace(huntHeader, "alice@sender.example", "alice+leak@sender.example", 1) + "Content-Type: text/plain\n\nreach me at alice@sender.example\n")
	if got, _ := refusedAs(t, testOptions(), msg, "alice+leak@sender.example"); got != refusal.Identifying {
		t.Errorf("the base mailbox in the text: %v, want a refusal", got)
	}
}

// The sender's own bounce, forwarded, names them as Final-Recipient.
func TestOwnBounceRefused(t *testing.T) {
	msg := crlfMsg(huntHeader + "Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\nContent-Type: text/plain\n\nfyi\n" +
		"--x\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; alice@sender.example\nAction: failed\nStatus: 5.2.2\n--x--\n")
	if got, _ := refusedAs(t, testOptions(), msg, "alice@sender.example"); got != refusal.Identifying {
		t.Errorf("got %v, want a refusal", got)
	}
}

// tnefRTF is a winmail.dat whose only body is PidTagRtfCompressed, stored
// uncompressed ("MELA"), as Outlook sends a rich-text message.
func tnefRTF(rtf string) []byte {
	le := binary.LittleEndian
	val := le.AppendUint32(nil, uint32(len(rtf)+12))
	val = le.AppendUint32(val, uint32(len(rtf)))
	val = le.AppendUint32(val, 0x414C454D) // MELA
	val = le.AppendUint32(val, 0)
	val = append(val, rtf...)
	props := le.AppendUint32(nil, 1)
	props = le.AppendUint16(props, 0x0102) // PT_BINARY
	props = le.AppendUint16(props, 0x1009) // PidTagRtfCompressed
	props = le.AppendUint32(props, 1)
	props = le.AppendUint32(props, uint32(len(val)))
	props = append(props, val...)
	props = append(props, make([]byte, (4-len(val)%4)%4)...)
	b := le.AppendUint32(nil, 0x223E9F78)
	b = le.AppendUint16(b, 0x1234)
	b = append(b, 1)
	b = le.AppendUint32(b, 0x00069003) // attMAPIProps
	b = le.AppendUint32(b, uint32(len(props)))
	b = append(b, props...)
	var sum uint16
	for _, c := range props {
		sum += uint16(c)
	}
	return le.AppendUint16(b, sum)
}

// An Outlook rich-text body inside winmail.dat is checked as a text body:
// the display name replaced, the sender's address refused.
func TestTNEFRTFBody(t *testing.T) {
	rtf := "{\\rtf1\\ansi\\ansicpg1252\\fromtext \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}\r\n\\pard\\f0\\fs20 Hi Bob,\\par\r\nKEEP-RTF\\par\r\nAlice Smith\\par\r\n}"
	msg := func(rtf string) []byte {
		return crlfMsg(huntHeader + "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nHi Bob\n--x\n" +
			"Content-Type: application/ms-tnef; name=\"winmail.dat\"\nContent-Disposition: attachment; filename=\"winmail.dat\"\n" +
			"Content-Transfer-Encoding: base64\n\n" + wrap76(base64.StdEncoding.EncodeToString(tnefRTF(rtf))) + "--x--\n")
	}
	outs, err := rewrite(t, msg(rtf))
	if err != nil {
		t.Fatal(err)
	}
	out := decodeView(outs[0]).text.String()
	if strings.Contains(out, "Alice Smith") || !strings.Contains(out, "KEEP-RTF") || !strings.Contains(out, "Someone") {
		t.Errorf("the RTF body:\n%s", out)
	}
	// A name beyond ASCII, as Outlook escapes it in the code page or as
	// Unicode.
	for _, spelled := range []string{`J\'f6rg M\'fcller`, `J\'F6rg M\'FCller`, `J\u246?rg M\u252?ller`, `J\u246\'f6rg M\u252\'fcller`} {
		m := []byte(strings.Replace(string(msg(strings.Replace(rtf, "Alice Smith", spelled, 1))), "Alice Smith <", "=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <", 1))
		outs, err := rewrite(t, m)
		if err != nil {
			t.Fatal(err)
		}
		if out := decodeView(outs[0]).text.String(); strings.Contains(out, "rg M") || !strings.Contains(out, "Someone") {
			t.Errorf("%s survives:\n%s", spelled, out)
		}
	}
	withAddress := strings.Replace(rtf, "Alice Smith", "alice@sender.example", 1)
	if got, _ := refusedAs(t, testOptions(), msg(withAddress), ""); got != refusal.Identifying {
		t.Errorf("the sender's address in the RTF body: %v, want a refusal", got)
	}
}

// Reply and forward prefixes in the sender's language tell it, and their
// client: they are written as English clients write them.
func TestReplyPrefixes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"AW: WG: budget", "Re: Fwd: budget"},
		{"SV: Re[2]: möte", "Re: Re: möte"},
		{"Antw: Doorst: offerte", "Re: Fwd: offerte"},
		{"TR: rapport", "Fwd: rapport"},
		{"Re: budget", "Re: budget"},
		{"Treasury: figures", "Treasury: figures"},
		{"Res: resolution: the vote", "Re: resolution: the vote"},
		{"Awesome: news", "Awesome: news"},
	} {
		if got := replyPrefixes(c.in); got != c.want {
			t.Errorf("replyPrefixes(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A display name is replaced however the directory wrote it, and the names
// in Sender and Reply-To count too.
func TestNameVariants(t *testing.T) {
	for _, from := range []string{`"Quintavious, Zorblax"`, `"Quintavious, Zorblax (ACME)"`, `"QUINTAVIOUS Zorblax"`, `"Zorblax Quintavious [External]"`} {
		msg := crlfMsg("From: " + from + " <zq@sender.example>\nTo: to+bob=example.com@leak.example\nSubject: hi\nMIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n\nHello Bob, see you.\nZorblax Quintavious will call.\n")
		outs, err := rewrite(t, msg)
		if err != nil {
			t.Fatal(err)
		}
		if v := decodeView(outs[0]).text.String(); strings.Contains(v, "Quintavious") || !strings.Contains(v, "Someone will call.") {
			t.Errorf("From %s: the name survives:\n%s", from, v)
		}
	}
	msg := crlfMsg("From: ACME Support <support@sender.example>\nSender: Zorblax Quintavious <zq@sender.example>\n" +
		"To: to+bob=example.com@leak.example\nSubject: hi\nMIME-Version: 1.0\nContent-Type: text/plain\n\nHello, Zorblax Quintavious here.\n")
	outs, err := rewrite(t, msg)
	if err != nil {
		t.Fatal(err)
	}
	if v := decodeView(outs[0]).text.String(); strings.Contains(v, "Quintavious") {
		t.Errorf("the Sender field's name survives:\n%s", v)
	}
}

// A copy is dated by its Copy.Date, rounded as the rewrite's own time is:
// its Date, Received and a calendar's DTSTAMP.
func TestCopyDate(t *testing.T) {
	o := testOptions()
	o.DatePrecision = time.Hour
	leaves := time.Date(2026, 12, 6, 14, 37, 12, 0, time.UTC)
	msg := crlfMsg(huntHeader + "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi\n--x\n" +
		"Content-Type: text/calendar; method=REQUEST; charset=utf-8\n\nBEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REQUEST\n" +
		"BEGIN:VEVENT\nUID:abc\nDTSTAMP:20261120T113012Z\nDTSTART:20261201T100000Z\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n--x--\n")
	var out bytes.Buffer
	err := New(o).Rewrite(bytes.NewReader(msg), []Copy{{To: "bob@example.com", Relationship: "a friend", W: &out, Date: leaves}})
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(out.String(), "\r\n ", " ") // unfolded
	for _, want := range []string{"Date: Sun, 06 Dec 2026 14:00:00 +0000", "; Sun, 06 Dec 2026 14:00:00 +0000", "DTSTAMP:20261206T140000Z"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q missing:\n%s", want, s)
		}
	}
}
