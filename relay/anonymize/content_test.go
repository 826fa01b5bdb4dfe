package anonymize

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leak/relay/content/refusal"
)

// refusedAs runs msg through a default Anonymizer with the envelope
// sender from, and returns the refusal kind (0 if it was delivered).
func refusedAs(t *testing.T, opts Options, msg []byte, from string) (refusal.Kind, [][]byte) {
	t.Helper()
	a := New(opts)
	var out bytes.Buffer
	err := a.Rewrite(bytes.NewReader(msg), []Copy{{To: "bob@example.com", Relationship: "a friend", W: &out,
		Footer: Footer{Text: "\r\nFOOTER-TEXT\r\n", HTML: "<p>FOOTER-HTML</p>"}}}, from)
	if err == nil {
		return 0, [][]byte{out.Bytes()}
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Rewrite: %v, want an *Error", err)
	}
	if e.Reason != Content {
		if e.Reason == Malformed {
			return refusal.Malformed, nil
		}
		t.Fatalf("Rewrite: %v, want a content refusal", err)
	}
	if e.Text == "" {
		t.Error("a refusal without a text for the sender")
	}
	return e.Kind, nil
}

func attachment(typ, name string, body []byte) string {
	return "--x\nContent-Type: " + typ + "\nContent-Disposition: attachment; filename=\"" + name +
		"\"\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString(body) + "\n"
}

func mixed(parts ...string) []byte {
	return crlfMsg("From: Alice Smith <alice@sender.example>\nSubject: c\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nKEEP-BODY\n" +
		strings.Join(parts, "") + "--x--\n")
}

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Every leaf type goes one of three ways: cleaned, refused with a reply
// that helps the sender, or passed because the operator said so.
func TestContentRouting(t *testing.T) {
	passing := testOptions()
	passing.PassTypes = []string{"application/x-custom"}
	tests := []struct {
		name string
		opts Options
		msg  []byte
		want refusal.Kind
	}{
		{"unknown binary type", testOptions(), mixed(attachment("application/x-custom", "a.bin", []byte("\x00\x01data"))), refusal.Unsupported},
		{"octet-stream of unknown content", testOptions(), mixed(attachment("application/octet-stream", "a.bin", []byte("\x00\x01data"))), refusal.Unsupported},
		{"octet-stream that is text", testOptions(), mixed(attachment("application/octet-stream", "notes.bin", []byte("plain words\r\nand more\r\n"))), 0},
		{"octet-stream that is text with the sender's address", testOptions(), mixed(attachment("application/octet-stream", "notes.bin", []byte("alice@sender.example\r\n"))), refusal.Identifying},
		{"operator's pass type", passing, mixed(attachment("application/x-custom", "a.bin", []byte("\x00\x01data"))), 0},
		{"TIFF", testOptions(), mixed(attachment("image/tiff", "a.tif", []byte("II*\x00\x08\x00\x00\x00"))), refusal.Unsupported},
		{"HEIC", testOptions(), mixed(attachment("image/heic", "a.heic", []byte("\x00\x00\x00\x18ftypheic"))), refusal.Unsupported},
		{"PNG", testOptions(), mixed(attachment("image/png", "a.png", tinyPNG(t))), 0},
		{"PNG sent as octet-stream", testOptions(), mixed(attachment("application/octet-stream", "a.png", tinyPNG(t))), 0},
		{"a JPEG that is not one", testOptions(), mixed(attachment("image/jpeg", "a.jpg", []byte("not a jpeg at all"))), refusal.Malformed},
		{"S/MIME enveloped", testOptions(), crlfMsg("Subject: e\nMIME-Version: 1.0\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\n" +
			"Content-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\n"), refusal.Encrypted},
		{"PGP/MIME encrypted", testOptions(), crlfMsg("Subject: e\nMIME-Version: 1.0\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=x\n\n" +
			"--x\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--x\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n--x--\n"), refusal.Encrypted},
		{"own address in the body", testOptions(), crlfMsg("From: Alice Smith <alice@sender.example>\nSubject: s\n\nWrite to me at Alice@Sender.example please.\n"), refusal.Identifying},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := refusedAs(t, tt.opts, tt.msg, "alice@sender.example")
			if got != tt.want {
				t.Errorf("refusal = %v, want %v", got, tt.want)
			}
		})
	}
}

