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
}

func newNames(in []string) names {
	var n names
	for _, s := range in {
		s = strings.Join(strings.Fields(s), " ")
		s = strings.Trim(s, `"'`)
		if strings.Contains(s, " ") || utf8.RuneCountInString(s) >= 6 {
			n.list = append(n.list, s)
			n.lower = append(n.lower, appendLower(nil, s))
		}
	}
	return n
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
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := bytes.Index(lower[i:], lw)
		if j < 0 {
			break
		}
		start, end := i+j, i+j+len(lw)
		if boundary(s, start, end) {
			b.WriteString(s[last:start])
			b.WriteString(with)
			last = end
		}
		i = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
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
// is one in s.
func ReplaceFold(s, old, with string) string {
	if old == "" {
		return s
	}
	return replaceFold(s, old, with, nil)
}

// replaceFold replaces the folded occurrences of old for which keep, when
// not nil, holds.
func replaceFold(s, old, with string, keep func(s string, start, end int) bool) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if n := FoldPrefix(s[i:], old); n > 0 && (keep == nil || keep(s, i, i+n)) {
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
