package web

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"

	"leak/relay"
	"leak/relay/address"
)

// form serves GET /: the form with a fresh challenge.
func (s *server) form(w http.ResponseWriter, r *http.Request) {
	s.formPage(w, http.StatusOK, formValues{}, "")
}

// formPage renders the form with values filled in and, if set, an error
// above it.
func (s *server) formPage(w http.ResponseWriter, code int, v formValues, errText string) {
	c, err := s.proofs.issue()
	if err != nil {
		s.log.Error("web: cannot issue a challenge", "err", err)
		s.page(w, http.StatusServiceUnavailable, pageData{Title: "Please try again", Error: probBusy.Text})
		return
	}
	s.page(w, code, pageData{
		Title:         "Send an anonymous message",
		Error:         errText,
		Challenge:     c,
		Form:          v,
		Relationships: choices(v.Relationship),
		MaxText:       MaxTextBytes,
		MaxSubject:    maxSubjectChars,
	})
}

// send serves POST /send: the form, posted.
func (s *server) send(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	v, pow, err := readForm(r)
	if err != nil {
		p := probMalformedForm
		if errors.As(err, new(*http.MaxBytesError)) {
			p = probTooLarge
		}
		s.formPage(w, p.Status, v, p.Text)
		return
	}
	rel, ok := parseRelationship(v.Relationship)
	if !ok {
		s.formPage(w, probRelationship.Status, v, probRelationship.Text)
		return
	}
	sub := relay.Submission{To: v.To, Relationship: rel, Subject: v.Subject, Text: v.Text}
	var sol *Solution
	if pow != "" {
		parsed, err := parseSolution(pow)
		if err != nil {
			s.formPage(w, probProofInvalid.Status, v, probProofInvalid.Text)
			return
		}
		sol = &parsed
	}
	if ok, p := s.sendMessage(r, sub, sol); !ok {
		if p.RetryAfter > 0 {
			setRetryAfter(w, p.RetryAfter)
		}
		s.formPage(w, p.Status, v, p.Text)
		return
	}
	s.page(w, http.StatusOK, pageData{Title: "Sent", SentAs: seenAs(rel)})
}

// parseRelationship accepts the prefixes of the relay addresses and
// "someone" for "to".
func parseRelationship(s string) (address.Relationship, bool) {
	if strings.EqualFold(s, "someone") {
		return address.Someone, true
	}
	return address.ParseRelationship(s)
}

// formFields are the fields the form posts; anything else is refused.
var formFields = map[string]bool{"to": true, "relationship": true, "subject": true, "text": true, "pow": true}

// readForm reads the form, multipart/form-data (what the page sends: the
// text is not escaped, so it fits the body limit) or URL-encoded (what a
// hand-written client may send). A multipart body is read part by part
// with a bound on each, and a file is refused: nothing reaches the disk.
func readForm(r *http.Request) (formValues, string, error) {
	var v formValues
	get := map[string]*string{"to": &v.To, "relationship": &v.Relationship, "subject": &v.Subject, "text": &v.Text}
	var pow string
	get["pow"] = &pow

	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, params["boundary"])
		if params["boundary"] == "" {
			return v, "", errors.New("multipart form without a boundary")
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return v, "", err
			}
			name := part.FormName()
			if !formFields[name] || part.FileName() != "" {
				return v, "", errors.New("unexpected form field")
			}
			b, err := io.ReadAll(io.LimitReader(part, maxBodyBytes))
			if err != nil {
				return v, "", err
			}
			*get[name] = string(b)
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return v, "", err
		}
		for name, vals := range r.PostForm {
			if !formFields[name] || len(vals) != 1 {
				return v, "", errors.New("unexpected form field")
			}
			*get[name] = vals[0]
		}
	default:
		return v, "", errors.New("not a form")
	}
	for _, p := range []*string{&v.To, &v.Relationship, &v.Subject, &v.Text, &pow} {
		if !utf8.ValidString(*p) {
			return formValues{}, "", errors.New("form field is not UTF-8")
		}
	}
	// Browsers send textarea line breaks as CRLF; the relay normalises
	// them anyway.
	v.To = strings.TrimSpace(v.To)
	return v, pow, nil
}
