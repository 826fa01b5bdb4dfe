package office

import (
	"bytes"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestFieldInstructions: an instruction's local paths keep their last
// element wherever Word split it into runs; other arguments stay.
func TestFieldInstructions(t *testing.T) {
	tests := []struct {
		name     string
		in, want []string
	}{
		{"linked picture", []string{` INCLUDEPICTURE "C:\\Users\\hquartermaine\\Pictures\\IMG_4032.JPG" \d `},
			[]string{` INCLUDEPICTURE "IMG_4032.JPG" \d `}},
		{"OLE link keeps its item", []string{` LINK Excel.Sheet.12 "C:\\Users\\hquartermaine\\Documents\\Budget-HQ.xlsx" "Sheet1!R1C1:R3C3" \a \f 4 \h `},
			[]string{` LINK Excel.Sheet.12 "Budget-HQ.xlsx" "Sheet1!R1C1:R3C3" \a \f 4 \h `}},
		{"hyperlink to a file URL", []string{` HYPERLINK "file:///C:/Users/hquartermaine/Desktop/plan-HQ.docx" `},
			[]string{` HYPERLINK "plan-HQ.docx" `}},
		{"hyperlink out of the document's folder", []string{`HYPERLINK "..\\..\\hquartermaine\\Desktop\\plan.docx"`},
			[]string{`HYPERLINK "plan.docx"`}},
		{"included text on a share", []string{` INCLUDETEXT "\\\\fs01\\home$\\hquartermaine\\boilerplate.docx" `},
			[]string{` INCLUDETEXT "boilerplate.docx" `}},
		{"database and its connection string",
			[]string{` DATABASE \d "C:\\Users\\hquartermaine\\Documents\\contacts.accdb" \c "Provider=Microsoft.ACE.OLEDB.12.0;User ID=hquartermaine;Data Source=C:\\Users\\hquartermaine\\Documents\\contacts.accdb;Mode=Read;Jet OLEDB:System database=C:\\Users\\hquartermaine\\AppData\\System.mdw" \s "SELECT * FROM ` + "`Contacts`" + `" \h `},
			[]string{` DATABASE \d "contacts.accdb" \c "Provider=Microsoft.ACE.OLEDB.12.0;User ID=;Data Source=contacts.accdb;Mode=Read;Jet OLEDB:System database=System.mdw" \s "SELECT * FROM ` + "`Contacts`" + `" \h `}},
		{"ODBC connection string", []string{` DATABASE \c "DSN=MS Access Database;DBQ=C:\\Users\\hquartermaine\\db.accdb;DefaultDir=C:\\Users\\hquartermaine;UID=hq" `},
			[]string{` DATABASE \c "DSN=MS Access Database;DBQ=db.accdb;DefaultDir=link;UID=" `}},
		{"path split over three runs", []string{` INCLUDEPICTURE "C:\\Users\\hquarter`, `maine\\Pictures\\IMG`, `_4032.JPG" \d `},
			[]string{` INCLUDEPICTURE "`, `IMG`, `_4032.JPG" \d `}},
		{"a home folder becomes link in the run it began in", []string{` HYPERLINK "C:\\Users\\`, `hquartermaine" `},
			[]string{` HYPERLINK "link`, `" `}},
		{"hyperlink with escaped separators", []string{` HYPERLINK "file:///C:%5CUsers%5Chquartermaine%5CDesktop%5Cplan-HQ.docx" `},
			[]string{` HYPERLINK "plan-HQ.docx" `}},
		{"typographic quotes around a path with spaces", []string{` INCLUDEPICTURE “C:\\Users\\Hollis Quartermaine\\Pictures\\IMG 4032.JPG” \d `},
			[]string{` INCLUDEPICTURE “IMG 4032.JPG” \d `}},
		{"typographic quotes, a closing one on both sides, split over runs", []string{` INCLUDETEXT ”\\\\fs01\\home$\\Hollis Q`, `uartermaine\\boiler plate.docx” \! `},
			[]string{` INCLUDETEXT ”`, `boiler plate.docx” \! `}},
		{"web and bookmark links stay", []string{` HYPERLINK "https://example.com/a/../b" \l "KEEP" `},
			[]string{` HYPERLINK "https://example.com/a/../b" \l "KEEP" `}},
		{"a field that names no path", []string{` AUTHOR `, ` \* MERGEFORMAT `},
			[]string{` AUTHOR `, ` \* MERGEFORMAT `}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := cleanInstruction(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if again, changed := cleanInstruction(got); changed && !reflect.DeepEqual(again, got) {
				t.Errorf("a second pass changes it: %q", again)
			}
		})
	}
}

// FuzzFields: the field rule on arbitrary XML never panics, and a second
// pass over what it wrote changes nothing.
func FuzzFields(f *testing.F) {
	w := `xmlns:w="` + nsW + `"`
	for _, s := range []string{
		`<w:p ` + w + `><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>AUTHOR</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Jo</w:t></w:r><w:r><w:t>B</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`,
		`<w:p ` + w + `><w:fldSimple w:instr="TEMPLATE \p"><w:r><w:t>C:\a\b.dotm</w:t></w:r></w:fldSimple><w:instrText>HYPERLINK "C:\\a\\</w:instrText><w:instrText>b"</w:instrText></w:p>`,
		`<w:p ` + w + `><w:t>x<w:t>C:\a\b</w:t></w:t><w:fldChar w:fldCharType="separate"/></w:p>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := edit(data, withFields(wordRule, data), nil)
		if err != nil {
			return
		}
		again, err := edit(out, withFields(wordRule, out), nil)
		if err != nil {
			t.Fatalf("edited XML does not parse: %v\n%q", err, out)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("second pass changes it:\n%q\n%q", out, again)
		}
	})
}

// TestFieldDates cleans testdata/field-dates.{docx,rtf,odt}, which
// LibreOffice 7.4 wrote from the document testdata/field-dates.py makes:
// a date and a time that are computed when the document opens, cached as
// LibreOffice computed them when it wrote the files (6 December 2026,
// 19:35), and a date and a time the author fixed (24 December 1999 23:59,
// 23:58), which LibreOffice wrote as locked DATE and TIME fields. The
// cached moment goes, the fixed ones stay; LibreOffice still reads the
// unfixed ones as fields that it computes anew, and the fixed ones as
// fixed.
func TestFieldDates(t *testing.T) {
	cleaned := map[string][]byte{}
	for _, name := range []string{"field-dates.docx", "field-dates.rtf", "field-dates.odt"} {
		in, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var out []byte
		switch {
		case strings.HasSuffix(name, ".docx"):
			out, err = OOXML(in, 0, keepAll)
		case strings.HasSuffix(name, ".odt"):
			out, err = ODF(in, 0, keepAll)
		default:
			var b bytes.Buffer
			err = RTF(&b, bytes.NewReader(in))
			out = b.Bytes()
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text := func(doc []byte) string {
			if strings.HasSuffix(name, ".rtf") {
				return string(doc)
			}
			m := members(t, doc)
			return string(m["word/document.xml"]) + string(m["content.xml"])
		}
		before, after := text(in), text(out)
		for _, s := range []string{"2026", "19:35"} {
			if !strings.Contains(before, s) {
				t.Fatalf("%s: the original lacks %q", name, s)
			}
			if strings.Contains(after, s) {
				t.Errorf("%s: %q survives", name, s)
			}
		}
		for _, s := range []string{"24 December 1999 23:59", "23:58"} {
			if !strings.Contains(after, s) {
				t.Errorf("%s: the fixed %q is lost", name, s)
			}
		}
		cleaned["clean-"+strings.TrimPrefix(name, "field-dates.")+name[strings.LastIndexByte(name, '.'):]] = out
	}
	odt := libreOffice(t, "odt", cleaned)
	date := regexp.MustCompile(`<text:(date|time)\b[^>]*>`)
	for name, doc := range odt {
		fields := date.FindAllString(string(members(t, doc)["content.xml"]), -1)
		var fixed int
		for _, f := range fields {
			if strings.Contains(f, `text:fixed="true"`) {
				fixed++
			}
		}
		if len(fields) != 4 || fixed != 2 {
			t.Errorf("%s: LibreOffice reads %d date and time fields, %d fixed, want 4 and 2: %q", name, len(fields), fixed, fields)
		}
	}
	txt := libreOffice(t, "txt:Text (encoded):UTF8", cleaned)
	shown := regexp.MustCompile(`Today: \d\d [A-Z][a-z]+ \d{4} \d\d:\d\d KEEP-after-date\s+Now: \d\d:\d\d KEEP-after-time\s+` +
		`Fixed: 24 December 1999 23:59 KEEP-after-fixed-date\s+Fixed time: 23:58 KEEP-after-fixed-time`)
	for name, doc := range txt {
		if !shown.Match(doc) {
			t.Errorf("%s: LibreOffice shows:\n%s", name, doc)
		}
	}
}
