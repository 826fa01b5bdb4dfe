package html

import (
	"golang.org/x/net/html"

	"leak/relay/content/text"
)

// identifies reports whether the sender's own address is left anywhere in
// the cleaned tree: in text, or in an attribute (a mailto: link). The
// address finder (text.AddressFinder) also reads a value percent-decoded,
// as a URL pasted as text or an href holds it, and in the spelling
// OneDrive and SharePoint give a personal site, ".../personal/
// alice_sender_example/...".
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
		}
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if c.identifies(ch) {
			return true
		}
	}
	return false
}
