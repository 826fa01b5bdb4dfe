package anonymize

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"
)

// The plain-text alternative carries the stored signature the HTML part
// marks, with no marker of its own: it waits for the HTML part and loses
// the lines the HTML part's signature holds.

const outlookSigHeader = "From: Aoife Brennan <a.brennan@brennan-procure.example>\nTo: to+bob=example.com@leak.example\nSubject: RE: Q3 numbers\nMIME-Version: 1.0\n"

// outlookSigText is Outlook's plain-text rendering of outlookSigHTML.
const outlookSigText = `KEEP-body The numbers are in.

Kind regards,
Aoife
Head of Procurement | Brennan Procurement
Tel: +353 1 555 0187
www.brennan-procure.example<https://www.brennan-procure.example/>
[cid:image001.png@01DA4F2E.8B5C9A10]

From: Bob Jones <bob@example.com>
Sent: Monday, November 2, 2026 17:02
To: Aoife
Subject: Q3 numbers

KEEP-quoted Are the numbers in?
`

const outlookSigHTML = `<html><body><div class=WordSection1>
<p class=MsoNormal>KEEP-body The numbers are in.</p>
<p class=MsoNormal>&nbsp;</p>
<p class=MsoNormal><a name="_MailAutoSig">Kind regards,</a></p>
<p class=MsoNormal>Aoife</p>
<p class=MsoNormal><b>Head of Procurement</b> | Brennan Procurement</p>
<p class=MsoNormal>Tel: +353 1 555 0187</p>
<p class=MsoNormal><a href="https://www.brennan-procure.example/">www.brennan-procure.example</a></p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class=MsoNormal><b>From:</b> Bob Jones &lt;bob@example.com&gt;<br><b>Sent:</b> Monday, November 2, 2026 17:02<br><b>To:</b> Aoife<br><b>Subject:</b> Q3 numbers</p></div>
<p class=MsoNormal>KEEP-quoted Are the numbers in?</p>
</div></body></html>
`

var outlookSigSecrets = []string{"Head of Procurement", "555 0187", "Kind regards", "brennan-procure.example"}

func sigCopies(msg []byte) ([][]byte, error) {
	var bufs [2]bytes.Buffer
	copies := []Copy{
		{To: "bob@example.com", Relationship: "someone", W: &bufs[0], Footer: Footer{Text: "FOOTER-0-TEXT", HTML: "FOOTER-0-HTML"}},
		{To: "carol@example.org", Relationship: "a friend", W: &bufs[1], Footer: Footer{Text: "FOOTER-1-TEXT", HTML: "FOOTER-1-HTML"}},
	}
	err := New(testOptions()).Rewrite(bytes.NewReader(msg), copies)
	return [][]byte{bufs[0].Bytes(), bufs[1].Bytes()}, err
}

