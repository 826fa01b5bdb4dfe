package tnef

import (
	"os"
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

// The [MS-OXRTFEX] section 3.1 example, up to the list it goes on with:
// the RTF an encapsulating writer makes of an HTML document, and the
// HTML a de-encapsulating reader recovers from it.
const (
	specHTMLRTF = "{\\rtf1\\ANSI\\ansicpg1251\\fromhtml1 \\deff0\r\n" +
		"{\\fonttbl {\\f0\\fmodern Courier New;}{\\f1\\fswiss Arial;}{\\f2\\fswiss\\fcharset0 Arial;}}\r\n" +
		"{\\colortbl\\red0\\green0\\blue0;\\red0\\green0\\blue255;}\r\n" +
		"{\\*\\htmltag64}\r\n" +
		"\\uc1\\pard\\plain\\deftab360 \\f0\\fs24\r\n" +
		"{\\*\\htmltag <HTML><head>\\par\r\n<style>\\par\r\n<!--\\par\r\n /* Style Definitions */\\par\r\n" +
		" p.MsoNormal, li.MsoNormal \\{font-family:Arial;\\}\\par\r\n-->\\par\r\n</style>\\par\r\n" +
		"\\tab <!-- This is a HTML comment.\\par\r\nThere is a horizontal tab (%x09) character before the comment,\\par\r\n" +
		"and some new lines inside the comment. -->\\par\r\n</head>\\par\r\n<body>\\par\r\n<p\\par\r\nclass=\"MsoNormal\">}\r\n" +
		"{\\htmlrtf \\f1 \\htmlrtf0 Note the line break inside a P tag. {\\*\\htmltag <b>}{\\htmlrtf \\b \\htmlrtf0 This is a bold text{\\*\\htmltag </b>}} \\htmlrtf\\par\\htmlrtf0}\r\n" +
		"\\htmlrtf \\par \\htmlrtf0\r\n" +
		"{\\*\\htmltag </p>\\par\r\n<p class=\"MsoNormal\">\\par}\r\n" +
		"{\\htmlrtf \\f1 \\htmlrtf0 This is a normal text with a character references:\r\n" +
		"{\\*\\htmltag &nbsp;}\\htmlrtf \\'a0\\htmlrtf0  {\\*\\htmltag &lt;}\\htmlrtf <\\htmlrtf0  {\\*\\htmltag &uml;}\\htmlrtf {\\f2\\'a8}\\htmlrtf0{\\*\\htmltag <br>\\par}\\htmlrtf\\line\\htmlrtf0\r\n" +
		"characters which have special meaning in RTF: \\{\\}\\\\{\\*\\htmltag <br>\\par}\\htmlrtf\\line\\htmlrtf0\\htmlrtf\\par\\htmlrtf0}\r\n" +
		"{\\*\\htmltag </p>\\par\r\n</body>\\par\r\n</HTML>\\par}}\r\n"
	specHTML = "<HTML><head>\r\n<style>\r\n<!--\r\n /* Style Definitions */\r\n" +
		" p.MsoNormal, li.MsoNormal {font-family:Arial;}\r\n-->\r\n</style>\r\n" +
		"\t<!-- This is a HTML comment.\r\nThere is a horizontal tab (%x09) character before the comment,\r\n" +
		"and some new lines inside the comment. -->\r\n</head>\r\n<body>\r\n<p\r\nclass=\"MsoNormal\">" +
		"Note the line break inside a P tag. <b>This is a bold text</b> " +
		"</p>\r\n<p class=\"MsoNormal\">\r\n" +
		"This is a normal text with a character references:&nbsp; &lt; &uml;<br>\r\n" +
		"characters which have special meaning in RTF: {}\\<br>\r\n" +
		"</p>\r\n</body>\r\n</HTML>\r\n"
)

func TestRTFBodyFromHTML(t *testing.T) {
	got, isHTML, err := rtfBody([]byte(specHTMLRTF), 1<<20)
	if err != nil || !isHTML || got != specHTML {
		t.Errorf("got %v %v\n%q\nwant\n%q", isHTML, err, got, specHTML)
	}
}

func TestRTFBody(t *testing.T) {
	const html, text = "{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0", "{\\rtf1\\ansi\\ansicpg1252\\fromtext \\deff0"
	tests := []struct {
		name, in, want string
		html           bool
	}{
		// [MS-OXRTFEX] section 2.1.3.1.4: the tag's number is no content;
		// a space separates content that starts with a digit.
		{"htmltag parameter", html + "{\\*\\htmltag84 <b>}{\\*\\htmltag72 1 apple}{\\*\\htmltag 2 pears}}", "<b>1 apple2 pears", true},
		// An MHTMLTAG group holds the tag with the message's cid: URL, the
		// HTMLTAG group after it the same tag for a file on disk.
		{"mhtmltag", html + "{\\*\\mhtmltag84 <img src=\"cid:image001.png@01DB\">}{\\*\\htmltag84 <img src=\"image001.png\">}{\\*\\htmltag84 <br>}}",
			"<img src=\"cid:image001.png@01DB\"><br>", true},
		{"htmltag not after mhtmltag", html + "{\\*\\mhtmltag84 <a>}x{\\*\\htmltag84 <b>}}", "<a>x<b>", true},
		// \htmlrtf's state is the group's ([MS-OXRTFEX] section 2.1.3.1.3).
		{"htmlrtf nested", html + " a\\htmlrtf b{c\\htmlrtf0 d}e\\htmlrtf0 f{\\htmlrtf g}h}", "adfh", true},
		{"htmlrtf1", html + " a\\htmlrtf1 b\\htmlrtf0 c}", "ac", true},
		{"htmltag under htmlrtf", html + "\\htmlrtf {\\*\\htmltag84 <b>}\\htmlrtf0 x}", "x", true},
		{"htmltag code page", html + "{\\fonttbl{\\f1\\fcharset204 Arial Cyr;}}\\f1 {\\*\\htmltag84 caf\\'e9}\\'e9}", "caféй", true},
		{"htmltag ignores other words", html + "{\\*\\htmltag84 <p\\line\\b >}}", "<p>", true},
		{"special characters", html + " \\lquote\\rquote\\ldblquote\\rdblquote\\bullet\\endash\\emdash\\~\\_}", "‘’“”•–—\u00a0\u00ad", true},
		{"unknown destination", html + "{\\*\\foo <x>}{\\*\\htmltag84 <y>}}", "<y>", true},
		{"fromtext", text + "{\\fonttbl{\\f0\\fswiss Arial;}}\\pard\\f0 Hi\\par\r\nJ\\'f6rg\\tab M\\u252?ller\\line x\\par}", "Hi\r\nJörg\tMüller\r\nx\r\n", false},
		{"fromtext htmlrtf", text + " a\\htmlrtf b\\htmlrtf0 c}", "ac", false},
		// Unicode: \ucN fallback characters are skipped, a text byte or
		// an escape each; a group ends the fallback (RTF 1.9.1).
		{"unicode", "{\\rtf1\\ansi J\\u246?rg \\uc2\\u8364\\'80\\'80x \\uc0\\u252 y {\\uc3\\u246}ab}", "Jörg €x üy öab", false},
		{"surrogates", "{\\rtf1 \\u-10179?\\u-8704? \\u-10179? x \\u-8704?}", "😀 \ufffd x \ufffd", false},
		{"negative", "{\\rtf1 \\u-4?}", "\uFFFC", false},
		{"code page", "{\\rtf1\\ansi\\ansicpg1250 Za\\'bf\\'f3\\'b3\\'e6}", "Zażółć", false},
		{"font charset", "{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0\\fcharset0 Arial;}{\\f1\\fcharset204 Arial Cyr;}}\\f1 \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2 {\\f0 caf\\'e9}}", "Привет café", false},
		{"double-byte", "{\\rtf1\\ansi\\ansicpg932 \\'93\\'fa\\'96\\'7b}", "日本", false},
		{"mac", "{\\rtf1\\mac \\'8a}", "ä", false},
		// Native RTF: what a reader shows.
		{"native", "{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}{\\colortbl;\\red1\\green2\\blue3;}{\\stylesheet{\\s0 Normal;}}{\\info{\\author Aoife}}" +
			"{\\*\\generator LibreOffice}\\pard a\\tab b\\line c\\par d\\cell e\\row f\\sect g\\page h\\_i\\-j\\emspace k}",
			"a\tb\nc\nd\te\nf\ng\nh-ij k", false},
		{"field", "{\\rtf1 {\\field{\\*\\fldinst HYPERLINK \"mailto:a@b.example\"}{\\fldrslt write to me}} {\\field{\\fldinst PAGE}{\\fldrslt 1}}}", "write to me 1", false},
		{"picture and binary", "{\\rtf1 a{\\pict\\pngblip 89504e47}b{\\*\\shppict{\\pict\\bin4 }{}x}}c\\bin3 xyzd}", "abcd", false},
		{"object", "{\\rtf1 {\\object\\objemb{\\*\\objclass Package}{\\*\\objdata 0105}{\\result shown}}x}", "shownx", false},
		{"object hidden", "{\\rtf1 {\\*\\x{\\object{\\result hidden}}}x}", "x", false},
		{"htmltag hidden", "{\\rtf1\\fromhtml1 {\\fonttbl{\\*\\htmltag84 <x>}}y}", "y", true},
		{"native ignores htmlrtf", "{\\rtf1 a\\htmlrtf b\\htmlrtf0 c{\\*\\htmltag84 <d>}}", "abc", false},
		{"escaped line end", "{\\rtf1 a\\\nb}", "a\nb", false},
		// [MS-OXRTFEX] section 2.2.3.1: only the first 10 tokens are looked at.
		{"fromhtml late", "{\\rtf1\\ansi\\a\\b\\c\\d\\e\\f\\g\\h\\fromhtml1 {\\*\\htmltag84 <x>}y}", "y", false},
		{"fromhtml0", "{\\rtf1\\fromhtml0 {\\*\\htmltag84 <x>}y}", "y", false},
		{"trailing bytes", "{\\rtf1 a}b\x00", "a", false},
		{"open groups", "{\\rtf1 a{b", "ab", false},
		{"unknown code page, ascii", "{\\rtf1\\ansi\\ansicpg99999 abc}", "abc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, isHTML, err := rtfBody([]byte(tt.in), 1<<20)
			if err != nil || got != tt.want || isHTML != tt.html {
				t.Errorf("got %q %v %v, want %q %v", got, isHTML, err, tt.want, tt.html)
			}
		})
	}
}

