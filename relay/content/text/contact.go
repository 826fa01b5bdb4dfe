package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A stored signature in a message with no HTML part to mark it, when it
// neither starts with "-- " nor with the sender's full name: Outlook,
// Apple Mail and most webmail write it under the sign-off as typed into
// their settings,
//
//	Kind regards,
//	Aoife
//	Head of Procurement | Brennan Procurement
//	Tel: +353 1 555 0187
//
// Three things together mark it, in the sender's own part (not a quote):
// a line that is a sign-off alone ("Kind regards,", "Mit freundlichen
// Grüßen"); after it, blank lines aside, a line that can be a name (one
// to four capitalised words, no digits); and after that, before any line
// of prose, a phone number, an e-mail address or a web address. The
// signature then runs from the name, as one that starts with "-- " does:
// to the end of the part, or to the quote below it. The sign-off stays.
//
// A sign-off and a name alone, with nothing after them, stay: a first
// name is what the sender chose to sign with. So does a P.S.

// contactLookahead is how many lines after the name the window holds to
// find the contact details.
const contactLookahead = 8

// teamsLookahead is how many lines a Teams block may span, its separators
// included: its meeting, dial-in numbers in several countries, and links.
const teamsLookahead = 40

// signOffs are closing phrases that stand alone on their line, lower case,
// without the comma or full stop after them.
var signOffs = map[string]bool{
	"regards": true, "kind regards": true, "best regards": true, "warm regards": true, "warmest regards": true,
	"kindest regards": true, "many regards": true, "with best regards": true, "with kind regards": true,
	"best": true, "all the best": true, "best wishes": true, "with best wishes": true, "cheers": true,
	"thanks": true, "thank you": true, "many thanks": true, "thanks again": true, "thanks in advance": true,
	"with thanks": true, "sincerely": true, "yours sincerely": true, "sincerely yours": true,
	"yours faithfully": true, "yours truly": true, "respectfully": true, "take care": true, "talk soon": true,
	"speak soon": true, "rgds": true, "br": true, "kr": true, "thanks and regards": true, "thanks & regards": true,
	"regards and thanks": true, "thanks and best regards": true, "many thanks and best regards": true,
	"best regards and thanks": true, "kind regards and thanks": true, "with appreciation": true,
	// German, French, Spanish, Italian, Dutch, Polish, Portuguese.
	"mit freundlichen grüßen": true, "mit freundlichen grüssen": true, "freundliche grüße": true,
	"viele grüße": true, "beste grüße": true, "liebe grüße": true, "herzliche grüße": true, "gruß": true,
	"grüße": true, "mfg": true, "vg": true, "lg": true, "schöne grüße": true, "viele grüsse": true,
	"beste grüsse": true, "liebe grüsse": true, "freundliche grüsse": true,
	// Swedish, Danish, Norwegian, Czech, Finnish, Russian, Turkish: the
	// languages of the attributions (attribution.go).
	"med vänlig hälsning": true, "vänliga hälsningar": true, "hälsningar": true, "mvh": true,
	"med venlig hilsen": true, "venlig hilsen": true, "mange hilsner": true, "med vennlig hilsen": true,
	"vennlig hilsen": true, "hilsen": true, "s pozdravem": true, "s přátelským pozdravem": true,
	"děkuji": true, "ystävällisin terveisin": true, "terveisin": true, "kiitos": true,
	"с уважением": true, "всего доброго": true, "спасибо": true, "saygılarımla": true,
	"iyi çalışmalar": true, "teşekkürler": true, "groetjes": true,
	"cordialement": true, "bien cordialement": true, "bien à vous": true, "salutations": true,
	"sincères salutations": true, "merci": true, "bonne journée": true,
	"saludos": true, "un saludo": true, "saludos cordiales": true, "atentamente": true, "gracias": true,
	"un abrazo": true, "cordiali saluti": true, "distinti saluti": true, "saluti": true, "grazie": true,
	"met vriendelijke groet": true, "met vriendelijke groeten": true, "vriendelijke groet": true,
	"groeten": true, "groet": true, "mvg": true,
	"pozdrawiam": true, "z poważaniem": true, "z wyrazami szacunku": true,
	"atenciosamente": true, "cumprimentos": true, "com os melhores cumprimentos": true, "abraço": true,
	"obrigado": true, "obrigada": true,
}

// isSignOff reports whether s, trimmed, is a sign-off alone. It is asked
// of every line, and allocates nothing.
func isSignOff(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) > 32 || s == "" {
		return false
	}
	s = strings.TrimRight(s, ",.!-–— ")
	// Lower case, one space between words, in a buffer on the stack.
	var buf [64]byte
	b, space := buf[:0], false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = len(b) > 0
			continue
		}
		if space {
			b, space = append(b, ' '), false
		}
		if b = utf8.AppendRune(b, unicode.ToLower(r)); len(b) > 60 {
			return false
		}
	}
	return signOffs[string(b)]
}