// The envelope sender is found in the body even when the From field
// names another address.
func TestEnvelopeSenderInBody(t *testing.T) {
	msg := crlfMsg("From: someone@other.example\nSubject: s\n\nmy real one is bounce-me@envelope.example\n")
	if got, _ := refusedAs(t, testOptions(), msg, "bounce-me@envelope.example"); got != refusal.Identifying {
		t.Errorf("refusal = %v, want identifying", got)
	}
	if got, _ := refusedAs(t, testOptions(), msg, ""); got != 0 {
		t.Errorf("without an envelope sender: refusal = %v, want delivery", got)
	}
}

// Two Content-Type fields at any depth make the message ambiguous.
func TestDuplicateContentFields(t *testing.T) {
	for _, key := range []string{"Content-Type: text/plain", "Content-Transfer-Encoding: 7bit", "Content-Disposition: inline"} {
		msg := crlfMsg("Subject: d\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n" +
			"--x\nContent-Type: text/plain\n" + key + "\n" + key + "\n\nbody\n--x--\n")
		_, err := rewrite(t, msg)
		if err != errAmbiguous {
			t.Errorf("%s twice: err = %v, want %v", key, err, errAmbiguous)
		}
	}
}

// A message that is one attachment, or attachments only, still shows the
// footer, in a text part of its own; a hidden HTML container the sender
// left open does not swallow it.
func TestFooterAlwaysVisible(t *testing.T) {
	pngB64 := base64.StdEncoding.EncodeToString(tinyPNG(t))
	tests := []struct {
		name, msg string
	}{
		{"a lone image", "Subject: i\nMIME-Version: 1.0\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n" + pngB64 + "\n"},
		{"attachments only", "Subject: i\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n" + pngB64 + "\n--x--\n"},
		{"a forwarded message only", "Subject: i\nMIME-Version: 1.0\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, outs := refusedAs(t, testOptions(), crlfMsg(tt.msg), "")
			if kind != 0 {
				t.Fatalf("refused: %v", kind)
			}
			v := decodeView(outs[0])
			if !v.contains(outs[0], "FOOTER-TEXT") {
				t.Errorf("no footer:\n%s", outs[0])
			}
		})
	}

	hidden := crlfMsg("Subject: h\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n" +
		"<html><body><p>KEEP-VISIBLE</p><div style=\"display:none\"><p>unclosed\n")
	_, outs := refusedAs(t, testOptions(), hidden, "")
	body := string(outs[0])
	i, j := strings.Index(body, "display:none"), strings.Index(body, "FOOTER-HTML")
	if j < 0 {
		t.Fatalf("no HTML footer:\n%s", body)
	}
	if i >= 0 && !strings.Contains(body[i:j], "</div>") {
		t.Errorf("the footer is inside the sender's hidden container:\n%s", body)
	}
}

