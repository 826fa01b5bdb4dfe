package calendar

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	goimage "image"
	"image/color"
	"image/jpeg"
	"io"
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

func TestVCard(t *testing.T) {
	own := "BEGIN:VCARD\nVERSION:3.0\nFN:Tomasz Kowalczyk\nitem1.EMAIL;type=INTERNET;type=pref:T.Kowalczyk@kowalczyk-arch.example\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRg\n ABAQAAAQABAAD/2Q==\nEND:VCARD\n"
	other := "BEGIN:VCARD\nVERSION:3.0\nFN:Plomeria Ruiz\nEMAIL:info@ruiz.example\nNOTE:fold\n ed note\nEND:VCARD\n"
	v21 := "BEGIN:VCARD\nVERSION:2.1\nN:Kowalczyk;Tomasz\nEMAIL;INTERNET:tomasz@mail.example\nEND:VCARD\n"
	tests := []struct {
		name    string
		in      string
		kept    int
		want    string
		refusal refusal.Kind
	}{
		{name: "own and other", in: own + other, kept: 1, want: crlf(other)},
		{name: "other only, lone LF kept as is", in: other, kept: 1, want: other},
		{name: "own only", in: own, kept: 0, want: ""},
		{name: "vcard 2.1 own", in: v21 + "\n" + other, kept: 1, want: other},
		{name: "agent nested", in: "BEGIN:VCARD\nAGENT:\nBEGIN:VCARD\nEMAIL:tomasz@mail.example\nEND:VCARD\nEND:VCARD\n", kept: 1},
		{name: "not a card", in: "hello\n", refusal: refusal.Malformed},
		{name: "empty", in: "", refusal: refusal.Malformed},
		{name: "unterminated", in: "BEGIN:VCARD\nFN:x\n", refusal: refusal.Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if tt.name != "other only, lone LF kept as is" && tt.name != "vcard 2.1 own" {
				in = crlf(in)
			}
			var out bytes.Buffer
			kept, err := VCard(&out, strings.NewReader(in), testID)
			if tt.refusal != 0 {
				if r, ok := refusal.As(err); !ok || r.Kind != tt.refusal {
					t.Fatalf("err = %v, want refusal %v", err, tt.refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if kept != tt.kept {
				t.Errorf("kept = %d, want %d", kept, tt.kept)
			}
			if tt.want != "" || kept == 0 {
				if out.String() != tt.want {
					t.Errorf("output = %q, want %q", out.String(), tt.want)
				}
			}
			if strings.Contains(strings.ToLower(out.String()), "kowalczyk") && tt.name != "agent nested" {
				t.Errorf("own card survived: %q", out.String())
			}
		})
	}
}

// exifJPEG returns a small JPEG with an EXIF APP1 holding Artist "Carol
// Jones" and the body serial number CAM0042, as a camera writes them.
func exifJPEG(t *testing.T) []byte {
	t.Helper()
	img := goimage.NewRGBA(goimage.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var j bytes.Buffer
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = be.AppendUint16(tiff, 2)
	for _, e := range []struct {
		tag       uint16
		n, offset uint32
	}{{0x013B, 12, 38}, {0xA431, 8, 50}} { // Artist, BodySerialNumber
		tiff = be.AppendUint16(tiff, e.tag)
		tiff = be.AppendUint16(tiff, 2) // ASCII
		tiff = be.AppendUint32(tiff, e.n)
		tiff = be.AppendUint32(tiff, e.offset)
	}
	tiff = be.AppendUint32(tiff, 0)
	tiff = append(tiff, "Carol Jones\x00CAM0042\x00"...)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{0xFF, 0xD8, 0xFF, 0xE1}, be.AppendUint16(nil, uint16(len(app1)+2))...)
	out = append(out, app1...)
	return append(out, j.Bytes()[2:]...)
}

func fold(s string) string {
	var b bytes.Buffer
	if err := writeFolded(&b, s); err != nil {
		panic(err)
	}
	return strings.ReplaceAll(b.String(), "\r\n", "\n")
}

// A kept card's photo is cleaned like any other image, and what the
// sender's client adds (PRODID, REV, UID, X-) goes.
func TestVCardPhoto(t *testing.T) {
	photo := base64.StdEncoding.EncodeToString(exifJPEG(t))
	card := func(version, photoLine string) string {
		return "BEGIN:VCARD\nVERSION:" + version + "\nPRODID:-//Apple Inc.//iPhone OS 18.1//EN\nN:Jones;Carol;;;\nFN:Carol Jones\n" +
			"item1.EMAIL;type=INTERNET;type=pref:carol@example.org\nitem1.X-ABLabel:_$!<Other>!$_\nTEL;type=CELL:+44 7700 900456\n" +
			fold(photoLine) + "X-ABUID:5F1C0A3B-7D2E-4C9A-9A51-3E3F1B2C4D5E:ABPerson\nREV:2025-11-18T21:07:12Z\nUID:3A4B5C6D-0000-4000-8000-000000000002\n" +
			"X-MS-OL-DESIGN;ENCODING=QUOTED-PRINTABLE:<card xmlns=3D\"http://schemas.microsoft.com/office/outlook/12/=\nelectronicbusinesscards\"/>\nNOTE:kept\nEND:VCARD\n"
	}
	tests := []struct {
		name, in, photo string // photo: the prefix of the cleaned PHOTO value, "" if dropped
	}{
		{"3.0 base64", card("3.0", "PHOTO;ENCODING=b;TYPE=JPEG:"+photo), "PHOTO;ENCODING=b;TYPE=JPEG:/9j/"},
		{"4.0 data URL", card("4.0", "PHOTO:data:image/jpeg;base64,"+photo), "PHOTO:data:image/jpeg;base64,/9j/"},
		{"2.1 base64", card("2.1", "PHOTO;JPEG;ENCODING=BASE64:"+photo), "PHOTO;JPEG;ENCODING=BASE64:/9j/"},
		{"no cleaner", card("3.0", "PHOTO;ENCODING=b;TYPE=TIFF:"+base64.StdEncoding.EncodeToString([]byte("MM\x00\x2aCarol Jones CAM0042"))), ""},
		{"refused", card("3.0", "PHOTO;ENCODING=b;TYPE=JPEG:"+base64.StdEncoding.EncodeToString(exifJPEG(t)[:80])), ""},
		{"URL", card("3.0", "PHOTO;VALUE=uri:https://p.example/CAM0042/Carol Jones.jpg"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			kept, err := VCard(&out, strings.NewReader(crlf(tt.in)), testID)
			if err != nil || kept != 1 {
				t.Fatalf("kept %d, %v", kept, err)
			}
			s := out.String()
			u := strings.ReplaceAll(s, "\r\n ", "")
			for _, gone := range []string{"\nPRODID", "iPhone OS", "\nX-AB", ".X-AB", "\nREV:", "\nUID:", "\nX-MS", "electronicbusinesscards", "CAM0042"} {
				if strings.Contains(u, gone) {
					t.Errorf("%q survived:\n%s", gone, s)
				}
			}
			for _, stay := range []string{"\r\nFN:Carol Jones\r\n", "\r\nitem1.EMAIL;type=INTERNET;type=pref:carol@example.org\r\n", "\r\nTEL;type=CELL:+44 7700 900456\r\n", "\r\nNOTE:kept\r\nEND:VCARD\r\n"} {
				if !strings.Contains(s, stay) {
					t.Errorf("%q lost:\n%s", stay, s)
				}
			}
			i := strings.Index(u, "\r\nPHOTO")
			if tt.photo == "" {
				if i >= 0 {
					t.Errorf("PHOTO kept:\n%s", s)
				}
				return
			}
			if i < 0 || !strings.HasPrefix(u[i+2:], tt.photo) {
				t.Fatalf("PHOTO lost or changed:\n%s", s)
			}
			checkLines(t, s)
			line := u[i+2:]
			line = line[:strings.Index(line, "\r\n")]
			v := line[strings.LastIndexAny(line, ":,")+1:]
			jpg, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(jpg, []byte("Carol Jones")) || bytes.Contains(jpg, []byte("CAM0042")) {
				t.Errorf("the photo keeps its EXIF")
			}
			if _, err := jpeg.Decode(bytes.NewReader(jpg)); err != nil {
				t.Errorf("the photo does not decode: %v", err)
			}
		})
	}
}

// The sender's own card under an address the relay does not know (their
// work card, sent from home) is found by its name.
func TestVCardOwnName(t *testing.T) {
	id := testID
	id.Names = []string{"Kowalczyk, Tomasz", "Ewa"}
	other := "BEGIN:VCARD\nVERSION:3.0\nFN:Plomeria Ruiz\nN:Ruiz;Tomasz;;;\nEMAIL:info@ruiz.example\nEND:VCARD\n"
	tests := []struct {
		name, card string
		own        bool
	}{
		{"FN", "BEGIN:VCARD\nVERSION:3.0\nFN:Tomasz Kowalczyk\nORG:Kowalczyk Arch\nEMAIL;type=WORK:t.k@corp.example\nTEL:+48 600 100 200\nEND:VCARD\n", true},
		{"N only", "BEGIN:VCARD\nVERSION:3.0\nN:Kowalczyk;Tomasz;;;\nFN:T.\nTEL:+48 600 100 200\nEND:VCARD\n", true},
		{"title and case", "BEGIN:VCARD\nVERSION:3.0\nFN:Dr. TOMASZ kowalczyk\nTEL:+48 600 100 200\nEND:VCARD\n", true},
		{"2.1 quoted-printable", "BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE:Tomasz=20Kowalczyk\nTEL:+48 600 100 200\nEND:VCARD\n", true},
		{"single word", "BEGIN:VCARD\nVERSION:3.0\nFN:Ewa\nTEL:+48 600 100 200\nEND:VCARD\n", true},
		{"single word in a longer name", "BEGIN:VCARD\nVERSION:3.0\nFN:Ewa Nowak\nTEL:+48 600 100 200\nEND:VCARD\n", false},
		{"one word shared", other, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			kept, err := VCard(&out, strings.NewReader(crlf(tt.card+other)), id)
			if err != nil {
				t.Fatal(err)
			}
			want := 2
			if tt.own {
				want = 1
			}
			if kept != want {
				t.Errorf("kept %d, want %d:\n%s", kept, want, out.String())
			}
			if tt.own && strings.Contains(out.String(), "600 100 200") {
				t.Errorf("the sender's card survived:\n%s", out.String())
			}
			if !strings.Contains(out.String(), "FN:Plomeria Ruiz") {
				t.Errorf("the other card was lost:\n%s", out.String())
			}
		})
	}
}

// joergID is a sender whose display name is not ASCII.
var joergID = Identity{Address: "anonymous@leak.example", Sender: []string{"joerg@sender.example"}, Names: []string{"Jörg Müller"}}

// Outlook writes its own card in vCard 2.1 in the Windows code page, and
// clients split a quoted-printable name with a soft line break: the card
// is the sender's all the same.
func TestVCardOwnNameEncoded(t *testing.T) {
	for _, tt := range []struct{ name, card string }{
		{"windows-1252", "BEGIN:VCARD\nVERSION:2.1\nN;LANGUAGE=de;CHARSET=Windows-1252:M\xfcller;J\xf6rg\nFN;CHARSET=Windows-1252:J\xf6rg M\xfcller\nORG:SenderCorp GmbH\nTEL;WORK;VOICE:+49 30 1234567\nEMAIL;PREF;INTERNET:joerg.mueller@gmail.com\nEND:VCARD\n"},
		{"FN alone in windows-1252", "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=windows-1252:J\xf6rg M\xfcller\nTEL;WORK;VOICE:+49 30 1234567\nEND:VCARD\n"},
		{"iso-8859-1", "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=ISO-8859-1:J\xf6rg M\xfcller\nTEL;WORK;VOICE:+49 30 1234567\nEND:VCARD\n"},
		{"no CHARSET, not UTF-8", "BEGIN:VCARD\nVERSION:2.1\nFN:J\xf6rg M\xfcller\nTEL;WORK;VOICE:+49 30 1234567\nEND:VCARD\n"},
		{"quoted-printable with a soft break", "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg =\nM=C3=BCller\nTEL;CELL:+49 170 1234567\nEMAIL;INTERNET:joerg.mueller@gmail.com\nEND:VCARD\n"},
		{"quoted-printable windows-1252", "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=Windows-1252;QUOTED-PRINTABLE:J=F6rg =\nM=FCller\nTEL;CELL:+49 170 1234567\nEND:VCARD\n"},
		{"quoted-printable N", "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=B6rg;;;\nTEL;CELL:+49 170 1234567\nEND:VCARD\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			kept, err := VCard(&out, strings.NewReader(crlf(tt.card)), joergID)
			if err != nil {
				t.Fatal(err)
			}
			if kept != 0 || out.Len() != 0 {
				t.Errorf("kept %d:\n%s", kept, out.String())
			}
		})
	}
}

