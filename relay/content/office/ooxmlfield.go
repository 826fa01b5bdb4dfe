package office

import (
	"regexp"
	"sort"
	"strings"
)

// Word keeps a field (ECMA-376 Part 1 §17.16) as its instruction and the
// result it last showed. A simple field holds its instruction in
// w:fldSimple@w:instr and its result as its runs; a complex one is a
// sequence of runs: w:fldChar begin, the instruction in w:instrText runs
// (Word splits it where it likes, and a nested field's runs may sit
// between them), w:fldChar separate, the result's runs, w:fldChar end.
// Instructions name their sources as RTF's do, and are cleaned with
// rtffield.go's argument finder: a local path keeps its last element.
// The results of the fields that show who made the document or
// where it lives repeat what the properties this package drops held, and
// are neutralised.

// connValue is a key=value pair of a connection string in a quoted
// argument (DATABASE \c "Provider=...;Data Source=C:\\db.accdb").
var connValue = regexp.MustCompile(`([^;="]+)=([^;"]*)`)

// fieldSpans finds what an instruction loses: its arguments that are
// local paths, and in a connection string the values that are (Data
// Source, DBQ, DefaultDir, a system database) and the user id.
func fieldSpans(s string) []instSpan {
	spans := localArguments(s)
	var more []instSpan
	for _, m := range connValue.FindAllStringSubmatchIndex(s, -1) {
		key := strings.ToLower(strings.TrimSpace(s[m[2]:m[3]]))
		start, end := m[4], m[5]
		v := s[start:end]
		sp := instSpan{start: start, end: end, keep: end, keepEnd: end}
		switch {
		case key == "user id" || key == "uid":
			if v == "" {
				continue
			}
		case localTarget(v):
			name := baseName(v)
			if name == v {
				continue
			}
			sp.keep, sp.keepEnd = -1, 0
			if trimmed := strings.TrimRight(v, `/\`); strings.HasSuffix(trimmed, name) {
				sp.keep, sp.keepEnd = start+len(trimmed)-len(name), start+len(trimmed)
			}
		default:
			continue
		}
		if !overlaps(spans, sp) {
			more = append(more, sp)
		}
	}
	spans = append(spans, more...)
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	return spans
}

func overlaps(spans []instSpan, sp instSpan) bool {
	for _, o := range spans {
		if sp.start < o.end && o.start < sp.end {
			return true
		}
	}
	return false
}

// cleanInstruction cleans an instruction written in pieces, the texts of
// its w:instrText runs, and returns the pieces rewritten: kept characters
// stay in the piece they were in, so a nested field between two pieces
// stays where it was, and a path cut to "link" goes where it began.
func cleanInstruction(pieces []string) ([]string, bool) {
	joined := strings.Join(pieces, "")
	spans := fieldSpans(joined)
	if len(spans) == 0 || strings.Contains(joined, "\x00") {
		return pieces, false
	}
	// rewrite writes units without text as they are: NUL, which XML
	// cannot hold, marks where one piece ends.
	units := make([]instUnit, 0, len(joined)+len(pieces))
	for i, p := range pieces {
		if i > 0 {
			units = append(units, instUnit{raw: "\x00"})
		}
		for j := 0; j < len(p); j++ {
			units = append(units, instUnit{text: p[j : j+1], raw: p[j : j+1]})
		}
	}
	return strings.Split(string(rewrite(units, spans)), "\x00"), true
}

// fieldResult tells what the result of a field with this instruction
// becomes, or nil when it stays: the author's name and initials, their
// address, the template's and the document's paths, and the values of
// document properties (docProps/custom.xml is dropped) and variables
// (w:docVars is) that they were shown from; and the dates the document
// was saved, created and printed and the minutes spent editing it
// (SAVEDATE, CREATEDATE, PRINTDATE, EDITTIME), which docProps/core.xml
// and app.xml lose: they tell the author's working hours and time zone.
// So do DATE and TIME: they show the moment they were last computed, when
// the author last opened, saved or printed the document, and a reader that
// does not compute fields (a mail client's preview, a phone) shows that
// moment as it is; Word and LibreOffice compute it anew when they open the
// document, so their reader loses nothing. A locked field (w:fldLock, RTF's
// \fldlock) is not computed again: its date is one the author chose to
// keep, their content, and stays. INFO NAME is the older spelling of the
// field NAME.
func fieldResult(instr string, locked bool) func(string) string {
	f := strings.Fields(instr)
	if len(f) == 0 {
		return nil
	}
	kind := strings.ToUpper(f[0])
	if kind == "INFO" && len(f) > 1 {
		kind = strings.ToUpper(f[1])
	}
	switch kind {
	case "AUTHOR", "LASTSAVEDBY", "USERNAME":
		return func(string) string { return neutral }
	case "USERINITIALS":
		return func(string) string { return "A" }
	case "USERADDRESS", "DOCPROPERTY", "DOCVARIABLE", "SAVEDATE", "CREATEDATE", "PRINTDATE", "EDITTIME":
		return func(string) string { return "" }
	case "TEMPLATE", "FILENAME":
		return baseName
	case "DATE", "TIME":
		if !locked {
			return func(string) string { return "" }
		}
	}
	return nil
}

// fieldText is the text of a w:instrText or w:t element as read.
type fieldText struct {
	text   string
	data   bool // it holds character data
	opaque bool // it holds elements, or is held in one like it: left alone
}

// field is one field met while reading a part.
type field struct {
	simple  bool
	locked  bool   // its result is not computed again (w:fldLock)
	depth   int    // a simple field's depth, to tell when it closes
	instr   string // a simple field's instruction
	result  bool   // past the separator: its text is the result
	pieces  []int  // its w:instrText elements
	results []int  // its result's w:t elements
}

// fieldPlan is what the fields of a part become: the new text of
// instruction and result elements, by their order in the part.
type fieldPlan struct {
	instr, text map[int]string
}

// withFields adds to r the cleaning of the fields of a WordprocessingML
// part. A first pass reads the part with r, so that it meets the same
// elements in the same order as the edit, and plans; the rule it returns
// counts the elements again and applies the plan.
func withFields(r rule, data []byte) rule {
	plan, err := planFields(data, r)
	if err != nil {
		return r // the edit reports the error
	}
	var ni, nt int
	return func(parents []name, e *elem) {
		r(parents, e)
		if e.drop || e.text != nil || !isW(e.Space) {
			return
		}
		switch e.Local {
		case "instrText", "delInstrText":
			if v, ok := plan.instr[ni]; ok {
				e.setText(v)
			}
			ni++
		case "t", "delText":
			if v, ok := plan.text[nt]; ok {
				e.setText(v)
			}
			nt++
		case "fldSimple":
			if v, ok := e.attr(e.Space, "instr"); ok {
				if p, changed := cleanInstruction([]string{v}); changed {
					e.set(e.Space, "instr", p[0])
				}
			}
		}
	}
}

func planFields(data []byte, r rule) (fieldPlan, error) {
	var (
		instrs, texts []*fieldText
		open, done    []*field
		at            = map[int]*fieldText{} // depth → the instruction or text element started there
	)
	isText := func(n name) bool {
		return isW(n.Space) && (n.Local == "instrText" || n.Local == "delInstrText" || n.Local == "t" || n.Local == "delText")
	}
	closeFields := func(upTo func(*field) bool) {
		for len(open) > 0 && upTo(open[len(open)-1]) {
			done = append(done, open[len(open)-1])
			open = open[:len(open)-1]
		}
	}
	scan := func(parents []name, e *elem) {
		r(parents, e)
		if e.drop || e.text != nil {
			return
		}
		d := len(parents)
		closeFields(func(f *field) bool { return f.simple && f.depth >= d })
		nested := false
		for i, p := range parents {
			if isText(p) && at[i] != nil {
				at[i].opaque, nested = true, true
			}
		}
		if !isW(e.Space) {
			return
		}
		var top *field
		if len(open) > 0 {
			top = open[len(open)-1]
		}
		switch e.Local {
		case "fldChar":
			switch t, _ := e.attr(e.Space, "fldCharType"); {
			case t == "begin":
				open = append(open, &field{locked: fieldLock(e)})
			case t == "separate" && top != nil && !top.simple:
				top.result = true
			case t == "end" && top != nil && !top.simple:
				closeFields(func(f *field) bool { return f == top })
			}
		case "fldSimple":
			v, _ := e.attr(e.Space, "instr")
			open = append(open, &field{simple: true, locked: fieldLock(e), depth: d, instr: v, result: true})
		case "instrText", "delInstrText":
			instrs = append(instrs, &fieldText{opaque: nested})
			at[d] = instrs[len(instrs)-1]
			if top != nil && !top.simple && !top.result {
				top.pieces = append(top.pieces, len(instrs)-1)
			} else {
				done = append(done, &field{pieces: []int{len(instrs) - 1}})
			}
		case "t", "delText":
			texts = append(texts, &fieldText{opaque: nested})
			at[d] = texts[len(texts)-1]
			if top != nil && top.result {
				top.results = append(top.results, len(texts)-1)
			}
		}
	}
	collect := func(parents []name, text string) (string, bool) {
		n := len(parents)
		if isText(parents[n-1]) && at[n-1] != nil && text != "" {
			at[n-1].text += text
			at[n-1].data = true
		}
		return "", false
	}
	if _, err := edit(data, scan, collect); err != nil {
		return fieldPlan{}, err
	}
	return plan(append(done, open...), instrs, texts), nil
}

// fieldLock tells a field whose w:fldLock (an ST_OnOff, Part 1
// §17.16.18) is on.
func fieldLock(e *elem) bool {
	v, _ := e.attr(e.Space, "fldLock")
	return v == "true" || v == "1" || v == "on"
}

// plan cleans each field's instruction, then neutralises its result by
// what the cleaned instruction says it is: the first text element that
// holds text gets the new result, the others are emptied, so the runs and
// their formatting stay. An empty result stays empty.
func plan(fields []*field, instrs, texts []*fieldText) fieldPlan {
	p := fieldPlan{instr: map[int]string{}, text: map[int]string{}}
	for _, f := range fields {
		instr := f.instr
		if f.simple {
			if c, changed := cleanInstruction([]string{instr}); changed {
				instr = c[0]
			}
		} else {
			var ids []int
			var pieces []string
			for _, i := range f.pieces {
				if !instrs[i].opaque {
					ids = append(ids, i)
					pieces = append(pieces, instrs[i].text)
				}
			}
			cleaned, changed := cleanInstruction(pieces)
			for k, i := range ids {
				if changed && cleaned[k] != pieces[k] {
					p.instr[i] = cleaned[k]
				}
			}
			instr = strings.Join(cleaned, "")
		}
		result := fieldResult(instr, f.locked)
		if result == nil {
			continue
		}
		var ids []int
		var shown strings.Builder
		for _, i := range f.results {
			if t := texts[i]; t.data && !t.opaque {
				ids = append(ids, i)
				shown.WriteString(t.text)
			}
		}
		if len(ids) == 0 {
			continue
		}
		if v := result(shown.String()); v != shown.String() {
			for k, i := range ids {
				if k == 0 {
					p.text[i] = v
				} else {
					p.text[i] = ""
				}
			}
		}
	}
	return p
}
