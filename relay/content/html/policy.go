package html

import "strings"

// What each element becomes. Elements not listed are unwrapped: their
// content stays, the element goes (font wrappers of unknown clients, the
// <form> around typed text, Word's smart tags).
type action uint8

const (
	unwrap action = iota
	keep
	drop  // the element and everything in it
	topre // a raw-text element whose text is kept in a <pre>
)

var elements = map[string]action{
	// Text and structure.
	"a": keep, "abbr": keep, "address": keep, "article": keep, "aside": keep, "b": keep, "bdi": keep, "bdo": keep,
	"big": keep, "blockquote": keep, "br": keep, "caption": keep, "center": keep, "cite": keep, "code": keep,
	"col": keep, "colgroup": keep, "dd": keep, "del": keep, "details": keep, "dfn": keep, "div": keep, "dl": keep,
	"dt": keep, "em": keep, "figcaption": keep, "figure": keep, "font": keep, "footer": keep, "h1": keep, "h2": keep,
	"h3": keep, "h4": keep, "h5": keep, "h6": keep, "header": keep, "hr": keep, "i": keep, "img": keep, "ins": keep,
	"kbd": keep, "li": keep, "main": keep, "mark": keep, "nav": keep, "ol": keep, "p": keep, "pre": keep, "q": keep,
	"s": keep, "samp": keep, "section": keep, "small": keep, "span": keep, "strike": keep, "strong": keep, "sub": keep,
	"summary": keep, "sup": keep, "table": keep, "tbody": keep, "td": keep, "tfoot": keep, "th": keep, "thead": keep,
	"time": keep, "tr": keep, "tt": keep, "u": keep, "ul": keep, "var": keep, "wbr": keep,

	// Active content, remote content and its fallbacks.
	"script": drop, "noscript": drop, "template": drop, "iframe": drop, "frame": drop, "frameset": drop,
	"object": drop, "embed": drop, "applet": drop, "param": drop, "audio": drop, "video": drop, "source": drop,
	"track": drop, "picture": drop, "canvas": drop, "map": drop, "area": drop, "svg": drop, "math": drop,
	"noembed": drop, "noframes": drop, "portal": drop, "dialog": drop,
	// A style sheet can hide Leak's notice ("body *{display:none}") and
	// fetches fonts and images through @import and url().
	"style": drop, "link": drop,
	// Metadata: the client, the author, the base for relative links.
	"head": drop, "title": drop, "meta": drop, "base": drop, "xml": drop,
	// Form controls: nothing to submit to, and a textarea's text is not
	// the message.
	"input": drop, "button": drop, "select": drop, "option": drop, "optgroup": drop, "textarea": drop,
	"datalist": drop, "output": drop, "keygen": drop, "label": unwrap, "fieldset": unwrap, "legend": unwrap,
	"form": unwrap,
	// Obsolete raw-text elements: everything after <plaintext> would be
	// text, the footer included.
	"xmp": topre, "plaintext": topre, "listing": topre,
}

// elementAction returns what happens to the element named name. Office
// writes namespaced elements: o:p (an empty paragraph mark) and smart tags
// (st1:City) hold typed text; the others (o:DocumentProperties,
// w:WordDocument, v:imagedata) hold the author, the company and local
// paths, and go.
func elementAction(name string) action {
	if prefix, _, ok := strings.Cut(name, ":"); ok {
		if name == "o:p" || strings.HasPrefix(prefix, "st") {
			return unwrap
		}
		return drop
	}
	a, ok := elements[name]
	if !ok {
		return unwrap
	}
	return a
}

// attrs lists the attributes kept on any element; href, src and
// background are checked on their own, face and style rewritten. Left out:
// id, class and name (no style sheet remains to use them, and they carry
// signature and tracking markers), title, data-* (data detectors, Gmail's
// data-smartmail), event handlers, cite (cite="mid:..." holds a
// Message-ID), lang (Outlook writes the sender's locale, lang="EN-GB", as
// Content-Language does in a header, which Leak drops too), and everything
// else.
var attrs = map[string]bool{
	"dir": true, "align": true, "valign": true, "width": true, "height": true, "color": true,
	"size": true, "bgcolor": true, "border": true, "cellpadding": true, "cellspacing": true,
	"colspan": true, "rowspan": true, "span": true, "start": true, "type": true, "alt": true, "style": true,
	"nowrap": true, "scope": true, "reversed": true, "open": true,
}

// inline lists the elements that continue a line of text, for finding
// device and attribution lines split over several nodes.
var inline = map[string]bool{
	"a": true, "abbr": true, "b": true, "big": true, "cite": true, "code": true, "em": true, "font": true, "i": true,
	"mark": true, "q": true, "s": true, "small": true, "span": true, "strike": true, "strong": true, "sub": true,
	"sup": true, "time": true, "tt": true, "u": true, "var": true,
}
