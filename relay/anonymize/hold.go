package anonymize

import (
	"bytes"
	"io"

	"github.com/emersion/go-message/textproto"
)

// A multipart/alternative's plain-text part comes before its HTML part,
// and carries the sender's stored signature as the HTML part does, but
// with no marker: Outlook and its web client write it as plain lines, and
// only the HTML part's container (_MailAutoSig, id="Signature") tells what
// the signature is. So the text part waits: it is read whole, the parts
// after it are cleaned and their output recorded, and once the HTML part
// has given its signature's lines (or the alternative ends without one),
// the text part is cleaned with them and written, then what was recorded.
// The output's order is the input's.

// holdMax bounds the text part that waits. A longer one is cleaned as it
// streams, without the HTML part's signature.
const holdMax = 256 << 10

// held is a text part waiting for the HTML part after it.
type held struct {
	header textproto.Header
	body   []byte
	emit   emitFunc
	sc     scope
	owner  *partWriter // the alternative it is a part of
	cost   int64       // budget held for body
}

// holds reports whether part p of a multipart/alternative waits: a
// plain-text body part, while no other part waits, and when the document
// budget can hold one at all.
func (r *rewriter) holds(h *textproto.Header) bool {
	return r.held == nil && r.budget.max >= holdMax && contentTypeOf(h, false).typ == "text/plain" && !isAttachment(h)
}

// hold reads part p whole and makes it wait, reserving its place among
// out's parts; writes after it are recorded until unhold.
func (r *rewriter) hold(p *textproto.Part, out *partWriter, sc scope) error {
	if err := r.budget.acquire(holdMax); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(p, holdMax+1))
	if err != nil || len(body) > holdMax {
		r.budget.release(holdMax)
		if err != nil {
			return err
		}
		return r.entity(&p.Header, io.MultiReader(bytes.NewReader(body), p), sc, out.emit)
	}
	r.budget.release(holdMax - int64(len(body)))
	r.held = &held{header: p.Header, body: body, emit: out.reserve(), sc: sc, owner: out, cost: int64(len(body))}
	r.out.record()
	return nil
}

// unhold cleans and writes the waiting text part, with the signatures
// the parts after it gave, and then what they wrote.
func (r *rewriter) unhold() error {
	h := r.held
	if h == nil {
		return nil
	}
	r.held = nil
	defer r.budget.release(h.cost)
	rec := r.out.rec
	r.out.rec = nil
	emitted := false
	emit := func(fields []HeaderField) error {
		emitted = true
		return h.emit(fields)
	}
	if err := r.entity(&h.header, bytes.NewReader(h.body), h.sc, emit); err != nil {
		return err
	}
	if !emitted {
		// Its place is reserved: a part must be there.
		if err := h.emit(emptyText); err != nil {
			return err
		}
	}
	return r.out.replay(rec)
}

// addSignature keeps the lines of a signature the HTML cleaner removed.
func (r *rewriter) addSignature(lines []string) {
	if len(r.sigs) < 8 {
		r.sigs = append(r.sigs, lines)
	}
}
