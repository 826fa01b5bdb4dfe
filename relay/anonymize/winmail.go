package anonymize

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"

	"leak/relay/content/refusal"
	"leak/relay/content/text"
	"leak/relay/content/tnef"
)

// winmail replaces Outlook's TNEF attachment (winmail.dat, [MS-OXTNEF]) by
// ordinary MIME parts: its body and its attachments, each cleaned like any
// other part. The MAPI properties that name the sender, its mail system and
// its conversation are not carried over. The parts sit in a
// multipart/mixed where the winmail.dat was; the body is quiet (no footer:
// the message's own text part carries it).
func (r *rewriter) winmail(src io.Reader, sc scope, emit emitFunc) error {
	data, held, err := r.budget.readDocument(src, r.opts.MaxDocumentBytes)
	if err != nil {
		return err
	}
	defer r.budget.release(held)
	m, err := tnef.Decode(bytes.NewReader(data), r.opts.MaxDocumentBytes)
	if err != nil {
		return err
	}
	type part struct {
		typ, disp, name string
		body            []byte
	}
	var parts []part
	switch {
	case len(m.HTML) > 0:
		cs := m.Charset
		if cs == "" {
			cs = "utf-8"
		}
		parts = append(parts, part{typ: mime.FormatMediaType("text/html", map[string]string{"charset": cs}), disp: "inline", body: m.HTML})
	case m.Text != "":
		parts = append(parts, part{typ: "text/plain; charset=utf-8", disp: "inline", body: []byte(m.Text)})
	case len(m.RTF) > 0:
		// The message's own text, in RTF: checked as a text body is. The
		// name and the address are matched where the RTF writes them in
		// one run, which Outlook does unless formatting changes inside them.
		rtf := string(m.RTF)
		if text.HasAddress(rtf, r.sender.addrs) {
			return refusal.New(refusal.Identifying, text.IdentifyingText)
		}
		rtf = text.ReplaceNames(rtf, rtfSpellings(r.sender.names))
		parts = append(parts, part{typ: "application/rtf", disp: "attachment", name: "message.rtf", body: []byte(rtf)})
	}
	for _, a := range m.Attachments {
		name := path.Base(a.Name)
		typ := a.MediaType
		if typ == "" {
			typ = "application/octet-stream"
		}
		parts = append(parts, part{typ: typ, disp: "attachment", name: name, body: a.Data})
	}
	if len(parts) == 0 {
		return nil
	}
	out := r.newParts()
	if err := emit(out.mixed()); err != nil {
		return err
	}
	child := scope{depth: sc.depth + 1, forwarded: sc.forwarded, quiet: true}
	for _, p := range parts {
		var h textproto.Header
		h.Set("Content-Type", p.typ)
		h.Set("Content-Transfer-Encoding", "binary")
		disp := p.disp
		if p.name != "" {
			disp = mime.FormatMediaType(disp, map[string]string{"filename": p.name})
		}
		h.Set("Content-Disposition", disp)
		if err := r.entity(&h, bytes.NewReader(p.body), child, out.emit); err != nil {
			return err
		}
	}
	return out.close()
}

// rtfSpellings adds to names the ways RTF writes those with letters
// beyond ASCII: "Jörg Müller" as Windows-1252 escapes ("J\'f6rg
// M\'fcller", what Outlook writes under \ansicpg1252), and as Unicode
// escapes with a "?" or an escaped fallback ("J\u246?rg", "J\u246\'f6rg").
func rtfSpellings(names []string) []string {
	out := names
	for _, n := range names {
		ascii := true
		for i := 0; i < len(n); i++ {
			ascii = ascii && n[i] < 0x80
		}
		if ascii {
			continue
		}
		var hex, uq, uhex strings.Builder
		for _, c := range n {
			if c < 0x80 {
				hex.WriteRune(c)
				uq.WriteRune(c)
				uhex.WriteRune(c)
				continue
			}
			b, ok := charmap.Windows1252.EncodeRune(c)
			esc := "?"
			if ok {
				esc = fmt.Sprintf("\\'%02x", b)
				hex.WriteString(esc)
			} else {
				hex.WriteString("?")
			}
			u := int(c)
			if u > 0x7fff {
				u -= 0x10000 // RTF's \uN is a signed 16-bit number
			}
			fmt.Fprintf(&uq, "\\u%d?", u)
			fmt.Fprintf(&uhex, "\\u%d%s", u, esc)
		}
		out = append(out, hex.String(), uq.String(), uhex.String())
	}
	return out
}
