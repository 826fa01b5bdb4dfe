// Package html cleans text/html bodies. It parses the body with
// golang.org/x/net/html and writes a re-serialised copy that keeps only an
// allowlist of elements and attributes, without the signature, attribution
// and device-line markup mail clients add, without remote content (images,
// style sheets, fonts) whose fetch would tell a tracker when and where the
// message is read, and with links unwrapped from the redirectors that carry
// the sender's mailbox.
//
// The output is a document up to the content of its body. The caller
// appends its own footer and then End. Because the copy is serialised from
// a tree, every element the input leaves open is closed before the footer,
// so nothing in the input can hide or swallow it.
package html

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"leak/relay/content/refusal"
	"leak/relay/content/text"
)

// Options describes the sender and how to rewrite cid: references.
type Options struct {
	// Sender holds the sender's own addresses, lower case. It may be empty.
	Sender []string
	// Names holds the sender's display names. It may be empty. Where the
	// whole name is in a text node, it becomes "Someone".
	Names []string
	// CID maps an original Content-ID (the text after "cid:", URL-decoded
	// as RFC 2392 section 2 requires) to the text to write after "cid:" in
	// its place. Nil leaves cid: references as they are.
	CID func(id string) string
	// Signature, if set, is given the lines of text of each stored
	// signature the cleaner removes, as a reader sees them: the plain-text
	// alternative and a calendar's description carry the same signature
	// without the container that marks it here.
	Signature func(lines []string)
	// Places, if set, is given the rooms and the location of a Google
	// Calendar invitation the cleaner removed (places.go), for the
	// plain-text alternative, which shows them with no address to tell
	// them by.
	Places func(places []string)
}

// End closes the document after the caller's footer.
const End = "</body></html>"

// MaxSize bounds the HTML body: the parser holds the whole tree in memory.
const MaxSize = 16 << 20

// head is written in place of the input's head: its title, meta fields
// (Generator, ProgId, Originator) and style sheets describe the sender's
// client, and the output is UTF-8.
const head = `<html><head><meta charset="utf-8"></head><body`

// Clean parses an HTML body from r and writes a cleaned, allowlisted copy
// to w, without the closing "</body></html>". It returns a
// *refusal.Error for a body it will not deliver; output written before an
// error is to be discarded.
func Clean(w io.Writer, r io.Reader, o Options) error {
	lr := &io.LimitedReader{R: r, N: MaxSize + 1}
	er := &errReader{r: lr}
	doc, err := html.Parse(er)
	if err != nil {
		if er.err != nil {
			return fmt.Errorf("html: read: %w", er.err)
		}
		// The parser gives up on more than 512 open elements.
		return refusal.New(refusal.Malformed, "The HTML part of your message is nested too deeply to clean; send it as plain text.")
	}
	if lr.N <= 0 {
		return refusal.New(refusal.TooLarge, "The HTML part of your message is too large to clean; send a shorter message.")
	}
	body := find(doc, atom.Body)
	c := &cleaner{o: o, names: text.NameReplacer(o.Names)}
	if body != nil {
		if p := places(body); len(p) > 0 && o.Places != nil {
			o.Places(p)
		}
		if err := c.children(body); err != nil {
			return err
		}
		if c.identifies(body) {
			return refusal.New(refusal.Identifying, text.IdentifyingText)
		}
	}
	// html.Render writes through a *bufio.Writer it is given, instead
	// of making one for each node.
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(&crlfWriter{w: w})
	defer func() {
		bw.Reset(nil)
		writers.Put(bw)
	}()
	if err := render(bw, body); err != nil {
		return fmt.Errorf("html: write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("html: write: %w", err)
	}
	return nil
}

// writers holds Clean's output buffers: nothing keeps one after Clean
// returns, so an HTML part costs no 4 KiB of garbage for it.
var writers = sync.Pool{New: func() any { return bufio.NewWriter(nil) }}

// errReader records an error of the underlying reader, to tell it from a
// parse error.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// find returns the first element a in the tree under n.
func find(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, a); f != nil {
			return f
		}
	}
	return nil
}

// render writes the fresh head, the body start tag with the attributes
// that cannot hide what follows, and the body's content.
func render(w io.Writer, body *html.Node) error {
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	if body != nil {
		for _, a := range body.Attr {
			// Not lang: see attrs. dir only when rtl, as in attributes.
			if a.Namespace == "" && a.Key == "dir" && strings.EqualFold(strings.TrimSpace(a.Val), "rtl") {
				if _, err := fmt.Fprintf(w, ` %s="%s"`, a.Key, html.EscapeString(a.Val)); err != nil {
					return err
				}
			}
		}
	}
	if _, err := io.WriteString(w, ">"); err != nil {
		return err
	}
	if body == nil {
		return nil
	}
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(w, c); err != nil {
			return err
		}
	}
	return nil
}

// crlfWriter writes the LF line endings of the serialised tree (the parser
// turns CRLF into LF) as CRLF.
type crlfWriter struct{ w io.Writer }

func (c *crlfWriter) Write(p []byte) (int, error) {
	start := 0
	for i, b := range p {
		if b == '\n' {
			if _, err := c.w.Write(p[start:i]); err != nil {
				return start, err
			}
			if _, err := io.WriteString(c.w, "\r\n"); err != nil {
				return i, err
			}
			start = i + 1
		}
	}
	if _, err := c.w.Write(p[start:]); err != nil {
		return start, err
	}
	return len(p), nil
}
