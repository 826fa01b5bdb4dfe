package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"leak/relay"
)

// The JSON API: the form's fields and proof of work, for tools and
// scripts.
//
//	GET  /api/v1/challenge  → 200 {"algorithm","challenge","maxnumber","salt","signature"}
//	POST /api/v1/messages   {"to","relationship","subject","text","pow"}
//	                        → 202 {"status":"sent", ...} once the copy is durable
//	                        → 4xx/5xx {"error":{"code","message","smtp"}}
//
// "pow" is the solved challenge: the object of Solution, or its base64
// string as ALTCHA's widget sends it.

// messageRequest is the body of POST /api/v1/messages.
type messageRequest struct {
	To           string    `json:"to"`
	Relationship string    `json:"relationship"`
	Subject      string    `json:"subject"`
	Text         string    `json:"text"`
	Pow          *Solution `json:"pow"`
}

// challenge serves GET /api/v1/challenge.
func (s *server) challenge(w http.ResponseWriter, r *http.Request) {
	c, err := s.proofs.issue()
	if err != nil {
		s.log.Error("web: cannot issue a challenge", "err", err)
		writeProblem(w, probBusy)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// message serves POST /api/v1/messages.
func (s *server) message(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeProblem(w, probMediaType)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	var req messageRequest
	if err := decodeStrict(r.Body, &req); err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			writeProblem(w, probTooLarge)
			return
		}
		p := probMalformedJSON
		p.API = p.Text + " (" + jsonProblem(err) + ")"
		writeProblem(w, p)
		return
	}
	rel, ok := parseRelationship(req.Relationship)
	if !ok {
		writeProblem(w, probRelationship)
		return
	}
	sub := relay.Submission{To: req.To, Relationship: rel, Subject: req.Subject, Text: req.Text}
	if ok, p := s.sendMessage(r, sub, req.Pow); !ok {
		writeProblem(w, p)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{
		"status":  "sent",
		"message": "The message is stored and on its way; it reaches the recipient from \"" + seenAs(rel) + "\".",
	})
}

// decodeStrict decodes exactly one JSON object with only known fields.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return errors.New("data after the object")
		}
		return err
	}
	return nil
}

// jsonProblem says in a few words what is wrong with a body, without
// echoing any of it.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + strconv.Quote(te.Field) + " has the wrong type"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends before the object does"
	}
	// DisallowUnknownFields: `json: unknown field "x"` names only the key.
	return err.Error()
}

// writeProblem answers an API request with p as JSON.
func writeProblem(w http.ResponseWriter, p problem) {
	if p.RetryAfter > 0 {
		setRetryAfter(w, p.RetryAfter)
	}
	body := map[string]string{"code": p.Code, "message": p.apiText()}
	if p.SMTP != "" {
		body["smtp"] = p.SMTP
	}
	writeJSON(w, p.Status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // maps of strings and the Challenge struct
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// setRetryAfter sets Retry-After in whole seconds, at least one.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.FormatInt(max(int64((d+time.Second-1)/time.Second), 1), 10))
}
