package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// problem is one refusal, in the words a sender reads: the HTTP status,
// a stable code for scripts, a sentence or two for people, and the SMTP
// reply the same fault gets by email, when there is one.
type problem struct {
	Status int
	Code   string
	Text   string // for the form's reader; also the API's, unless API is set
	API    string // for a script's author, when the form's words would mislead
	SMTP   string // "550 5.7.1", or ""
	// RetryAfter, when positive, is sent as the Retry-After header.
	RetryAfter time.Duration
}

func (p problem) apiText() string {
	if p.API != "" {
		return p.API
	}
	return p.Text
}

// Problems of the web itself; the SMTP path's become problems in
// smtpProblem.
var (
	probNoProof = problem{Status: http.StatusBadRequest, Code: "proof_required",
		Text: "Sending from this page needs JavaScript: your browser solves a small puzzle that keeps bots out, and nothing else runs. " +
			"Without JavaScript you can send the same anonymous message by email, from any mailbox (see below).",
		API: `The request has no proof of work: get a challenge from GET /api/v1/challenge, solve it and send the solution as "pow".`}
	probProofInvalid = problem{Status: http.StatusForbidden, Code: "proof_invalid",
		Text: "The anti-bot puzzle's answer was not accepted. Nothing was sent; press Send again.",
		API:  "The proof of work does not solve a challenge of this server. Nothing was sent."}
	probProofExpired = problem{Status: http.StatusForbidden, Code: "proof_expired",
		Text: "The anti-bot puzzle expired before the message was sent. Nothing was sent; press Send again and your browser will solve a new one.",
		API:  "The challenge has expired: get a new one. Nothing was sent."}
	probProofUsed = problem{Status: http.StatusConflict, Code: "proof_used",
		Text: "This anti-bot puzzle was already used for a message. Nothing more was sent; press Send again to send this one.",
		API:  "This proof of work was already used: each solution is accepted once. Nothing was sent."}
	probMalformedJSON = problem{Status: http.StatusBadRequest, Code: "malformed_json",
		Text: "The request is not one JSON object with the fields to, relationship, subject, text and pow. Nothing was sent."}
	probMediaType = problem{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
		Text: "Send the request as JSON, with Content-Type: application/json. Nothing was sent."}
	probMalformedForm = problem{Status: http.StatusBadRequest, Code: "malformed_form",
		Text: "The form could not be read. Reload the page and try again; nothing was sent."}
	probTooLarge = problem{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
		Text: fmt.Sprintf("The message is too long: at most %d KiB of text (about %d words). Nothing was sent.", MaxTextBytes>>10, MaxTextBytes/6)}
	probNoRecipient = problem{Status: http.StatusUnprocessableEntity, Code: "invalid_address",
		Text: "Enter the recipient's email address, such as name@example.com. Nothing was sent."}
	probNoText = problem{Status: http.StatusUnprocessableEntity, Code: "invalid_field",
		Text: "The message is empty: write something to send. Nothing was sent."}
	probRelationship = problem{Status: http.StatusUnprocessableEntity, Code: "invalid_field",
		Text: "Choose who you are to the recipient: someone, a friend, a coworker, a family member or a friend of a friend. Nothing was sent.",
		API:  `"relationship" must be one of to (or someone), friend, coworker, family, fof. Nothing was sent.`}
	probSubject = problem{Status: http.StatusUnprocessableEntity, Code: "invalid_field",
		Text: fmt.Sprintf("The subject must be one line of at most %d characters. Nothing was sent.", maxSubjectChars)}
	probBusy = problem{Status: http.StatusServiceUnavailable, Code: "temporary",
		Text: "Leak could not take the message just now. Nothing was sent; please try again in a few minutes.", RetryAfter: time.Minute}
	probCrossOrigin = problem{Status: http.StatusForbidden, Code: "cross_origin",
		Text: "This form can only be sent from Leak's own page. Open the page and send from there; nothing was sent."}
)

// plainTexts replace the SMTP path's generic texts with plain ones.
var plainTexts = map[string]string{
	"Message size exceeds fixed maximum message size": probTooLarge.Text,
	"Temporary local problem, try again later":        probBusy.Text,
	"Insufficient system storage, try again later":    probBusy.Text,
	"Service shutting down, try again later":          "Leak is restarting. Nothing was sent; please try again in a minute.",
}

// smtpProblem turns a refusal of relay.Server.Submit into a problem. The
// SMTP texts are written for senders already (policy's neutral texts, the
// codec's and the content cleaners' explanations): they are kept, made
// sentences, and only the generic ones are replaced.
func smtpProblem(err error) problem {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return probBusy
	}
	p := problem{
		SMTP: fmt.Sprintf("%d %d.%d.%d", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2]),
		Text: sentence(se.Message),
	}
	if t, ok := plainTexts[se.Message]; ok {
		p.Text = t
	}
	switch {
	case se.Code == 450:
		// A rate limit: the policy's text says which, and when to retry.
		p.Status, p.Code = http.StatusTooManyRequests, "rate_limited"
		p.RetryAfter = retryAfter(se.Message)
	case se.Code >= 400 && se.Code < 500:
		p.Status, p.Code, p.RetryAfter = http.StatusServiceUnavailable, "temporary", time.Minute
		if _, ok := plainTexts[se.Message]; !ok {
			p.Text = sentence(se.Message) + " Nothing was sent; please try again in a few minutes."
		}
	case se.Code == 552:
		p.Status, p.Code = http.StatusRequestEntityTooLarge, "too_large"
	case se.EnhancedCode[0] == 5 && se.EnhancedCode[1] == 1:
		// The codec's texts end by recalling the relay address form,
		// which means nothing on a form that asks for the plain address.
		detail, _, _ := strings.Cut(se.Message, ": write to ")
		p.Status, p.Code = http.StatusUnprocessableEntity, "invalid_address"
		p.Text = "The recipient's address cannot be used: " + strings.TrimSuffix(lowerFirst(sentence(detail)), ".") +
			". Check it for typos; nothing was sent."
	case se.Code == 550 && se.EnhancedCode == (smtp.EnhancedCode{5, 7, 1}):
		// The policy's neutral refusal: opt-out, suppression and deny
		// lists read the same.
		p.Status, p.Code = http.StatusForbidden, "refused"
	default:
		p.Status, p.Code = http.StatusUnprocessableEntity, "content_refused"
	}
	if !strings.Contains(strings.ToLower(p.Text), "nothing was sent") {
		p.Text += " Nothing was sent."
	}
	return p
}

// sentence makes an SMTP text a sentence: a capital first and a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "The message was refused."
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}

func lowerFirst(s string) string {
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' && (len(s) < 2 || s[1] < 'A' || s[1] > 'Z') {
		return string(s[0]-'A'+'a') + s[1:]
	}
	return s
}

// retryHint matches the policy's "try again in 3 hours".
var retryHint = regexp.MustCompile(`try again in (\d+) (minute|hour|day)s?`)

// retryAfter reads the policy's retry hint back into a duration, for the
// Retry-After header; 0 if there is none.
func retryAfter(text string) time.Duration {
	m := retryHint.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 || n > 1000 {
		return 0
	}
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit
}
