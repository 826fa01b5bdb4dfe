package pdf

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"errors"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

const (
	// maxForms bounds how deeply form XObjects may draw form XObjects.
	maxForms = 16
	// maxStack bounds the graphics states q saves.
	maxStack = 256
	// maxOperands bounds the operands kept before an operator, those of
	// a TJ array included (a line of text kerned glyph by glyph holds a
	// few hundred).
	maxOperands = 1 << 14
	// flushAt is how much page text is held before it is written out.
	flushAt = 1 << 20
	// gap is the TJ displacement, in thousandths of an em, past which the
	// separated copy of the text takes a space between words for a gap
	// (TeX draws its spaces so, -333 an em).
	gap = -200
	// cmapSlot is the buffer CMaps are decoded into (see decode).
	cmapSlot = maxForms + 1
)

// pageScan writes the text the pages of the written document show. Every
// stream is read at most once, only if the document as written holds it,
// and the inflated bytes of all of them are charged to budget.
type pageScan struct {
	xt      *model.XRefTable
	written map[int]int
	out     *bufio.Writer
	budget  int64
	entries int // of ToUnicode CMaps, see maxCMapEntries
	fonts   map[int]*font
	seen    map[int]bool
	dr      types.Dict // the interactive form's default resources
	zr      io.ReadCloser
	bufs    [cmapSlot + 1][]byte
	// joined is the text as shown, each piece after the last: an address
	// LibreOffice draws in two portions (the domain bold) or Word in runs
	// is whole there. split is the same with a line break wherever the
	// text is moved (Td, Tm, a new text object, a wide TJ gap): an address
	// right after other text with no space glyph between is whole there.
	joined, split []byte
}

// page writes the text of the page d, whose inherited resources are res:
// its contents and the appearances of its annotations.
func (s *pageScan) page(d types.Dict, res types.Dict) {
	if r, ok := s.dict(d["Resources"]); ok {
		res = r
	}
	m := &machine{s: s, res: res}
	switch c := s.deref(d["Contents"]).(type) {
	case types.Array:
		// Several streams make one content stream (7.8.2).
		for _, e := range c {
			if data, ok := s.stream(e); ok {
				m.run(data)
			}
		}
	default:
		if data, ok := s.stream(d["Contents"]); ok {
			m.run(data)
		}
	}
	if annots, ok := s.deref(d["Annots"]).(types.Array); ok {
		// A widget's appearance without resources of its own takes the
		// form's default resources (12.7.4.3).
		m := &machine{s: s, res: res}
		if s.dr != nil {
			m.res = s.dr
		}
		for _, a := range annots {
			ad, ok := s.dict(a)
			if !ok {
				continue
			}
			ap, ok := s.dict(ad["AP"])
			if !ok {
				continue
			}
			for _, k := range []string{"N", "R", "D"} {
				switch v := s.deref(ap[k]).(type) {
				case types.StreamDict:
					m.form(ap[k])
				case types.Dict:
					// Appearance states: one stream each (12.5.5).
					for _, st := range v {
						m.form(st)
					}
				}
			}
		}
	}
	s.flush()
}

// flush writes both copies of the text held.
func (s *pageScan) flush() {
	if len(s.joined) > 0 {
		s.out.Write(s.joined)
		s.out.WriteByte('\n')
		s.out.Write(s.split)
		s.out.WriteByte('\n')
	}
	s.joined, s.split = s.joined[:0], s.split[:0]
}

func (s *pageScan) deref(o types.Object) types.Object {
	o, err := s.xt.Dereference(o)
	if err != nil {
		return nil
	}
	return o
}

func (s *pageScan) dict(o types.Object) (types.Dict, bool) {
	d, ok := s.deref(o).(types.Dict)
	return d, ok
}

// stream returns the decoded data of the stream o refers to, if it was
// written and not read before. A stream that cannot be decoded (a filter
// the scan does not undo, corrupt data) or that exceeds the budget is
// skipped.
func (s *pageScan) stream(o types.Object) ([]byte, bool) {
	sd, ok := s.streamDict(o)
	if !ok {
		return nil, false
	}
	return s.decode(sd, 0)
}

func (s *pageScan) streamDict(o types.Object) (types.StreamDict, bool) {
	r, ok := o.(types.IndirectRef)
	if !ok {
		return types.StreamDict{}, false
	}
	n := r.ObjectNumber.Value()
	if _, ok := s.written[n]; !ok || s.seen[n] {
		return types.StreamDict{}, false
	}
	s.seen[n] = true
	sd, ok := s.deref(r).(types.StreamDict)
	return sd, ok
}

