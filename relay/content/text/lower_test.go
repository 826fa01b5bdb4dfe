package text

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// lowerSamples hold what lowering meets: ASCII, letters whose case changes
// their length in UTF-8 (İ, Ⱥ), scripts without case, invalid bytes.
var lowerSamples = []string{
	"", "Sent from my iPhone", "SENT FROM MY IPAD!", "Envoyé de mon iPhone", "Wysłane z iPhone'a",
	"LÄHETETTY IPHONESTA", "Отправлено с iPhone", "iPhoneから送信", "發自我的 iPhone", "İPHONE'UMDAN GÖNDERİLDİ",
	"Ⱥ Ⱦ ſ K Å", "bad \xff\xfe bytes \xc3", "Alice Smith | Sales", "ALICE SMITH", "\u00a0Sent\u00a0from\u00a0Outlook\u00a0",
}

// FuzzAppendLower checks that appendLower lowers as strings.ToLower does,
// and that hasDeviceWord finds a word where strings.Contains finds it in
// the lowered line: the two replaced ToLower and a loop of Contains.
func FuzzAppendLower(f *testing.F) {
	for _, s := range lowerSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.ToLower(s)
		var buf [16]byte
		low := appendLower(buf[:0], s)
		if string(low) != want {
			t.Fatalf("appendLower(%q) = %q, strings.ToLower gives %q", s, low, want)
		}
		contains := false
		for _, w := range deviceWords {
			contains = contains || strings.Contains(want, w)
		}
		if got := hasDeviceWord(low); got != contains {
			t.Fatalf("hasDeviceWord(%q) = %v, strings.Contains finds a word: %v", want, got, contains)
		}
	})
}

// replaceWordNaive is the reference for replaceWord: strings.ToLower, and
// a look at every byte instead of a search from match to match; where
// lowering changes the length, strings.EqualFold on every span of s that
// starts and ends on a rune.
func replaceWordNaive(s, word, with string) string {
	if len(word) == 0 || len(s) < len(word) {
		return s
	}
	lower, lw := strings.ToLower(s), strings.ToLower(word)
	if len(lower) != len(s) {
		return replaceWordEqualFold(s, word, with)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		n := spacedLen(lower[i:], lw)
		switch {
		case n < 0:
			b.WriteByte(s[i])
			i++
		case boundary(s, i, i+n):
			b.WriteString(with)
			i += n
		default:
			b.WriteString(s[i : i+n])
			i += n
		}
	}
	return b.String()
}

// spacedLen is the length of the shortest prefix of s that is w once its
// runs of white space are one space each, or -1.
func spacedLen(s, w string) int {
	for j := 1; j <= len(s); j++ {
		c := collapseSpace(s[:j])
		if c == w {
			return j
		}
		if len(c) > len(w) {
			break
		}
	}
	return -1
}

// collapseSpace writes each run of white space in s as one space.
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
		} else {
			space = false
			b.WriteString(s[i : i+w]) // an invalid byte stays itself
		}
		i += w
	}
	return b.String()
}

func replaceWordEqualFold(s, word, with string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		matched := false
		// j runs over the ends of the runes from i, as utf8 decodes
		// them (an invalid byte is a rune of one byte).
		for j := i; j < len(s); {
			_, w := utf8.DecodeRuneInString(s[j:])
			j += w
			c := collapseSpace(s[i:j])
			if utf8.RuneCountInString(c) > utf8.RuneCountInString(word) {
				break
			}
			if strings.EqualFold(c, word) && boundary(s, i, j) {
				b.WriteString(with)
				i, matched = j, true
				break
			}
		}
		if !matched {
			_, w := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+w])
			i += w
		}
	}
	return b.String()
}

func FuzzReplaceNames(f *testing.F) {
	for _, s := range lowerSamples {
		f.Add(s, "Alice Smith")
		f.Add("Hi "+s+", ALICE SMITH and alice smith's and alicesmith", "Alice Smith")
	}
	f.Add(strings.Repeat("Tomasz Kowalczyk has accepted. ", 20), "Tomasz Kowalczyk")
	f.Add("İstanbul Şehir İstanbul şehir", "İstanbul Şehir")
	f.Add("ALICE SMITH\xa2", "Alice Smith") // CI's FuzzReplaceNames, against the reference's first form
	f.Fuzz(func(t *testing.T, s, name string) {
		// The reference tries every prefix at every offset, collapsing
		// white space each time: cubic, it takes half a minute on a few
		// thousand tabs, which the fuzzer would report as a hang.
		if len(s) > 1024 {
			return
		}
		n := newNames([]string{name})
		want := s
		for _, w := range n.list {
			want = replaceWordNaive(want, w, Someone)
		}
		if got := n.replace(s); got != want {
			t.Fatalf("replace(%q) with %q = %q, want %q", s, name, got, want)
		}
	})
}

// Lowering a line or a short text node allocates nothing.
func TestDeviceLineAndNamesAllocate(t *testing.T) {
	line := "Thanks for the notes, Alice Smith. I went through the list."
	if a := testing.AllocsPerRun(100, func() { IsDeviceLine(line) }); a != 0 {
		t.Errorf("IsDeviceLine allocates %v times a line", a)
	}
	n := newNames([]string{"Bob Jones"})
	if a := testing.AllocsPerRun(100, func() { n.replace(line) }); a != 0 {
		t.Errorf("a line without the name allocates %v times", a)
	}
}
