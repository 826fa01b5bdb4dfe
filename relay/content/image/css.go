package image

import (
	"strings"

	"leak/relay/content/text"
)

// neutralCSS returns CSS text (a <style> element, a style attribute, a
// presentation attribute) with every url() that is not a fragment
// reference replaced by "none", which paints nothing and fetches nothing,
// and @import rules disabled by renaming them to an at-rule no browser
// knows (CSS Syntax 3 §9: unknown at-rules are ignored). A remote
// reference in a picture tells a third party when and where the recipient
// opened it; a local one names a file on the sender's machine.
//
// ok is false for text this rewriting cannot vouch for, which the caller
// drops: escapes (\75 rl( is url( to a CSS parser) and image-set() or
// image(), which take URLs as plain strings. No drawing needs them.
func neutralCSS(s string) (out string, ok bool) {
	low := text.ASCIILower(s)
	if strings.Contains(s, `\`) || strings.Contains(low, "image-set(") || strings.Contains(low, "image(") {
		return "", false
	}
	if !strings.Contains(low, "url(") && !strings.Contains(low, "@import") {
		return s, true
	}
	var b strings.Builder
	for {
		i := strings.Index(low, "url(")
		if i < 0 {
			break
		}
		// The reference runs to the closing parenthesis outside quotes,
		// or to the end of the text (CSS Syntax 3 §4.3.6).
		j := i + len("url(")
		var quote byte
		for ; j < len(s); j++ {
			c := s[j]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
				continue
			case c == '"' || c == '\'':
				quote = c
				continue
			}
			if c == ')' {
				break
			}
		}
		end := min(j+1, len(s))
		target := strings.TrimSpace(strings.Trim(strings.TrimSpace(s[i+len("url("):min(j, len(s))]), `"'`))
		b.WriteString(s[:i])
		if strings.HasPrefix(target, "#") {
			b.WriteString(s[i:end])
		} else {
			b.WriteString("none")
		}
		s, low = s[end:], low[end:]
	}
	b.WriteString(s)
	return replaceFold(b.String(), "@import", "@x-leak-removed-import"), true
}

// replaceFold replaces every ASCII-case-insensitive occurrence of old.
func replaceFold(s, old, new string) string {
	var b strings.Builder
	for {
		i := strings.Index(text.ASCIILower(s), old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i] + new)
		s = s[i+len(old):]
	}
}
