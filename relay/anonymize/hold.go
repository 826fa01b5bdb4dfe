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
// after it are cleaned and their output recorded, and once the part of the
// alternative holding the HTML has ended (Apple Mail splits its HTML
// around inline pictures, the signature in the last piece), or the
// alternative ends, the text part is cleaned with the signatures' lines
// and written in its place, then what was recorded. If the part after the
// HTML is a calendar, the text part waits for it too, for the rooms and
// the location it drops (an invitation's text shows them). The output's
// order is the input's.
//
// Memory: the text part, up to holdMax, as a session holds a spool record
// of that size; the recording, up to recordFree and beyond it in steps
// taken from the document budget without waiting, up to recordMax. When
// the budget has no room or the recording would pass recordMax, the text
// part is written at once with the signatures found so far, and the rest
// streams as usual.

const (
	holdMax    = 256 << 10 // a longer text part streams, without the HTML part's signature
	recordFree = 256 << 10 // recorded without taking from the budget
	recordStep = 256 << 10 // taken from the budget at a time past recordFree
	recordMax  = 8 << 20
)

// held is a text part waiting for the HTML part after it.
type held struct {
	header textproto.Header
	body   []byte
	emit   emitFunc
	sc     scope
	owner  *partWriter // the alternative it is a part of
	html   int         // rewriter.htmlParts when it began to wait
	budget int64       // taken from the document budget for the recording
}

// holds reports whether a part of a multipart/alternative waits: a
// plain-text body part, while no other part waits.
func (r *rewriter) holds(h *textproto.Header) bool {
	return r.held == nil && contentTypeOf(h, false).typ == "text/plain" && !isAttachment(h)
}

// hold reads part p whole and makes it wait, reserving its place among
// out's parts; writes after it are recorded until unhold.
func (r *rewriter) hold(p *textproto.Part, out *partWriter, sc scope) error {
	body, err := io.ReadAll(io.LimitReader(p, holdMax+1))
	if err != nil {
		return err
	}
	if len(body) > holdMax {
		return r.entity(&p.Header, io.MultiReader(bytes.NewReader(body), p), sc, out.emit)
	}
	r.held = &held{header: p.Header, body: body, emit: out.reserve(), sc: sc, owner: out, html: r.htmlParts}
	r.out.record(recordFree, r.recordMore)
	return nil
}

// recordMore lets the recording grow by a step, or writes the waiting
// part now: it is called by the fanout when the recording is full.
func (r *rewriter) recordMore() error {
	if h := r.held; h != nil && recordFree+h.budget+recordStep <= recordMax && r.budget.tryAcquire(recordStep) {
		h.budget += recordStep
		r.out.rec.limit += recordStep
		return nil
	}
	return r.unhold()
}

// waitsFor reports whether the waiting part is out's and the part of out
// just cleaned held HTML: then it waits no longer.
func (r *rewriter) waitsFor(out *partWriter) bool {
	return r.held != nil && r.held.owner == out && r.htmlParts > r.held.html
}

// unhold cleans and writes the waiting text part, with the signatures
// the parts after it gave, and then what they wrote.
func (r *rewriter) unhold() error {
	h := r.held
	if h == nil {
		return nil
	}
	r.held = nil
	defer r.budget.release(h.budget)
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

// addPlaces keeps the rooms and the location of a calendar invitation the
// HTML cleaner or the calendar part removed, for the plain-text part
// waiting for them, which shows them with nothing to tell them by.
func (r *rewriter) addPlaces(places []string) {
	if len(r.places) < 16 {
		r.places = append(r.places, places...)
	}
}