// decode returns the data of sd, decoded into the buffer of slot: one
// for each depth of form XObjects, whose data is in use while the forms
// they draw are read, and cmapSlot.
func (s *pageScan) decode(sd types.StreamDict, slot int) ([]byte, bool) {
	names, parms, err := filters(s.xt, sd.Dict)
	if err != nil || s.budget <= 0 {
		return nil, false
	}
	for _, n := range names {
		if !decodable[n] {
			return nil, false
		}
	}
	if len(names) == 1 && names[0] == filter.Flate && parms[0].IntEntry("Predictor") == nil {
		// The common case, inflated through one reader and into a
		// buffer kept for the next stream: a reader costs 40 KiB.
		if s.zr == nil {
			s.zr, err = zlib.NewReader(bytes.NewReader(sd.Raw))
		} else {
			err = s.zr.(zlib.Resetter).Reset(bytes.NewReader(sd.Raw), nil)
		}
		if err != nil {
			s.zr = nil
			return nil, false
		}
		b := bytes.NewBuffer(s.bufs[slot][:0])
		_, err := b.ReadFrom(io.LimitReader(s.zr, s.budget+1))
		s.bufs[slot] = b.Bytes()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) || int64(b.Len()) > s.budget {
			return nil, false
		}
		s.budget -= int64(b.Len())
		return b.Bytes(), true
	}
	b, err := decode(sd.Raw, names, parms, s.budget)
	if err != nil {
		return nil, false
	}
	s.budget -= int64(len(b))
	return b, true
}

// font returns the font named name in the resources res, nil if there is
// none.
func (s *pageScan) font(res types.Dict, name string) *font {
	fonts, ok := s.dict(res["Font"])
	if !ok {
		return nil
	}
	o := fonts[name]
	n := -1
	if r, ok := o.(types.IndirectRef); ok {
		n = r.ObjectNumber.Value()
		if f, ok := s.fonts[n]; ok {
			return f
		}
	}
	d, ok := s.dict(o)
	if !ok {
		return nil
	}
	f := &font{}
	subtype := d.NameEntry("Subtype")
	if subtype != nil && *subtype == "Type0" {
		f.composite = true
		if sd, ok := s.deref(d["Encoding"]).(types.StreamDict); ok {
			// An embedded CMap: only its code space ranges count.
			if data, ok := s.decode(sd, cmapSlot); ok {
				var cs font
				none := 0
				parseCMap(&cs, data, &none)
				f.space = cs.space
			}
		}
	} else {
		f.enc = s.encoding(d["Encoding"])
	}
	if sd, ok := s.deref(d["ToUnicode"]).(types.StreamDict); ok {
		if data, ok := s.decode(sd, cmapSlot); ok {
			var tu font
			parseCMap(&tu, data, &s.entries)
			f.uni = tu.uni
			if f.composite && f.space == nil && !identity(s.deref(d["Encoding"])) {
				f.space = tu.space
			}
		}
	}
	if !f.composite {
		f.simple()
	}
	if n >= 0 {
		s.fonts[n] = f
	}
	return f
}

func identity(o types.Object) bool {
	n, ok := o.(types.Name)
	return ok && (n == "Identity-H" || n == "Identity-V")
}

// encoding returns the code-to-text table of a simple font's /Encoding:
// a base encoding and the glyph names of its /Differences (9.6.5.1).
func (s *pageScan) encoding(o types.Object) *[256]string {
	switch e := s.deref(o).(type) {
	case types.Name:
		return baseEncoding(string(e))
	case types.Dict:
		base := "StandardEncoding"
		if n := e.NameEntry("BaseEncoding"); n != nil {
			base = *n
		}
		enc := *baseEncoding(base)
		diffs, ok := s.deref(e["Differences"]).(types.Array)
		if !ok {
			return &enc
		}
		code := -1
		for _, v := range diffs {
			switch v := s.deref(v).(type) {
			case types.Integer:
				code = int(v)
			case types.Name:
				if code >= 0 && code < 256 {
					enc[code] = glyphText(string(v))
				}
				code++
			}
		}
		return &enc
	}
	return &standard
}

// machine follows one content stream's operators (9.4) for the text they
// show.
type machine struct {
	s     *pageScan
	res   types.Dict
	font  *font
	stack []*font
	ops   []token
	lex   lexer
	depth int // of form XObjects
}

