package tnef

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

// The [MS-OXRTFCP] section 3.1.1 example: "{\rtf1\ansi\ansicpg1252\pard
// hello world}" CRLF, compressed.
var specRTF = []byte{
	0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7,
	0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20,
	0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f,
	0xa0,
}

const specRTFText = "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"

const pdf = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

// senderAttrs are what Outlook writes about the sender: none may come out.
func senderAttrs() []attr {
	return []attr{
		{levelMessage, idTnefVersion, u32(0x00010000)},
		{levelMessage, idOemCodepage, append(u32(1252), u32(0)...)},
		{levelMessage, idMessageClass, sz("IPM.Note")},
		{levelMessage, idFrom, append(make([]byte, 8), sz("Tomasz Kowalczyk")...)},
		{levelMessage, idSubject, sz("Plans")},
		{levelMessage, idDateSent, make([]byte, 14)},
		{levelMessage, idMessageID, sz("00000000CAFEBABE")},
	}
}

func fullMessage() []byte {
	attrs := senderAttrs()
	attrs = append(attrs,
		attr{levelMessage, idMAPIProps, encodeProps(
			mprop{tag: 0x0C1A001F, values: [][]byte{utf16z("Tomasz Kowalczyk")}},
			mprop{tag: 0x0C1F001F, values: [][]byte{utf16z("t.kowalczyk@kowalczyk-arch.example")}},
			mprop{tag: 0x10000000 | ptUnicode, values: [][]byte{utf16z("Hello Bob, plans attached. Zażółć")}},
			mprop{tag: 0x10130000 | ptBinary, values: [][]byte{[]byte("<p>Hello Bob</p>")}},
			mprop{tag: 0x3FDE0003, values: [][]byte{u32(65001)}},
			mprop{tag: 0x85000000 | ptUnicode, name: "x-sender-dept", values: [][]byte{utf16z("Kowalczyk Arch")}},
			mprop{tag: 0x0E1D0000 | ptString8 | ptMulti, values: [][]byte{sz("a"), sz("Kowalczyk")}},
			mprop{tag: 0x00390040, values: [][]byte{make([]byte, 8)}},
			mprop{tag: 0x0E07000B, values: [][]byte{u32(1)}},
		)},
		attr{levelAttachment, idAttachRendData, make([]byte, 14)},
		attr{levelAttachment, idAttachTitle, sz("PLAN~1.PDF")},
		attr{levelAttachment, idAttachModifyDat, make([]byte, 14)},
		attr{levelAttachment, idAttachData, []byte(pdf)},
		attr{levelAttachment, idAttachment, encodeProps(
			mprop{tag: 0x3707001F, values: [][]byte{utf16z(`C:\Users\tkowalczyk\Desktop\plan.pdf`)}},
			mprop{tag: 0x37050003, values: [][]byte{u32(1)}},
			mprop{tag: 0x3708001F, values: [][]byte{utf16z(`C:\Users\tkowalczyk\Desktop\plan.pdf`)}},
		)},
		attr{levelAttachment, idAttachRendData, make([]byte, 14)},
		attr{levelAttachment, idAttachTitle, sz("notes.txt")},
		attr{levelAttachment, idAttachData, []byte("KEEP notes")},
		attr{levelAttachment, idAttachment, encodeProps(
			mprop{tag: 0x370E001E, values: [][]byte{sz("text/plain; charset=us-ascii")}},
		)},
	)
	return encodeTNEF(attrs...)
}

