package html

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"leak/relay/content/text"
)

// Clients mark the parts they generate: the stored signature, the
// attribution above a quote, the header block of a quoted Outlook message.
// These markers name the container to remove or rewrite.
var (
	// signatureClasses and signatureIDs mark signature containers: Gmail,
	// Thunderbird, Yahoo, Proton, Outlook (web, desktop and mobile).
	signatureClasses = map[string]bool{
		"gmail_signature": true, "gmail_signature_prefix": true, "moz-signature": true, "signature": true,
		"protonmail_signature_block": true, "protonmail_signature_block-user": true,
		"protonmail_signature_block-proton": true, "yahoo-signature": true,
	}
	signatureIDs = map[string]bool{"signature": true, "ms-outlook-mobile-signature": true}
	// attributionClasses mark the line above a quote: Gmail, Thunderbird.
	attributionClasses = map[string]bool{"gmail_attr": true, "gmail_quote_attribution": true, "moz-cite-prefix": true}
	// headerTableClasses mark a forwarded message's header block written
	// as a table, a field a row: Thunderbird.
	headerTableClasses = map[string]bool{"moz-email-headers-table": true}
)

// teamsClass marks the block Microsoft Teams writes into an invitation
// (<div class="me-email-text" lang="de-DE">): its labels are in the
// organizer's Teams language, its links carry their tenant and directory
// id. It becomes its join links, as the block does in the text part and
// the calendar's DESCRIPTION (text.TeamsBlock).
const teamsClass = "me-email-text"

// teamsLinks returns the Teams join links of the anchors under n, cleaned.
func teamsLinks(n *html.Node) []string {
	var out []string
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.ElementNode && ch.Data == "a" {
			for _, l := range text.TeamsJoinLinks(attr(ch, "href")) {
				if !slices.Contains(out, l) {
					out = append(out, l)
				}
			}
		}
		for _, l := range teamsLinks(ch) {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// replaceLinks replaces the content of e by links, one a line, each its
// own text.
func replaceLinks(e *html.Node, links []string) {
	for ch := e.FirstChild; ch != nil; ch = e.FirstChild {
		e.RemoveChild(ch)
	}
	for i, l := range links {
		if i > 0 {
			e.AppendChild(&html.Node{Type: html.ElementNode, Data: "br", DataAtom: atom.Br})
		}
		a := &html.Node{Type: html.ElementNode, Data: "a", DataAtom: atom.A, Attr: []html.Attribute{{Key: "href", Val: l}}}
		a.AppendChild(&html.Node{Type: html.TextNode, Data: l})
		e.AppendChild(a)
	}
}

// marker removes or rewrites e if it is a client's generated container, and
// reports whether it did; then e needs no further cleaning.
func (c *cleaner) marker(e *html.Node) bool {
	// Outlook prefixes the ids and classes of a quoted message with "x_".
	id := strings.ToLower(strings.TrimPrefix(attr(e, "id"), "x_"))
	classes := strings.Fields(attr(e, "class"))
	switch {
	case signatureIDs[id] || strings.HasPrefix(id, "applemailsignature") || attr(e, "data-smartmail") == "gmail_signature":
		c.signature(e)
		e.Parent.RemoveChild(e)
		return true
	case id == "divrplyfwdmsg":
		lines, _ := textLines(e, 4000)
		replaceChildren(e, headerBlock(lines, true))
		e.Attr = nil
		return true
	}
	for _, k := range classes {
		k = strings.TrimPrefix(k, "x_")
		if k == teamsClass {
			if links := teamsLinks(e); len(links) > 0 {
				replaceLinks(e, links)
				e.Attr = nil
				return true
			}
		}
		if signatureClasses[k] {
			c.signature(e)
			e.Parent.RemoveChild(e)
			return true
		}
		if headerTableClasses[k] {
			// Its text would go foster-parented out of a table.
			e.Data, e.DataAtom = "div", atom.Div
			replaceChildren(e, headerBlock(rowLines(e), true))
			e.Attr = nil
			return true
		}
		if attributionClasses[k] {
			s, ok := "", false
			if lines, fit := textLines(e, 1000); fit {
				s, ok = text.NeutralAttribution(strings.Join(lines, " "))
			}
			if !ok {
				s = "Someone wrote:"
			}
			replaceChildren(e, []string{s})
			e.Attr = nil
			return true
		}
	}
	if (e.Data == "div" || e.Data == "p") && mayBeHeader(firstText(e)) {
		if lines, fit := textLines(e, 2000); fit {
			if out := headerBlock(lines, false); out != nil {
				replaceChildren(e, out)
				e.Attr = nil
				return true
			}
		}
	}
	return false
}

// headerBlock returns what to keep of the lines of an Outlook header block
// ("From: / Sent: / To: / Subject:"): a neutral From and the subject. It
// returns nil if the lines are not such a block, unless sure is set: every
// line must be a header field and the first a From field, so that a
// paragraph that starts "From: ..." in prose stays.
func headerBlock(lines []string, sure bool) []string {
	var out []string
	fields, from := 0, false
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		k, ok := text.HeaderField(l)
		if !ok {
			if !sure {
				return nil
			}
			continue
		}
		if !from && fields == 0 && !text.IsFromField(l) && !strings.HasPrefix(k, "-") && !strings.HasPrefix(k, "_") {
			if !sure {
				return nil
			}
		}
		if text.IsFromField(l) {
			from = true
		}
		fields++
		if k != "" {
			out = append(out, k)
		}
	}
	if !sure && (!from || fields < 3) {
		return nil
	}
	if !from {
		out = append([]string{"From: someone"}, out...)
	}
	return out
}

// void lists the elements without content (HTML, section 13.1.2).
var void = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "keygen": true, "link": true, "meta": true, "param": true, "source": true, "track": true, "wbr": true}

