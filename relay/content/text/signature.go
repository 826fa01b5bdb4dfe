package text

import (
	"strings"
	"unicode"
)

// Signatures are the sender's stored signatures as another part of the
// message shows them: the text of the containers the HTML cleaner removed
// (Outlook's _MailAutoSig paragraphs, its web client's Signature div,
// Yahoo's). The plain-text alternative carries the same signature with no
// marker at all, and unless it starts with the sender's full name nothing
// else tells it from the message. Found here, in order, it is removed.
//
// Lines are compared by their letters and digits alone, lower case, after
// the "<https://…>" and "<mailto:…>" Outlook writes behind a link's text:
// the text alternative renders the same paragraphs with other spacing,
// separators and line breaks.
type Signatures struct {
	list []signature
}

type signature struct {
	lines []string // the non-empty keys of the signature's lines
	all   string   // the keys run together, for lines a client wrapped or joined
}

// Limits on what a signature can be: lines a reader takes for a signature,
// and no more, so that a message whose HTML marked its whole body does not
// let the text part lose its whole body by it.
const (
	maxSignatures     = 8
	maxSignatureLines = 30
)

// NewSignatures prepares the signatures given as their lines of text. A
// signature of one line is used only when that line has at least twelve
// letters and digits: one short line ("Alice", "Thanks") is typed too.
func NewSignatures(sigs [][]string) Signatures {
	var s Signatures
	for _, lines := range sigs {
		if len(s.list) == maxSignatures {
			break
		}
		var sig signature
		for _, l := range lines {
			if k := signatureKey(l); k != "" {
				sig.lines = append(sig.lines, k)
				sig.all += k
			}
		}
		if len(sig.lines) == 0 || len(sig.lines) > maxSignatureLines ||
			len(sig.lines) == 1 && len(sig.lines[0]) < 12 {
			continue
		}
		s.list = append(s.list, sig)
	}
	return s
}

// Empty reports whether there is no signature to look for.
func (s Signatures) Empty() bool { return len(s.list) == 0 }

// start reports whether a signature starts at line first, whose next
// non-blank line is next (empty at the end of the text), and which one.
// The first line must be the signature's first, whole or the start of it
// wrapped; a signature of more than one line must go on in next.
func (s Signatures) start(first, next string) (int, bool) {
	k := signatureKey(first)
	if k == "" {
		return 0, false
	}
	for i, sig := range s.list {
		head := sig.lines[0]
		if k != head && (len(k) < 16 || !strings.HasPrefix(head, k)) {
			continue
		}
		if k == head && len(sig.lines) == 1 {
			return i, true
		}
		// It must go on in the next line: the signature's next line, or
		// the rest of a wrapped one.
		if n := signatureKey(next); n != "" && strings.Contains(sig.all[len(k):], n) {
			return i, true
		}
	}
	return 0, false
}

// within reports whether line l belongs to signature i once it has
// started: its key is one of the signature's lines or part of its text, or
// it is an inline
// picture's placeholder (a logo: "[cid:image001.png@…]", "[image: logo]").
func (s Signatures) within(i int, l string) bool {
	t := strings.TrimSpace(l)
	if strings.HasPrefix(t, "[cid:") || strings.HasPrefix(t, "[image") {
		return true
	}
	k := signatureKey(t)
	if k == "" {
		return false
	}
	sig := s.list[i]
	for _, l := range sig.lines {
		if k == l {
			return true
		}
	}
	// A piece of a line the client wrapped or joined: long enough not to
	// be found in the signature by chance ("OK" is in "brokerage").
	return len(k) >= 8 && strings.Contains(sig.all, k)
}

// Cut returns lines without the runs that are one of the signatures: a
// calendar's description, which Outlook fills with the invitation's text,
// signature included.
func (s Signatures) Cut(lines []string) []string {
	if s.Empty() {
		return lines
	}
	out := lines[:0:0]
	for i := 0; i < len(lines); i++ {
		next := ""
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) != "" {
				next = lines[j]
				break
			}
		}
		sig, ok := s.start(lines[i], next)
		if !ok {
			out = append(out, lines[i])
			continue
		}
		// The signature runs over its lines and the blank lines
		// between them; a blank line after it stays.
		end := i + 1
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == "" {
				continue
			}
			if !s.within(sig, lines[j]) {
				break
			}
			end = j + 1
		}
		i = end - 1
	}
	return out
}

// signatureKey is the letters and digits of s, lower case, without the
// link targets Outlook writes after a link's text in angle brackets.
func signatureKey(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			appendKey(&b, s)
			break
		}
		appendKey(&b, s[:lt])
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			appendKey(&b, s[lt:])
			break
		}
		s = s[lt+gt+1:]
	}
	return b.String()
}

func appendKey(b *strings.Builder, s string) {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
}