func TestAlternativeSignature(t *testing.T) {
	invite := "BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:1\nDTSTAMP:20261120T113012Z\nDTSTART:20261201T100000Z\n" +
		"SUMMARY:Q3 review\nDESCRIPTION:KEEP-invite Let us go through them.\\n\\nKind regards\\,\\nAoife\\nHead of Procurement | \n Brennan Procurement\\nTel: +353 1 555 0187\\n\\nKEEP-after\nEND:VEVENT\nEND:VCALENDAR\n"
	cases := []struct {
		name  string
		msg   string
		types []string
		keep  []string
	}{{
		name: "outlook",
		msg: outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
			outlookSigText + "--a\nContent-Type: text/html; charset=utf-8\n\n" + outlookSigHTML + "--a--\n",
		types: []string{"text/plain", "text/html"},
		keep:  []string{"KEEP-body", "KEEP-quoted", "From: someone"},
	}, {
		// Apple Mail and Thunderbird put the HTML part and its pictures
		// in a multipart/related; the pictures after it are not held.
		name: "related",
		msg: outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
			outlookSigText + "--a\nContent-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html; charset=utf-8\n\n" + outlookSigHTML +
			"--r\nContent-Type: image/png\nContent-ID: <image001.png@01DA4F2E.8B5C9A10>\nContent-Transfer-Encoding: base64\n\n" + wrap76(base64.StdEncoding.EncodeToString(tinyPNG(t))) + "--r--\n--a--\n",
		types: []string{"text/plain", "text/html", "image/png"},
		keep:  []string{"KEEP-body", "KEEP-quoted"},
	}, {
		// An Outlook invitation: the calendar's description is the text
		// part again, signature included.
		name: "invitation",
		msg: outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
			outlookSigText + "--a\nContent-Type: text/html; charset=utf-8\n\n" + outlookSigHTML +
			"--a\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\n\n" + invite + "--a--\n",
		types: []string{"text/plain", "text/html", "text/calendar"},
		keep:  []string{"KEEP-body", "KEEP-quoted", "KEEP-invite", "KEEP-after"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outs, err := sigCopies(crlfMsg(c.msg))
			if err != nil {
				t.Fatal(err)
			}
			for i, out := range outs {
				checkLines(t, out)
				v := decodeView(out)
				if len(v.errors) > 0 {
					t.Fatalf("copy %d: %v", i, v.errors)
				}
				var types []string
				for _, p := range v.parts {
					types = append(types, p.typ)
				}
				if strings.Join(types, " ") != strings.Join(c.types, " ") {
					t.Errorf("copy %d: parts %v, want %v", i, types, c.types)
				}
				for _, s := range outlookSigSecrets {
					if v.contains(out, s) {
						t.Errorf("copy %d: %q left in\n%s", i, s, v.text.String())
					}
				}
				for _, s := range c.keep {
					if !v.contains(out, s) {
						t.Errorf("copy %d: %q lost\n%s", i, s, v.text.String())
					}
				}
				// Each copy has its own footer in both body parts, and
				// not the other copy's.
				for j := range outs {
					for _, kind := range []string{"TEXT", "HTML"} {
						f := "FOOTER-" + string(rune('0'+j)) + "-" + kind
						want := 0
						if i == j {
							want = 1
						}
						if got := strings.Count(v.text.String(), f); got != want {
							t.Errorf("copy %d: %s %d times", i, f, got)
						}
					}
				}
			}
		})
	}
}

// A body line that is the signature's first line, where the signature
// does not go on, is the sender's own text and stays; so does a text part
// whose HTML sibling has no signature.
func TestAlternativeSignatureOnlyWhereItIs(t *testing.T) {
	text := "KEEP-body\n\nKind regards,\nBob\n"
	msg := outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
		text + "--a\nContent-Type: text/html; charset=utf-8\n\n" + outlookSigHTML + "--a--\n"
	outs, err := sigCopies(crlfMsg(msg))
	if err != nil {
		t.Fatal(err)
	}
	v := decodeView(outs[0])
	for _, s := range []string{"KEEP-body", "Kind regards,\r\nBob"} {
		if !strings.Contains(string(v.parts[0].body), s) {
			t.Errorf("%q lost from the text part:\n%s", s, v.parts[0].body)
		}
	}
	// No HTML after the text part: it is written when the alternative
	// ends, in its place.
	msg = outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
		outlookSigText + "--a\nContent-Type: text/plain; charset=utf-8\n\nKEEP-second\n--a--\n"
	outs, err = sigCopies(crlfMsg(msg))
	if err != nil {
		t.Fatal(err)
	}
	v = decodeView(outs[1])
	if len(v.parts) != 2 || !strings.Contains(string(v.parts[0].body), "KEEP-body") ||
		!strings.Contains(string(v.parts[1].body), "KEEP-second") {
		t.Errorf("parts out of order or lost: %q", v.text.String())
	}
}

// A text part too long to wait streams as before, whole.
func TestAlternativeLongText(t *testing.T) {
	line := strings.Repeat("lorem ipsum dolor sit amet ", 3) + "\n"
	long := strings.Repeat(line, holdMax/len(line)+100) + "KEEP-end\n"
	msg := outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
		long + "--a\nContent-Type: text/html; charset=utf-8\n\n" + outlookSigHTML + "--a--\n"
	outs, err := sigCopies(crlfMsg(msg))
	if err != nil {
		t.Fatal(err)
	}
	v := decodeView(outs[0])
	if len(v.parts) != 2 || !bytes.HasSuffix(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v.parts[0].body), []byte("FOOTER-0-TEXT"))), []byte("KEEP-end")) ||
		strings.Count(string(v.parts[0].body), "lorem") != 3*(holdMax/len(line)+100) {
		t.Errorf("long text part damaged: %d parts", len(v.parts))
	}
}

