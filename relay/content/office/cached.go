package office

import (
	"strconv"
	"strings"
)

// Presentations and spreadsheets keep, beside what computes a value, the
// value as last computed: a date field's text, a formula's result. When
// what is computed is the moment of computing, or the machine it ran on,
// that cache is the moment the author last opened, saved or recalculated
// the document (their working hours and time zone) or the path of their
// copy, shown as it is by a reader that computes nothing (a mail
// client's preview, a phone). PowerPoint, Excel and LibreOffice compute
// these anew when they open the document, so their reader loses nothing
// when the cache goes; see fieldResult for Word's fields.

// volatileCall tells whether a formula calls a function whose result is
// the moment it is computed (NOW, TODAY) or the computer and file it is
// computed in: INFO ("directory" is the current folder, "system" and
// "osversion" the operating system) and CELL ("filename" is the
// workbook's full path, C:\Users\alice\Documents\[budget.xlsx]Sheet1).
// Excel's formulas and OpenFormula (ODF 1.3 Part 4) name functions alike,
// in any case. The call is looked for in the whole formula, string
// literals and sheet names included: a false match costs only a cached
// value the reader's application computes again. It is as well the cheap
// test of whether a whole part needs the rules at all, so it looks at
// each "(" rather than run a regular expression.
func volatileCall(s string) bool {
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '(')
		if j < 0 {
			return false
		}
		j += i
		k := j
		for k > 0 && (s[k-1] == ' ' || s[k-1] == '\t' || s[k-1] == '\r' || s[k-1] == '\n') {
			k--
		}
		for _, n := range []string{"NOW", "TODAY", "INFO", "CELL"} {
			if k >= len(n) && strings.EqualFold(s[k-len(n):k], n) && (k == len(n) || !nameByte(s[k-len(n)-1])) {
				return true
			}
		}
		i = j + 1
	}
}

// nameByte tells the bytes that continue a function's name: "SNOW(" and
// "_xll.NOW(" call no NOW.
func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '.'
}

// withoutDateFields adds to r the emptying of DrawingML date and time
// fields' text (a:fld, ECMA-376 Part 1 §21.1.2.2.4): PowerPoint's
// "Update automatically" date in slides, layouts, masters and notes. The
// type is a free string; MS-OI29500 §2.1.1385 reserves "datetime",
// "datetimeFigureOut" (the masters' date placeholder) and "datetime1" to
// "datetime13", which PowerPoint fills with the date or time when it
// shows the slide. A date the author fixed is plain text, no field.
func withoutDateFields(r rule) rule {
	var dateField bool // the last a:fld met is a date or time; a:fld does not nest
	return func(parents []name, e *elem) {
		if r != nil {
			r(parents, e)
		}
		if e.Space != nsA {
			return
		}
		switch n := len(parents); {
		case e.Local == "fld":
			typ, _ := e.attr("", "type")
			dateField = strings.HasPrefix(strings.ToLower(typ), "datetime")
		case e.Local == "t" && dateField && n > 0 && parents[n-1] == name{nsA, "fld"}:
			e.setText("")
		}
	}
}

