package html

import (
	"net/url"
	"strings"

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
	if c.has == nil {
		c.has = text.AddressFinder(c.o.Sender)
	}
	switch n.Type {
	case html.TextNode:
		if c.has(n.Data) {
			return true
		}
	case html.ElementNode:
		for _, a := range n.Attr {
			if c.has(a.Val) {
				return true
			}
			if !strings.Contains(a.Val, "%") {
				continue
			}
			if u, err := url.PathUnescape(a.Val); err == nil && c.has(u) {
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