func TestDecode(t *testing.T) {
	m, err := Decode(bytes.NewReader(fullMessage()), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "Hello Bob, plans attached. Zażółć" || string(m.HTML) != "<p>Hello Bob</p>" || m.Charset != "utf-8" {
		t.Errorf("bodies = %q, %q, %q", m.Text, m.HTML, m.Charset)
	}
	want := []Attachment{
		{Name: "plan.pdf", MediaType: "application/pdf", Data: []byte(pdf)},
		{Name: "notes.txt", MediaType: "text/plain", Data: []byte("KEEP notes")},
	}
	if fmt.Sprintf("%q", m.Attachments) != fmt.Sprintf("%q", want) {
		t.Errorf("attachments = %q", m.Attachments)
	}
	if s := fmt.Sprintf("%#v", m); strings.Contains(strings.ToLower(s), "kowalczyk") || strings.Contains(s, "IPM") || strings.Contains(s, "CAFEBABE") {
		t.Errorf("sender data came out: %s", s)
	}
}

func TestDecodeBodies(t *testing.T) {
	body := func(props ...mprop) []byte {
		return encodeTNEF(attr{levelMessage, idOemCodepage, u32(1250)}, attr{levelMessage, idMAPIProps, encodeProps(props...)})
	}
	tests := []struct {
		name       string
		in         []byte
		text, html string
		charset    string
	}{
		{name: "rtf only", in: body(mprop{tag: 0x10090102, values: [][]byte{specRTF}}), text: "hello world"},
		{name: "rtf beside text is not decoded", in: body(mprop{tag: 0x1000001E, values: [][]byte{sz("Za\xbf\xf3\xb3\xe6")}}, mprop{tag: 0x10090102, values: [][]byte{{1, 2, 3}}}), text: "Zażółć"},
		{name: "message code page wins", in: body(mprop{tag: 0x3FFD0003, values: [][]byte{u32(1252)}}, mprop{tag: 0x1000001E, values: [][]byte{sz("caf\xe9")}}), text: "café"},
		{name: "html in windows-1252", in: body(mprop{tag: 0x3FDE0003, values: [][]byte{u32(1252)}}, mprop{tag: 0x10130102, values: [][]byte{[]byte("<b>caf\xe9</b>")}}), html: "<b>caf\xe9</b>", charset: "windows-1252"},
		{name: "legacy attBody", in: encodeTNEF(attr{levelMessage, idBody, sz("old body")}), text: "old body"},
		{name: "nothing", in: encodeTNEF(), text: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(bytes.NewReader(tt.in), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != tt.text || string(m.HTML) != tt.html || m.Charset != tt.charset {
				t.Errorf("got %q %q %q", m.Text, m.HTML, m.Charset)
			}
		})
	}
}

func TestDecodeRefusals(t *testing.T) {
	att := func(extra ...attr) []byte {
		a := []attr{{levelAttachment, idAttachRendData, make([]byte, 14)}, {levelAttachment, idAttachTitle, sz("x.bin")}}
		return encodeTNEF(append(a, extra...)...)
	}
	full := fullMessage()
	badSum := bytes.Clone(full)
	badSum[len(badSum)-1] ^= 0xFF
	ole := make([]byte, 14)
	ole[0] = 2
	tests := []struct {
		name string
		in   []byte
		max  int64
		kind refusal.Kind
	}{
		{"bad signature", []byte("PK\x03\x04 not tnef at all"), 1 << 20, refusal.Malformed},
		{"empty", nil, 1 << 20, refusal.Malformed},
		{"bad checksum", badSum, 1 << 20, refusal.Malformed},
		{"too large", full, 100, refusal.TooLarge},
		{"unknown level", encodeTNEF(attr{7, idSubject, sz("x")}), 1 << 20, refusal.Malformed},
		{"embedded message", att(attr{levelAttachment, idAttachment, encodeProps(mprop{tag: 0x37050003, values: [][]byte{u32(5)}})}), 1 << 20, refusal.Unsupported},
		{"data object", att(attr{levelAttachment, idAttachment, encodeProps(mprop{tag: 0x3701000D, values: [][]byte{make([]byte, 20)}})}), 1 << 20, refusal.Unsupported},
		{"ole rendering", encodeTNEF(attr{levelAttachment, idAttachRendData, ole}), 1 << 20, refusal.Unsupported},
		{"by reference", att(attr{levelAttachment, idAttachment, encodeProps(mprop{tag: 0x37050003, values: [][]byte{u32(2)}})}), 1 << 20, refusal.Unsupported},
		{"no data", att(), 1 << 20, refusal.Unsupported},
		{"embedded tnef", att(attr{levelAttachment, idAttachData, encodeTNEF()}), 1 << 20, refusal.Unsupported},
		{"unknown code page", encodeTNEF(attr{levelMessage, idOemCodepage, u32(12345)}, attr{levelMessage, idBody, sz("\xe9")}), 1 << 20, refusal.Unsupported},
		{"prop count too large", encodeTNEF(attr{levelMessage, idMAPIProps, u32(0xFFFFFFFF)}), 1 << 20, refusal.Malformed},
		{"prop length past end", encodeTNEF(attr{levelMessage, idMAPIProps, append(append(u32(1), 0x1E, 0, 0, 0x10), append(u32(1), u32(0x7FFFFFFF)...)...)}), 1 << 20, refusal.Malformed},
		{"unknown prop type", encodeTNEF(attr{levelMessage, idMAPIProps, append(u32(1), 0x99, 0, 0, 0x10, 0, 0, 0, 0)}), 1 << 20, refusal.Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(tt.in), tt.max)
			if r, ok := refusal.As(err); !ok || r.Kind != tt.kind {
				t.Errorf("err = %v, want %v", err, tt.kind)
			}
		})
	}
	// Every truncation inside an attribute is refused, never a panic.
	bounds := map[int]bool{6: true}
	for p := 6; p+9 <= len(full); {
		p += 9 + int(binary.LittleEndian.Uint32(full[p+5:])) + 2
		bounds[p] = true
	}
	for n := 0; n < len(full); n++ {
		if _, err := Decode(bytes.NewReader(full[:n]), 1<<20); err == nil && !bounds[n] {
			t.Fatalf("truncated at %d: no error", n)
		}
	}
}

