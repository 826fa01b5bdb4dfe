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
	ends  []int    // where each line ends in all
	all   string   // the keys run together, for lines a client wrapped or joined
}

// sigPos is how far a signature found in the text has been followed: the
// signature, and the offset in its text up to which lines matched.
type sigPos struct{ i, at int }

// Limits on what a signature can be: lines a reader takes for a signature,
// and no more, so that a message whose HTML marked its whole body does not
// let the text part lose its whole body by it.
const (
	maxSignatures     = 8
	maxSignatureLines = 30
	maxSignatureLine  = 200 // a longer line is a paragraph someone typed
)

// NewSignatures prepares the signatures given as their lines of text. A
// signature of one line is used only when that line has at least twelve
// letters and digits: one short line ("Alice", "Thanks") is typed too.
func NewSignatures(sigs [][]string) Signatures {
	var s Signatures
next:
	for _, lines := range sigs {
		if len(s.list) == maxSignatures {
			break
		}
		var sig signature
		for _, l := range lines {
			if len(l) > maxSignatureLine {
				continue next
			}
			if k := signatureKey(l); k != "" {
				sig.lines = append(sig.lines, k)
				sig.all += k
				sig.ends = append(sig.ends, len(sig.all))
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

// filler reports a line that neither starts nor ends a signature: blank,
// without letters or digits (a rule "____", "--", "|"), or a picture's
// placeholder ("[cid:image001.png@…]", "[image: logo.png]", Outlook's
// "[A close up of a logo Description automatically generated]"). Inside
// a signature it goes with it when the signature goes on after it.
func filler(l string) bool { return placeholder(l) || signatureKey(l) == "" }

// placeholder reports a line that is a picture's placeholder alone.
func placeholder(l string) bool {
	t := strings.TrimSpace(l)
	return strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")
}

// start reports whether a signature starts at line first, whose next line
// that is no filler is next (empty at the end of the text), and where. The
// first line must be one of a signature's lines, whole or the start of it
// wrapped, and the signature must go on in next; a signature of one line
// is found alone.
func (s Signatures) start(first, next string) (sigPos, bool) {
	k := signatureKey(first)
	if k == "" {
		return sigPos{}, false
	}
	n := signatureKey(next)
	for i, sig := range s.list {
		for j, line := range sig.lines {
			begin := sig.ends[j] - len(line)
			var at int
			switch {
			case k == line:
				at = sig.ends[j]
			case len(k) >= 16 && strings.HasPrefix(line, k):
				at = begin + len(k)
			default:
				continue
			}
			if len(sig.lines) == 1 && k == line {
				return sigPos{i, at}, true
			}
			if n == "" {
				continue
			}
			// The next line is the signature's next, or goes on where
			// this one stopped (a wrapped line, at least a word of it).
			rest := sig.all[at:]
			if j+1 < len(sig.lines) && n == sig.lines[j+1] || len(n) >= 3 && strings.HasPrefix(rest, n) ||
				len(n) >= 8 && strings.Contains(rest, n) {
				return sigPos{i, at}, true
			}
		}
	}
	return sigPos{}, false
}

// within reports whether line l, no filler, belongs to the signature
// followed to p, and how far it is followed then: the line goes on where
// the last one stopped (a line wrapped or joined otherwise), is one of the
// signature's lines, or is a piece of its text long enough not to be found
// in it by chance ("OK" is in "brokerage").
func (s Signatures) within(p sigPos, l string) (sigPos, bool) {
	k := signatureKey(l)
	if k == "" {
		return p, false
	}
	sig := s.list[p.i]
	if strings.HasPrefix(sig.all[p.at:], k) {
		return sigPos{p.i, p.at + len(k)}, true
	}
	for j, line := range sig.lines {
		if k == line {
			return sigPos{p.i, sig.ends[j]}, true
		}
	}
	if len(k) >= 8 {
		if x := strings.Index(sig.all, k); x >= 0 {
			return sigPos{p.i, x + len(k)}, true
		}
	}
	return p, false
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
		if filler(lines[i]) {
			out = append(out, lines[i])
			continue
		}
		next := ""
		for j := i + 1; j < len(lines); j++ {
			if !filler(lines[j]) {
				next = lines[j]
				break
			}
		}
		p, ok := s.start(lines[i], next)
		if !ok {
			out = append(out, lines[i])
			continue
		}
		// The signature runs over its lines and the fillers between
		// them, and a picture on its next line; a filler after it stays.
		end := i + 1
		for j := i + 1; j < len(lines); j++ {
			if placeholder(lines[j]) && j == end {
				end = j + 1
				continue
			}
			if filler(lines[j]) {
				continue
			}
			if p, ok = s.within(p, lines[j]); !ok {
				break
			}
			end = j + 1
		}
		i = end - 1
	}
	return out
}

// signatureKey is the letters and digits of s, lower case, without the
// link targets clients write after a link's text: Outlook's
// "<https://…>" and "<mailto:…>", and "(https://…)".
func signatureKey(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexAny(s, "<(")
		if i < 0 {
			appendKey(&b, s)
			break
		}
		appendKey(&b, s[:i])
		closing := byte('>')
		if s[i] == '(' {
			if !hasURLPrefix(s[i+1:]) {
				s = s[i+1:]
				continue
			}
			closing = ')'
		}
		end := strings.IndexByte(s[i:], closing)
		if end < 0 {
			appendKey(&b, s[i:])
			break
		}
		s = s[i+end+1:]
	}
	return b.String()
}

func hasURLPrefix(s string) bool {
	for _, p := range []string{"http://", "https://", "mailto:", "tel:"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

func appendKey(b *strings.Builder, s string) {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
}
