package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"leak/policy"
)

// serveRequest is the page where a confirmation is asked for.
func (u *unsubscriber) serveRequest(w http.ResponseWriter, r *http.Request) {
	f, ok := u.posted(w, r, resubRequest, "request")
	if !ok {
		return
	}
	ctx := r.Context()
	c, err := u.resub.Request(ctx, first(f["address"]))
	var limited *policy.ResubscribeLimited
	switch {
	case errors.Is(err, policy.ErrBadAddress):
		u.writePage(w, http.StatusBadRequest, resubBadAddress)
		return
	case errors.As(err, &limited):
		whose := "just now"
		if limited.PerAddress {
			whose = "for this address"
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((limited.RetryAfter+time.Second-1)/time.Second)))
		u.writePage(w, http.StatusTooManyRequests, unsubPage{
			Title: "Too many requests",
			Text:  "Too many confirmation links were asked for " + whose + ". Please " + limited.Hint() + ".",
		})
		return
	case err != nil:
		// The engine counted and logged the store's failure.
		u.writePage(w, http.StatusServiceUnavailable, unsubRetry)
		return
	}

	link := u.opts.BaseURL + "/u/resubscribe/" + c.Token
	ttl := u.resub.TTL()
	if err := u.opts.Notify(ctx, c.To, resubSubject, resubBody(link, ttl)); err != nil {
		u.log.Warn("web: resubscribe confirmation not sent", "err", err)
		u.writePage(w, http.StatusServiceUnavailable, resubNotSent)
		return
	}
	u.log.Info("web: resubscribe confirmation sent")
	u.writePage(w, http.StatusOK, unsubPage{
		Title: "Check your mailbox",
		Text: "If Leak can deliver to that address, a message with a confirmation link is on its way. " +
			"The link works for " + inWords(ttl) + ". Nothing changes until it is opened and confirmed.",
	})
}

// serveConfirm is the page of a confirmation link.
func (u *unsubscriber) serveConfirm(w http.ResponseWriter, r *http.Request, tok string) {
	// An invalid or expired link says so whatever the method.
	if !u.confirmed(w, u.resub.Check(tok)) {
		return
	}
	if _, ok := u.posted(w, r, resubConfirm, "resubscribe"); !ok {
		return
	}
	if u.confirmed(w, u.resub.Confirm(r.Context(), tok)) {
		u.writePage(w, http.StatusOK, resubDone)
	}
}

// confirmed answers a confirmation's error with its page and returns
// false, or returns true for no error.
func (u *unsubscriber) confirmed(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, policy.ErrLinkInvalid):
		u.writePage(w, http.StatusNotFound, resubLinkInvalid)
	case errors.Is(err, policy.ErrLinkExpired):
		u.writePage(w, http.StatusGone, resubLinkExpired)
	case errors.Is(err, policy.ErrLinkUsed):
		u.writePage(w, http.StatusGone, resubLinkUsed)
	case errors.Is(err, policy.ErrLinkLost):
		u.writePage(w, http.StatusServiceUnavailable, resubLinkRetry)
	default:
		// The engine counted and logged the store's failure.
		u.writePage(w, http.StatusServiceUnavailable, unsubRetry)
	}
	return false
}

// resubSubject and resubBody are the confirmation message. It must make
// sense to someone who never asked for it, and to someone who never
// opted out: the request page mails every address alike.
const resubSubject = "Confirm: allow anonymous messages through Leak again"

func resubBody(link string, ttl time.Duration) string {
	return "Someone, perhaps you, asked Leak to deliver anonymous messages to this address again.\n" +
		"\n" +
		"To allow them, open this link within " + inWords(ttl) + " and press the button on the page:\n" +
		"\n" +
		link + "\n" +
		"\n" +
		"If it was not you, ignore this message: nothing changes.\n" +
		"\n" +
		"Leak is an anonymous email relay. This message was sent automatically.\n"
}

// inWords writes a TTL for a reader: "24 hours", "90 minutes", "2 days".
func inWords(d time.Duration) string {
	n, unit := int64(d/time.Minute), "minute"
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d >= time.Hour && d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	}
	n = max(n, 1)
	if n > 1 {
		unit += "s"
	}
	return strconv.FormatInt(n, 10) + " " + unit
}
