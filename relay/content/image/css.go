package image

import (
	"regexp"
	"strings"
)

var (
	cssURL    = regexp.MustCompile(`(?i)url\(\s*(?:"[^"]*"|'[^']*'|[^)]*)\s*\)`)
	cssImport = regexp.MustCompile(`(?i)@import`)
)

// neutralCSS replaces every CSS url() that is not a fragment reference with
// "none", which paints nothing and fetches nothing, and disables @import
// rules by renaming them to an at-rule no browser knows (CSS Syntax 3 §9:
// unknown at-rules are ignored). A remote reference in a picture tells a
// third party when and where the recipient opened it; a local one names a
// file on the sender's machine.
func neutralCSS(s string) string {
	if !strings.Contains(strings.ToLower(s), "url(") && !strings.Contains(strings.ToLower(s), "@import") {
		return s
	}
	s = cssURL.ReplaceAllStringFunc(s, func(u string) string {
		t := strings.TrimSpace(u[4 : len(u)-1])
		t = strings.Trim(t, `"'`)
		if strings.HasPrefix(strings.TrimSpace(t), "#") {
			return u
		}
		return "none"
	})
	return cssImport.ReplaceAllString(s, "@x-leak-removed-import")
}
