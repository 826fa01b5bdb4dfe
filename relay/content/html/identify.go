package html

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"

	"leak/relay/content/text"
)

// identifies reports whether the sender's own address is left anywhere in
// the cleaned tree: in text, or in an attribute (a mailto: link),
// percent-encoded or not, or as OneDrive and SharePoint write it into a
// personal site's URL, ".../personal/alice_sender_example/...".
func (c *cleaner) identifies(n *html.Node) bool {
	if len(c.o.Sender) == 0 {
		return false
	}
	if c.has == nil {
		c.has = text.AddressFinder(c.o.Sender)
		for _, a := range c.o.Sender {
			if a = text.ASCIILower(strings.TrimSpace(a)); strings.Contains(a, "@") {
				c.underscored = append(c.underscored, strings.NewReplacer("@", "_", ".", "_").Replace(a))
			}
		}
	}
	switch n.Type {
	case html.TextNode:
		if c.found(n.Data) {
			return true
		}
	case html.ElementNode:
		for _, a := range n.Attr {
			if c.found(a.Val) {
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

// found reports whether s holds one of the sender's addresses, as it is or
// percent-decoded: a URL pasted as text holds them encoded as an href
// does, and a link nested in another's query is encoded twice.
func (c *cleaner) found(s string) bool {
	for range 3 {
		if c.has(s) || c.hasUnderscored(s) {
			return true
		}
		u := unescape(s)
		if u == s {
			return false
		}
		s = u
	}
	return c.has(s) || c.hasUnderscored(s)
}

// hasUnderscored reports whether s holds one of the sender's addresses with
// "@" and "." written "_", not as part of a longer name.
func (c *cleaner) hasUnderscored(s string) bool {
	if strings.IndexByte(s, '_') < 0 {
		return false
	}
	low := text.ASCIILower(s)
	for _, u := range c.underscored {
		for i := 0; ; {
			j := strings.Index(low[i:], u)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(u)
			if !nameByte(low, start-1, true) && !nameByte(low, end, false) {
				return true
			}
			i = start + 1
		}
	}
	return false
}

// nameByte reports whether s[i] would continue an underscored address: a
// letter, digit, "_" or non-ASCII byte, or a "." before it.
func nameByte(s string, i int, before bool) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	b := s[i]
	return b >= 0x80 || b == '_' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || before && b == '.'
}

// unescape decodes the valid %XX escapes of s and leaves the rest, such as
// a "%" typed in a sentence: url.PathUnescape gives up on the whole string
// for one. An encoded "|" becomes a space: SafeLinks separates the fields
// of its data= parameter, the recipient's mailbox among them, with it,
// and "|" could start a longer mailbox.
func unescape(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				if v == '|' {
					v = ' '
				}
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