// replaceChildren replaces the content of e by lines of text.
func replaceChildren(e *html.Node, lines []string) {
	if void[e.Data] {
		// A marker class on <br> or <img>: there is no content to
		// rewrite, and a void element cannot hold any.
		e.Parent.RemoveChild(e)
		return
	}
	for ch := e.FirstChild; ch != nil; ch = e.FirstChild {
		e.RemoveChild(ch)
	}
	for i, l := range lines {
		if i > 0 {
			e.AppendChild(&html.Node{Type: html.ElementNode, Data: "br", DataAtom: atom.Br})
		}
		e.AppendChild(&html.Node{Type: html.TextNode, Data: l})
	}
}

// rowLines returns the text of each table row under n as one line: "From: "
// in the row's <th>, the address in its <td>.
func rowLines(n *html.Node) []string {
	var out []string
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type != html.ElementNode {
			continue
		}
		if ch.Data != "tr" {
			out = append(out, rowLines(ch)...)
			continue
		}
		if lines, fit := textLines(ch, 2000); fit {
			out = append(out, strings.Join(lines, " "))
		}
	}
	return out
}

// fields rewrites a header block written as one block per field, as Apple
// Mail writes a forwarded message's ("<div><b>From: </b>Name
// &lt;address&gt;</div>", then Subject, Date, To): a run of sibling
// blocks, each one header field, with a From field among at least three.
func (c *cleaner) fields(n *html.Node) {
	var run []*html.Node
	var lines []string
	flush := func() {
		if out := headerBlock(lines, false); out != nil {
			replaceChildren(run[0], out)
			run[0].Attr = nil
			for _, r := range run[1:] {
				n.RemoveChild(r)
			}
		}
		run, lines = run[:0], lines[:0]
	}
	for ch := n.FirstChild; ch != nil; {
		next := ch.NextSibling
		switch {
		case ch.Type == html.TextNode && strings.TrimSpace(ch.Data) == "":
		case ch.Type == html.ElementNode && !inline[ch.Data] && !void[ch.Data] && mayBeHeader(firstText(ch)):
			l, fit := textLines(ch, 1000)
			if _, ok := text.HeaderField(strings.Join(l, " ")); fit && len(l) == 1 && ok {
				run = append(run, ch)
				lines = append(lines, l[0])
				break
			}
			flush()
		default:
			flush()
		}
		ch = next
	}
	flush()
}

