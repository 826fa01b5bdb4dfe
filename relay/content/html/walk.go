package html

import (
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"leak/relay/content/filename"
	"leak/relay/content/refusal"
	"leak/relay/content/text"
)

// cleaner holds the options of one Clean call.
type cleaner struct {
	o     Options
	has   func(string) bool   // finds the sender's addresses
	names func(string) string // replaces the sender's display names
}

// children cleans the content of n in place.
func (c *cleaner) children(n *html.Node) error {
	for ch := n.FirstChild; ch != nil; {
		next := ch.NextSibling
		var err error
		switch ch.Type {
		case html.TextNode:
			err = c.text(ch)
		case html.ElementNode:
			next, err = c.element(ch)
		default:
			// Comments, Word's conditional comments (<!--[if mso]>)
			// included, and doctypes.
			n.RemoveChild(ch)
		}
		if err != nil {
			return err
		}
		ch = next
	}
	c.lines(n)
	return nil
}

// text checks a text node. A local file path typed in the text is refused:
// removing it would change what was written. A text node of several lines,
// such as the <pre> Thunderbird quotes a plain-text message in, is cleaned
// line by line of device lines and attributions.
func (c *cleaner) text(n *html.Node) error {
	if text.HasLocalFile(n.Data) {
		return refusal.New(refusal.Identifying, text.LocalFileText)
	}
	if strings.IndexByte(n.Data, '\n') >= 0 {
		n.Data = cleanLines(n.Data)
	}
	n.Data = c.names(cleanURLs(n.Data))
	return nil
}

// urlRe finds the URLs in text. Outlook writes a pasted link's target as
// its text too, a SafeLinks URL that holds the sender's mailbox.
var urlRe = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"]+`)

// cleanURLs unwraps the URLs in s as link unwraps an href, keeping the
// punctuation that ends a sentence after one.
func cleanURLs(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlRe.ReplaceAllStringFunc(s, func(u string) string {
		trail := len(u) - len(strings.TrimRight(u, ".,;:!?)]'"))
		return text.CleanURL(u[:len(u)-trail]) + u[len(u)-trail:]
	})
}

