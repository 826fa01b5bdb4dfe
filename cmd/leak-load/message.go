package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"mime"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The marker line each message carries in its text part, so that the sink
// can tell messages apart and compute the end-to-end latency:
//
//	LEAKLOAD <run> <seq> <send time, Unix nanoseconds>
//
// It sits in the body because Leak rebuilds the header from an allowlist;
// a plain 7bit text part passes through unchanged.
const markerPrefix = "LEAKLOAD "

// Field widths are fixed so that every message of a run has the same size.
const (
	seqWidth  = 10
	timeWidth = 19 // Unix nanoseconds until the year 2286
	runWidth  = 8
)

// base64 line geometry (RFC 2045 section 6.8): 57 octets make 76
// characters, the longest line allowed, plus CRLF.
const (
	b64RawPerLine = 57
	b64LineBytes  = 76 + 2
)

// generator builds the messages of one run: a realistic multipart/mixed
// message (a text part with the marker, a base64 JPEG attachment as
// filler) of exactly the requested size when that size is at least
// minSize. The filler is a JPEG in shape (a real header, then scan data
// and the end marker), so a relay that cleans pictures, as Leak does,
// reads every octet of it as it would a photo's.
type generator struct {
	run  string
	from string
	rcpt string
	size int

	filler []byte // the encoded attachment body, shared by every message
	pad    int    // octets added to the text part to hit size exactly
	tail   []byte // closing boundary

	attType, attName string // the attachment's media type and file name
}

// newGenerator prepares the messages of a run. Sizes below the minimum (a
// message with an empty attachment, about 900 octets) give that minimum.
func newGenerator(run, from, rcpt string, size int) (*generator, error) {
	if len(run) != runWidth || strings.ContainsAny(run, " \r\n") {
		return nil, fmt.Errorf("message: run id %q must be %d characters without spaces", run, runWidth)
	}
	for _, a := range []string{from, rcpt} {
		if !strings.Contains(a, "@") || strings.ContainsAny(a, " <>\r\n") {
			return nil, fmt.Errorf("message: %q is not a plain address", a)
		}
	}
	g := &generator{run: run, from: from, rcpt: rcpt, size: size, attType: "image/jpeg", attName: "filler.jpg"}
	g.tail = []byte("--" + g.boundary() + "--\r\n")
	over := g.overhead()
	remaining := size - over
	raw := minFiller()
	if remaining > encodedLen(raw) {
		raw = rawForEncoded(remaining)
		g.pad = remaining - encodedLen(raw)
	}
	g.filler = encodeFiller(raw)
	return g, nil
}

// attach makes every message carry the file data (a real photo or
// document, named name) instead of the filler; the size is then what the
// file makes it.
func (g *generator) attach(data []byte, name string) {
	g.attType = mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	if t, _, err := mime.ParseMediaType(g.attType); err == nil {
		g.attType = t
	} else {
		g.attType = "application/octet-stream"
	}
	g.attName = filepath.Base(name)
	g.pad = 0
	g.filler = encodeLines(data)
	g.size = g.Size()
}

// minSize is the size of the smallest message the generator makes.
func (g *generator) minSize() int { return g.overhead() + encodedLen(minFiller()) }

// overhead is the size of a message with no filler and no pad.
func (g *generator) overhead() int {
	var b bytes.Buffer
	g.writeHead(&b, 0, time.Unix(0, 0), 0)
	return b.Len() + len(g.tail)
}

func (g *generator) boundary() string { return "=_leakload_" + g.run }

// Size is the size in octets of every message of the run.
func (g *generator) Size() int { return g.overhead() + len(g.filler) + g.pad }

// jpegHead is the header of a real JPEG (SOI to the start of its scan),
// written by image/jpeg, made once.
var jpegHead = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	data := b.Bytes()
	sos := bytes.Index(data, []byte{0xff, 0xda})
	n := int(data[sos+2])<<8 | int(data[sos+3])
	return bytes.Clone(data[:sos+2+n])
})

// minFiller is the smallest filler: a JPEG header and its end marker.
func minFiller() int { return len(jpegHead()) + 2 }

// message is one message: its own head (header and text part with the
// marker) and the shared filler. It never holds a line starting with ".",
// so it needs no dot-stuffing (RFC 5321 section 4.5.2).
type message struct {
	head   []byte
	filler []byte
	tail   []byte
}

// Len is the message's size in octets.
func (m *message) Len() int { return len(m.head) + len(m.filler) + len(m.tail) }

