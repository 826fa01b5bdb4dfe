package office

import (
	"bytes"
	"reflect"
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