func TestRTFBodyRefusals(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int64
		kind refusal.Kind
	}{
		{"not rtf", "hello", 1 << 20, refusal.Malformed},
		{"unknown code page", "{\\rtf1\\ansi\\ansicpg99999 caf\\'e9}", 1 << 20, refusal.Unsupported},
		{"too large", "{\\rtf1 " + strings.Repeat("\\'80", 100) + "}", 200, refusal.TooLarge},
		{"too deep", "{\\rtf1 " + strings.Repeat("{", maxRTFDepth+1), 1 << 20, refusal.Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := rtfBody([]byte(tt.in), tt.max)
			if r, ok := refusal.As(err); !ok || r.Kind != tt.kind {
				t.Errorf("err = %v, want %v", err, tt.kind)
			}
		})
	}
}

// The RTF bodies Outlook and LibreOffice write come out as their writers
// typed them.
func TestRTFBodyFixtures(t *testing.T) {
	const dir = "../../anonymize/testdata/content/winmail/"
	letter := "Hello Bob,\n\nthe tender documents are attached. We need the signed forms by Friday – KEEP-RTF-%s-BODY.\n\n" +
		"Kind regards,\n%s\nHead of Procurement\nTel: +353 1 555 0187\n"
	for _, c := range []struct {
		file, want string
		html       bool
	}{
		{"fromtext.rtf", strings.ReplaceAll(strings.Replace(strings.Replace(letter, "%s", "TEXT", 1), "%s", "Jörg Müller", 1), "\n", "\r\n"), false},
		{"native.rtf", strings.Replace(strings.Replace(letter, "%s", "NATIVE", 1), "%s", "Aoife Brennan", 1), false},
		{"native-joerg.rtf", strings.Replace(strings.Replace(letter, "%s", "NATIVE", 1), "%s", "Jörg Müller", 1), false},
	} {
		b, err := os.ReadFile(dir + c.file)
		if err != nil {
			t.Fatal(err)
		}
		got, isHTML, err := rtfBody(b, 1<<20)
		if err != nil || isHTML != c.html || got != c.want {
			t.Errorf("%s: %v %v\n%q\nwant\n%q", c.file, isHTML, err, got, c.want)
		}
	}
	b, err := os.ReadFile(dir + "fromhtml.rtf")
	if err != nil {
		t.Fatal(err)
	}
	got, isHTML, err := rtfBody(b, 1<<20)
	for _, want := range []string{
		`<p class="MsoNormal"><a name="_MailAutoSig">Kind regards,</a><o:p></o:p></p>`,
		`<p class="MsoNormal"><b>Aoife Brennan</b><o:p></o:p></p>`,
		`Friday &#8211; KEEP-RTF-HTML-BODY.`,
		"<style><!--\r\n/* Font Definitions */\r\n@font-face\r\n\t{font-family:Calibri;}",
	} {
		if err != nil || !isHTML || !strings.Contains(got, want) {
			t.Errorf("fromhtml.rtf: %v %v: %q missing from\n%s", isHTML, err, want, got)
		}
	}
	if strings.Contains(got, "\\") || strings.Contains(got, "\u00a0") {
		t.Errorf("fromhtml.rtf: RTF or suppressed text left:\n%s", got)
	}
}

// Every input byte yields at most three output bytes, and never more than
// max; no input makes it fail other than with a refusal.
func FuzzRTFText(f *testing.F) {
	f.Add([]byte(specHTMLRTF))
	f.Add([]byte("{\\rtf1\\ansi\\ansicpg1252\\fromtext \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}\\pard J\\'f6rg\\par M\\u252?ller\\par}"))
	f.Add([]byte("{\\rtf1\\ansi\\ansicpg932{\\fonttbl{\\f1\\fcharset204 A;}}\\f1 \\'cf\\u-10179?\\u-8704?{\\field{\\*\\fldinst X}{\\fldrslt y}}\\bin2 ab{\\object{\\result z}}}"))
	for _, name := range []string{"fromhtml.rtf", "native.rtf"} {
		if b, err := os.ReadFile("../../anonymize/testdata/content/winmail/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, _, err := rtfBody(in, 1<<16)
		if err != nil {
			if _, ok := refusal.As(err); !ok {
				t.Fatalf("non-refusal error: %v", err)
			}
			return
		}
		if len(out) > 3*len(in) || len(out) > 1<<16 {
			t.Fatalf("%d bytes from %d", len(out), len(in))
		}
	})
}
