package office

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCachedMoments cleans testdata/cached.{pptx,odp,xlsx,ods}, which
// LibreOffice 7.4 wrote from the documents testdata/cached.py makes, on
// 6 December 2026 around 20:00, in /tmp/hquartermaine/Private. The
// presentations' date and time fields lose the moment LibreOffice last
// computed them (the .pptx's fixed date too: LibreOffice writes it as a
// field PowerPoint updates), the .odp's fixed date stays; the
// spreadsheets' cells computing NOW(), TODAY(), CELL("filename") and
// INFO("system") lose their results, among them the path naming the
// author, and the others keep theirs. LibreOffice reads the cleaned files
// back with their fields and shows freshly computed cells.
func TestCachedMoments(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	clean := func(name string, in []byte) []byte {
		var out []byte
		var err error
		if strings.HasSuffix(name, "x") {
			out, err = OOXML(in, 0, keepAll)
		} else {
			out, err = ODF(in, 0, keepAll)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	check := func(name, before, after string, gone, kept []string) {
		t.Helper()
		for _, s := range gone {
			if !strings.Contains(before, s) {
				t.Errorf("%s: the original lacks %q", name, s)
			}
			if strings.Contains(after, s) {
				t.Errorf("%s: %q survives", name, s)
			}
		}
		for _, s := range kept {
			if !strings.Contains(after, s) {
				t.Errorf("%s: %q is lost", name, s)
			}
		}
	}
	cleaned := map[string][]byte{}

	in := read("cached.pptx")
	out := clean("cached.pptx", in)
	field := regexp.MustCompile(`<a:fld [^>]*type="datetime[0-9]*"[^>]*>.*?<a:t>([^<]*)</a:t>`)
	before, after := string(members(t, in)["ppt/slides/slide1.xml"]), string(members(t, out)["ppt/slides/slide1.xml"])
	if n := len(field.FindAllString(before, -1)); n != 4 {
		t.Errorf("cached.pptx: %d date fields, want 4", n)
	}
	for _, m := range field.FindAllStringSubmatch(after, -1) {
		if m[1] != "" {
			t.Errorf("cached.pptx: a date field keeps %q", m[1])
		}
	}
	check("cached.pptx", before, after, []string{"12/6/26", "08:00:45 PM", "12/06/26"}, []string{"KEEP-slide-date", "KEEP-slide-footer"})
	cleaned["clean-pptx.pptx"] = out

	in = read("cached.odp")
	out = clean("cached.odp", in)
	before, after = string(members(t, in)["content.xml"]), string(members(t, out)["content.xml"])
	check("cached.odp", before, after, []string{"2026-12-06", "12/6/26", "08:00:43 PM"},
		[]string{`text:date-value="1999-12-24" text:fixed="true">12/24/99<`, `presentation:source="current-date"`, "KEEP-slide-time"})
	cleaned["clean-odp.odp"] = out

	in = read("cached.xlsx")
	out = clean("cached.xlsx", in)
	before, after = string(members(t, in)["xl/worksheets/sheet1.xml"]), string(members(t, out)["xl/worksheets/sheet1.xml"])
	check("cached.xlsx", before, after, []string{"<v>46362", "hquartermaine", "<v>LINUX</v>"}, []string{"<v>42</v>", "<v>36518.9993055556</v>"})
	if wb := string(members(t, out)["xl/workbook.xml"]); !regexp.MustCompile(`<calcPr [^>]*fullCalcOnLoad="1"`).MatchString(wb) {
		t.Errorf("cached.xlsx: the workbook is not recalculated on load: %s", regexp.MustCompile(`<calcPr[^>]*>`).FindString(wb))
	}
	cleaned["clean-xlsx.xlsx"] = out

	in = read("cached.ods")
	out = clean("cached.ods", in)
	before, after = string(members(t, in)["content.xml"]), string(members(t, out)["content.xml"])
	check("cached.ods", before, after, []string{"2026-12-06", "hquartermaine", "LINUX", `office:value="1020"`},
		[]string{`office:value="42"`, `office:date-value="1999-12-24T23:59:00"`, "KEEP-cell-array2"})
	cleaned["clean-ods.ods"] = out

	odp := libreOffice(t, "odp", map[string][]byte{"clean-pptx.pptx": cleaned["clean-pptx.pptx"], "clean-odp.odp": cleaned["clean-odp.odp"]})
	date := regexp.MustCompile(`<text:(date|time)\b[^>]*>`)
	for name, doc := range odp {
		content := string(members(t, doc)["content.xml"])
		if n := len(date.FindAllString(content, -1)); n != 3 || !strings.Contains(content, `presentation:source="current-date"`) {
			t.Errorf("%s: LibreOffice reads %d date and time fields, want 3, and a footer date of the current date:\n%s", name, n, content)
		}
	}
	csv := libreOffice(t, "csv", map[string][]byte{"clean-xlsx.xlsx": cleaned["clean-xlsx.xlsx"], "clean-ods.ods": cleaned["clean-ods.ods"]})
	shown := regexp.MustCompile(`^KEEP-cell-now,\S+ \d\d:\d\d:\d\d\nKEEP-cell-today,\S+ 00:00:00\nKEEP-cell-hour,10\d\d\n` +
		`KEEP-cell-array,\S+ \d\d:\d\d:\d\d\nKEEP-cell-array2,\S+ \d\d:\d\d:\d\d\nKEEP-cell-path,'file:///[^\n]*/clean-(xlsx|ods)\.(xlsx|ods)'#\$Sheet1\n` +
		`KEEP-cell-system,\S+\nKEEP-cell-sum,42\nKEEP-cell-typed,12/24/1999 23:59:00\n$`)
	for name, doc := range csv {
		if !shown.Match(doc) {
			t.Errorf("%s: LibreOffice shows:\n%s", name, doc)
		}
	}
}
