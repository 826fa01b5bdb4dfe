package text

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Someone replaces the sender's display name where a client wrote it into
// the body: "Tomasz Kowalczyk has accepted this invitation" (a calendar
// reply), "Alice Smith | Sales" (a signature without a marker).
const Someone = "Someone"

// names finds the sender's display names in text. Only whole names of at
// least two words or six letters are matched, case-insensitively and at
// word boundaries: "Al" or "Lee" alone would hit ordinary words, while the
// full name is what clients write.
type names struct {
	list  []string // as written
	lower [][]byte // each lowered, by appendLower
	lines []string // the names of two words or more, and their short forms (isLine)
	long  int      // the length of the longest of lines
}

func newNames(in []string) names {
	var n names
	for _, s := range in {
		s = strings.Join(strings.Fields(strings.Trim(strings.TrimSpace(s), `"'`)), " ")
		if strings.Contains(s, " ") || utf8.RuneCountInString(s) >= 6 {
			n.list = append(n.list, s)
			n.lower = append(n.lower, appendLower(nil, s))
			if strings.Contains(s, " ") {
				n.lines = append(n.lines, s, abbreviated(s))
				n.long = max(n.long, len(s))
			}
		}
	}
	return n
}

// isLine reports whether s, trimmed of white space and a closing comma or
// full stop, is one of the names of two words or more, in full or
// abbreviated ("Alice S."): a line holding the sender's name alone starts
// their signature.
func (n names) isLine(s string) bool {
	s = strings.TrimRight(strings.TrimSpace(s), ".,")
	// Asked of every line: most are longer than any name, and are not
	// split into words for it.
	if len(n.lines) == 0 || len(s) > 2*n.long {
		return false
	}
	s = strings.Join(strings.Fields(s), " ")
	for _, name := range n.lines {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

// abbreviated is a name as signatures shorten it, "Alice S" for "Alice
// Smith" (isLine has trimmed the full stop): the first word and the last
// word's initial.
func abbreviated(name string) string {
	w := strings.Fields(name)
	last, _ := utf8.DecodeRuneInString(w[len(w)-1])
	return w[0] + " " + string(last)
}

// across replaces a name broken over two lines, a and b, at one of its
// spaces: a line break, a format=flowed soft one ("Alice \r\nSmith", RFC
// 3676 section 4.2) included, does not make it another name. The first
// line keeps its trailing space, so a flowed paragraph still joins.
func (n names) across(a, b string) (string, string, bool) {
	bt := strings.TrimLeftFunc(b, unicode.IsSpace)
	at := strings.TrimRightFunc(a, unicode.IsSpace)
	for _, name := range n.list {
		for i := 0; i < len(name); i++ {
			if name[i] != ' ' {
				continue
			}
			head, tail := name[:i], name[i+1:]
			m := foldPrefixSpaced(bt, tail)
			if m == 0 || !boundary(bt, 0, m) {
				continue
			}
			for j := 0; j < len(at); j++ {
				if foldPrefixSpaced(at[j:], head) == len(at)-j && boundary(at, j, len(at)) {
					return at[:j] + Someone + a[len(at):], strings.TrimLeftFunc(bt[m:], unicode.IsSpace), true
				}
			}
		}
	}
	return a, b, false
}

// ReplaceNames returns s with every occurrence of one of the display names
// replaced by Someone.
func ReplaceNames(s string, displayNames []string) string {
	return newNames(displayNames).replace(s)
}

// NameReplacer returns ReplaceNames for one set of names, prepared once,
// for a caller that replaces in many strings (every text node of a page).
func NameReplacer(displayNames []string) func(string) string {
	return newNames(displayNames).replace
}

func (n names) replace(s string) string {
	for i, name := range n.list {
		s = replaceWord(s, name, n.lower[i], Someone)
	}
	return s
}

// replaceWord replaces whole-word, case-insensitive occurrences of word in
// s; lw is word lowered by appendLower. Every line of a body and every text
// node of a page passes here: a short s is lowered on the stack.
func replaceWord(s, word string, lw []byte, with string) string {
	if len(word) == 0 || len(s) < len(word) {
		return s
	}
	var buf [256]byte
	lower := appendLower(buf[:0], s)
	if len(lower) != len(s) {
		// Lowering changed the length (a Turkish İ, the Kelvin sign, an
		// invalid byte): no offset in lower is one in s.
		return replaceWordFold(s, word, with)
	}
	first, rest, _ := bytes.Cut(lw, []byte(" "))
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := bytes.Index(lower[i:], first)
		if j < 0 {
			break
		}
		start, end := i+j, i+j+len(first)
		if n := spacedPrefix(lower[end:], rest); n >= 0 {
			end += n
			if boundary(s, start, end) {
				b.WriteString(s[last:start])
				b.WriteString(with)
				last = end
			}
		}
		i = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// spacedPrefix returns how many bytes at the start of b match rest, the
// words of a name after its first, each after a run of white space, or -1.
// Clients join a name's words with a no-break space (U+00A0) or several
// spaces ("ALICE  SMITH"); it is the same name.
func spacedPrefix(b, rest []byte) int {
	n := 0
	for len(rest) > 0 {
		w := spaceRun(b[n:])
		if w == 0 {
			return -1
		}
		n += w
		word, more, _ := bytes.Cut(rest, []byte(" "))
		if !bytes.HasPrefix(b[n:], word) {
			return -1
		}
		n += len(word)
		rest = more
	}
	return n
}

// spaceRun returns the length of the white space at the start of b.
func spaceRun(b []byte) int {
	n := 0
	for n < len(b) {
		r, w := utf8.DecodeRune(b[n:])
		if !unicode.IsSpace(r) {
			break
		}
		n += w
	}
	return n
}

// boundary reports whether s[start:end] is not inside a longer word.
func boundary(s string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:start])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	if end < len(s) {
		r, _ := utf8.DecodeRuneInString(s[end:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// replaceWordFold is replaceWord for a text whose lower-case form has
// another length: it compares s itself under case folding, rune by rune.
func replaceWordFold(s, word, with string) string {
	return replaceFold(s, word, with, boundary)
}

// ReplaceFold replaces every occurrence of old in s under Unicode case
// folding, as strings.EqualFold compares, walking s itself: lowering can
// change a text's length in bytes, and then no offset in a lowered copy
// is one in s. A space in old matches any run of white space in s, as a
// name's words are joined by a no-break space or several spaces.
func ReplaceFold(s, old, with string) string {
	if old == "" {
		return s
	}
	return replaceFold(s, old, with, nil)
}

// ReplaceFoldFunc is ReplaceFold keeping only the occurrences s[start:end]
// for which keep holds: a caller's own notion of a whole word (a calendar
// TEXT value's "\n" escape ends the word before it). old is not empty.
func ReplaceFoldFunc(s, old, with string, keep func(s string, start, end int) bool) string {
	return replaceFold(s, old, with, keep)
}

// replaceFold replaces the folded occurrences of old for which keep, when
// not nil, holds.
func replaceFold(s, old, with string, keep func(s string, start, end int) bool) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if n := foldPrefixSpaced(s[i:], old); n > 0 && (keep == nil || keep(s, i, i+n)) {
			b.WriteString(s[last:i])
			b.WriteString(with)
			i += n
			last = i
			continue
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// FoldPrefix returns how many bytes at the start of s match the whole of
// prefix under Unicode case folding, as strings.EqualFold compares, or 0.
// Unlike a search in a lower-cased copy, its count is one in s.
func FoldPrefix(s, prefix string) int {
	n := 0
	for _, p := range prefix {
		if n >= len(s) {
			return 0
		}
		r, w := utf8.DecodeRuneInString(s[n:])
		if !equalFold(r, p) {
			return 0
		}
		n += w
	}
	return n
}

// foldPrefixSpaced is FoldPrefix where a space in prefix matches a run of
// white space in s.
func foldPrefixSpaced(s, prefix string) int {
	n := 0
	for _, p := range prefix {
		if n >= len(s) {
			return 0
		}
		if p == ' ' {
			w := len(s[n:]) - len(strings.TrimLeftFunc(s[n:], unicode.IsSpace))
			if w == 0 {
				return 0
			}
			n += w
			continue
		}
		r, w := utf8.DecodeRuneInString(s[n:])
		if !equalFold(r, p) {
			return 0
		}
		n += w
	}
	return n
}

// equalFold reports whether r and p are one letter under simple case
// folding, as strings.EqualFold compares runes.
func equalFold(r, p rune) bool {
	if r == p {
		return true
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f == p {
			return true
		}
	}
	return false
}
