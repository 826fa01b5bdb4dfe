package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Abuse reports. A delivered copy's footer can link to base/r/TOKEN, where
//
//	TOKEN = base64url(copyID || HMAC-SHA256(key, "report:" || copyID)[:16])
//
// names the copy (its spool id), never the sender or the recipient. GET
// shows what a report does, with one button; POST tells the operator with
// a notice (relay.Server.Notice to policy.operator) and counts it. A copy
// is reported once: the same link again within a day is thanked and not
// sent again. Opening the link changes nothing, so a mail scanner that
// follows links reports nothing.

// reportMACLen is the length of a report token's MAC, in bytes.
const reportMACLen = 16

// maxCopyID bounds the copy id a token may carry (spool ids are 32 hex
// digits).
const maxCopyID = 64

// maxNote bounds the recipient's note, in bytes.
const maxNote = 8 << 10

// reportOnce is how long a reported copy is not reported again.
const reportOnce = 24 * time.Hour

// ReportLinks makes and reads report links with one key; every instance
// needs the same key (policy.Engine.DeriveKey gives it).
type ReportLinks struct{ key []byte }

// NewReportLinks returns report links signed with key (at least 16 bytes).
func NewReportLinks(key []byte) (*ReportLinks, error) {
	if len(key) < 16 {
		return nil, errors.New("web: the report link key must be at least 16 bytes")
	}
	return &ReportLinks{key: append([]byte(nil), key...)}, nil
}

// URL returns the report link of copyID under base (http.public_url).
func (l *ReportLinks) URL(base, copyID string) string {
	raw := append([]byte(copyID), l.mac(copyID)...)
	return strings.TrimSuffix(base, "/") + "/r/" + base64.RawURLEncoding.EncodeToString(raw)
}

func (l *ReportLinks) mac(copyID string) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("report:" + copyID))
	return m.Sum(nil)[:reportMACLen]
}

// parse returns the copy id of a token this key made.
func (l *ReportLinks) parse(token string) (string, bool) {
	if len(token) > (maxCopyID+reportMACLen)*4/3+4 {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) <= reportMACLen {
		return "", false
	}
	id := string(raw[:len(raw)-reportMACLen])
	if !hmac.Equal(raw[len(raw)-reportMACLen:], l.mac(id)) {
		return "", false
	}
	return id, true
}

// ReportOptions configure the report pages.
type ReportOptions struct {
	Links *ReportLinks
	// Operator receives the notices (policy.operator); Notify sends one
	// (relay.Server.Notice). Without either, the page tells the recipient
	// to write to the operator's contact instead.
	Operator string
	Notify   func(ctx context.Context, rcpt, subject, text string) error
	// OnReport, when set, is called once per report sent (a metric).
	OnReport func()
}

// reportPage serves GET /r/{token}.
func (s *server) reportPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.opts.Reports.Links.parse(r.PathValue("token")); !ok {
		s.page(w, http.StatusNotFound, pageData{Title: "Link not valid", Error: textReportInvalid})
		return
	}
	s.page(w, http.StatusOK, pageData{Title: "Report this message", Report: true})
}

const (
	textReportInvalid = "This report link is not valid. Copy the whole link from the message and try again."
	textReportNoOne   = "Reports cannot be sent from this page just now. Please write to the operator instead, at the contact below."
)

// report serves POST /r/{token}.
func (s *server) report(w http.ResponseWriter, r *http.Request) {
	ro := s.opts.Reports
	id, ok := ro.Links.parse(r.PathValue("token"))
	if !ok {
		s.page(w, http.StatusNotFound, pageData{Title: "Link not valid", Error: textReportInvalid})
		return
	}
	if ok, p := s.admit(r); !ok {
		if p.RetryAfter > 0 {
			setRetryAfter(w, p.RetryAfter)
		}
		s.page(w, p.Status, pageData{Title: "Please try again", Error: p.Text})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		s.page(w, http.StatusBadRequest, pageData{Title: "Report this message", Report: true, Error: probMalformedForm.Text})
		return
	}
	note := r.PostForm.Get("note")
	if len(note) > maxNote || !utf8.ValidString(note) || strings.ContainsRune(note, 0) {
		s.page(w, http.StatusRequestEntityTooLarge, pageData{Title: "Report this message", Report: true,
			Error: "The note is too long: at most 8 KiB of text. Nothing was sent."})
		return
	}
	if ro.Notify == nil || ro.Operator == "" {
		s.page(w, http.StatusServiceUnavailable, pageData{Title: "Report this message", Error: textReportNoOne})
		return
	}
	fresh, err := s.opts.Policy.SpendProof(r.Context(), "report:"+id, s.opts.Now().Add(reportOnce))
	if err != nil {
		s.log.Warn("web: could not record a report", "err", err)
		s.page(w, http.StatusServiceUnavailable, pageData{Title: "Please try again", Error: probBusy.Text})
		return
	}
	if !fresh {
		s.page(w, http.StatusOK, pageData{Title: "Already reported",
			Text: "This message has been reported already, and the operator was told. Thank you."})
		return
	}
	if err := ro.Notify(r.Context(), ro.Operator, "Leak: a recipient reported a message as abusive", reportNotice(id, note, s.opts.Now())); err != nil {
		s.log.Error("web: report notice not sent", "qid", id, "err", err)
		s.page(w, http.StatusServiceUnavailable, pageData{Title: "Please try again", Error: textReportNoOne})
		return
	}
	s.log.Info("web: abuse report sent to the operator", "qid", id)
	if ro.OnReport != nil {
		ro.OnReport()
	}
	s.page(w, http.StatusOK, pageData{Title: "Reported",
		Text: "Thank you. The operator of this service has been told about this message. The sender is not told that you reported it."})
}

// reportNotice is the text of the operator's notice.
func reportNotice(copyID, note string, now time.Time) string {
	var b strings.Builder
	b.WriteString("A recipient reported a message Leak delivered as abusive.\n\n")
	b.WriteString("Copy (spool id): " + copyID + "\n")
	b.WriteString("Reported: " + now.UTC().Truncate(time.Minute).Format("2006-01-02 15:04 UTC") + "\n\n")
	if strings.TrimSpace(note) == "" {
		b.WriteString("The recipient added no note.\n")
	} else {
		b.WriteString("The recipient's note, as they wrote it:\n\n")
		io.WriteString(&b, note)
		b.WriteString("\n")
	}
	b.WriteString("\nLeak does not know who sent the message and keeps no copy once it is delivered; " +
		"the recipient may have pasted it in the note. The copy's spool id finds its delivery in the log.\n")
	return b.String()
}
