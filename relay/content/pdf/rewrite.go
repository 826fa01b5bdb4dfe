package pdf

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"math"
	"sort"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// maxDepth bounds the nesting of direct objects (arrays in dictionaries in
// arrays…) the rewrite follows. Real documents stay far below it.
const maxDepth = 200

// writer serialises the objects reachable from the catalog into one
// revision. Objects are renumbered 1…n in the order they are first reached,
// so an object that nothing reachable points to is never written.
type writer struct {
	xt      *model.XRefTable
	num     map[int]int         // old object number → new
	pending []types.IndirectRef // old references, index = new number - 1
	offsets []int               // byte offset of each new object
	out     bytes.Buffer
	text    *bufio.Writer // if not nil, receives each string written
}

// rewrite scrubs and writes the document in ctx, its strings to text if
// that is not nil.
func rewrite(ctx *model.Context, text *bufio.Writer) (*writer, error) {
	w := &writer{xt: ctx.XRefTable, num: make(map[int]int), text: text}
	w.out.Grow(int(ctx.Read.FileSize) + 1024)

	version := "1.7"
	if ctx.HeaderVersion != nil {
		version = ctx.HeaderVersion.String()
	}
	// The second line marks the file as binary for transfer programs (7.5.2).
	w.out.WriteString("%PDF-" + version + "\n%\xe2\xe3\xcf\xd3\n")

	w.ref(*ctx.Root)
	for i := 0; i < len(w.pending); i++ {
		if err := w.object(i+1, w.pending[i]); err != nil {
			return nil, err
		}
	}
	// scrub drops an entry whose value looks like a removed action: a
	// page tree root that also has /S /JavaScript goes with the catalog's
	// /Pages, leaving a file with no pages that no viewer opens.
	if root, err := ctx.DereferenceDict(*ctx.Root); err != nil || root["Pages"] == nil {
		return nil, malformed(err)
	}

	// A fresh identifier: the old one links the file to its source (14.4).
	// crypto/rand.Read does not fail.
	id := make([]byte, 16)
	rand.Read(id)
	xref := w.out.Len()
	n := len(w.pending) + 1
	w.out.WriteString("xref\n0 " + strconv.Itoa(n) + "\n0000000000 65535 f \n")
	for _, off := range w.offsets {
		w.out.WriteString(pad10(off) + " 00000 n \n")
	}
	h := hex.EncodeToString(id)
	w.out.WriteString("trailer\n<</Size " + strconv.Itoa(n) + "/Root 1 0 R/ID[<" + h + "><" + h + ">]>>\n")
	w.out.WriteString("startxref\n" + strconv.Itoa(xref) + "\n%%EOF\n")
	return w, nil
}

func pad10(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 10 {
		s = "0" + s
	}
	return s
}

// ref returns the new number of the object r points to, queueing it for
// writing the first time, or 0 if there is no such object (a reference to a
// missing object means null, 7.3.10).
func (w *writer) ref(r types.IndirectRef) int {
	old := r.ObjectNumber.Value()
	if n, ok := w.num[old]; ok {
		return n
	}
	e, ok := w.xt.Find(old)
	if !ok || e == nil || e.Free || e.Object == nil {
		return 0
	}
	w.pending = append(w.pending, r)
	n := len(w.pending)
	w.num[old] = n
	return n
}

// object writes the object r as object number n.
func (w *writer) object(n int, r types.IndirectRef) error {
	o, err := w.xt.Dereference(r)
	if err != nil {
		return malformed(err)
	}
	if o, err = scrub(w.xt, o, 0); err != nil {
		return err
	}
	w.offsets = append(w.offsets, w.out.Len())
	w.out.WriteString(strconv.Itoa(n) + " 0 obj\n")
	switch o := o.(type) {
	case types.StreamDict:
		raw, err := cleanStream(w.xt, o)
		if err != nil {
			return err
		}
		o.Dict["Length"] = types.Integer(len(raw))
		if err := w.value(o.Dict, 0); err != nil {
			return err
		}
		w.out.WriteString("\nstream\n")
		w.out.Write(raw)
		w.out.WriteString("\nendstream")
	case types.ObjectStreamDict, types.XRefStreamDict:
		// Only the cross-reference machinery points to these; a document
		// object that does is broken. Object streams are unpacked anyway.
		w.out.WriteString("null")
	default:
		if err := w.value(o, 0); err != nil {
			return err
		}
	}
	w.out.WriteString("\nendobj\n")
	return nil
}

// value writes a direct object, renumbering the references in it.
func (w *writer) value(o types.Object, depth int) error {
	if depth > maxDepth {
		return malformed(nil)
	}
	b := &w.out
	switch o := o.(type) {
	case nil:
		b.WriteString("null")
	case types.Boolean:
		b.WriteString(strconv.FormatBool(bool(o)))
	case types.Integer:
		b.WriteString(strconv.Itoa(int(o)))
	case types.Float:
		f := float64(o)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = 0
		}
		b.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
	case types.Name:
		b.WriteString("/" + types.EncodeName(string(o)))
	case types.StringLiteral:
		// pdfcpu keeps literal strings as they were escaped in the file.
		b.WriteString("(" + string(o) + ")")
		if w.text != nil {
			l := lexer{b: []byte(o)}
			writeTextString(w.text, l.literal())
		}
	case types.HexLiteral:
		b.WriteString("<" + string(o) + ">")
		if w.text != nil {
			l := lexer{b: []byte(o)}
			writeTextString(w.text, l.hex())
		}
	case types.IndirectRef:
		if n := w.ref(o); n > 0 {
			b.WriteString(strconv.Itoa(n) + " 0 R")
		} else {
			b.WriteString("null")
		}
	case types.Array:
		b.WriteByte('[')
		for i, e := range o {
			if i > 0 {
				b.WriteByte(' ')
			}
			if err := w.value(e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case types.Dict:
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("<<")
		for _, k := range keys {
			b.WriteString("/" + types.EncodeName(k) + " ")
			if err := w.value(o[k], depth+1); err != nil {
				return err
			}
		}
		b.WriteString(">>")
	default:
		// A stream or another indirect-only object where a direct value
		// belongs: not a PDF.
		return malformed(nil)
	}
	return nil
}
