package anonymize

import (
	"bytes"
	"io"
	"mime"
	"path"

	"github.com/emersion/go-message/textproto"

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
