package html

import (
	"net/url"

	"golang.org/x/net/html"

	"leak/relay/content/text"
)

// identifies reports whether the sender's own address is left anywhere in
// the cleaned tree: in text, or in an attribute (a mailto: link,
// percent-encoded or not).
func (c *cleaner) identifies(n *html.Node) bool {
	if len(c.o.Sender) == 0 {
		return false
	}
	switch n.Type {
	case html.TextNode:
		if text.HasAddress(n.Data, c.o.Sender) {
			return true
		}
	case html.ElementNode:
		for _, a := range n.Attr {
			if text.HasAddress(a.Val, c.o.Sender) {
				return true
			}
			if u, err := url.PathUnescape(a.Val); err == nil && text.HasAddress(u, c.o.Sender) {
				return true
			}
		}
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if c.identifies(ch) {
			return true
		}
	}
	return false
}
