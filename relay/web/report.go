package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"leak/policy"
)

// Abuse reports. A delivered copy's footer can link to base/r/TOKEN, where
//
//	TOKEN = base64url(nonce || AES-256-GCM(key, nonce, len(copyID) || copyID || handle))
//
// names the copy (its spool id) and carries its report handle: a random
// value made for this copy alone (policy.Engine.ReportHandle), which the
// policy store maps to the source reports count against for the report
// window. The token never carries the source itself: whoever holds the
// key learns from links neither their sender nor which of them share
// one, and with the store too only while the report window lasts.
// Sealed with a fresh nonce, the token tells the recipient nothing. The
// key is derived from the policy secret, so every instance reads every
// instance's links.
//
// GET shows what a report does, with one button; POST counts the report
// against the copy's source, tells the operator with a notice carrying
// the clean copy when it is still kept (relay/keep), and counts it in a
// metric. A
// copy is reported once: the same link again within a day is thanked and
// not sent again. Opening the link changes nothing, so a mail scanner that
// follows links reports nothing.

// maxCopyID bounds the copy id a token may carry (spool ids are 32 hex
// digits).
const maxCopyID = 64

// maxHandle bounds the handle a token may carry: a handle is 22 bytes,
// and a link made before handles carries a 64-byte keyed hash, which
// parses still (its report reaches the operator and counts against no
// one).
const maxHandle = 64

// maxToken bounds a token's length in base64 characters.
const maxToken = (12 + 1 + maxCopyID + maxHandle + 16 + 2) * 4 / 3

// maxNote bounds the recipient's note, in bytes.
const maxNote = 8 << 10

// reportOnce is how long a reported copy is not reported again.
const reportOnce = 24 * time.Hour

// ReportLinks makes and reads report links with one key; every instance
// needs the same key (policy.Engine.DeriveKey gives it).
type ReportLinks struct{ aead cipher.AEAD }

