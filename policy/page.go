package policy

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// pageData is one page: a title, a paragraph and at most one form, which
// posts action=Action (and, with Field set, an address typed into a field
// of that name) back to the same URL.
type pageData struct {
	Title, Text  string
	Action       string // "unsubscribe", "resubscribe", "request" or "" for no form
	Field        string // name of an email address field in the form, or ""
	Button, Note string
	// Link is a relative link shown as LinkText after the note.
	Link, LinkText string
	// Operator says who runs the service (ResubscribeOptions.Operator),
	// filled in by page from the writer; empty when not configured.
	Operator string
}

// operatorWriter carries who runs the service to page, so that every page
// the Pages handler writes can say it without threading it through each
// fixed pageData.
type operatorWriter struct {
	http.ResponseWriter
	operator string
}

// Pages of an unsubscribe link (unsubscribe.go).
var (
	pageAsk = pageData{
		Title:  "Stop anonymous messages?",
		Text:   "You received an anonymous message through Leak. Stop all further Leak messages to this address?",
		Action: "unsubscribe",
		Button: "Stop Leak messages",
		Note:   "This link works only for the address the message was sent to.",
	}
	// pageStopped has no button back: the unsubscribe link must not opt
	// in. The link leads to the resubscribe page, which is relative to
	// /u/TOKEN: /u/resubscribe.
	pageStopped = pageData{
		Title:    "Leak messages stopped",
		Text:     "Leak will not deliver any further messages to this address.",
		Note:     "Changed your mind? Leak can send a confirmation link to this address.",
		Link:     "resubscribe",
		LinkText: "Allow Leak messages again",
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

// Pages of the resubscribe request and its confirmation link
// (resubscribe.go). None of them depends on whether an address opted out.
var (
	pageRequest = pageData{
		Title: "Allow Leak messages again",
		Text: "If you stopped anonymous messages through Leak and want them again, enter your address. " +
			"Leak sends a confirmation link to it; nothing changes until that link is opened and confirmed.",
		Action: "request",
		Field:  "address",
		Button: "Send a confirmation link",
		Note:   "Only someone who reads the mail of that address can confirm.",
	}
	pageBadAddress = pageData{
		Title:  "Address not understood",
		Text:   "Enter one email address, such as name@example.com, written in ASCII letters.",
		Action: "request",
		Field:  "address",
		Button: "Send a confirmation link",
	}
	pageNotSent = pageData{
		Title: "Please try again",
		Text:  "The confirmation could not be sent just now. Please try again in a few minutes.",
	}
	pageCrossOrigin = pageData{
		Title: "Request refused",
		Text:  "This form can only be sent from Leak's own page. Open the page and try again.",
	}
	pageConfirm = pageData{
		Title:  "Allow anonymous messages again?",
		Text:   "Allow Leak to deliver anonymous messages to this address again?",
		Action: "resubscribe",
		Button: "Allow Leak messages",
		Note:   "Every message Leak delivers carries a link to stop them again.",
	}
	pageResubscribed = pageData{
		Title: "Leak messages allowed",
		Text:  "Leak may deliver anonymous messages to this address again.",
		Note:  "Every message Leak delivers carries a link to stop them again.",
	}
	pageLinkInvalid = pageData{
		Title: "Link not valid",
		Text:  "This confirmation link is not valid. Copy the whole link from the message and try again.",
	}
	pageLinkExpired = pageData{
		Title:    "Link expired",
		Text:     "This confirmation link has expired. Nothing was changed.",
		Link:     "../resubscribe",
		LinkText: "Ask for a new link",
	}
	pageLinkUsed = pageData{
		Title:    "Link already used",
		Text:     "This confirmation link has already been used; each link works once.",
		Link:     "../resubscribe",
		LinkText: "Ask for a new link",
	}
	pageLinkRetry = pageData{
		Title:    "Please try again",
		Text:     "Your confirmation could not be recorded just now, and this link cannot be used again. Please ask for a new link in a few minutes.",
		Link:     "../resubscribe",
		LinkText: "Ask for a new link",
	}
)

// pageTmpl is self-contained: inline style only, no script, no external
// resource, so the Content-Security-Policy can forbid everything else.
// The form posts to the page's own URL (action=""); links are relative,
// so the pages work under any prefix.
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
input[type=email]{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box;margin-bottom:.8rem}
.note{color:#666;font-size:.9rem}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Text}}</p>
{{- if .Action}}
<form method="post" action="">
{{- if .Field}}
<label for="{{.Field}}">Email address</label>
<input type="email" id="{{.Field}}" name="{{.Field}}" required maxlength="254" autocomplete="email">
{{- end}}
<input type="hidden" name="action" value="{{.Action}}">
<button type="submit">{{.Button}}</button>
</form>
{{- end}}
{{- if .Note}}
<p class="note">{{.Note}}</p>
{{- end}}
{{- if .Link}}
<p><a href="{{.Link}}">{{.LinkText}}</a></p>
{{- end}}
<hr>
<p class="note">Leak never tells the sender what you do on these pages. The relationship a
message names ("a friend", "a coworker") is the sender's own claim; Leak cannot check it.
{{- if .Operator}} This service is run by {{.Operator}}.{{end}}</p>
</body>
</html>
`))

// page writes p with status code.
func page(w http.ResponseWriter, code int, p pageData) {
	if ow, ok := w.(operatorWriter); ok {
		p.Operator = ow.operator
		w = ow.ResponseWriter
	}
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
