package html

import (
	"strings"

	"golang.org/x/net/html"

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
	attributionClasses = map[string]bool{"gmail_attr": true, "moz-cite-prefix": true}
)

// marker removes or rewrites e if it is a client's generated container, and
// reports whether it did; then e needs no further cleaning.
func (c *cleaner) marker(e *html.Node) bool {
	// Outlook prefixes the ids of a quoted message with "x_".
	id := strings.ToLower(strings.TrimPrefix(attr(e, "id"), "x_"))
	classes := strings.Fields(attr(e, "class"))
	switch {
	case signatureIDs[id] || strings.HasPrefix(id, "applemailsignature") || attr(e, "data-smartmail") == "gmail_signature":
		e.Parent.RemoveChild(e)
		return true
	case id == "divrplyfwdmsg":
		lines, _ := textLines(e, 4000)
		replaceChildren(e, headerBlock(lines, true))
		e.Attr = nil
		return true
	}
	for _, k := range classes {
		if signatureClasses[k] {
			e.Parent.RemoveChild(e)
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
			e.AppendChild(&html.Node{Type: html.ElementNode, Data: "br", DataAtom: atomBr})
		}
		e.AppendChild(&html.Node{Type: html.TextNode, Data: l})
	}
}

// textLines returns the text under n as the lines a reader sees, split at
// <br> and block elements, with white space collapsed. It reports false if
// the text is longer than limit: containers with more text than a header
// block or an attribution are not these.
func textLines(n *html.Node, limit int) ([]string, bool) {
	var lines []string
	var cur strings.Builder
	size := 0
	breakLine := func() {
		lines = append(lines, strings.Join(strings.Fields(cur.String()), " "))
		cur.Reset()
	}
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			switch ch.Type {
			case html.TextNode:
				size += len(ch.Data)
				if size > limit {
					return false
				}
				cur.WriteString(ch.Data)
			case html.ElementNode:
				if ch.Namespace != "" || elementAction(ch.Data) == drop {
					continue
				}
				if ch.Data == "br" {
					breakLine()
					continue
				}
				block := !inline[ch.Data] && elementAction(ch.Data) != unwrap
				if block {
					breakLine()
				}
				if !walk(ch) {
					return false
				}
				if block {
					breakLine()
				}
			}
		}
		return true
	}
	if !walk(n) {
		return nil, false
	}
	breakLine()
	out := lines[:0]
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return out, true
}

// lines finds device lines and attributions among the children of n that
// form one line of text: a run of text and inline elements between <br>s
// or blocks, such as Apple Mail's attribution, whose date and address are
// links of its data detectors.
func (c *cleaner) lines(n *html.Node) {
	c.blocks(n)
	var run []*html.Node
	for ch := n.FirstChild; ; ch = ch.NextSibling {
		if ch != nil && (ch.Type == html.TextNode || ch.Type == html.ElementNode && inline[ch.Data]) {
			run = append(run, ch)
			continue
		}
		c.run(n, run)
		run = run[:0]
		if ch == nil {
			break
		}
	}
}

// run rewrites one line of text if it is a device line or an attribution.
func (c *cleaner) run(n *html.Node, run []*html.Node) {
	if len(run) == 0 {
		return
	}
	var b strings.Builder
	for _, r := range run {
		if r.Type == html.TextNode {
			b.WriteString(r.Data)
			continue
		}
		lines, fit := textLines(r, 600)
		if !fit || len(lines) > 1 || hasBreak(r) {
			return
		}
		b.WriteString(strings.Join(lines, " "))
		if b.Len() > 600 {
			return
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if s == "" {
		return
	}
	if text.IsDeviceLine(s) {
		for _, r := range run {
			n.RemoveChild(r)
		}
		return
	}
	if neutral, ok := text.NeutralAttribution(s); ok {
		n.InsertBefore(&html.Node{Type: html.TextNode, Data: neutral}, run[0])
		for _, r := range run {
			n.RemoveChild(r)
		}
	}
}

// hasBreak reports a <br> under n, which makes an inline element span two
// lines.
func hasBreak(n *html.Node) bool {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.ElementNode && (ch.Data == "br" || !inline[ch.Data]) || hasBreak(ch) {
			return true
		}
	}
	return false
}

// blocks finds an attribution split over two sibling blocks, as Yahoo
// writes it: "<div>On <date>, Name</div><div>&lt;address&gt; wrote:</div>".
func (c *cleaner) blocks(n *html.Node) {
	var prev *html.Node
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.TextNode && strings.TrimSpace(ch.Data) == "" {
			continue
		}
		if ch.Type != html.ElementNode || inline[ch.Data] || void[ch.Data] {
			prev = nil
			continue
		}
		if prev != nil && strings.HasSuffix(strings.TrimSpace(lastText(ch)), ":") {
			a, okA := textLines(prev, 300)
			b, okB := textLines(ch, 300)
			if okA && okB && len(a) == 1 && len(b) == 1 {
				if s, ok := text.NeutralAttribution(a[0] + " " + b[0]); ok {
					replaceChildren(prev, []string{s})
					next := ch.PrevSibling
					n.RemoveChild(ch)
					ch, prev = next, nil
					continue
				}
			}
		}
		prev = ch
	}
}

// firstText and lastText return the first and the last text under n that
// is not white space, as cheap tests before the text of n is collected.
func firstText(n *html.Node) string {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.TextNode && strings.TrimSpace(ch.Data) != "" {
			return ch.Data
		}
		if t := firstText(ch); t != "" {
			return t
		}
	}
	return ""
}

func lastText(n *html.Node) string {
	for ch := n.LastChild; ch != nil; ch = ch.PrevSibling {
		if ch.Type == html.TextNode && strings.TrimSpace(ch.Data) != "" {
			return ch.Data
		}
		if t := lastText(ch); t != "" {
			return t
		}
	}
	return ""
}

// mayBeHeader reports whether the first text of a container can start an
// Outlook header block: a field name before a colon ("From:", split from
// its value by <b>) or a separator line.
func mayBeHeader(s string) bool {
	s = strings.TrimLeft(s, " \t\n\u00a0*")
	if s == "" {
		return false
	}
	if s[0] == '-' || s[0] == '_' {
		return true
	}
	i := strings.IndexByte(s, ':')
	return i > 0 && i < 40
}