// nameLike reports whether s can be a name on its own line: one to five
// words of letters (and the dots, hyphens and apostrophes of initials and
// double names, "María del Carmen García López"), the first capitalised.
// What signatures write after a name on its line may follow: pronouns in
// brackets ("(she/her)"), letters after a comma ("MBA"), a title after a
// bar ("| Head of Procurement").
func nameLike(s string) bool {
	s = strings.TrimRight(strings.TrimSpace(s), ",")
	if i := strings.IndexAny(s, "(|,"); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	if s == "" || len(s) > 48 || isSignOff(s) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(first) {
		return false
	}
	words := 0
	for _, w := range strings.Fields(s) {
		words++
		for _, r := range w {
			if !unicode.IsLetter(r) && r != '.' && r != '-' && r != '\'' && r != '’' {
				return false
			}
		}
	}
	return words <= 5
}

// signatureLine reports whether s can be a line of a signature block
// before its contact details: a title, a company, a postal address. Prose
// (more than ten words, a question) and a P.S. cannot.
func signatureLine(s string) bool {
	s = strings.TrimSpace(s)
	l := strings.ToLower(s)
	if strings.HasPrefix(l, "p.s") || strings.HasPrefix(l, "ps:") || strings.HasPrefix(l, "ps ") || strings.HasSuffix(s, "?") {
		return false
	}
	return len(strings.Fields(s)) <= 10
}

// contactDetails reports whether s holds a web or e-mail address or a
// phone number: seven digits or more after a label ("Tel", "M:") or a
// "+", or ten without.
func contactDetails(s string) bool {
	l := strings.ToLower(s)
	if strings.Contains(l, "www.") || strings.Contains(l, "http://") || strings.Contains(l, "https://") || hostPath(l) {
		return true
	}
	if at := strings.IndexByte(s, '@'); at > 0 && at < len(s)-3 && isAlnum(s[at-1]) && strings.Contains(s[at+1:], ".") {
		return true
	}
	digits, best, plus := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' && digits == 0:
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			best, digits, plus = max(best, score(digits, plus)), 0, false
		}
	}
	best = max(best, score(digits, plus))
	return best >= 10 || best >= 7 && phoneLabel(l)
}

// hostPath reports a web address written without a scheme or "www."
// ("linkedin.com/in/aoife-brennan"): a word whose part before its first
// "/" is a host name ending in a top-level domain of letters.
func hostPath(l string) bool {
	for _, w := range strings.Fields(l) {
		host, _, ok := strings.Cut(strings.Trim(w, "<>()[],;"), "/")
		dot := strings.LastIndexByte(host, '.')
		if !ok || dot <= 0 || len(host)-dot-1 < 2 {
			continue
		}
		tld := true
		for _, r := range host[dot+1:] {
			tld = tld && r >= 'a' && r <= 'z'
		}
		if tld && !strings.ContainsAny(host, "@:") {
			return true
		}
	}
	return false
}

// score is a digit run's worth as a phone number: a leading "+" makes
// seven digits enough.
func score(digits int, plus bool) int {
	if plus && digits >= 7 {
		return 10
	}
	return digits
}

// phoneLabels start the lines, or the parts of a line, that give a phone
// number, in the languages of signOffs.
var phoneLabels = []string{"tel", "tél", "phone", "mob", "mobile", "cell", "fax", "direct", "office", "ph", "t:", "m:", "p:", "f:", "d:", "o:",
	"telefon", "handy", "móvil", "movil", "telefono", "teléfono", "cellulare", "portable", "gsm", "tlf", "kom", "tel.", "telemóvel"}

func phoneLabel(l string) bool {
	for _, f := range strings.FieldsFunc(l, func(r rune) bool { return r == '|' || r == '•' || r == '·' || r == ',' }) {
		f = strings.TrimSpace(f)
		for _, p := range phoneLabels {
			if rest, ok := strings.CutPrefix(f, p); ok && (rest == "" || strings.ContainsAny(rest[:1], ":. +(0123456789")) {
				return true
			}
		}
	}
	return false
}

// contactBlock reports whether the oldest line of the window, which
// follows a sign-off, is a name that starts a signature: before any line
// that is no signature's, the lines after it give contact details.
func (c *cleaner) contactBlock() bool {
	l := c.win[0]
	if !nameLike(l.body) {
		return false
	}
	for _, m := range c.win[1:] {
		// A blank line ends the block: what follows it ("Agenda:
		// https://…") the sender wrote after signing.
		if m.depth != l.depth || m.blank() {
			return false
		}
		if !signatureLine(m.body) {
			return false
		}
		if contactDetails(m.body) {
			return true
		}
	}
	return false
}

// lookahead is how many lines the window must hold before its oldest is
// decided: more than window when a name follows a sign-off, to reach the
// contact details under it, and when a Teams block starts (its separator,
// then the product's name), to reach the separator that ends it.
func (c *cleaner) lookahead() int {
	if len(c.win) >= 2 && IsTeamsSeparator(c.win[0].body) && strings.Contains(c.win[1].body, "Microsoft Teams") {
		return teamsLookahead
	}
	if c.signedOff && len(c.win) > 0 && c.win[0].depth == 0 && nameLike(c.win[0].body) {
		return 1 + contactLookahead
	}
	return window
}
