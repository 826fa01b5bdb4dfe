package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// unsubPage is one of the recipient's pages under /u/: a title, a
// paragraph and at most one form, which posts action=Action (and, with
// Field set, an address typed into a field of that name) back to the same
// URL.
type unsubPage struct {
	Title, Text  string
	Action       string // "unsubscribe", "resubscribe", "request" or "" for no form
	Field        string // name of an email address field in the form, or ""
	Button, Note string
	// Link is a relative link shown as LinkText after the note.
	Link, LinkText string
	// Operator says who runs the service (UnsubscribeOptions.Operator),
	// filled in by writePage; empty when not configured.
	Operator string
}

// unsubTemplate is templates/unsubscribe.html: unlike the form's pages it
// has no layout, for the reasons its comment gives.
var unsubTemplate = template.Must(template.ParseFS(templateFS, "templates/unsubscribe.html"))

// Pages of an unsubscribe link (unsubscribe.go).
var (
	unsubAsk = unsubPage{
		Title:  "Stop anonymous messages?",
		Text:   "You received an anonymous message through Leak. Stop all further Leak messages to this address?",
		Action: "unsubscribe",
		Button: "Stop Leak messages",
		Note:   "This link works only for the address the message was sent to.",
	}
	// unsubStopped has no button back: the unsubscribe link must not opt
	// in. The link leads to the resubscribe page, which is relative to
	// /u/TOKEN: /u/resubscribe.
	unsubStopped = unsubPage{
		Title:    "Leak messages stopped",
		Text:     "Leak will not deliver any further messages to this address.",
		Note:     "Changed your mind? Leak can send a confirmation link to this address.",
		Link:     "resubscribe",
		LinkText: "Allow Leak messages again",
	}
	unsubInvalid = unsubPage{
		Title: "Link not valid",
		Text:  "This unsubscribe link is not valid. Copy the whole link from the message and try again.",
	}
	unsubRetry = unsubPage{
		Title: "Please try again",
		Text:  "Your request could not be recorded just now. Please try again in a few minutes.",
	}
	unsubBadRequest = unsubPage{
		Title: "Nothing to do",
		Text:  "This request was not understood. Open the link from the message to see your options.",
	}
)

// Pages of the resubscribe request and its confirmation link
// (resubscribe.go). None of them depends on whether an address opted out.
var (
	resubRequest = unsubPage{
		Title: "Allow Leak messages again",
		Text: "If you stopped anonymous messages through Leak and want them again, enter your address. " +
			"Leak sends a confirmation link to it; nothing changes until that link is opened and confirmed.",
		Action: "request",
		Field:  "address",
		Button: "Send a confirmation link",
		Note:   "Only someone who reads the mail of that address can confirm.",
	}
	resubBadAddress = unsubPage{
		Title:  "Address not understood",
		Text:   "Enter one email address, such as name@example.com, written in ASCII letters.",
		Action: "request",
		Field:  "address",
		Button: "Send a confirmation link",
	}
	resubNotSent = unsubPage{
		Title: "Please try again",
		Text:  "The confirmation could not be sent just now. Please try again in a few minutes.",
	}
	resubCrossOrigin = unsubPage{
		Title: "Request refused",
		Text:  "This form can only be sent from Leak's own page. Open the page and try again.",
	}
	resubConfirm = unsubPage{
		Title:  "Allow anonymous messages again?",
		Text:   "Allow Leak to deliver anonymous messages to this address again?",
		Action: "resubscribe",
		Button: "Allow Leak messages",
		Note:   "Every message Leak delivers carries a link to stop them again.",
	}
	resubDone = unsubPage{
		Title: "Leak messages allowed",
		Text:  "Leak may deliver anonymous messages to this address again.",
		Note:  "Every message Leak delivers carries a link to stop them again.",
	}
	resubLinkInvalid = unsubPage{
		Title: "Link not valid",
		Text:  "This confirmation link is not valid. Copy the whole link from the message and try again.",
	}
	resubLinkExpired = unsubPage{
		Title:    "Link expired",
		Text:     "This confirmation link has expired. Nothing was changed.",
		Link:     "../resubscribe",
		LinkText: "Ask for a new link",
	}
	resubLinkUsed = unsubPage{
		Title:    "Link already used",
		Text:     "This confirmation link has already been used; each link works once.",
		Link:     "../resubscribe",
		LinkText: "Ask for a new link",
	}
	resubLinkRetry = unsubPage{
		Title:    "Please try again",
		Text:     "Your confirmation could not be recorded just now, and this link cannot be used again. Please ask for a new link in a few minutes.",
		Link:     "../resubscribe",
		LinkText: "Ask for a new link",
	}
)

// writePage writes p with status code, naming the operator.
func (u *unsubscriber) writePage(w http.ResponseWriter, code int, p unsubPage) {
	p.Operator = u.opts.Operator
	var b bytes.Buffer
	// The template and its data are fixed by this package: executing it
	// cannot fail short of a bug, which the tests would show.
	if err := unsubTemplate.Execute(&b, p); err != nil {
		u.log.Error("web: unsubscribe page template failed", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(code)
	w.Write(b.Bytes())
}