// A card the sender shares keeps its subject, but the sender's name in
// its text becomes Someone, as in the message's text.
func TestVCardSenderNameInText(t *testing.T) {
	id := joergID
	id.Names = []string{"Jörg Müller", "Alice Smith"}
	card := "BEGIN:VCARD\nVERSION:3.0\nN:White;Carol;;;\nFN:Carol White\nEMAIL:carol@example.org\n" +
		"RELATED;TYPE=spouse;VALUE=text:J\xc3\xb6rg M\xc3\xbcller\nNOTE:Met at J\xc3\xb6rg M\xc3\xbcller's 40th\\, with Smith\\, Alice\n" +
		"ORG:Alice Smith Consulting\nCATEGORIES:Familie M\xc3\xbcller\nEND:VCARD\n" +
		"BEGIN:VCARD\nVERSION:2.1\nFN:Dan Brown\nNOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Brother of J=C3=B6rg M=C3=BC=\nller=0D=0A(older)\n" +
		"TITLE;CHARSET=Windows-1252:Assistant to J\xf6rg M\xfcller, M\xfcnchen\nTEL:+1 555 0100\nEND:VCARD\n"
	var out bytes.Buffer
	kept, err := VCard(&out, strings.NewReader(crlf(card)), id)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(out.String(), "\r\n ", "")
	if kept != 2 {
		t.Errorf("kept %d:\n%s", kept, got)
	}
	for _, want := range []string{"\r\nRELATED;TYPE=spouse;VALUE=text:Someone\r\n", "\r\nNOTE:Met at Someone's 40th\\, with Someone\r\n",
		"\r\nORG:Someone Consulting\r\n", "\r\nCATEGORIES:Familie M\xc3\xbcller\r\n", "\r\nTEL:+1 555 0100\r\n",
		"\r\nNOTE;ENCODING=QUOTED-PRINTABLE:Brother of Someone=0D=0A(older)\r\n",
		"\r\nTITLE;CHARSET=UTF-8:Assistant to Someone, M\xc3\xbcnchen\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, gone := range []string{"J\xc3\xb6rg", "J=C3=B6rg", "J\xf6rg", "Alice"} {
		if strings.Contains(got, gone) {
			t.Errorf("%q survived:\n%s", gone, got)
		}
	}
	again, err := VCard(io.Discard, strings.NewReader(out.String()), id)
	if err != nil || again != kept {
		t.Errorf("output does not clean again: %d, %v", again, err)
	}
}