// A busy document budget does not make an HTML message wait: the text
// part is held in the session's memory, as a spool record is, and the
// recording takes from the budget only past its first 256 KiB, without
// waiting.
func TestAlternativeBusyBudget(t *testing.T) {
	o := testOptions()
	o.DocumentWait = 5 * time.Second
	a := New(o)
	a.budget.acquire(a.budget.max)
	defer a.budget.release(a.budget.max)
	msg := outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
		outlookSigText + "--a\nContent-Type: text/html; charset=utf-8\n\n" + outlookSigHTML + "--a--\n"
	start := time.Now()
	outs, err := rewriteWith(a, crlfMsg(msg))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the rewrite waited %v for the budget", d)
	}
	if v := decodeView(outs[0]); len(v.parts) != 2 || strings.Contains(string(v.parts[0].body), "555 0187") {
		t.Errorf("text part: %q", v.text.String())
	}
}

// Apple Mail splits its HTML around an inline picture; the signature is
// in the last piece, after the picture.
func TestAlternativeSplitHTML(t *testing.T) {
	msg := outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
		"KEEP-body Here it is.\n\nKEEP-after the picture.\n\nKind regards,\nAoife\nHead of Procurement | Brennan Procurement\nTel: +353 1 555 0187\n" +
		"--a\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/html; charset=utf-8\n\n<html><body><div>KEEP-body Here it is.</div></body></html>\n" +
		"--m\nContent-Type: image/png\nContent-Disposition: inline; filename=plan.png\nContent-Transfer-Encoding: base64\n\n" +
		wrap76(base64.StdEncoding.EncodeToString(tinyPNG(t))) +
		"--m\nContent-Type: text/html; charset=utf-8\n\n<html><body><div>KEEP-after the picture.</div><div id=\"AppleMailSignature\">Kind regards,<br>Aoife<br>" +
		"Head of Procurement | Brennan Procurement<br>Tel: +353 1 555 0187</div></body></html>\n--m--\n--a--\n"
	outs, err := sigCopies(crlfMsg(msg))
	if err != nil {
		t.Fatal(err)
	}
	v := decodeView(outs[0])
	var types []string
	for _, p := range v.parts {
		types = append(types, p.typ)
	}
	if strings.Join(types, " ") != "text/plain text/html image/png text/html" {
		t.Errorf("parts %v", types)
	}
	for _, s := range []string{"Head of Procurement", "555 0187"} {
		if v.contains(outs[0], s) {
			t.Errorf("%q left in:\n%s", s, v.text.String())
		}
	}
	if !strings.Contains(string(v.parts[0].body), "KEEP-after the picture.") {
		t.Errorf("text lost:\n%s", v.parts[0].body)
	}
}

// What follows the waiting part is recorded only up to recordMax: a large
// part after it streams to the copies while it is read.
func TestAlternativeRecordingBounded(t *testing.T) {
	line := strings.Repeat("lorem ipsum dolor sit amet ", 3) + "\r\n"
	big := strings.Repeat(line, (12<<20)/len(line))
	msg := crlfMsg(outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
		"KEEP-first\n--a\nContent-Type: text/plain; charset=utf-8\n\n")
	msg = append(append(msg, big...), "--a--\r\n"...)
	in := &countingReader{r: bytes.NewReader(msg)}
	w := &firstWrite{in: in}
	a := New(testOptions())
	if err := a.Rewrite(in, []Copy{{To: "bob@example.com", Relationship: "someone", W: w}}); err != nil {
		t.Fatal(err)
	}
	if a.budget.used != 0 {
		t.Errorf("%d octets of the document budget kept", a.budget.used)
	}
	// And when the message fails while the text part waits, past the
	// free part of the recording.
	failing := crlfMsg(outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\nKEEP-first\n" +
		"--a\nContent-Type: text/plain\n\n" + strings.Repeat(line, (1<<20)/len(line)) +
		"--a\nContent-Type: text/html\n\n<p>a.brennan@brennan-procure.example</p>\n--a--\n")
	if err := a.Rewrite(bytes.NewReader(failing), []Copy{{To: "bob@example.com", Relationship: "someone", W: io.Discard}}); err == nil {
		t.Error("the sender's address in the HTML part was not refused")
	}
	if a.budget.used != 0 {
		t.Errorf("after a refusal: %d octets of the document budget kept", a.budget.used)
	}
	if w.at == 0 || w.at > 10<<20 { // recordMax and the text part, well before the end
		t.Errorf("the first octet reached the copy after %d of %d octets were read", w.at, len(msg))
	}
	v := decodeView(w.buf.Bytes())
	if len(v.parts) != 2 || !strings.Contains(string(v.parts[0].body), "KEEP-first") || len(v.parts[1].body) < len(big)-len(line) {
		t.Errorf("parts damaged: %d parts", len(v.parts))
	}
}