// run follows the operators of data.
func (m *machine) run(data []byte) {
	s := m.s
	m.lex = lexer{b: data, buf: m.lex.buf[:0]}
	inArray, inDict := 0, 0
	for {
		t, ok := m.lex.next()
		if !ok {
			return
		}
		switch t.kind {
		case tokArray:
			inArray++
			continue
		case tokArrayEnd:
			inArray = max(inArray-1, 0)
			continue
		case tokDict:
			inDict++
			continue
		case tokDictEnd:
			inDict = max(inDict-1, 0)
			continue
		case tokOperator:
		default:
			if inDict > 0 {
				// A property list's strings (/ActualText, /Alt, /E of
				// marked content) are text strings.
				if t.kind == tokString {
					writeTextString(s.out, t.b)
				}
				continue
			}
			if len(m.ops) < maxOperands {
				m.ops = append(m.ops, t)
			}
			continue
		}
		inArray, inDict = 0, 0
		switch string(t.b) {
		case "BT", "ET", "Td", "TD", "T*", "Tm":
			s.move()
		case "Tf":
			if len(m.ops) >= 2 && m.ops[len(m.ops)-2].kind == tokName {
				m.font = s.font(m.res, string(m.ops[len(m.ops)-2].b))
			}
		case "Tj":
			m.show(1)
		case "'", `"`:
			s.move()
			m.show(1)
		case "TJ":
			for _, o := range m.ops {
				switch {
				case o.kind == tokString:
					m.showString(o.b)
				case o.kind == tokNumber && o.num < gap:
					s.move()
				}
			}
		case "q":
			if len(m.stack) < maxStack {
				m.stack = append(m.stack, m.font)
			}
		case "Q":
			if n := len(m.stack); n > 0 {
				m.font, m.stack = m.stack[n-1], m.stack[:n-1]
			}
		case "Do":
			if len(m.ops) >= 1 && m.ops[len(m.ops)-1].kind == tokName {
				if xo, ok := s.dict(m.res["XObject"]); ok {
					m.form(xo[string(m.ops[len(m.ops)-1].b)])
				}
			}
		case "BI":
			for {
				t, ok := m.lex.next()
				if !ok || t.kind == tokOperator && string(t.b) == "ID" {
					break
				}
			}
			m.lex.skipInline()
		}
		m.ops = m.ops[:0]
		m.lex.buf = m.lex.buf[:0]
	}
}

// show shows the string that is the last operand but k-1.
func (m *machine) show(k int) {
	if n := len(m.ops); n >= k && m.ops[n-k].kind == tokString {
		m.showString(m.ops[n-k].b)
	}
}

func (m *machine) showString(b []byte) {
	s := m.s
	n := len(s.joined)
	s.joined = m.font.decode(s.joined, b)
	s.split = append(s.split, s.joined[n:]...)
	if len(s.joined) > flushAt {
		s.flush()
	}
}

// move marks where the text is moved in the separated copy.
func (s *pageScan) move() {
	if n := len(s.split); n > 0 && s.split[n-1] != '\n' {
		s.split = append(s.split, '\n')
	}
}

// form follows the form XObject o refers to (8.10) with the graphics
// state of m.
func (m *machine) form(o types.Object) {
	depth := m.depth + 1
	if depth > maxForms {
		return
	}
	sd, ok := m.s.streamDict(o)
	if !ok {
		return
	}
	if st := sd.Subtype(); st == nil || *st != "Form" {
		if st != nil || sd.Type() != nil {
			return
		}
		// An appearance stream may leave out /Subtype /Form.
	}
	data, ok := m.s.decode(sd, depth)
	if !ok {
		return
	}
	res := m.res
	if r, ok := m.s.dict(sd.Dict["Resources"]); ok {
		res = r
	}
	sub := &machine{s: m.s, res: res, font: m.font, depth: depth}
	sub.run(data)
}

// pageText writes the text the pages of the document in ctx show, as
// rewrite wrote it (written maps the objects it wrote), to out.
func pageText(ctx *model.Context, written map[int]int, out *bufio.Writer) {
	s := &pageScan{xt: ctx.XRefTable, written: written, out: out, budget: maxInflated,
		entries: maxCMapEntries, fonts: map[int]*font{}, seen: map[int]bool{}}
	root, ok := s.dict(*ctx.Root)
	if !ok {
		return
	}
	if form, ok := s.dict(root["AcroForm"]); ok {
		s.dr, _ = s.dict(form["DR"])
	}
	// The page tree, depth first; resources are inherited (7.7.3.4).
	type node struct {
		o   types.Object
		res types.Dict
	}
	stack := []node{{o: root["Pages"]}}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if r, ok := n.o.(types.IndirectRef); ok {
			num := r.ObjectNumber.Value()
			if _, ok := written[num]; !ok || s.seen[num] {
				continue
			}
			s.seen[num] = true
		}
		d, ok := s.dict(n.o)
		if !ok {
			continue
		}
		kids, ok := s.deref(d["Kids"]).(types.Array)
		if !ok {
			s.page(d, n.res)
			continue
		}
		res := n.res
		if r, ok := s.dict(d["Resources"]); ok {
			res = r
		}
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, node{kids[i], res})
		}
	}
}