// withoutVolatileResults adds to r the removal of the cached result (v,
// Part 1 §18.3.1.96) of a worksheet's cells whose formula calls
// volatileCall's functions. A shared formula (§18.3.1.40) is written once,
// in the first cell of its range, and its other cells refer to it by
// si; an array formula's result fills its ref range, whose other cells
// hold a v and no formula. The result is dropped rather than emptied: a
// cell need have none (v is optional), and a string result is inline
// (t="str"), not in the shared strings. Excel recalculates these
// functions whenever it opens a workbook; calcPr's fullCalcOnLoad (set by
// the workbook.xml rule) makes it do so even where calculation is manual.
func withoutVolatileResults(r rule) (rule, textRule) {
	var (
		cell    cellArea // the cell being read
		formula strings.Builder
		read    bool                // formula holds text not yet looked at
		vol     bool                // the cell's own formula is volatile
		shared  string              // si of the shared formula the cell's f defines or uses
		array   *cellArea           // the range of the cell's array formula
		sharedV = map[string]bool{} // si → the shared formula is volatile
		arrays  []cellArea          // the volatile array formulas' ranges
	)
	// settle looks at a formula once its text is read, at the next tag:
	// looking at each piece of text as it comes (CDATA sections and
	// comments split it) would cost the square of its length. Only a
	// shared formula's first cell holds its text.
	settle := func() {
		if !read {
			return
		}
		read = false
		vol = volatileCall(formula.String())
		if shared != "" && strings.TrimSpace(formula.String()) != "" {
			sharedV[shared] = vol
		}
		if array != nil && vol && len(arrays) < maxAreas {
			arrays = append(arrays, *array)
		}
		array = nil
	}
	rr := func(parents []name, e *elem) {
		if r != nil {
			r(parents, e)
		}
		settle()
		n := len(parents)
		if n == 0 || !isSheet(e.Space) || !isSheet(parents[n-1].Space) {
			return
		}
		switch {
		case e.Local == "row":
			v, _ := e.attr("", "r")
			if row, err := strconv.Atoi(v); err == nil {
				arrays = reaching(arrays, row)
			}
		case e.Local == "c":
			v, _ := e.attr("", "r")
			cell = parseCell(v)
			formula.Reset()
			vol, shared, array = false, "", nil
		case e.Local == "f" && parents[n-1].Local == "c":
			switch t, _ := e.attr("", "t"); t {
			case "shared":
				shared, _ = e.attr("", "si")
			case "array":
				ref, _ := e.attr("", "ref")
				if a, ok := parseRange(ref); ok {
					array = &a
				}
			}
		case e.Local == "v" && parents[n-1].Local == "c":
			if vol || shared != "" && sharedV[shared] || cell.row > 0 && cell.within(arrays) {
				e.drop = true
			}
		}
	}
	t := func(parents []name, text string) (string, bool) {
		if p := parents[len(parents)-1]; p.Local == "f" && isSheet(p.Space) {
			formula.WriteString(text)
			read = true
		}
		return "", false
	}
	return rr, t
}

// The namespaces of SpreadsheetML's main part, transitional and strict.
const (
	nsX       = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsXStrict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
)

func isSheet(space string) bool { return space == nsX || space == nsXStrict }

// parseCell reads an A1 reference ("B12", "$B$12") as a one-cell area;
// its row is 0 when it does not parse.
func parseCell(s string) cellArea {
	s = strings.ReplaceAll(s, "$", "")
	i, col := 0, 0
	for ; i < len(s) && i < 3; i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
	}
	row, err := strconv.Atoi(s[i:])
	if i == 0 || err != nil || row <= 0 || row > 1<<24 {
		return cellArea{}
	}
	return cellArea{row: row, col: col, rows: 1, cols: 1}
}

// parseRange reads an A1 range ("B4:C5", or one cell).
func parseRange(s string) (cellArea, bool) {
	from, to, ok := strings.Cut(s, ":")
	if !ok {
		to = from
	}
	a, b := parseCell(from), parseCell(to)
	if a.row == 0 || b.row == 0 || b.row < a.row || b.col < a.col {
		return cellArea{}, false
	}
	return cellArea{row: a.row, col: a.col, rows: b.row - a.row + 1, cols: b.col - a.col + 1}, true
}

// nsCalcExt is LibreOffice's extension namespace for spreadsheets.
const nsCalcExt = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"