// A forwarded DSN keeps what happened to whom, nothing of the sender's
// mail system; the returned headers are dropped.
func TestDeliveryReport(t *testing.T) {
	msg := crlfMsg("Subject: fwd\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\n\n" +
		"--x\nContent-Type: text/plain\n\nKEEP-REPORT-TEXT\n" +
		"--x\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; smtp.sender-corp.example\nX-Postfix-Queue-ID: 4ABCDEF\n" +
		"Arrival-Date: Mon, 2 Nov 2026 10:00:00 +0100\n\nFinal-Recipient: rfc822; carol@example.net\nOriginal-Recipient: rfc822; carol@example.net\n" +
		"Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.example.net\nDiagnostic-Code: smtp; 550 5.1.1 no such user; client host [192.0.2.25] (smtp.sender-corp.example)\n" +
		"--x\nContent-Type: text/rfc822-headers\n\nFrom: Alice <alice@sender-corp.example>\nMessage-ID: <SECRET-ID@sender-corp.example>\n" +
		"--x--\n")
	outs, err := rewrite(t, msg)
	if err != nil {
		t.Fatal(err)
	}
	out := string(outs[0])
	for _, gone := range []string{"sender-corp", "4ABCDEF", "Arrival-Date", "SECRET-ID", "Remote-MTA", "192.0.2.25", "Diagnostic-Code"} {
		if strings.Contains(out, gone) {
			t.Errorf("output keeps %q:\n%s", gone, out)
		}
	}
	for _, kept := range []string{"Final-Recipient: rfc822; carol@example.net", "Action: failed", "Status: 5.1.1", "KEEP-REPORT-TEXT"} {
		if !strings.Contains(out, kept) {
			t.Errorf("output lost %q:\n%s", kept, out)
		}
	}
}

// The budget for documents held in memory admits what fits, makes the
// rest wait, and defers once the wait is over.
func TestDocumentBudget(t *testing.T) {
	b := newBudget(10, 0)
	if err := b.acquire(6); err != nil {
		t.Fatal(err)
	}
	if err := b.acquire(6); !errors.Is(err, errBusy) {
		t.Errorf("over budget: err = %v, want busy", err)
	}
	b.release(6)
	if err := b.acquire(6); err != nil {
		t.Errorf("after release: %v", err)
	}
	if _, _, err := newBudget(64<<20, 0).readDocument(strings.NewReader(strings.Repeat("x", 100)), 10); err != errTooLargeDoc {
		t.Errorf("over max: err = %v, want %v", err, errTooLargeDoc)
	}
}

func TestBase64Writer(t *testing.T) {
	for _, n := range []int{0, 1, 56, 57, 58, 114, 1000} {
		data := bytes.Repeat([]byte{0xfe, 0x01, 0x80}, n)[:n]
		var out bytes.Buffer
		w := newBase64Writer(&out)
		w.Write(data[:n/2])
		w.Write(data[n/2:])
		w.Close()
		for _, line := range strings.Split(out.String(), "\r\n") {
			if len(line) > 76 {
				t.Errorf("n=%d: line of %d characters", n, len(line))
			}
		}
		got, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(out.String(), "\r\n", ""))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("n=%d: round trip failed: %v", n, err)
		}
	}
}

