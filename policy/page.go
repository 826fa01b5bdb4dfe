package policy

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// pageData is one unsubscribe page: a title, a paragraph and at most one
// button, which posts action=Action back to the same URL.
type pageData struct {
	Title, Text  string
	Action       string // "unsubscribe", "resubscribe" or "" for no form
	Button, Note string
}

var (
	pageAsk = pageData{
		Title:  "Stop anonymous messages?",
		Text:   "You received an anonymous message through Leak. Stop all further Leak messages to this address?",
		Action: "unsubscribe",
		Button: "Stop Leak messages",
		Note:   "This link works only for the address the message was sent to.",
	}
	pageStopped = pageData{
		Title:  "Leak messages stopped",
		Text:   "Leak will not deliver any further messages to this address.",
		Action: "resubscribe",
		Button: "Allow Leak messages again",
		Note:   "Changed your mind? You can allow them again at any time.",
	}
	pageAllowed = pageData{
		Title:  "Leak messages allowed",
		Text:   "Leak may deliver anonymous messages to this address again.",
		Action: "unsubscribe",
		Button: "Stop Leak messages",
	}
	pageInvalid = pageData{
		Title: "Link not valid",
		Text:  "This unsubscribe link is not valid. Copy the whole link from the message and try again.",
	}
	pageRetry = pageData{
		Title: "Please try again",
		Text:  "Your request could not be recorded just now. Please try again in a few minutes.",
	}
	pageBadRequest = pageData{
		Title: "Nothing to do",
		Text:  "This request was not understood. Open the link from the message to see your options.",
	}
)

// pageTmpl is self-contained: inline style only, no script, no external
// resource, so the Content-Security-Policy can forbid everything else.
// The form posts to the page's own URL (action="").
var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#222}
button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#234;color:#fff;cursor:pointer}
.note{color:#666;font-size:.9rem}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Text}}</p>
{{- if .Action}}
<form method="post" action="">
<input type="hidden" name="action" value="{{.Action}}">
<button type="submit">{{.Button}}</button>
</form>
{{- end}}
{{- if .Note}}
<p class="note">{{.Note}}</p>
{{- end}}
</body>
</html>
`))

// page writes p with status code.
func page(w http.ResponseWriter, code int, p pageData) {
	var b bytes.Buffer
	// The template and its data are fixed by this package: executing it
	// cannot fail short of a bug, which the tests would show.
	if err := pageTmpl.Execute(&b, p); err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(code)
	w.Write(b.Bytes())
}
