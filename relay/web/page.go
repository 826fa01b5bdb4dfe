package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"leak/relay/address"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one template per page, each with the shared layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"form", "sent", "message", "report"} {
		m[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return m
}()

// pageData is what every page may show.
type pageData struct {
	Title string
	// Error, when set, is shown first, as an alert.
	Error string
	// Text is the page's paragraph (the message page).
	Text string

	OperatorName, OperatorContact string
	Email                         string // an example relay address
	Domain                        string

	// The form: the challenge to solve and the fields to fill in again.
	Challenge     Challenge
	Form          formValues
	Relationships []relationshipChoice
	MaxText       int
	MaxSubject    int
	// Sent page: how the message will read to its recipient.
	SentAs string
	// Report is the report page's form.
	Report bool
}

// formValues are the fields a refused form is shown with again, so that
// nothing the sender wrote is lost. They live only in the response.
type formValues struct {
	To, Relationship, Subject, Text string
}

// relationshipChoice is one radio button of the form.
type relationshipChoice struct {
	Value, Label, Sees string
	Checked            bool
}

// relationships are the five, in the words the recipient reads in the
// From field ("A friend, anonymously").
var relationships = []struct {
	rel   address.Relationship
	label string
}{
	{address.Someone, "Someone"},
	{address.Friend, "A friend"},
	{address.Coworker, "A coworker"},
	{address.Family, "A family member"},
	{address.FriendOfFriend, "A friend of a friend"},
}

// seenAs is how the recipient sees the sender of rel.
func seenAs(rel address.Relationship) string {
	for _, r := range relationships {
		if r.rel == rel {
			return r.label + ", anonymously"
		}
	}
	return ""
}

func choices(selected string) []relationshipChoice {
	out := make([]relationshipChoice, len(relationships))
	for i, r := range relationships {
		out[i] = relationshipChoice{Value: r.rel.Prefix(), Label: r.label, Sees: r.label + ", anonymously",
			Checked: r.rel.Prefix() == selected || (selected == "" && i == 0)}
	}
	return out
}

// page renders one of the pages with status code; the name is chosen by
// the kind of data (form, sent, report or a plain message).
func (s *server) page(w http.ResponseWriter, code int, d pageData) {
	name := "message"
	switch {
	case d.Challenge.Challenge != "":
		name = "form"
	case d.SentAs != "":
		name = "sent"
	case d.Report:
		name = "report"
	}
	d.OperatorName, d.OperatorContact = s.opts.OperatorName, s.opts.OperatorContact
	d.Email, d.Domain = s.email, s.opts.Domain
	var b bytes.Buffer
	if err := pages[name].ExecuteTemplate(&b, "layout", d); err != nil {
		// The templates are fixed: only a bug gets here, and the tests
		// render every page.
		s.log.Error("web: page template failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	// Pages hold single-use challenges and what the sender wrote: no
	// cache may keep them.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// staticHandler serves the embedded stylesheet and script.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static") // the directory is embedded
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			// No directory listings.
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})
}