// firstWrite notes how much of in was read when the first octet came.
type firstWrite struct {
	in  *countingReader
	at  int
	buf bytes.Buffer
}

func (f *firstWrite) Write(p []byte) (int, error) {
	if f.at == 0 {
		f.at = f.in.n
	}
	return f.buf.Write(p)
}

// A document budget smaller than a waiting text part: the part waits in
// the session's memory, and nothing waits for room that never comes.
func TestAlternativeSmallBudget(t *testing.T) {
	o := testOptions()
	o.MaxDocumentBytes, o.DocumentBudget, o.DocumentWait = 1000, 4000, 50*time.Millisecond
	msg := outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
		outlookSigText + "--a\nContent-Type: text/html; charset=utf-8\n\n" + outlookSigHTML + "--a--\n"
	outs, err := rewriteWith(New(o), crlfMsg(msg))
	if err != nil {
		t.Fatal(err)
	}
	if v := decodeView(outs[0]); len(v.parts) != 2 || !strings.Contains(string(v.parts[0].body), "KEEP-body") {
		t.Errorf("text part lost: %q", v.text.String())
	}
}

// TestAlternativeCalendarPlaces: the text part of an invitation waits for
// the calendar after the HTML part and loses the rooms and the building's
// address it drops, though the HTML part names the room without the
// resource address that would tell it (as a client other than Google's
// may). The parts keep their order, and a text part followed by no
// calendar is written as before.
func TestAlternativeCalendarPlaces(t *testing.T) {
	invite := "BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:1\nDTSTAMP:20261120T113012Z\nDTSTART:20261201T100000Z\n" +
		"ORGANIZER;CN=Aoife Brennan:mailto:a.brennan@brennan-procure.example\n" +
		"ATTENDEE;CUTYPE=RESOURCE;CN=Dublin-2-Liffey (6):mailto:c_4f1a9e@resource.calendar.google.com\n" +
		"LOCATION:Dublin Office\\, 12 Harcourt St\\, D02 X285\\, Ireland-2-Liffey (6)\nSUMMARY:Q3 review\nEND:VEVENT\nEND:VCALENDAR\n"
	text := "Q3 review\n\nLocation\nDublin Office, 12 Harcourt St, D02 X285, Ireland-2-Liffey (6)\n\nKEEP-text\n\nGuests\nCarla Rinaldi\nDublin-2-Liffey (6)\n"
	html := "<p>Q3 review</p><p>KEEP-html</p>"
	msg := outlookSigHeader + "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n" +
		text + "--a\nContent-Type: text/html; charset=utf-8\n\n" + html +
		"\n--a\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\n\n" + invite + "--a--\n"
	outs, err := rewrite(t, crlfMsg(msg))
	if err != nil {
		t.Fatal(err)
	}
	v := decodeView(outs[0])
	if len(v.errors) > 0 {
		t.Fatal(v.errors)
	}
	var types []string
	for _, p := range v.parts {
		types = append(types, p.typ)
	}
	if want := "text/plain text/html text/calendar"; strings.Join(types, " ") != want {
		t.Errorf("parts %v, want %s", types, want)
	}
	for _, s := range []string{"Liffey", "Harcourt", "D02 X285", "resource.calendar"} {
		if v.contains(outs[0], s) {
			t.Errorf("%q left in\n%s", s, v.text.String())
		}
	}
	for _, s := range []string{"KEEP-text", "KEEP-html", "Carla Rinaldi", "Location", "Q3 review"} {
		if !v.contains(outs[0], s) {
			t.Errorf("%q lost\n%s", s, v.text.String())
		}
	}
}
