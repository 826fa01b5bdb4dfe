package corpus

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"unicode/utf16"
)

const secret = "Zyxwvut-Sender"

// message builds a clean CRLF message around one extra header field, one
// text body and one attachment (already transfer-encoded, with its fields).
func message(field, text, attachment string) []byte {
	var b strings.Builder
	b.WriteString("From: \"A friend, anonymously\" <anonymous@leak.example>\n")
	b.WriteString("To: bob@example.com\nSubject: Hello\n" + field)
	b.WriteString("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n")
	b.WriteString("--b1\n" + text + "\n")
	if attachment != "" {
		b.WriteString("--b1\n" + attachment + "\n")
	}
	b.WriteString("--b1--\n")
	return []byte(strings.ReplaceAll(b.String(), "\n", "\r\n"))
}

const plainText = "Content-Type: text/plain; charset=utf-8\n\nKEEP-body"

// binary is a base64 attachment of data.
func binaryPart(typ string, data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var lines []string
	for len(enc) > 76 {
		lines, enc = append(lines, enc[:76]), enc[76:]
	}
	lines = append(lines, enc)
	return "Content-Type: " + typ + "\nContent-Disposition: attachment; filename=\"a.bin\"\n" +
		"Content-Transfer-Encoding: base64\n\n" + strings.Join(lines, "\n")
}

func zipOf(name, content string) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, _ := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	w.Write([]byte(content))
	z.Close()
	return buf.Bytes()
}

func deflate(s string) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.Bytes()
}

func pdfWith(stream string) []byte {
	z := deflate(stream)
	return []byte(fmt.Sprintf("%%PDF-1.4\n1 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n%%%%EOF\n", len(z), z))
}

// pngWith returns a small PNG with a chunk inserted before IEND.
func pngWith(typ string, body []byte) []byte {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4)))
	b := buf.Bytes()
	iend := len(b) - 12
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	chunk = append(chunk, typ...)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append(append(append([]byte{}, b[:iend]...), chunk...), b[iend:]...)
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// leakCase is a message with one secret hidden in it.
type leakCase struct {
	name   string
	msg    []byte
	deep   bool   // found only by deep decoding
	secret string // when not the constant secret
}

