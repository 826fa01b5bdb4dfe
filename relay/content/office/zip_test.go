package office

import (
	"archive/zip"
	"bytes"
	"slices"
	"strings"
	"testing"

	"leak/relay/content/filename"
	"leak/relay/content/refusal"
)

type zipMember struct {
	name  string
	data  string
	flags uint16
	extra []byte
}

func makeZip(t testing.TB, members ...zipMember) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, m := range members {
		fh := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Flags: m.flags, Extra: m.extra}
		f, err := w.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.SetComment("made by jbloggs"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func keepAll(_ string, b []byte) ([]byte, bool, error) { return b, true, nil }

func TestZipLitter(t *testing.T) {
	in := makeZip(t,
		zipMember{name: "docs/", data: ""},
		zipMember{name: "docs/a.txt", data: "keep", extra: []byte{0x75, 0x78, 3, 0, 1, 0, 0}},
		zipMember{name: "docs/.DS_Store", data: "x"},
		zipMember{name: "__MACOSX/docs/._a.txt", data: "x"},
		zipMember{name: "Thumbs.db", data: "x"},
		zipMember{name: "sub/Desktop.ini", data: "x"},
		zipMember{name: "sub/._b", data: "x"},
	)
	out, err := Zip(in, 1<<20, keepAll, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
		if len(f.Extra) != 0 {
			t.Errorf("%s keeps extra fields", f.Name)
		}
	}
	if got := strings.Join(names, ","); got != "docs/,docs/a.txt" {
		t.Errorf("members = %s", got)
	}
	if r.Comment != "" {
		t.Errorf("comment kept")
	}
	// Deterministic: the same input gives the same bytes.
	again, _ := Zip(in, 1<<20, keepAll, nil)
	if !bytes.Equal(out, again) {
		t.Errorf("output differs between runs")
	}
}

func TestZipMemberDecides(t *testing.T) {
	in := makeZip(t, zipMember{name: "a.jpg", data: "photo"}, zipMember{name: "b.txt", data: "text"})
	out, err := Zip(in, 1<<20, func(name string, b []byte) ([]byte, bool, error) {
		if name == "a.jpg" {
			return nil, false, nil
		}
		return []byte("cleaned"), true, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := deepText(out, 0)
	if strings.Contains(text, "photo") || !strings.Contains(text, "cleaned") {
		t.Errorf("member's decisions not applied: %q", text)
	}
	_, err = Zip(in, 1<<20, func(string, []byte) ([]byte, bool, error) {
		return nil, false, refusal.New(refusal.Identifying, "x")
	}, nil)
	if r, ok := refusal.As(err); !ok || r.Kind != refusal.Identifying {
		t.Errorf("member's refusal not passed on: %v", err)
	}
}

// Renamed files come out apart, whatever the case; folders that name the
// sender's account or device go, with their entries.
func TestZipRenames(t *testing.T) {
	in := makeZip(t,
		zipMember{name: "home/"},
		zipMember{name: "home/alice/"},
		zipMember{name: "home/alice/trip/"},
		zipMember{name: "home/alice/trip/DCIM/100APPLE/IMG_0001.JPG", data: "a"},
		zipMember{name: "home/alice/trip/DCIM/101APPLE/IMG_0002.JPG", data: "b"},
		zipMember{name: "home/alice/trip/Photo.jpg", data: "c"},
		zipMember{name: "home/alice/trip/minutes/", data: ""},
		zipMember{name: "home/alice/trip/minutes/notes.txt", data: "e"},
		zipMember{name: "IMG_0003.JPG", data: "d"},
	)
	out, err := Zip(in, 1<<20, keepAll, filename.Path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	want := []string{"trip/", "trip/photo.jpg", "trip/photo-2.jpg", "trip/Photo-3.jpg", "trip/minutes/", "trip/minutes/notes.txt", "photo.jpg"}
	if !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
}

func TestArchiveRefusals(t *testing.T) {
	bomb := makeZip(t, zipMember{name: "zeros", data: strings.Repeat("\x00", 5<<20)})
	many := make([]zipMember, maxMembers+1)
	for i := range many {
		many[i] = zipMember{name: "f" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i)}
	}
	tests := []struct {
		name string
		data []byte
		want refusal.Kind
	}{
		{"absolute path", makeZip(t, zipMember{name: "/etc/passwd", data: "x"}), refusal.Malformed},
		{"dot-dot", makeZip(t, zipMember{name: "a/../../x", data: "x"}), refusal.Malformed},
		{"drive letter", makeZip(t, zipMember{name: "C:/x", data: "x"}), refusal.Malformed},
		{"backslash", makeZip(t, zipMember{name: `..\x`, data: "x"}), refusal.Malformed},
		{"duplicate", makeZip(t, zipMember{name: "a", data: "x"}, zipMember{name: "A", data: "y"}), refusal.Malformed},
		{"encrypted member", makeZip(t, zipMember{name: "a", data: "x", flags: 1}), refusal.Encrypted},
		{"bomb", bomb, refusal.TooLarge},
		{"too many members", makeZip(t, many...), refusal.TooLarge},
		{"not a zip", []byte("PK\x03\x04 nothing"), refusal.Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, f := range map[string]func([]byte, int64, Member) ([]byte, error){"Zip": zipKeepNames, "OOXML": OOXML, "ODF": ODF} {
				_, err := f(tt.data, 1<<20, keepAll)
				if r, ok := refusal.As(err); !ok || r.Kind != tt.want {
					t.Errorf("%s: err = %v, want %v", name, err, tt.want)
				}
			}
		})
	}
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

func TestCompoundFiles(t *testing.T) {
	ole := append(append([]byte{}, olePrefix...), make([]byte, 504)...)
	enc := append(append([]byte{}, ole...), utf16le("EncryptionInfo")...)
	for _, f := range []func([]byte, int64, Member) ([]byte, error){OOXML, ODF} {
		if _, err := f(ole, 1<<20, keepAll); !isKind(err, refusal.Unsupported) {
			t.Errorf("legacy compound file: %v", err)
		}
		if _, err := f(enc, 1<<20, keepAll); !isKind(err, refusal.Encrypted) {
			t.Errorf("encrypted package: %v", err)
		}
	}
}

func isKind(err error, k refusal.Kind) bool {
	r, ok := refusal.As(err)
	return ok && r.Kind == k
}

func TestBinaryWorkbook(t *testing.T) {
	in := makeZip(t, zipMember{name: "[Content_Types].xml", data: "<Types/>"}, zipMember{name: "xl/workbook.bin", data: "x"})
	if _, err := OOXML(in, 1<<20, keepAll); !isKind(err, refusal.Unsupported) {
		t.Errorf("err = %v, want an unsupported refusal", err)
	}
}

func TestODFEncryptedManifest(t *testing.T) {
	in := makeZip(t,
		zipMember{name: "mimetype", data: "application/vnd.oasis.opendocument.text"},
		zipMember{name: "content.xml", data: "<x/>"},
		zipMember{name: "META-INF/manifest.xml", data: `<manifest:manifest xmlns:manifest="` + nsManifest + `"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>`},
	)
	if _, err := ODF(in, 1<<20, keepAll); !isKind(err, refusal.Encrypted) {
		t.Errorf("err = %v, want an encrypted refusal", err)
	}
}

func TestKind(t *testing.T) {
	tests := []struct{ mt, name, want string }{
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "", KindOOXML},
		{"application/vnd.ms-excel.sheet.macroenabled.12", "", KindOOXML},
		{"application/msword", "a.doc", KindOOXML},
		{"application/vnd.ms-excel", "", KindOOXML},
		{"application/vnd.ms-excel", "export.csv", ""},
		{"application/vnd.ms-excel", "Budget.xlsx", KindOOXML},
		{"application/vnd.oasis.opendocument.text-flat-xml", "a.fodt", ""},
		{"application/vnd.oasis.opendocument.spreadsheet", "", KindODF},
		{"application/zip", "", KindZip},
		{"application/x-zip-compressed", "", KindZip},
		{"text/rtf", "", KindRTF},
		{"application/octet-stream", "Report.DOCX", KindOOXML},
		{"application/octet-stream", "a.odp", KindODF},
		{"application/octet-stream", "a.zip", KindZip},
		{"application/octet-stream", "a.rtf", KindRTF},
		{"application/octet-stream", "a.bin", ""},
		{"image/jpeg", "a.docx", ""},
		{"application/pdf", "", ""},
	}
	for _, tt := range tests {
		if got := Kind(tt.mt, tt.name); got != tt.want {
			t.Errorf("Kind(%q, %q) = %q, want %q", tt.mt, tt.name, got, tt.want)
		}
	}
}

func TestSniff(t *testing.T) {
	odf := makeZip(t, zipMember{name: "mimetype", data: "application/vnd.oasis.opendocument.text"})
	tests := []struct {
		data []byte
		want string
	}{
		{makeZip(t, zipMember{name: "[Content_Types].xml", data: "<Types/>"}), KindOOXML},
		{odf, KindODF},
		{makeZip(t, zipMember{name: "a.txt", data: "x"}), KindZip},
		{olePrefix, KindOOXML},
		{[]byte(`{\rtf1}`), KindRTF},
		{[]byte("PK\x03\x04"), KindZip},
		{[]byte("%PDF-1.7"), ""},
		{nil, ""},
	}
	for i, tt := range tests {
		if got := Sniff(tt.data); got != tt.want {
			t.Errorf("%d: Sniff = %q, want %q", i, got, tt.want)
		}
	}
}

func zipKeepNames(data []byte, max int64, m Member) ([]byte, error) { return Zip(data, max, m, nil) }
