package anonymize

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"leak/policy/testutil"
)

// BenchmarkContent is the content stage's cost (content.go): each message
// is rewritten once with its leaves cleaned ("clean") and once with their
// media type in PassTypes ("pass"), which delivers them unchanged and so
// skips the stage; the rest of the rewrite (header, MIME, the footer of
// the text part) is the same. The target is pass/clean ≥ 0.9 on
// the 2 KiB text message.
func BenchmarkContent(b *testing.B) {
	docx := "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	for _, c := range []struct {
		name, typ string
		msg       func() []byte
	}{
		{"text-2KiB", "text/plain", func() []byte { return textMessage(2 << 10) }},
		// Outlook's reply: text and HTML alternatives, the text part
		// waiting for the HTML part's signature (hold.go).
		{"outlook-alt", "text/plain", func() []byte {
			b, err := os.ReadFile("testdata/content/text/txt25_outlook_regards_sig.eml")
			if err != nil {
				panic(err)
			}
			return b
		}},
		{"photo-1MiB", "image/jpeg", func() []byte {
			return attachmentMessage("image/jpeg", "IMG_0412.jpg", benchPhoto())
		}},
		{"pdf-1MiB", "application/pdf", func() []byte {
			return attachmentMessage("application/pdf", "report.pdf", encode(benchPDF(1<<20)))
		}},
		{"docx-1MiB", docx, func() []byte {
			return attachmentMessage(docx, "minutes.docx", encode(benchDOCX(1<<20)))
		}},
	} {
		msg := c.msg()
		for _, pass := range []bool{false, true} {
			name := c.name + "/clean"
			o := testOptions()
			if pass {
				name = c.name + "/pass"
				o.PassTypes = []string{c.typ}
			}
			b.Run(name, func(b *testing.B) {
				a := New(o)
				copies := []Copy{{To: "bob@example.com", Relationship: "a friend", W: io.Discard,
					Footer: Footer{Text: "\r\n-- \r\nSent through Leak.\r\n"}}}
				if err := a.Rewrite(bytes.NewReader(msg), copies); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(msg)))
				for b.Loop() {
					if err := a.Rewrite(bytes.NewReader(msg), copies); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// textMessage is a plain text message of size octets with the header a
// mail client and its submission server write, like the end-to-end
// harness's (cmd/leak-load/compare.sh).
func textMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("Received: from mail.sender.example (mail.sender.example [192.0.2.25])\r\n" +
		"\tby mx.sender-isp.example (Postfix) with ESMTPS id 4Y2Qk71mTz9sRq\r\n" +
		"\tfor <to+bob=example.com@leak.example>; Tue, 03 Dec 2024 10:15:43 +0100 (CET)\r\n" +
		"Message-ID: <3f1c2a9e-5b7d-4e8a-9c61-2d4e8f7a1b03@sender.example>\r\n" +
		"Date: Tue, 3 Dec 2024 10:15:41 +0100\r\nMIME-Version: 1.0\r\nUser-Agent: Mozilla Thunderbird\r\n" +
		"Content-Language: en-GB\r\nFrom: Alice Example <alice@sender.example>\r\n" +
		"To: Bob <to+bob=example.com@leak.example>\r\nSubject: Re: the minutes of Thursday's meeting\r\n" +
		"Content-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
		"Hello Bob,\r\n\r\n")
	line := "thanks for the notes. I went through them again this morning, and I\r\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	b.WriteString(strings.Repeat("-", max(size-b.Len()-2, 0)) + "\r\n")
	return b.Bytes()
}

// attachmentMessage is a short text and one base64 attachment.
func attachmentMessage(typ, name string, encoded []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: Alice Example <alice@sender.example>\r\nTo: to+bob=example.com@leak.example\r\n" +
		"Subject: the file\r\nDate: Tue, 3 Dec 2024 10:15:41 +0100\r\nMessage-ID: <a1@sender.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere it is.\r\n")
	fmt.Fprintf(&b, "--b1\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n", typ, name, name)
	b.Write(encoded)
	b.WriteString("--b1--\r\n")
	return b.Bytes()
}

// encode is data in base64 lines, as a client attaches it.
func encode(data []byte) []byte {
	var enc bytes.Buffer
	w := newBase64Writer(&enc)
	w.Write(data)
	w.Close()
	enc.WriteString("\r\n")
	return enc.Bytes()
}

// benchPDF is a valid PDF of about size octets, the one relay/content/pdf's
// tests clean: pages of text, each with a Flate image of noise, an Info
// dictionary and XMP naming an author (which the cleaner removes).
func benchPDF(size int) []byte { return testutil.SynthPDF(size) }

// benchDOCX is a Word document of about size octets: the parts Word
// writes, properties naming the author, and a picture (stored, as Word
// stores JPEGs) making up the size.
func benchDOCX(size int) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	add := func(name, body string) {
		w, _ := z.Create(name)
		io.WriteString(w, body)
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+
		`<Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/>`+
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>`+
		`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>`+
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`)
	add("docProps/core.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">`+
		`<dc:creator>Alice Example</dc:creator><cp:lastModifiedBy>Alice Example</cp:lastModifiedBy></cp:coreProperties>`)
	add("word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.jpeg"/></Relationships>`)
	var body strings.Builder
	for i := range 200 {
		fmt.Fprintf(&body, `<w:p><w:r><w:t>Paragraph %d of the minutes: who said what, and what was agreed.</w:t></w:r></w:p>`, i)
	}
	add("word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`+body.String()+`</w:body></w:document>`)
	photo := decodedPhoto()
	for n := 0; n == 0 || b.Len()+n*len(photo) < size; n++ {
		w, _ := z.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("word/media/image%d.jpeg", n+1), Method: zip.Store})
		w.Write(photo)
	}
	z.Close()
	return b.Bytes()
}

// decodedPhoto is benchPhoto's JPEG, decoded from its base64.
var decodedPhoto = sync.OnceValue(func() []byte {
	var out bytes.Buffer
	if _, err := io.Copy(&out, base64.NewDecoder(base64.StdEncoding, bytes.NewReader(benchPhoto()))); err != nil {
		panic(err)
	}
	return out.Bytes()
})