// leakCases are the ways a secret can hide in a message that the checker
// must see through.
func leakCases() []leakCase {
	b64 := base64.StdEncoding.EncodeToString
	return []leakCase{
		{name: "header", msg: message("X-Originating-Name: "+secret+"\n", plainText, "")},
		{name: "header, other case and folded", msg: message("X-Sender:\n "+strings.ToUpper(secret)+"\n", plainText, "")},
		{name: "base64 body", msg: message("", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"+b64([]byte("KEEP-body from "+secret)), "")},
		{name: "quoted-printable body", msg: message("", "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nKEEP-body Zyx=77v=\nut-Sender", "")},
		{name: "RFC 2047 word", msg: message("Comments: =?utf-8?B?"+b64([]byte(secret))+"?=\n", plainText, "")},
		{name: "RFC 2047 Q word split", msg: message("Comments: =?utf-8?Q?Zyx?= =?iso-8859-1?Q?wvut=2DSender?=\n", plainText, "")},
		{name: "RFC 2231 filename", msg: message("", plainText,
			"Content-Type: application/octet-stream\nContent-Disposition: attachment;\n filename*0*=utf-8''Zyx%77v;\n filename*1*=ut-Sender.txt\n\nx")},
		{name: "HTML entities", msg: message("", "Content-Type: text/html\n\n<p>KEEP-body &#90;yxwvut&#x2d;Sender</p>", "")},
		{name: "nested message header", msg: message("", plainText,
			"Content-Type: message/rfc822\n\nFrom: "+secret+" <s@example.net>\nSubject: fwd\n\ninner")},
		{name: "zip member, compressed", deep: true, msg: message("", plainText,
			binaryPart("application/zip", zipOf("docProps/core.xml", "<dc:creator>"+secret+"</dc:creator>")))},
		{name: "zip member name", msg: message("", plainText,
			binaryPart("application/zip", zipOf("Users/"+secret+"/x.txt", "x")))},
		{name: "zip in zip", deep: true, msg: message("", plainText,
			binaryPart("application/zip", zipOf("inner.zip", string(zipOf("a.xml", secret)))))},
		{name: "PDF Flate stream", deep: true, msg: message("", plainText,
			binaryPart("application/pdf", pdfWith("BT (Author: "+secret+") Tj ET")))},
		{name: "PNG zTXt", deep: true, msg: message("", plainText,
			binaryPart("image/png", pngWith("zTXt", append([]byte("Author\x00\x00"), deflate(secret)...))))},
		{name: "PNG iTXt", deep: true, msg: message("", plainText,
			binaryPart("image/png", pngWith("iTXt", append([]byte("Author\x00\x01\x00en\x00Autor\x00"), deflate(secret)...))))},
		{name: "UTF-16 in a binary", deep: true, msg: message("", plainText,
			binaryPart("application/vnd.ms-tnef", append([]byte{0x78, 0x9f, 0x3e, 0x22, 1}, utf16le("sender "+secret)...)))},
		{name: "uuencoded block", deep: true, msg: message("", "Content-Type: text/plain\n\nKEEP-body\nbegin 644 a.txt\n"+uuencode(secret)+"`\nend", "")},
		{name: "hex secret", msg: message("", plainText, binaryPart("application/octet-stream", []byte("\x00\x01\xde\xad\xbe\xef\xca\xfe\x02"))),
			secret: "hex:deadbeefcafe"},
	}
}

// TestCheckFindsLeaks proves the checker can fail: the clean message passes,
// and each way of hiding the secret in it is reported.
func TestCheckFindsLeaks(t *testing.T) {
	e := Entry{Secrets: []string{secret}, MustKeep: []string{"KEEP-body"}}
	if hard, _ := Check(e, message("", plainText, binaryPart("application/octet-stream", []byte("clean"))), "bob@example.com", true); len(hard) != 0 {
		t.Fatalf("clean message: %v", hard)
	}
	for _, tt := range leakCases() {
		t.Run(tt.name, func(t *testing.T) {
			e := e
			if tt.secret != "" {
				e.Secrets = []string{tt.secret}
			}
			hard, _ := Check(e, tt.msg, "bob@example.com", true)
			if len(hard) != 1 || !strings.HasPrefix(hard[0], "secret leaked") {
				t.Errorf("Check = %q, want the secret reported\n%s", hard, tt.msg)
			}
			if tt.deep {
				if hard, _ := Check(e, tt.msg, "bob@example.com", false); len(hard) != 0 {
					t.Errorf("without deep decoding, Check = %q; the test does not prove deep decoding", hard)
				}
			}
		})
	}
}

// uuencode encodes one short line.
func uuencode(s string) string {
	b := []byte(s)
	out := []byte{byte(32 + len(b))}
	for len(b)%3 != 0 {
		b = append(b, 0)
	}
	for i := 0; i < len(b); i += 3 {
		for _, c := range []byte{b[i] >> 2, (b[i]<<4 | b[i+1]>>4) & 63, (b[i+1]<<2 | b[i+2]>>6) & 63, b[i+2] & 63} {
			if c == 0 {
				c = 64
			}
			out = append(out, 32+c)
		}
	}
	return string(out) + "\n"
}

func TestCheckMustKeep(t *testing.T) {
	e := Entry{MustKeep: []string{"KEEP-body", "Grüße aus Köln"}}
	msg := message("Subject2: =?iso-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\n", plainText, "")
	if hard, _ := Check(e, msg, "", false); len(hard) != 0 {
		t.Fatalf("kept: %v", hard)
	}
	lost := bytes.ReplaceAll(msg, []byte("KEEP-body"), []byte("body"))
	hard, _ := Check(e, lost, "", false)
	if len(hard) != 1 || !strings.Contains(hard[0], `must-keep string lost: "KEEP-body"`) {
		t.Errorf("Check = %q, want KEEP-body lost", hard)
	}
}

func TestCheckMustKeepPart(t *testing.T) {
	e := Entry{MustKeepParts: []Part{{ContentType: "application/pdf", ContainsHex: []string{"255044462d"}}}}
	if hard, _ := Check(e, message("", plainText, binaryPart("application/pdf", []byte("%PDF-1.4 x"))), "", false); len(hard) != 0 {
		t.Fatalf("kept: %v", hard)
	}
	if hard, _ := Check(e, message("", plainText, binaryPart("application/pdf", []byte("removed"))), "", false); len(hard) != 1 {
		t.Errorf("Check = %q, want the part reported", hard)
	}
}

func TestCheckForbiddenHeaderAtDepth(t *testing.T) {
	e := Entry{ForbiddenHeaders: []string{"X-Mailer"}}
	deep := message("", plainText, "Content-Type: multipart/alternative; boundary=b2\n\n--b2\nContent-Type: message/rfc822\n\n"+
		"Subject: inner\nx-mailer: Foo 1.0\n\nbody\n--b2--")
	hard, _ := Check(e, deep, "", false)
	if len(hard) != 1 || hard[0] != "forbidden header present: X-Mailer" {
		t.Errorf("Check = %q, want X-Mailer reported", hard)
	}
	clean := bytes.ReplaceAll(deep, []byte("x-mailer: Foo 1.0\r\n"), nil)
	if hard, _ := Check(e, clean, "", false); len(hard) != 0 {
		t.Errorf("clean: %q", hard)
	}
}

// jpegWith returns a w×h JPEG carrying EXIF orientation o (0: no EXIF).
func jpegWith(w, h, o int) []byte {
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h)), nil)
	b := buf.Bytes()
	if o == 0 {
		return b
	}
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01")
	tiff = append(binary.BigEndian.AppendUint16(tiff, uint16(o)), 0, 0, 0, 0, 0, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xff, 0xe1}, binary.BigEndian.AppendUint16(nil, uint16(len(seg)+2))...)
	return append(append(append([]byte{}, b[:2]...), append(app1, seg...)...), b[2:]...)
}

