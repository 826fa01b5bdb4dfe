package html

import (
	"strings"

	"golang.org/x/net/html"

	"leak/relay/content/text"
)

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
	c.fields(n)
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

// run rewrites one line of text if it is a device line or an attribution,
// or holds the sender's display name across its nodes.
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
		return
	}
	// Each text node has had the display name replaced already; a name
	// still found in the line runs across nodes ("<span>Alice
	// </span><span>Smith</span>", as editors split a word they restyle).
	// The line becomes one text node: its inline formatting goes with it.
	if len(run) == 1 && run[0].Type == html.TextNode {
		return // one node: its names are replaced already
	}
	var raw strings.Builder
	for _, r := range run {
		appendText(&raw, r)
	}
	if line := raw.String(); c.names(line) != line {
		n.InsertBefore(&html.Node{Type: html.TextNode, Data: c.names(line)}, run[0])
		for _, r := range run {
			n.RemoveChild(r)
		}
	}
}

// appendText writes the text under n, as it is, to b.
func appendText(b *strings.Builder, n *html.Node) {
	if n.Type == html.TextNode {
		b.WriteString(n.Data)
		return
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		appendText(b, ch)
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