// Many documents read at once through a budget for three: each waits with
// nothing held, so all get through in turn and the budget is never
// exceeded.
func TestDocumentBudgetConcurrent(t *testing.T) {
	const size, docs = 1000, 12
	b := newBudget(3*size*documentCost, 10*time.Second)
	var wg sync.WaitGroup
	var peak atomic.Int64
	errs := make(chan error, docs)
	for i := range docs {
		wg.Go(func() {
			pr, pw := io.Pipe()
			go func() {
				for range 8 { // a slow client: 800 octets in 8 writes
					pw.Write(bytes.Repeat([]byte{byte(i)}, 100))
					time.Sleep(time.Millisecond) // the slowness is the point: readers wait holding nothing
				}
				pw.Close()
			}()
			data, held, err := b.readDocument(pr, size)
			if err != nil {
				errs <- err
				return
			}
			b.mu.Lock()
			peak.Store(max(peak.Load(), b.used))
			b.mu.Unlock()
			if len(data) != 800 || held != 800*documentCost {
				errs <- fmt.Errorf("read %d octets holding %d", len(data), held)
			}
			time.Sleep(5 * time.Millisecond) // cleaning takes a while, with the budget held
			b.release(held)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := peak.Load(); p > b.max {
		t.Errorf("budget exceeded: %d of %d", p, b.max)
	}
	if b.used != 0 {
		t.Errorf("%d octets still held", b.used)
	}
}

// An EMF inside a Word document (an embedded object's preview, a
// signature line) loses the sender's screen and the picture's source path
// from its header; the document goes out.
func TestEmbeddedEMF(t *testing.T) {
	le := binary.LittleEndian
	desc := []byte{}
	for _, c := range "Microsoft Office\x00C:\\Users\\alice\\chart.emf\x00\x00" {
		desc = le.AppendUint16(desc, uint16(c))
	}
	h := make([]byte, 108, 108+len(desc))
	le.PutUint32(h[0:], 1)
	le.PutUint32(h[4:], uint32(108+len(desc)))
	le.PutUint32(h[40:], 0x464D4520)
	le.PutUint32(h[44:], 0x10000)
	le.PutUint32(h[60:], uint32(len(desc)/2))
	le.PutUint32(h[64:], 108)
	for at, v := range map[int]uint32{72: 2560, 76: 1440, 80: 677, 84: 381, 100: 677333, 104: 381000} {
		le.PutUint32(h[at:], v)
	}
	emf := append(h, desc...)
	emf = append(emf, 14, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 20, 0, 0, 0) // EMR_EOF
	le.PutUint32(emf[48:], uint32(len(emf)))
	le.PutUint32(emf[52:], 2)

	doc := zipOf(t, map[string]string{
		"[Content_Types].xml":          `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="emf" ContentType="image/x-emf"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"_rels/.rels":                  docxRels,
		"word/document.xml":            `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>KEEP-TEXT</w:t></w:r></w:p></w:body></w:document>`,
		"word/_rels/document.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.emf"/></Relationships>`,
		"word/media/image1.emf":        string(emf),
	})
	msg := mixed(wrappedAttachment(docxType, "plan.docx", doc))
	kind, out := refusedAs(t, testOptions(), msg, "alice@sender.example")
	if kind != 0 {
		t.Fatalf("refused: %v", kind)
	}
	var cleaned []byte
	for _, p := range decodeView(out[0]).parts {
		if r, err := zip.NewReader(bytes.NewReader(p.body), int64(len(p.body))); err == nil {
			for _, f := range r.File {
				if f.Name == "word/media/image1.emf" {
					rc, _ := f.Open()
					cleaned, _ = io.ReadAll(rc)
					rc.Close()
				}
			}
		}
	}
	if len(cleaned) < 108 {
		t.Fatalf("no EMF in the cleaned document")
	}
	if got := [4]uint32{le.Uint32(cleaned[72:]), le.Uint32(cleaned[76:]), le.Uint32(cleaned[80:]), le.Uint32(cleaned[84:])}; got != [4]uint32{1210, 907, 320, 240} {
		t.Errorf("reference device %v, want 1210×907 px on 320×240 mm", got)
	}
	if bytes.Contains(cleaned, []byte{'a', 0, 'l', 0, 'i', 0, 'c', 0, 'e', 0}) || le.Uint32(cleaned[60:]) != 0 {
		t.Errorf("the description survives")
	}
}

const (
	docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	docxRels = `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`
)

// zipOf builds a ZIP archive (an OOXML or ODF package) of the files.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for name, body := range files {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wrappedAttachment is attachment with its base64 in lines of 76.
func wrappedAttachment(typ, name string, body []byte) string {
	b64 := base64.StdEncoding.EncodeToString(body)
	var lines strings.Builder
	for len(b64) > 76 {
		lines.WriteString(b64[:76] + "\n")
		b64 = b64[76:]
	}
	lines.WriteString(b64 + "\n")
	return "--x\nContent-Type: " + typ + "\nContent-Disposition: attachment; filename=\"" + name +
		"\"\nContent-Transfer-Encoding: base64\n\n" + lines.String()
}

// docx is a Word document whose body is the given runs' XML.
func docx(t *testing.T, body string, more map[string]string) []byte {
	files := map[string]string{
		"[Content_Types].xml": `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"_rels/.rels":         docxRels,
		"word/document.xml":   `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body><w:p>` + body + `</w:p></w:body></w:document>`,
	}
	for k, v := range more {
		files[k] = v
	}
	return zipOf(t, files)
}

// TestSenderInDocument: the sender's own address left in a document after
// cleaning, wherever it is, refuses the message; another mailbox does not.
func TestSenderInDocument(t *testing.T) {
	link := map[string]string{"word/_rels/document.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="mailto:Alice@Sender.example?subject=x" TargetMode="External"/></Relationships>`}
	odt := zipOf(t, map[string]string{
		"mimetype":              "application/vnd.oasis.opendocument.text",
		"META-INF/manifest.xml": `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`,
		"content.xml":           `<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>Write to alice@sender.example</text:p></office:text></office:body></office:document-content>`,
	})
	rtf := []byte(`{\rtf1\ansi Write to {\b alice@sender.example} soon.}`)
	clean := docx(t, `<w:r><w:t>Write to malice@sender.example or alice@sender.example.org</w:t></w:r>`, nil)
	tests := []struct {
		name string
		part string
		want refusal.Kind
	}{
		{"in a Word document's text", wrappedAttachment(docxType, "a.docx", docx(t, `<w:r><w:t>Write to alice@sender.example</w:t></w:r>`, nil)), refusal.Identifying},
		{"split over two runs", wrappedAttachment(docxType, "a.docx", docx(t, `<w:r><w:t>alice@</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:t>sender.example</w:t></w:r>`, nil)), refusal.Identifying},
		{"as a link", wrappedAttachment(docxType, "a.docx", docx(t, `<w:hyperlink r:id="rId9"><w:r><w:t>mail me</w:t></w:r></w:hyperlink>`, link)), refusal.Identifying},
		{"in an OpenDocument", wrappedAttachment("application/vnd.oasis.opendocument.text", "a.odt", odt), refusal.Identifying},
		{"in RTF", wrappedAttachment("application/rtf", "a.rtf", rtf), refusal.Identifying},
		{"in a document inside a ZIP", wrappedAttachment("application/zip", "a.zip", zipOf(t, map[string]string{"a.docx": string(docx(t, `<w:r><w:t>alice@sender.example</w:t></w:r>`, nil))})), refusal.Identifying},
		{"in RTF inside a ZIP", wrappedAttachment("application/zip", "a.zip", zipOf(t, map[string]string{"a.rtf": string(rtf)})), refusal.Identifying},
		{"other mailboxes", wrappedAttachment(docxType, "a.docx", clean), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := refusedAs(t, testOptions(), mixed(tt.part), "alice@sender.example"); got != tt.want {
				t.Errorf("refusal = %v, want %v", got, tt.want)
			}
		})
	}
}

// A contact card the sender shares that still names their address is
// refused; one that does not goes out.
func TestSenderInCard(t *testing.T) {
	for _, c := range []struct {
		name, card string
		want       refusal.Kind
	}{
		{"in a note", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob Jones\r\nEMAIL:bob@example.com\r\nNOTE:Assistant to alice@sender.example\r\nEND:VCARD\r\n", refusal.Identifying},
		{"as a related person", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bob Jones\r\nRELATED;TYPE=co-worker:mailto:alice@sender.example\r\nEND:VCARD\r\n", refusal.Identifying},
		{"another mailbox", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob Jones\r\nEMAIL:bob@example.com\r\nNOTE:not malice@sender.example\r\nEND:VCARD\r\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, _ := refusedAs(t, testOptions(), mixed(wrappedAttachment("text/vcard", "bob.vcf", []byte(c.card))), "alice@sender.example"); got != c.want {
				t.Errorf("refusal = %v, want %v", got, c.want)
			}
		})
	}
}