func TestCheckImageUpright(t *testing.T) {
	e := Entry{MustKeepImages: []Image{{ContentType: "image/jpeg", DisplaySize: [2]int{16, 32}}}}
	for _, tt := range []struct {
		name string
		img  []byte
		ok   bool
	}{
		{"stored sideways, EXIF turns it", jpegWith(32, 16, 6), true},
		{"pixels turned, no EXIF", jpegWith(16, 32, 0), true},
		{"EXIF stripped, pixels not turned", jpegWith(32, 16, 0), false},
		{"EXIF 8 kept, pixels turned too", jpegWith(16, 32, 8), false},
		{"truncated", jpegWith(32, 16, 6)[:200], false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hard, _ := Check(e, message("", plainText, binaryPart("image/jpeg", tt.img)), "", false)
			if ok := len(hard) == 0; ok != tt.ok {
				t.Errorf("Check = %q, want ok=%v", hard, tt.ok)
			}
		})
	}
}

func TestCheckOutputShape(t *testing.T) {
	depth := 2
	e := Entry{IfAccepted: IfAccepted{ForbiddenOutputRegex: []string{`(?<!\r)\n`, `\r(?!\n)`, `[^\r\n]{999,}`}, MaxOutputMIMEDepth: &depth}}
	clean := message("", plainText, "")
	if hard, _ := Check(e, clean, "", false); len(hard) != 0 {
		t.Fatalf("clean: %q", hard)
	}
	for name, msg := range map[string][]byte{
		"bare LF":   bytes.Replace(clean, []byte("KEEP-body"), []byte("KEEP\nbody"), 1),
		"bare CR":   bytes.Replace(clean, []byte("KEEP-body"), []byte("KEEP\rbody"), 1),
		"long line": bytes.Replace(clean, []byte("KEEP-body"), bytes.Repeat([]byte("x"), 999), 1),
		"too deep": message("", "Content-Type: multipart/mixed; boundary=b2\n\n--b2\n"+
			"Content-Type: multipart/mixed; boundary=b3\n\n--b3\n\nx\n--b3--\n--b2--", ""),
	} {
		if hard, _ := Check(e, msg, "", false); len(hard) != 1 {
			t.Errorf("%s: Check = %q, want one finding", name, hard)
		}
	}
}

func TestPerDeliverySecrets(t *testing.T) {
	e := Entry{PerDelivery: map[string][]string{"carol@example.org": {"Bob Example"}}, SessionSecrets: []string{"198.51.100.7"}}
	msg := message("X-Note: Bob Example\n", plainText, "")
	if hard, _ := Check(e, msg, "bob@example.com", false); len(hard) != 0 {
		t.Errorf("bob's copy: %q", hard)
	}
	if hard, _ := Check(e, msg, "carol@example.org", false); len(hard) != 1 {
		t.Errorf("carol's copy: %q, want the per-delivery secret", hard)
	}
	if hard, _ := Check(e, message("Received: from [198.51.100.7]\n", plainText, ""), "", false); len(hard) != 1 {
		t.Errorf("session secret: %q", hard)
	}
}