// WriteTo writes the message.
func (m *message) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, p := range [][]byte{m.head, m.filler, m.tail} {
		k, err := w.Write(p)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Message returns message seq of the run, stamped with the send time sent.
func (g *generator) Message(seq int, sent time.Time) *message {
	var b bytes.Buffer
	b.Grow(1024 + g.pad)
	g.writeHead(&b, seq, sent, g.pad)
	return &message{head: b.Bytes(), filler: g.filler, tail: g.tail}
}

// writeHead writes the header block, the preamble, the text part and the
// attachment's part header. Every variable field has a fixed width.
func (g *generator) writeHead(b *bytes.Buffer, seq int, sent time.Time, pad int) {
	id := fmt.Sprintf("%s-%0*d", g.run, seqWidth, seq)
	bnd := g.boundary()
	fmt.Fprintf(b, "Date: %s\r\n", sent.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	fmt.Fprintf(b, "From: Load Tester <%s>\r\n", g.from)
	fmt.Fprintf(b, "To: Bob <%s>\r\n", g.rcpt)
	fmt.Fprintf(b, "Subject: leak-load %s\r\n", id)
	fmt.Fprintf(b, "Message-ID: <%s@leak-load.invalid>\r\n", id)
	b.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n", bnd)
	b.WriteString("\r\nThis is a multi-part message in MIME format.\r\n\r\n")
	fmt.Fprintf(b, "--%s\r\n", bnd)
	b.WriteString("Content-Type: text/plain; charset=us-ascii\r\n")
	b.WriteString("Content-Transfer-Encoding: 7bit\r\n\r\n")
	b.WriteString("Hello Bob,\r\n\r\n")
	b.WriteString("this message was written by leak-load, a load generator for SMTP\r\n")
	b.WriteString("relays. The line below lets the receiving sink match it to the\r\n")
	b.WriteString("time it was sent; the attachment is filler to reach the size.\r\n\r\n")
	fmt.Fprintf(b, "%s%s %0*d %0*d\r\n", markerPrefix, g.run, seqWidth, seq, timeWidth, sent.UnixNano())
	b.WriteString(strings.Repeat("~", pad))
	b.WriteString("\r\n\r\n")
	fmt.Fprintf(b, "--%s\r\n", bnd)
	fmt.Fprintf(b, "Content-Type: %s; name=\"%s\"\r\n", g.attType, g.attName)
	b.WriteString("Content-Transfer-Encoding: base64\r\n")
	fmt.Fprintf(b, "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n", g.attName)
}

// encodedLen is the size of raw octets base64-encoded in lines of 76
// characters, each ended by CRLF.
func encodedLen(raw int) int {
	n := raw / b64RawPerLine * b64LineBytes
	if r := raw % b64RawPerLine; r > 0 {
		n += (r+2)/3*4 + 2
	}
	return n
}

// rawForEncoded is the largest raw size whose encoding fits in n octets.
// The encoding grows by at most 6 octets per raw octet, so the remainder
// (the text part's pad) is at most 5.
func rawForEncoded(n int) int {
	raw := n / b64LineBytes * b64RawPerLine
	for encodedLen(raw+1) <= n {
		raw++
	}
	return raw
}

// encodeFiller returns a JPEG-shaped filler of raw octets (at least
// minFiller) encoded in base64 lines: the header, pseudo-random scan data
// (incompressible, as real pictures are; without 0xFF, which would start a
// marker) and EOI.
func encodeFiller(raw int) []byte {
	head := jpegHead()
	src := make([]byte, raw+8)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < raw; i += 8 {
		binary.LittleEndian.PutUint64(src[i:], r.Uint64())
	}
	src = src[:raw]
	for i, c := range src {
		if c == 0xff {
			src[i] = 0xfe
		}
	}
	copy(src, head)
	src[raw-2], src[raw-1] = 0xff, 0xd9
	return encodeLines(src)
}

// encodeLines encodes src in base64 lines of 76 characters and CRLF.
func encodeLines(src []byte) []byte {
	out := make([]byte, 0, encodedLen(len(src)))
	line := make([]byte, base64.StdEncoding.EncodedLen(b64RawPerLine))
	for len(src) > 0 {
		k := min(len(src), b64RawPerLine)
		n := base64.StdEncoding.EncodedLen(k)
		base64.StdEncoding.Encode(line[:n], src[:k])
		out = append(out, line[:n]...)
		out = append(out, '\r', '\n')
		src = src[k:]
	}
	return out
}

// readMessage reads a whole message from a file, as smtp-source -F does:
// every line ended by CRLF, a line starting with "." doubled (RFC 5321
// section 4.5.2), so that it can be written after DATA as it is.
func readMessage(path string) (*message, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--file: %w", err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("--file: %s is empty", path)
	}
	var b bytes.Buffer
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if line == "" {
			continue
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, ".") {
			b.WriteByte('.')
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	return &message{head: b.Bytes()}, nil
}

// marker is what the sink reads back from a marker line.
type marker struct {
	run  string
	seq  int
	sent time.Time
}

// parseMarker reads a marker line (without its line ending).
func parseMarker(line []byte) (marker, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(markerPrefix))
	if !ok {
		return marker{}, false
	}
	f := strings.Fields(string(rest))
	if len(f) != 3 || len(f[0]) != runWidth {
		return marker{}, false
	}
	seq, err1 := strconv.Atoi(f[1])
	ns, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || seq < 0 || ns <= 0 {
		return marker{}, false
	}
	return marker{run: f[0], seq: seq, sent: time.Unix(0, ns)}, true
}