// withoutVolatileCells adds to r the removal of the cached result of an
// OpenDocument table cell whose table:formula calls volatileCall's
// functions: its value and type (ODF 1.3 Part 3, office:value,
// office:date-value and the others, office:value-type, and
// LibreOffice's calcext:value-type) and the paragraphs that show it. A
// cell's annotation and shapes stay. A matrix formula's result fills the
// cells its table:number-matrix-columns-spanned and -rows-spanned cover,
// which hold no formula; they lose theirs too, when a repeated cell
// (table:number-columns-repeated, table:number-rows-repeated on its row)
// lies wholly in the matrix. LibreOffice computes such cells anew when
// it loads the document.
func withoutVolatileCells(r rule) rule {
	var (
		cell         = -1 // depth of the cell whose paragraphs go
		row, nextRow int  // the row being read, from 0, and the next one
		rows, col    int  // how many rows it stands for; the next cell's column
		matrices     []cellArea
	)
	return func(parents []name, e *elem) {
		r(parents, e)
		n := len(parents)
		if n <= cell {
			cell = -1
		}
		if cell >= 0 && n == cell+1 && e.Space == nsText && (e.Local == "p" || e.Local == "h") {
			e.drop = true
			return
		}
		if e.Space != nsTable {
			return
		}
		switch e.Local {
		case "table":
			row, nextRow, matrices = 0, 0, nil
		case "table-row":
			row, rows, col = nextRow, repeated(e, "number-rows-repeated"), 0
			nextRow += rows
			matrices = reaching(matrices, row)
		case "table-cell", "covered-table-cell":
			if n == 0 || parents[n-1] != (name{nsTable, "table-row"}) {
				return
			}
			here := cellArea{row: row, col: col, rows: rows, cols: repeated(e, "number-columns-repeated")}
			col += here.cols
			f, _ := e.attr(nsTable, "formula")
			switch {
			case volatileCall(f):
				m := cellArea{row: row, col: here.col, rows: repeated(e, "number-matrix-rows-spanned"), cols: repeated(e, "number-matrix-columns-spanned")}
				if m.rows*m.cols > 1 && len(matrices) < maxAreas {
					matrices = append(matrices, m)
				}
			case f == "" && here.within(matrices):
			default:
				return
			}
			e.remove(func(space, local, _ string) bool {
				return space == nsOffice && (local == "value-type" || strings.HasSuffix(local, "value")) ||
					space == nsCalcExt && local == "value-type"
			})
			cell = n
		}
	}
}

// cellArea is a rectangle of cells, from row and col.
type cellArea struct{ row, col, rows, cols int }

// maxAreas bounds the array formulas followed at once, so that a sheet
// of them costs time in proportion to its size; those past it keep the
// results their other cells cache.
const maxAreas = 1024

// reaching keeps the areas that reach row or further: rows are read in
// order, so the others are behind.
func reaching(areas []cellArea, row int) []cellArea {
	kept := areas[:0]
	for _, a := range areas {
		if a.row+a.rows > row {
			kept = append(kept, a)
		}
	}
	return kept
}

// within tells whether a lies wholly in one of areas.
func (a cellArea) within(areas []cellArea) bool {
	for _, m := range areas {
		if m.row <= a.row && a.row+a.rows <= m.row+m.rows && m.col <= a.col && a.col+a.cols <= m.col+m.cols {
			return true
		}
	}
	return false
}

// repeated reads a count attribute of the table namespace, 1 when it is
// absent or not a positive number. A bound keeps sums from overflowing:
// a sheet has at most 2^20 rows.
func repeated(e *elem, local string) int {
	v, _ := e.attr(nsTable, local)
	k, err := strconv.Atoi(v)
	if err != nil || k < 1 {
		return 1
	}
	return min(k, 1<<24)
}

// volatileResults tells whether a worksheet of the package has a formula
// whose cached result withoutVolatileResults drops.
func (p *pkg) volatileResults() bool {
	for key, i := range p.parts {
		if strings.HasPrefix(key, "xl/worksheets/") && !p.drop[key] && volatileCall(string(p.entries[i].data)) {
			return true
		}
	}
	return false
}