func TestRTF(t *testing.T) {
	if len(rtfPrefix) != 207 {
		t.Fatalf("prefix is %d bytes, want 207", len(rtfPrefix))
	}
	got, err := decompressRTF(specRTF, 1<<20)
	if err != nil || string(got) != specRTFText {
		t.Fatalf("spec vector: %q, %v", got, err)
	}
	mela := append(append(append(u32(uint32(12+len(specRTFText))), u32(uint32(len(specRTFText)))...), append(u32(rtfUncompressed), u32(0)...)...), specRTFText...)
	if got, err := decompressRTF(mela, 1<<20); err != nil || string(got) != specRTFText {
		t.Errorf("MELA: %q, %v", got, err)
	}
	badCRC := bytes.Clone(specRTF)
	badCRC[12] ^= 1
	badData := bytes.Clone(specRTF)
	badData[20] ^= 1
	small := bytes.Clone(specRTF)
	small[4] = 10 // RAWSIZE below the output
	for name, in := range map[string][]byte{"crc": badCRC, "data": badData, "rawsize": small, "short": specRTF[:10], "compsize": specRTF[:40]} {
		if _, err := decompressRTF(in, 1<<20); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := decompressRTF(specRTF, 10); err == nil {
		t.Errorf("max: no error")
	}
}

func TestBaseName(t *testing.T) {
	for in, want := range map[string]string{
		`C:\Users\t\Desktop\plan.pdf`: "plan.pdf",
		"/home/t/notes.txt":           "notes.txt",
		"a\x00b.txt":                  "ab.txt",
		"..":                          "",
		`\\server\share\`:             "",
	} {
		if got := baseName(in); got != want {
			t.Errorf("baseName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(fullMessage(), true)
	f.Add(encodeTNEF(attr{levelMessage, idMAPIProps, encodeProps(mprop{tag: 0x10090102, values: [][]byte{specRTF}})}), false)
	f.Fuzz(func(t *testing.T, in []byte, fixSums bool) {
		// Let the fuzzer past the attribute checksums to the parsers.
		if fixSums {
			in = bytes.Clone(in)
			for p := 6; p+11 <= len(in); {
				n := int(binary.LittleEndian.Uint32(in[p+5:]))
				if n < 0 || n > len(in)-p-11 {
					break
				}
				binary.LittleEndian.PutUint16(in[p+9+n:], checksum(in[p+9:p+9+n]))
				p += 11 + n
			}
		}
		m, err := Decode(bytes.NewReader(in), 1<<20)
		if err != nil {
			if _, ok := refusal.As(err); !ok {
				t.Fatalf("non-refusal error: %v", err)
			}
			return
		}
		n := len(m.Text) + len(m.HTML)
		for _, a := range m.Attachments {
			n += len(a.Data)
			if strings.ContainsAny(a.Name, `/\`) || a.MediaType == "" {
				t.Fatalf("attachment %q %q", a.Name, a.MediaType)
			}
		}
		if n > 4*len(in)+(1<<20) {
			t.Fatalf("output %d bytes from %d", n, len(in))
		}
	})
}

func FuzzRTFDecompress(f *testing.F) {
	f.Add(specRTF, false)
	f.Add([]byte("\x10\x00\x00\x00\x04\x00\x00\x00MELA\x00\x00\x00\x00abcd"), false)
	f.Fuzz(func(t *testing.T, in []byte, fixCRC bool) {
		// Let the fuzzer past the CRC to the decompressor.
		if fixCRC && len(in) >= 16 {
			in = bytes.Clone(in)
			end := min(len(in), int(binary.LittleEndian.Uint32(in))+4)
			if end >= 16 {
				binary.LittleEndian.PutUint32(in[12:], rtfCRC(in[16:end]))
			}
		}
		out, err := decompressRTF(in, 1<<20)
		if err != nil {
			if _, ok := refusal.As(err); !ok {
				t.Fatalf("non-refusal error: %v", err)
			}
			return
		}
		if len(out) > 9*len(in) {
			t.Fatalf("%d bytes from %d", len(out), len(in))
		}
	})
}