// autoSignature reports whether e starts Outlook desktop's signature, which
// it marks only with an anchor before the signature's first paragraph:
// <p><a name="_MailAutoSig">Name</a></p>, the title and the telephone
// numbers in the paragraphs after it.
func autoSignature(e *html.Node) bool {
	if e.Data == "a" && !lineStart(e) {
		// The anchor is inside a line ("Regards, <a name=...>").
		return false
	}
	for n := e; n != nil; {
		if n.Type == html.ElementNode && n.Data == "a" &&
			strings.EqualFold(strings.TrimPrefix(attr(n, "name"), "x_"), "_MailAutoSig") {
			return true
		}
		if n != e && !inline[n.Data] {
			// The anchor is not in e's first line: e holds more than
			// the signature, and the anchor is found in its children.
			return false
		}
		ch := n.FirstChild
		for ; ch != nil && ch.Type != html.ElementNode; ch = ch.NextSibling {
			if ch.Type == html.TextNode && !blank(ch.Data) {
				return false
			}
		}
		n = ch
	}
	return false
}

// lineStart reports whether no text comes before n on its line.
func lineStart(n *html.Node) bool {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		switch {
		case p.Type == html.TextNode && !blank(p.Data):
			return false
		case p.Type == html.ElementNode && (p.Data == "br" || !inline[p.Data]):
			return true
		case p.Type == html.ElementNode && hasText(p, func(s string) bool { return !blank(s) }):
			return false
		}
	}
	return n.Parent == nil || !inline[n.Parent.Data]
}

// blank reports text that shows nothing: white space and no-break spaces,
// such as Word's empty paragraphs hold.
func blank(s string) bool { return strings.Trim(s, " \t\r\n\u00a0") == "" }

// removeSignature removes e and the siblings after it up to the header
// block or the attribution of a quoted message, and returns the node to
// visit next.
func (c *cleaner) removeSignature(e *html.Node) *html.Node {
	parent := e.Parent
	var removed []*html.Node
	defer func() { c.signature(removed...) }()
	for n := e; n != nil; {
		if n != e && startsQuote(n) {
			return n
		}
		next := n.NextSibling
		parent.RemoveChild(n)
		removed = append(removed, n)
		n = next
	}
	return nil
}

// signature hands the text of a removed signature to Options.Signature,
// for the plain-text alternative and a calendar's description, which carry
// it with no marker.
func (c *cleaner) signature(nodes ...*html.Node) {
	if c.o.Signature == nil {
		return
	}
	var lines []string
	for _, n := range nodes {
		switch n.Type {
		case html.TextNode:
			if !blank(n.Data) {
				lines = append(lines, strings.Join(strings.Fields(n.Data), " "))
			}
		case html.ElementNode:
			l, fit := textLines(n, signatureText)
			if !fit {
				return // more text than a signature: not to be looked for
			}
			lines = append(lines, l...)
		}
	}
	if len(lines) > 0 {
		c.o.Signature(lines)
	}
}

// signatureText bounds the text of a signature handed on.
const signatureText = 4000

// startsQuote reports whether n starts the quoted message of a reply or a
// forward: a quote, a rule or Outlook's bordered header block, or a block
// whose text is an attribution or header fields. A block of more text than
// a signature has is not removed either.
func startsQuote(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if n.Data == "blockquote" || n.Data == "hr" || strings.Contains(strings.ToLower(attr(n, "style")), "border-top") ||
		hasID(n, "divrplyfwdmsg") {
		return true
	}
	lines, fit := textLines(n, 2000)
	if !fit {
		return true
	}
	for _, l := range lines {
		if _, ok := text.NeutralAttribution(l); ok || text.IsFromField(l) {
			return true
		}
	}
	return false
}

// hasID reports an element under or at n with the id, less Outlook's "x_".
func hasID(n *html.Node, id string) bool {
	if n.Type == html.ElementNode && strings.EqualFold(strings.TrimPrefix(attr(n, "id"), "x_"), id) {
		return true
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if hasID(ch, id) {
			return true
		}
	}
	return false
}
