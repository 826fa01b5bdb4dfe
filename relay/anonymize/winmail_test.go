package anonymize

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

// winmailDir holds winmail.dat parts whose only body is RTF, the three
// kinds Outlook sends, made by its gen.py (LibreOffice for the native RTF).
const winmailDir = "testdata/content/winmail/"

// winmailMessage is an Outlook message as it reaches the relay: its plain
// rendering, then the winmail.dat.
func winmailMessage(from string, plain string, dat []byte) []byte {
	return crlfMsg("From: " + from + "\nTo: to+bob=example.com@leak.example\nSubject: Tender documents\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain; charset=utf-8\n\n" + plain + "\n--x\n" +
		"Content-Type: application/ms-tnef; name=\"winmail.dat\"\nContent-Disposition: attachment; filename=\"winmail.dat\"\n" +
		"Content-Transfer-Encoding: base64\n\n" + wrap76(base64.StdEncoding.EncodeToString(dat)) + "--x--\n")
}

// An Outlook rich-text body is delivered as the body it was written as
// (the HTML or text it encapsulates, or the text of RTF of its own) and
// cleaned as one: the stored signature goes (title, telephone, company),
// the sender's name is replaced wherever the RTF spelled it, and no
// message.rtf is attached.
func TestWinmailRTFBody(t *testing.T) {
	aoife := "Aoife Brennan <aoife.brennan@brennan-facilities.example>"
	joerg := "=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <j.mueller@mueller-bau.example>"
	for _, c := range []struct {
		file, from, typ, keep string
	}{
		{"fromhtml.dat", aoife, "text/html", "KEEP-RTF-HTML-BODY"},
		{"fromtext.dat", joerg, "text/plain", "KEEP-RTF-TEXT-BODY"}, // J\'f6rg M\'fcller
		{"native.dat", aoife, "text/plain", "KEEP-RTF-NATIVE-BODY"},
		{"native-joerg.dat", joerg, "text/plain", "KEEP-RTF-NATIVE-BODY"}, // J\u246\'f6rg M\u252\'fcller
	} {
		t.Run(c.file, func(t *testing.T) {
			dat, err := os.ReadFile(winmailDir + c.file)
			if err != nil {
				t.Fatal(err)
			}
			outs, err := rewrite(t, winmailMessage(c.from, "Hello Bob, see the attached documents.", dat))
			if err != nil {
				t.Fatal(err)
			}
			checkLines(t, outs[0])
			v := decodeView(outs[0])
			var body string
			for _, p := range v.parts {
				if p.typ == c.typ && strings.Contains(string(p.body), c.keep) {
					body = string(p.body)
				}
				if p.typ == "application/rtf" {
					t.Errorf("an RTF part:\n%s", p.body)
				}
			}
			if body == "" {
				t.Fatalf("no %s part with %s:\n%s", c.typ, c.keep, outs[0])
			}
			all := v.text.String()
			for _, gone := range []string{"Brennan", "Müller", "M\\'fcller", "Head of Procurement", "555 0187", "message.rtf", "_MailAutoSig"} {
				if strings.Contains(all, gone) {
					t.Errorf("%q is left:\n%s", gone, all)
				}
			}
			if !strings.Contains(body, "Hello Bob,") {
				t.Errorf("the greeting is lost:\n%s", body)
			}
		})
	}
}

// The sender's address in an RTF body refuses the message, in each kind,
// however the RTF spells it: the RTF is read as text first, so an escaped
// "@" or a formatting change inside the address does not hide it.
func TestWinmailRTFAddress(t *testing.T) {
	for _, c := range []struct{ file, addr string }{
		{"fromhtml.rtf", "aoife.brennan@brennan-facilities.example"},
		{"fromhtml.rtf", `aoife.brennan{\*\htmltag84 &#64;}\htmlrtf @\htmlrtf0 brennan-facilities.example`},
		{"fromtext.rtf", "aoife.brennan@brennan-facilities.example"},
		{"fromtext.rtf", `aoife.brennan\'40brennan-facilities.example`},
		{"native.rtf", `aoife{\b .brennan}@brennan-facilities.example`},
		{"native.rtf", `aoife.brennan\u64?brennan-facilities.example`},
	} {
		rtf, err := os.ReadFile(winmailDir + c.file)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(rtf), "Hello Bob,", "Hello Bob, write to "+c.addr, 1)
		msg := winmailMessage("Aoife Brennan <aoife.brennan@brennan-facilities.example>", "Hello Bob", tnefRTF(s))
		if got, _ := refusedAs(t, testOptions(), msg, ""); got != refusal.Identifying {
			t.Errorf("%s: %s in the body: %v, want a refusal", c.file, c.addr, got)
		}
	}
}

// The body a winmail.dat's RTF encapsulates is the message's own HTML: it
// is given a charset the HTML's own <meta> (iso-8859-1 from Outlook) does
// not override.
func TestWinmailRTFCharset(t *testing.T) {
	rtf := "{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}" +
		"{\\*\\htmltag161 <meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">}" +
		"{\\*\\htmltag64 <p>}caf\\'e9 \\u8364\\'80 KEEP{\\*\\htmltag72 </p>}}"
	outs, err := rewrite(t, winmailMessage("Alice Smith <alice@sender.example>", "hi", tnefRTF(rtf)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range decodeView(outs[0]).parts {
		if p.typ == "text/html" && strings.Contains(string(p.body), "KEEP") {
			if !strings.Contains(string(p.body), "café €") {
				t.Errorf("body:\n%s", p.body)
			}
			return
		}
	}
	t.Errorf("no HTML body:\n%s", outs[0])
}
