package html

import (
	"strings"

	"leak/relay/content/text"
)

// style keeps the declarations of an inline style attribute that change
// how the text looks and removes those that fetch or run something or take
// an element out of the flow:
//   - url() with any scheme but cid: fetches a remote image when the
//     message is read (a tracker); cid: references are rewritten;
//   - expression(), behavior and -moz-binding run code in old engines;
//   - @import loads a style sheet;
//   - positioning, transforms and negative margins can lay a box over the
//     footer that follows the content, or move the footer under one;
//   - vendor properties name the sender's client (vendor).
//
// Font families become the generic family they belong to (genericFamily).
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
		if layout[prop] || strings.HasPrefix(prop, "margin") && strings.Contains(val, "-") || vendor(prop) {
			continue
		}
		switch prop {
		case "font-family":
			d = "font-family:" + genericFamily(val)
		case "font":
			v, ok := fontShorthand(val)
			if !ok {
				continue
			}
			d = "font:" + v
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
		// Not strings.ToLower: an index into the lowered text must be
		// one into d.
		i := strings.Index(text.ASCIILower(d), "url(")
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

// vendor reports a property that names the sender's client rather than
// the look of the text: Word's mso-* (Outlook for Windows, with the
// sender's language in mso-fareast-language), the vendor-prefixed -webkit-*
// (Apple Mail), -moz-* (Thunderbird) and -ms-*, and caret-color, which
// Apple Mail writes on every block it composes. Custom properties (--*)
// go with them: no style sheet remains to read them.
func vendor(prop string) bool {
	return strings.HasPrefix(prop, "mso-") || strings.HasPrefix(prop, "-") || prop == "caret-color"
}

// genericFamily reduces a font-family list (CSS Fonts 4, section 2.1) to
// the generic family of its first font: "monospace", "serif" or
// "sans-serif". A client's default font names the client (Calibri and
// Aptos: Outlook; Helvetica Neue: Apple Mail; Arial, Helvetica: Gmail),
// and a font the sender chose is theirs; the generic family keeps the look
// a reader needs, a code sample in monospace, a letter in serif.
func genericFamily(list string) string {
	first, _, _ := strings.Cut(list, ",")
	name := strings.Trim(strings.TrimSpace(first), `"' `)
	switch {
	case strings.Contains(name, "mono") || strings.Contains(name, "courier") || strings.Contains(name, "consol") ||
		strings.Contains(name, "menlo") || strings.Contains(name, "monaco") || strings.Contains(name, "code"):
		return "monospace"
	case strings.Contains(name, "sans") || name == "system-ui" || strings.HasPrefix(name, "-apple-system"):
		return "sans-serif"
	case strings.Contains(name, "serif") || strings.Contains(name, "times") || strings.Contains(name, "georgia") ||
		strings.Contains(name, "cambria") || strings.Contains(name, "garamond") || strings.Contains(name, "palatino") ||
		strings.Contains(name, "baskerville") || strings.Contains(name, "antiqua") || strings.Contains(name, "bodoni") ||
		strings.Contains(name, "didot") || strings.Contains(name, "constantia"):
		return "serif"
	}
	return "sans-serif"
}

// fontSizes are the keyword values of font-size (CSS Fonts 4, section 2.5).
var fontSizes = map[string]bool{
	"xx-small": true, "x-small": true, "small": true, "medium": true, "large": true, "x-large": true,
	"xx-large": true, "xxx-large": true, "larger": true, "smaller": true,
}

// fontShorthand rewrites the font shorthand (CSS Fonts 4, section 2.7):
// everything after its size, the font family list, becomes its generic
// family. A value with no size it can find (a system font keyword such as
// "caption", or a var()) is not kept.
func fontShorthand(v string) (string, bool) {
	fields := strings.Fields(v)
	for i, f := range fields {
		size, _, _ := strings.Cut(f, "/")
		if i+1 < len(fields) && isFontSize(size) {
			return strings.Join(fields[:i+1], " ") + " " + genericFamily(strings.Join(fields[i+1:], " ")), true
		}
	}
	return "", false
}

// isFontSize reports whether s is a font-size: a keyword, or a number
// with a unit or a percent sign.
func isFontSize(s string) bool {
	if fontSizes[s] {
		return true
	}
	n := strings.TrimLeft(s, "0123456789.")
	return n != s && (n == "%" || len(n) >= 2 && len(n) <= 4 && strings.Trim(n, "abcdefghijklmnopqrstuvwxyz") == "")
}