// NewReportLinks returns report links sealed with a key derived from key
// (at least 16 bytes).
func NewReportLinks(key []byte) (*ReportLinks, error) {
	if len(key) < 16 {
		return nil, errors.New("web: the report link key must be at least 16 bytes")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("leak report link seal"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("web: report links: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("web: report links: %w", err)
	}
	return &ReportLinks{aead: aead}, nil
}

// URL returns the report link of copyID, whose report handle is handle,
// under base (http.public_url). A copy id or handle too long for a link
// (never one Leak makes) gives a link that no page accepts.
func (l *ReportLinks) URL(base, copyID, handle string) string {
	plain := make([]byte, 0, 1+len(copyID)+len(handle))
	plain = append(append(append(plain, byte(len(copyID))), copyID...), handle...)
	nonce := make([]byte, l.aead.NonceSize(), l.aead.NonceSize()+len(plain)+l.aead.Overhead())
	rand.Read(nonce) // crypto/rand.Read does not fail
	raw := l.aead.Seal(nonce, nonce, plain, []byte(reportAD))
	return strings.TrimSuffix(base, "/") + "/r/" + base64.RawURLEncoding.EncodeToString(raw)
}

// reportAD binds a sealed token to its use.
const reportAD = "leak report link v1"

// parse returns the copy id and report handle of a token this key made.
func (l *ReportLinks) parse(token string) (copyID, handle string, ok bool) {
	if len(token) > maxToken {
		return "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	ns := l.aead.NonceSize()
	if err != nil || len(raw) < ns+l.aead.Overhead()+2 {
		return "", "", false
	}
	plain, err := l.aead.Open(nil, raw[:ns], raw[ns:], []byte(reportAD))
	if err != nil || len(plain) < 1+int(plain[0]) || plain[0] == 0 || int(plain[0]) > maxCopyID || len(plain)-1-int(plain[0]) > maxHandle {
		return "", "", false
	}
	n := int(plain[0])
	return string(plain[1 : 1+n]), string(plain[1+n:]), true
}

// ReportOptions configure the report pages.
type ReportOptions struct {
	Links *ReportLinks
	// Operator receives the notices (policy.operator); Notify sends one,
	// with the clean copy attached when it is not nil
	// (relay.Server.NoticeCopy). Without either, the page tells the
	// recipient to write to the operator's contact instead.
	Operator string
	Notify   func(ctx context.Context, rcpt, subject, text string, copy []byte) error
	// Count, when set, counts the report against the source the copy's
	// report handle stands for, and may block it (policy.Engine.Report).
	Count func(ctx context.Context, copyID, handle string) (policy.Report, error)
	// Copy, when set, returns the clean copy if it is still kept
	// (relay/keep.Store.Get); truncated tells it was kept cut short.
	Copy func(copyID string) (copy []byte, truncated bool, err error)
	// OnReport, when set, is called once per report sent (a metric).
	OnReport func()
}

// reportPage serves GET /r/{token}.
func (s *server) reportPage(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.opts.Reports.Links.parse(r.PathValue("token")); !ok {
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
	id, handle, ok := ro.Links.parse(r.PathValue("token"))
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
	// Counted before it is spent: counting is idempotent per copy, so a
	// store failure here leaves the recipient free to try again.
	var counted policy.Report
	var err error
	if ro.Count != nil {
		if counted, err = ro.Count(r.Context(), id, handle); err != nil {
			s.log.Warn("web: could not count a report", "err", err)
			s.page(w, http.StatusServiceUnavailable, pageData{Title: "Please try again", Error: probBusy.Text})
			return
		}
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
	var kept []byte
	cut := false
	if ro.Copy != nil {
		if kept, cut, err = ro.Copy(id); err != nil {
			kept = nil
			if !errors.Is(err, ErrNotKept) {
				s.log.Warn("web: reported copy unreadable", "qid", id, "err", err)
			}
		}
	}
	text := reportNotice(id, note, s.opts.Now(), counted, kept != nil, cut)
	if err := ro.Notify(r.Context(), ro.Operator, "Leak: a recipient reported a message as abusive", text, kept); err != nil {
		s.log.Error("web: report notice not sent", "qid", id, "err", err)
		s.page(w, http.StatusServiceUnavailable, pageData{Title: "Please try again", Error: textReportNoOne})
		return
	}
	s.log.Info("web: abuse report sent to the operator", "qid", id, "reports", counted.Reports, "blocked", counted.Blocked)
	if ro.OnReport != nil {
		ro.OnReport()
	}
	s.page(w, http.StatusOK, pageData{Title: "Reported",
		Text: "Thank you. The operator of this service has been told about this message. The sender is not told that you reported it."})
}

// ErrNotKept is what ReportOptions.Copy returns (wrapped or not) for a
// copy that is no longer kept; relay/keep.ErrNotKept is wired to it.
var ErrNotKept = errors.New("web: copy not kept")

// reportNotice is the text of the operator's notice.
func reportNotice(copyID, note string, now time.Time, counted policy.Report, attached, cut bool) string {
	var b strings.Builder
	b.WriteString("A recipient reported a message Leak delivered as abusive.\n\n")
	b.WriteString("Copy (spool id): " + copyID + "\n")
	b.WriteString("Reported: " + now.UTC().Truncate(time.Minute).Format("2006-01-02 15:04 UTC") + "\n")
	switch {
	case counted.Blocked:
		fmt.Fprintf(&b, "Source: %d reported messages in the report window; the source is now blocked (policy.report_block_for).\n", counted.Reports)
	case counted.Reports > 0:
		fmt.Fprintf(&b, "Source: %d reported message(s) in the report window (policy.report_threshold blocks it).\n", counted.Reports)
	}
	switch {
	case attached && cut:
		b.WriteString("The clean copy is attached, cut short at web.report_keep_max_copy.\n")
	case attached:
		b.WriteString("The clean copy is attached.\n")
	default:
		b.WriteString("The clean copy is no longer kept (web.report_keep).\n")
	}
	b.WriteString("\n")
	if strings.TrimSpace(note) == "" {
		b.WriteString("The recipient added no note.\n")
	} else {
		b.WriteString("The recipient's note, as they wrote it:\n\n")
		io.WriteString(&b, note)
		b.WriteString("\n")
	}
	b.WriteString("\nLeak does not know who sent the message: the source above is a keyed hash of the sender's address " +
		"or network, which no one can read back. The copy's spool id finds its delivery in the log.\n")
	return b.String()
}