// A colleague's card from the sender's directory carries free/busy,
// calendar and web links at the sender's domain (RFC 2739, RFC 6350):
// they go, and the contact itself stays.
func TestVCardURLsAtSenderDomain(t *testing.T) {
	in := crlf("BEGIN:VCARD\nVERSION:3.0\nFN:Carol White\nEMAIL;TYPE=INTERNET:carol@sender.example\n" +
		"FBURL:https://calendar.sender.example/freebusy/carol.vfb\n" +
		"CALURI:https://mail.sender.example/owa/calendar/4f1c@sender.example/a1b2/calendar.html\n" +
		"CALADRURI:mailto:carol@eu.sender.example\nitem1.URL;type=pref:https://intranet.sender.example:8443/people/carol\n" +
		"IMPP:xmpp:carol@chat.sender.example\nPHOTO;VALUE=uri:https://people.sender.example/photo/carol.jpg\n" +
		"URL:https://www.carolwhite.example/\nKEY;VALUE=uri:https://keys.openpgp.example/vks/v1/by-email/carol\n" +
		"TEL;TYPE=work:+48 22 555 0100\nEND:VCARD\n")
	var out bytes.Buffer
	kept, err := VCard(&out, strings.NewReader(in), reviewID)
	if err != nil || kept != 1 {
		t.Fatalf("kept %d, err %v", kept, err)
	}
	got := out.String()
	for _, w := range []string{"FN:Carol White", "EMAIL;TYPE=INTERNET:carol@sender.example", "URL:https://www.carolwhite.example/",
		"KEY;VALUE=uri:https://keys.openpgp.example/", "TEL;TYPE=work:+48 22 555 0100"} {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	for _, w := range []string{"FBURL", "CALURI", "CALADRURI", "intranet", "IMPP", "PHOTO"} {
		if strings.Contains(got, w) {
			t.Errorf("output holds %q:\n%s", w, got)
		}
	}
}