// cleanLines drops the device lines of s and rewrites its attributions,
// keeping each line's quote prefix.
func cleanLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		body := strings.TrimLeft(l, "> ")
		prefix := l[:len(l)-len(body)]
		if text.IsDeviceLine(body) {
			continue
		}
		if neutral, ok := text.NeutralAttribution(body); ok {
			l = prefix + neutral
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// element cleans one element and returns the node to visit after it.
func (c *cleaner) element(e *html.Node) (*html.Node, error) {
	next := e.NextSibling
	parent := e.Parent
	if e.Namespace != "" {
		// SVG and MathML: foreign content with its own scripts and links.
		parent.RemoveChild(e)
		return next, nil
	}
	if autoSignature(e) {
		return c.removeSignature(e), nil
	}
	if c.marker(e) {
		return next, nil
	}
	switch elementAction(e.Data) {
	case drop:
		parent.RemoveChild(e)
		return next, nil
	case unwrap:
		return unwrapNode(e, next), nil
	case topre:
		e.Data, e.DataAtom = "pre", atom.Pre
	}
	if e.Data == "img" {
		return next, c.image(e)
	}
	if e.Data == "a" && localPath(attr(e, "href")) && hasText(e, func(s string) bool { return strings.ContainsAny(s, `\/`) }) {
		// Outlook links a path typed in the text to it: the link's
		// text is the path, the account and the server in it.
		return next, refusal.New(refusal.Identifying, text.LocalFileText)
	}
	if err := c.attributes(e); err != nil {
		return next, err
	}
	if e.Data == "a" && !hasAttr(e, "href") {
		// A link whose target was removed, or an Apple data detector:
		// keep its text only.
		return unwrapNode(e, next), nil
	}
	if err := c.children(e); err != nil {
		return next, err
	}
	if e.Data == "a" && e.FirstChild == nil {
		// A link left empty, e.g. Yahoo's device line link: nothing to
		// click, only the tracking in its target.
		parent.RemoveChild(e)
	}
	return next, nil
}

// attributes keeps the allowlisted attributes of e, checking the URLs in
// them.
func (c *cleaner) attributes(e *html.Node) error {
	kept := e.Attr[:0]
	for _, a := range e.Attr {
		if a.Namespace != "" || text.HasLocalFile(a.Val) {
			continue
		}
		switch {
		case a.Key == "href" && e.Data == "a":
			v, ok := link(a.Val)
			if !ok {
				continue
			}
			a.Val = v
		case a.Key == "background":
			v, ok := c.cid(a.Val)
			if !ok {
				continue
			}
			a.Val = v
		case a.Key == "style":
			a.Val = c.style(a.Val)
			if a.Val == "" {
				continue
			}
		case a.Key == "dir":
			// Only rtl changes what the reader sees: Gmail writes
			// dir="ltr" on every block and iOS dir="auto" on the body,
			// which tell the client and nothing else.
			if !strings.EqualFold(strings.TrimSpace(a.Val), "rtl") {
				continue
			}
		case a.Key == "face":
			a.Val = genericFamily(strings.ToLower(a.Val))
		case a.Key == "alt":
			// Gmail and Apple Mail write an inline picture's file name
			// here, which its camera may have made up; a signature's
			// picture has the sender's name.
			a.Val = c.names(filename.Neutral(a.Val))
		case a.Key == "type":
			// type="cite" marks a quote for the recipient's client; on
			// lists it is the numbering. Elsewhere (input, script) no.
			if e.Data != "blockquote" && e.Data != "ol" && e.Data != "ul" && e.Data != "li" {
				continue
			}
		case !attrs[a.Key]:
			continue
		}
		kept = append(kept, a)
	}
	e.Attr = kept
	return nil
}

// image keeps an <img> that shows a part of the message (cid:) and replaces
// any other by its alt text. A remote image is fetched when the message is
// read, telling its server when and where; a data: image carries its own
// metadata (EXIF) that this cleaner does not decode.
func (c *cleaner) image(e *html.Node) error {
	src := ""
	for _, a := range e.Attr {
		if a.Key == "src" && a.Namespace == "" {
			src = a.Val
		}
	}
	v, ok := c.cid(src)
	if !ok {
		alt := strings.TrimSpace(attr(e, "alt"))
		if alt != "" && !text.HasLocalFile(alt) {
			// Inserted before e, so not visited as the other text is.
			alt = c.names(cleanURLs(filename.Neutral(alt)))
			e.Parent.InsertBefore(&html.Node{Type: html.TextNode, Data: alt}, e)
		}
		e.Parent.RemoveChild(e)
		return nil
	}
	if err := c.attributes(e); err != nil {
		return err
	}
	e.Attr = append(e.Attr, html.Attribute{Key: "src", Val: v})
	return nil
}

// cid rewrites a cid: URL (RFC 2392) through Options.CID and reports
// whether v was one.
func (c *cleaner) cid(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) < 4 || !strings.EqualFold(v[:4], "cid:") {
		return "", false
	}
	if c.o.CID == nil {
		return v, true
	}
	id, err := url.PathUnescape(v[4:])
	if err != nil {
		id = v[4:]
	}
	return "cid:" + c.o.CID(id), true
}

// link returns the href to keep: http and https links unwrapped from
// redirectors and without tracking parameters, mailto and tel as they are.
// Other schemes (javascript:, file:, data:, Apple's data detectors) and
// relative links, which pointed at the sender's <base>, go.
func link(v string) (string, bool) {
	v = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1 // browsers ignore them inside URLs
		}
		return r
	}, strings.TrimSpace(v))
	u, err := url.Parse(v)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return text.CleanURL(v), true
	case "mailto", "tel":
		return v, true
	}
	return "", false
}

// localPath reports whether an href points at a file on the sender's
// computer or network: a file: URL, a UNC path (\\server\share) or a
// Windows path (C:\).
func localPath(v string) bool {
	v = strings.TrimSpace(v)
	return text.HasLocalFile(v) || strings.HasPrefix(v, `\\`) ||
		len(v) > 2 && (v[0]|0x20 >= 'a' && v[0]|0x20 <= 'z') && v[1] == ':' && (v[2] == '\\' || v[2] == '/')
}

// hasText reports whether f holds for a text node under n.
func hasText(n *html.Node, f func(string) bool) bool {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.TextNode && f(ch.Data) || hasText(ch, f) {
			return true
		}
	}
	return false
}

func attr(e *html.Node, key string) string {
	for _, a := range e.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}

func hasAttr(e *html.Node, key string) bool {
	for _, a := range e.Attr {
		if a.Key == key && a.Namespace == "" {
			return true
		}
	}
	return false
}

// unwrapNode replaces e by its children and returns the node to visit
// next: the first child, which is cleaned where it now is, or next.
func unwrapNode(e, next *html.Node) *html.Node {
	parent, first := e.Parent, e.FirstChild
	for ch := e.FirstChild; ch != nil; ch = e.FirstChild {
		e.RemoveChild(ch)
		parent.InsertBefore(ch, e)
	}
	parent.RemoveChild(e)
	if first != nil {
		return first
	}
	return next
}
