package html

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"leak/relay/content/refusal"
)

func cleanString(t testing.TB, in string, o Options) (string, error) {
	t.Helper()
	var b strings.Builder
	err := Clean(&b, strings.NewReader(in), o)
	return b.String(), err
}

// TestClients runs the cleaner on HTML shaped like each client's and
// checks that the generated parts are gone and the typed text stays.
func TestClients(t *testing.T) {
	tests := []struct {
		file   string
		sender string
		keep   []string
		gone   []string
	}{
		{"gmail.html", "alice@smith-widgets.example",
			[]string{"KEEP-GMAIL-body", "KEEP-GMAIL-quoted", `href="https://docs.example/d/1"`, "On Mon, 2 Nov 2026, someone wrote:", "<blockquote"},
			[]string{"Alice Smith", "7946", "AIorK4zSIGIMAGE", "Rafael", "rafael.ortega", "gmail_signature", "gmail_attr", "google.com/url", "utm_", "-- "}},
		{"apple.html", "devika@smith-widgets.example",
			[]string{"KEEP-APPLE-body", "KEEP-APPLE-quoted", `href="tel:+442079460018"`, "2 Nov 2026, someone wrote:", `<blockquote type="cite">`},
			[]string{"Sent from my iPhone", "AppleMailSignature", "x-apple-data-detectors", "Arjun", "arjun.menon", "mid:", "A7C3E1F9", "overflow-wrap", "aria-label"}},
		{"outlook_desktop.html", "magda@hartl-eng.example",
			[]string{"KEEP-OUTLOOK-body", "KEEP-OUTLOOK-quoted", "Q3 forecast", "Vienna", "From: someone", "Subject: Q3 numbers"},
			[]string{"mhartl", "file:", "Generator", "Microsoft Word", "DocumentProperties", "Hartl", "Carl", "carl.weber", "Dana", "November 2", "mso", "MsoNormal", "WordSection", "o:p", "st1:", "[if"}},
		{"outlook_web.html", "magda@hartl-eng.example",
			[]string{"KEEP-OWA-body", "KEEP-OWA-quoted", `href="https://shop.example/offer?id=42"`, "From: someone", "Subject: Offer"},
			[]string{"safelinks", "72f988bf", "magda", "Hartl", "Carl", "originalsrc", "Original URL", "utm_", "divRplyFwdMsg", "17:05"}},
		{"outlook_teams.html", "magda@hartl-eng.example",
			[]string{"KEEP-TEAMS-body", "KEEP-TEAMS-after", `<a href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ5ZTc0YjQtYzE0Ni00Y2U4LWE1NjctZDU2ZGM3ZjU0YWFi%40thread.v2/0">`},
			[]string{"Benötigen", "Besprechung", "Kennung", "Einwahl", "Frankfurt", "Konferenz", "Organisatoren", "Systemreferenz", "omkt", "de-DE", "a1b2c3d4", "f00dfeed", "8551f4c1", "me-email"}},
		{"thunderbird.html", "lena@berg-labs.example",
			[]string{"KEEP-TB-body", "KEEP-TB-quoted", "On 02/11/2026, someone wrote:"},
			[]string{"Jonas", "Lena Berg", "Uppsala", "moz-", "mid:", "berg-labs", "5f3a9c1e"}},
		{"proton.html", "nils@ek-consulting.example",
			[]string{"KEEP-PROTON-body", "KEEP-PROTON-quoted", "someone wrote:"},
			[]string{"Nils Ek", "Ek Consulting", "Proton Mail", "protonmail", "Ida", "ek-consulting"}},
		{"newsletter.html", "reader@example.org",
			[]string{"KEEP-NEWS-title", "KEEP-NEWS-alt chart", "KEEP-NEWS-form", `href="https://news.example/post?id=9"`, `src="cid:NEW-logo@news.example"`, "color:#333", "unclosed hidden"},
			[]string{"<base", "@import", "fonts.example", "<style", "<link", "s.css", "hideall", "onload", "track", "bg.png", "bg2.png", "position", "javascript", "post/2", "data:image", "<form", "<input", "<button", "<iframe", "<svg", "evil", "utm_", "mc_eid", "<title", "#ffffff"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			out, err := cleanString(t, string(in), Options{
				Sender: []string{tt.sender},
				CID:    func(id string) string { return "NEW-" + id },
			})
			if err != nil {
				t.Fatalf("Clean: %v", err)
			}
			for _, k := range tt.keep {
				if !strings.Contains(out, k) {
					t.Errorf("lost %q", k)
				}
			}
			for _, g := range tt.gone {
				if strings.Contains(out, g) {
					t.Errorf("kept %q", g)
				}
			}
			if !strings.HasPrefix(out, `<html><head><meta charset="utf-8"></head><body`) || strings.Contains(out, "</body>") {
				t.Errorf("document frame: %.80q ... %q", out, out[max(0, len(out)-40):])
			}
			if strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
				t.Error("bare LF in output")
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// footer is what the caller appends; footerSafe checks that nothing in out
// hides it: parsed with the footer and End after it, the footer's only
// ancestors are html and body.
const footer = `<div id="leak-footer">Sent through Leak.</div>`

func footerSafe(t testing.TB, out string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(out + footer + End))
	if err != nil {
		t.Fatal(err)
	}
	f := findID(doc, "leak-footer")
	if f == nil {
		t.Fatalf("footer not found as an element in %q", out)
	}
	for p := f.Parent; p != nil && p.Type != html.DocumentNode; p = p.Parent {
		if p.Data != "body" && p.Data != "html" {
			t.Fatalf("footer is inside <%s %v> in %q", p.Data, p.Attr, out)
		}
		for _, a := range p.Attr {
			if a.Key != "dir" && a.Key != "lang" {
				t.Fatalf("footer ancestor <%s> has %s=%q", p.Data, a.Key, a.Val)
			}
		}
	}
}

func findID(n *html.Node, id string) *html.Node {
	if n.Type == html.ElementNode && attr(n, "id") == id {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findID(c, id); f != nil {
			return f
		}
	}
	return nil
}

func TestFooterSafe(t *testing.T) {
	tests := []string{
		`<div style="display:none">hidden, never closed`,
		`<p>text<!-- an unclosed comment`,
		`<table><tr><td>cell`,
		`<body style="display:none"><div hidden>x`,
		`<xmp>raw`,
		`<plaintext>rest`,
		`<textarea>swallow`,
		`<select><option>x`,
		`<noscript><p>x`,
		`<a href="https://a.example/">link`,
		`<svg><foreignObject><div>x`,
		`<math><mi><div>x`,
		`<template><div>x`,
		`<font color="white"><b><i>x`,
		`<iframe srcdoc="x">`,
		`<style>`,
		`<title>`,
		`<frameset><frame src="https://a.example/">`,
	}
	for _, in := range tests {
		out, err := cleanString(t, in, Options{})
		if err != nil {
			t.Fatalf("Clean(%q): %v", in, err)
		}
		footerSafe(t, out)
	}
}

func TestMarkup(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"outlook mobile signature", `<div>Hi</div><div id="ms-outlook-mobile-signature"><div>Get <a href="https://aka.ms/o0ukef">Outlook for iOS</a></div></div>`, `<div>Hi</div>`},
		{"device line text", `<div>Hi<br><br>Sent from my Galaxy</div>`, `<div>Hi<br/><br/></div>`},
		{"yahoo two-div attribution", `<div><div>On Mon, Nov 2, 2026 at 17:05, Maja Lind</div><div>&lt;maja@d.example&gt; wrote:</div></div>`,
			`<div><div>On Mon, Nov 2, 2026, someone wrote:</div></div>`},
		{"outlook header paragraph", `<p><b>From:</b> Carl &lt;c@d.example&gt;<br><b>Sent:</b> Monday<br><b>To:</b> Bob<br><b>Subject:</b> Hi</p>`,
			`<p>From: someone<br/>Subject: Hi</p>`},
		{"prose from paragraph", `<p>From: the committee<br>We agree.</p>`, `<p>From: the committee<br/>We agree.</p>`},
		{"style declarations", `<p style="color:red; background:url(https://t.example/x.png); width:expression(alert(1)); position:absolute; font:12px/1 a\72 b">x</p>`,
			`<p style="color:red">x</p>`},
		{"signature quoted by Outlook", `<div>Hi</div><div class="x_gmail_signature">Alice</div><div id="x_AppleMailSignature">Sent from my iPad</div>`, `<div>Hi</div>`},
		{"pre quote", "<pre>On 2 Nov 2026, at 18:20, Bo Li &lt;bo@x.example&gt; wrote:\n&gt; hi\n&gt; Sent from my iPhone\n</pre>",
			"<pre>On 2 Nov 2026, someone wrote:\r\n&gt; hi\r\n</pre>"},
		{"layout", `<div style="position:relative;top:40px;margin-bottom:-900px;margin:0 auto;transform:translateY(9em);float:left">x</div>`,
			`<div style="margin:0 auto; float:left">x</div>`},
		{"cid background", `<td background="cid:bg%40x">x</td>`, `x`},
		{"cid image and style", `<table><tr><td background="cid:bg@x" style="background-image:url('cid:bg@x')">x</td></tr></table>`,
			`<table><tbody><tr><td background="cid:N-bg@x" style="background-image:url(cid:N-bg@x)">x</td></tr></tbody></table>`},
		{"font families", `<p style="font-family:Calibri,sans-serif;font-size:11.0pt;color:#1F497D">a</p><p style="font-family:'Helvetica Neue'">b</p><p style="FONT-FAMILY: &quot;Courier New&quot;, monospace">c</p><p style="font-family:Georgia">d</p>`,
			`<p style="font-family:sans-serif; font-size:11.0pt; color:#1F497D">a</p><p style="font-family:sans-serif">b</p><p style="font-family:monospace">c</p><p style="font-family:serif">d</p>`},
		{"font shorthand", `<p style="font: italic bold 12px/30px 'Times New Roman', serif">a</p><p style="font:11pt Aptos">b</p><p style="font: caption">c</p>`,
			`<p style="font:italic bold 12px/30px serif">a</p><p style="font:11pt sans-serif">b</p><p>c</p>`},
		{"font face", `<font face="Consolas" size="2">a</font><font face="Calibri">b</font>`,
			`<font face="monospace" size="2">a</font><font face="sans-serif">b</font>`},
		{"alt", `<img src="cid:a" alt="IMG_4032.JPG"><img src="cid:b" alt="the cat">`, `<img alt="photo.jpg" src="cid:N-a"/><img alt="the cat" src="cid:N-b"/>`},
		{"lang", `<div lang="EN-GB"><p lang="de-CH" dir="rtl">a</p></div>`, `<div><p dir="rtl">a</p></div>`},
		{"dir other than rtl", `<div dir="ltr"><p dir="auto">a</p><p dir="RTL">b</p></div>`, `<div><p>a</p><p dir="RTL">b</p></div>`},
		{"office namespaces", `<p>a<o:p></o:p><st1:place>Wien</st1:place><v:shape><v:imagedata src="file:///C:/x.png"/></v:shape></p>`, `<p>aWien</p>`},
	}
	o := Options{CID: func(id string) string { return "N-" + id }}
	for _, tt := range tests {
		out, err := cleanString(t, tt.in, o)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := strings.TrimPrefix(out, `<html><head><meta charset="utf-8"></head><body>`)
		if got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestRefuse(t *testing.T) {
	o := Options{Sender: []string{"alice@x.example"}}
	tests := []struct {
		name, in string
		kind     refusal.Kind
	}{
		{"address in text", `<p>mail alice@X.example</p>`, refusal.Identifying},
		{"address in mailto", `<a href="mailto:alice@x.example">me</a>`, refusal.Identifying},
		{"encoded mailto", `<a href="mailto:alice%40x.example">me</a>`, refusal.Identifying},
		{"typed file url", `<p>see file:///C:/Users/alice/a.txt</p>`, refusal.Identifying},
		{"address in pasted safelinks text", `<p>https://eur02.safelinks.protection.outlook.com/?url=ftp%3A%2F%2Fa.example&amp;data=05%7C02%7Calice%40x.example%7C0</p>`, refusal.Identifying},
		{"address twice encoded, a lone %", `<p>100% done, https://a.example/?u=x%2540y write to alice%2540x.example</p>`, refusal.Identifying},
		{"onedrive url", `<a href="https://x-my.sharepoint.com/:x:/g/personal/alice_x_example/EaBc?e=1">budget.xlsx</a>`, refusal.Identifying},
		{"onedrive url as text", `<p>https://x-my.sharepoint.com/personal/ALICE_X_EXAMPLE/Documents</p>`, refusal.Identifying},
		{"unc path as link text", `<p>It is here: <a href="file:///\\fs01.corp.x.example\home$\asmith\Q3.xlsx">\\fs01.corp.x.example\home$\asmith\Q3.xlsx</a></p>`, refusal.Identifying},
		{"windows path as link text", `<p><a href="file:///C:\Users\asmith\Q3.xlsx"><span>C:\Users\</span>asmith\Q3.xlsx</a></p>`, refusal.Identifying},
		{"unc href", `<p><a href="\\fs01\home$\asmith\Q3.xlsx">\\fs01\home$\asmith\Q3.xlsx</a></p>`, refusal.Identifying},
	}
	for _, tt := range tests {
		_, err := cleanString(t, tt.in, o)
		if r, ok := refusal.As(err); !ok || r.Kind != tt.kind {
			t.Errorf("%s: Clean = %v, want a %v refusal", tt.name, err, tt.kind)
		}
	}
	for _, in := range []string{`<p>xalice@x.example alice@x.example.org</p>`,
		`<div class="gmail_signature">alice@x.example</div>`,
		`<div>On 2 Nov 2026, Alice &lt;alice@x.example&gt; wrote:</div>`,
		`<p>https://x-my.sharepoint.com/personal/malice_x_example/ and /personal/alice_x_example_org/ and 100% sure</p>`,
		`<p><a href="file:///C:/Users/asmith/Q3.xlsx">Q3.xlsx</a></p>`} {
		if _, err := cleanString(t, in, o); err != nil {
			t.Errorf("Clean(%q) = %v, want no refusal", in, err)
		}
	}
}

func TestTooDeep(t *testing.T) {
	_, err := cleanString(t, strings.Repeat("<div>", 600), Options{})
	if r, ok := refusal.As(err); !ok || r.Kind != refusal.Malformed {
		t.Fatalf("Clean = %v, want malformed", err)
	}
}

func TestTooLarge(t *testing.T) {
	in := strings.NewReader("<p>" + strings.Repeat("a", MaxSize))
	err := Clean(&strings.Builder{}, in, Options{})
	if r, ok := refusal.As(err); !ok || r.Kind != refusal.TooLarge {
		t.Fatalf("Clean = %v, want too large", err)
	}
}

// TestSenderLeft checks markup that kept the sender's address, name,
// locale or client after cleaning, each case failing on the code before.
func TestSenderLeft(t *testing.T) {
	sl := "https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.com%2Freport&amp;data=05%7C02%7Calice%40sender.example%7C8f3a2b1c%7C0&amp;sdata=AbC%3D&amp;reserved=0"
	apple := func(k, v string) string {
		return `<div style="margin-top: 0px;"><span style="font-family: -webkit-system-font, Helvetica Neue;"><b>` + k + `: </b></span><span>` + v + "<br></span></div>\n"
	}
	tests := []struct {
		name, in   string
		keep, gone []string
	}{
		{"safelinks as link text", `<p>Have a look: <a href="` + sl + `">` + sl + `</a>.</p>`,
			[]string{`Have a look: <a href="https://example.com/report">https://example.com/report</a>.`}, []string{"safelinks", "sender.example"}},
		{"name across elements", `<p>Best,</p><p><span>Alice </span><b>Smith</b></p><p>KEEP <b>bold</b> line</p>`,
			[]string{`<p>Someone</p>`, `<p>KEEP <b>bold</b> line</p>`}, []string{"Alice", "Smith"}},
		{"body lang", `<body lang=EN-GB dir=ltr link="#0563C1"><p>Hi there</p></body>`,
			[]string{`<body><p>Hi there</p>`}, []string{"EN-GB", "lang", "0563C1", "dir="}},
		{"office and webkit style", `<p style="font-size:11.0pt;mso-fareast-font-family:Calibri;mso-fareast-language:EN-GB;caret-color: rgb(0, 0, 0); -webkit-text-size-adjust: auto; -moz-user-select:none;color:red">Hi</p>`,
			[]string{`<p style="font-size:11.0pt; color:red">Hi</p>`}, []string{"mso-", "Calibri", "EN-GB", "caret", "webkit", "-moz"}},
		{"name in alt", `<p>Hi</p><img src="cid:sig@x" alt="Alice Smith"><img src="https://sender.example/logo.png" alt="Alice Smith - Sales">`,
			[]string{`<img alt="Someone" src="cid:sig@x"/>`, `Someone - Sales`}, []string{"Alice", "logo.png"}},
		{"name apart by nbsp and newline", "<p>Best,</p><p>Alice&nbsp;Smith</p><p>that Alice\nSMITH promised, Alice  Smith\u00a0too; Alice\nSmithers stays</p>",
			[]string{"<p>Someone</p>", "that Someone promised, Someone\u00a0too; Alice\r\nSmithers stays"}, []string{"Alice\u00a0", "Alice\r\nSMITH"}},
		{"outlook desktop signature", "<div class=WordSection1><p class=MsoNormal>Hi Bob,<o:p></o:p></p>\n<p class=MsoNormal>The numbers are in.</p>\n" +
			`<p class=MsoNormal><a name="_MailAutoSig"><b><span style='color:#1F3864;mso-no-proof:yes'>Alice Smith<o:p></o:p></span></b></a></p>` + "\n" +
			`<p class=MsoNormal><span>Head of Procurement | Sender Corp</span></p><table><tr><td>Tel: +44 20 7946 0123</td></tr></table><p class=MsoNormal><o:p>&nbsp;</o:p></p>` +
			`<div style='border:none;border-top:solid #E1E1E1 1.0pt'><p class=MsoNormal><b>From:</b> Bob &lt;bob@b.example&gt;<br><b>Sent:</b> Monday<br><b>To:</b> Alice<br><b>Subject:</b> Numbers</p></div>` +
			`<p>KEEP-quoted</p></div>`,
			[]string{"The numbers are in.", "From: someone<br/>Subject: Numbers", "KEEP-quoted"}, []string{"Procurement", "7946", "Smith", "Someone", "mso-"}},
		{"signature at the end", `<p>Hi</p><p><a name="_MailAutoSig"></a></p><p>Alice</p><p>Sender Corp</p>`, []string{"<p>Hi</p>"}, []string{"Sender Corp"}},
		{"anchor after text", `<p>Hi <a name="_MailAutoSig">there</a></p><p>KEEP-after</p>`, []string{"<p>Hi there</p><p>KEEP-after</p>"}, nil},
		{"apple forward", `<p>FYI</p><blockquote type="cite"><div>Begin forwarded message:</div><br class="Apple-interchange-newline">` +
			apple("From", `Carol Jones &lt;<a href="mailto:carol@c.example">carol@c.example</a>&gt;`) + apple("Subject", `<b>Budget</b>`) +
			apple("Date", `18 November 2025 at 22:07:12 CET`) + apple("To", `Team &lt;<a href="mailto:team@c.example">team@c.example</a>&gt;`) +
			`<br><div><div>Numbers attached.</div></div></blockquote>`,
			[]string{"Begin forwarded message:", "From: someone<br/>Subject: Budget", "Numbers attached."}, []string{"Carol", "c.example", "22:07"}},
		{"thunderbird forward", `<p>FYI</p><div class="moz-forward-container"><br><br>-------- Forwarded Message --------
<table class="moz-email-headers-table" cellspacing="0" cellpadding="0" border="0"><tbody>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Subject: </th><td>Budget</td></tr>
<tr><th nowrap="nowrap" align="RIGHT">Date: </th><td>Tue, 18 Nov 2025 22:07:12 +0100</td></tr>
<tr><th nowrap="nowrap" align="RIGHT">From: </th><td>Carol Jones <a class="moz-txt-link-rfc2396E" href="mailto:carol@c.example">&lt;carol@c.example&gt;</a></td></tr>
<tr><th nowrap="nowrap" align="RIGHT">CC: </th><td>Dave <a href="mailto:dave@c.example">&lt;dave@c.example&gt;</a></td></tr>
</tbody></table><br><br>Numbers attached.</div>`,
			[]string{"-------- Forwarded Message --------", "<div>Subject: Budget<br/>From: someone</div>", "Numbers attached."}, []string{"Carol", "c.example", "22:07", "<table", "<th"}},
	}
	o := Options{Sender: []string{"alice@sender.example"}, Names: []string{"Alice Smith"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := cleanString(t, tt.in, o)
			if err != nil {
				t.Fatalf("Clean: %v", err)
			}
			for _, k := range tt.keep {
				if !strings.Contains(out, k) {
					t.Errorf("lost %q", k)
				}
			}
			for _, g := range tt.gone {
				if strings.Contains(out, g) {
					t.Errorf("kept %q", g)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}
