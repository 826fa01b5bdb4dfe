package text

import (
	"regexp"
	"strings"
)

// Outlook quotes a message under a block of its header fields, in the
// sender's language: "From: / Sent: / To: / Cc: / Subject:", after a
// "-----Original Message-----" line, a line of underscores or nothing. The
// fields name the quoted author, the people copied and the time; only the
// subject says what the quoted message is about.
var (
	// from fields are rewritten to a neutral "someone".
	fromFields = set("from", "von", "de", "van", "da", "från", "fra", "od", "от", "lähettäjä", "kimden")
	// keptFields are copied: the subject is the quoted author's words about
	// the thread, not about a person.
	keptFields = set("subject", "betreff", "objet", "asunto", "assunto", "oggetto", "onderwerp", "ämne", "emne", "temat", "тема", "aihe", "konu")
	// droppedFields name people or times.
	droppedFields = set("sent", "date", "to", "cc", "bcc", "gesendet", "datum", "an", "kopie", "envoyé", "date d'envoi", "à", "cci",
		"enviado", "enviada", "fecha", "para", "data", "inviato", "a", "verzonden", "aan", "skickat", "till", "kopia", "sendt", "til",
		"wysłano", "do", "отправлено", "кому", "копия", "lähetetty", "vastaanottaja", "gönderildi", "kime", "importance", "wichtigkeit")
)

// fieldRe matches a header field line, also in the bold form Outlook's
// HTML-to-text conversion writes ("*From:* ...") and with the space French
// puts before the colon.
var fieldRe = regexp.MustCompile(`^\*?([\p{L}][\p{L}' ]{0,20}?)\s?:\*?(?:\s|$)`)

// separatorRe matches the line Outlook writes above a quoted header block.
var separatorRe = regexp.MustCompile(`^(?:-{3,}\s*[\p{L} ]{4,40}?\s*-{3,}|_{20,})\s*$`)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// field returns the lower-case name of the header field on s.
func field(s string) (string, bool) {
	if i := strings.IndexByte(s, ':'); i < 0 || i > 64 {
		return "", false
	}
	m := fieldRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	return strings.ToLower(strings.TrimSpace(m[1])), true
}

func isSeparator(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) >= 8 && (s[0] == '-' || s[0] == '_') && separatorRe.MatchString(s)
}

func isFrom(s string) bool { f, ok := field(s); return ok && fromFields[f] }

// isQuotedField reports a field of a quoted header block other than From.
func isQuotedField(s string) bool {
	f, ok := field(s)
	return ok && (droppedFields[f] || keptFields[f])
}

// headerStarts reports whether the window starts a quoted header block: a
// separator or a From field at one depth followed by another field, so a
// typed "From: the committee" line alone is left alone.
func (c *cleaner) headerStarts() bool {
	if len(c.win) < 2 {
		return false
	}
	l, next := c.win[0], c.win[1]
	if next.depth != l.depth {
		return false
	}
	if isSeparator(l.body) {
		return isFrom(next.body) || isQuotedField(next.body)
	}
	if !isFrom(l.body) || len(c.win) < 3 {
		return isFrom(l.body) && isQuotedField(next.body)
	}
	// Outlook wraps a long From field; the next field may be a line later.
	return isQuotedField(next.body) || (c.win[2].depth == l.depth && isQuotedField(c.win[2].body))
}

// header rewrites one line of a quoted header block: From becomes
// "someone", the subject stays, the other fields go, and so does a line
// that continues a dropped field (a wrapped list of recipients).
func (c *cleaner) header(l line) error {
	c.pop(1)
	f, ok := field(l.body)
	switch {
	case ok && fromFields[f]:
		c.hdrKeep = false
		label := l.body[:strings.Index(l.body, ":")+1]
		if strings.HasPrefix(label, "*") {
			label += "*"
		}
		return c.emit(line{prefix: l.prefix, body: label + " someone", eol: l.eol, depth: l.depth})
	case ok && keptFields[f]:
		c.hdrKeep = true
		return c.emit(l)
	case ok:
		// Sent, To, Cc and fields this list does not know.
		c.hdrKeep = false
	}
	return nil
}

// HeaderField reports whether s, one line of text, belongs to a quoted
// header block — a field or the separator above one — and returns what to
// keep of it: "From: someone" for the author, the subject field and the
// separator unchanged, or "" for a field that names people or times.
func HeaderField(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if isSeparator(s) {
		return s, true
	}
	f, ok := field(s)
	switch {
	case !ok:
		return "", false
	case fromFields[f]:
		label := s[:strings.Index(s, ":")+1]
		if strings.HasPrefix(label, "*") {
			label += "*"
		}
		return label + " someone", true
	case keptFields[f]:
		return s, true
	case droppedFields[f]:
		return "", true
	}
	return "", false
}

// IsFromField reports whether s is the From field of a quoted header
// block, in one of the languages Outlook writes.
func IsFromField(s string) bool { return isFrom(s) }
