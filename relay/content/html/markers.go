package html

import (
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
)

// marker removes or rewrites e if it is a client's generated container, and
// reports whether it did; then e needs no further cleaning.
func (c *cleaner) marker(e *html.Node) bool {
	// Outlook prefixes the ids and classes of a quoted message with "x_".
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
		k = strings.TrimPrefix(k, "x_")
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
			e.AppendChild(&html.Node{Type: html.ElementNode, Data: "br", DataAtom: atom.Br})
		}
		e.AppendChild(&html.Node{Type: html.TextNode, Data: l})
	}
}

// textLines returns the text under n as the lines a reader sees, split at
// <br> and block elements, with white space collapsed. It reports false if
// the text is longer than limit: containers with more text than a header
// lines finds device lines and attributions among the children of n that
// form one line of text: a run of text and inline elements between <br>s
// or blocks, such as Apple Mail's attribution, whose date and address are
// blocks finds an attribution split over two sibling blocks, as Yahoo
// firstText and lastText return the first and the last text under n that
// mayBeHeader reports whether the first text of a container can start an
// Outlook header block: a field name before a colon ("From:", split from
