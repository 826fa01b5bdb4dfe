package html

import "strings"

// style keeps the declarations of an inline style attribute that change
// how the text looks and removes those that fetch or run something or take
// an element out of the flow:
//   - url() with any scheme but cid: fetches a remote image when the
//     message is read (a tracker); cid: references are rewritten;
//   - expression(), behavior and -moz-binding run code in old engines;
//   - @import loads a style sheet;
//   - positioning, transforms and negative margins can lay a box over the
//     footer that follows the content, or move the footer under one.
//
// Declarations holding CSS escapes or comments are dropped whole, since
// they can spell any of the above past a plain text match (CSS Syntax
// Level 3, section 4.3.7).
func (c *cleaner) style(v string) string {
	var out []string
	for _, d := range strings.Split(v, ";") {
		d = strings.TrimSpace(d)
		low := strings.ToLower(d)
		if d == "" || strings.ContainsAny(low, `\`) || strings.Contains(low, "/*") {
			continue
		}
		if strings.Contains(low, "expression") || strings.Contains(low, "behavior") || strings.Contains(low, "binding") ||
			strings.Contains(low, "@import") || strings.Contains(low, "javascript:") || strings.Contains(low, "file:") {
			continue
		}
		prop, val, ok := strings.Cut(low, ":")
		if !ok {
			continue
		}
		prop, val = strings.TrimSpace(prop), strings.TrimSpace(val)
		if layout[prop] || strings.HasPrefix(prop, "margin") && strings.Contains(val, "-") {
			continue
		}
		if strings.Contains(low, "url(") || strings.Contains(low, "image-set(") || strings.Contains(low, "image(") {
			r, ok := c.cssURLs(d)
			if !ok {
				continue
			}
			d = r
		}
		out = append(out, d)
	}
	return strings.Join(out, "; ")
}

// cssURLs rewrites the url() references of one declaration, which must all
// be cid: references.
func (c *cleaner) cssURLs(d string) (string, bool) {
	low := strings.ToLower(d)
	if strings.Contains(low, "image-set(") || strings.Contains(strings.ReplaceAll(low, "url(", ""), "image(") {
		return "", false
	}
	var b strings.Builder
	for {
		i := strings.Index(strings.ToLower(d), "url(")
		if i < 0 {
			b.WriteString(d)
			return b.String(), true
		}
		end := strings.IndexByte(d[i:], ')')
		if end < 0 {
			return "", false
		}
		arg := strings.Trim(strings.TrimSpace(d[i+4:i+end]), `"'`)
		v, ok := c.cid(arg)
		if !ok || strings.ContainsAny(v, `"'()`) {
			return "", false
		}
		b.WriteString(d[:i] + "url(" + v + ")")
		d = d[i+end+1:]
	}
}

// layout lists the properties that move a box out of its place in the
// flow.
var layout = map[string]bool{
	"position": true, "top": true, "bottom": true, "left": true, "right": true, "inset": true, "z-index": true,
	"transform": true, "translate": true, "rotate": true, "scale": true,
}
