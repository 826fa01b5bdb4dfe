package anonymize

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
)

// testOptions are the options every test uses unless it says otherwise.
func testOptions() Options {
	return Options{
		Domain:   "leak.example",
		Hostname: "mx.leak.example",
		Now:      func() time.Time { return time.Date(2025, 11, 20, 12, 30, 0, 0, time.FixedZone("X", 3600)) },
	}
}

// passing is an Anonymizer that passes the binary types tests use as
// placeholders (a few octets, not real files), for tests about structure
// and headers rather than content.
func passing() *Anonymizer {
	o := testOptions()
	o.PassTypes = []string{"image/png", "image/gif", "application/pdf", "application/octet-stream", "text/calendar"}
	return New(o)
}

// rewrite runs one message through a default Anonymizer for the given
// recipients (address, relationship pairs) and returns the copies.
func rewrite(t testing.TB, msg []byte, rcpts ...string) ([][]byte, error) {
	t.Helper()
	return rewriteWith(New(testOptions()), msg, rcpts...)
}

func rewriteWith(a *Anonymizer, msg []byte, rcpts ...string) ([][]byte, error) {
	if len(rcpts) == 0 {
		rcpts = []string{"bob@example.com", "someone"}
	}
	bufs := make([]*bytes.Buffer, len(rcpts)/2)
	copies := make([]Copy, len(rcpts)/2)
	for i := range copies {
		bufs[i] = new(bytes.Buffer)
		copies[i] = Copy{To: rcpts[2*i], Relationship: rcpts[2*i+1], W: bufs[i]}
	}
	err := a.Rewrite(bytes.NewReader(msg), copies)
	out := make([][]byte, len(bufs))
	for i, b := range bufs {
		out[i] = b.Bytes()
	}
	return out, err
}

// crlfMsg turns a readable test message with LF line ends into CRLF.
func crlfMsg(s string) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n"))
}

// checkLines fails unless out has CRLF line endings only and no line over
// 998 octets.
func checkLines(t testing.TB, out []byte) {
	t.Helper()
	if err := lineProblem(out); err != nil {
		t.Errorf("%v\n%s", err, out)
	}
}

func lineProblem(out []byte) error {
	for i, line := range bytes.Split(out, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			return fmt.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 998 {
			return fmt.Errorf("line %d is %d octets long", i+1, len(line))
		}
	}
	return nil
}

// view is a message decoded by an independent reader (go-message's own
// entity reader), for checks that must not trust our encoders.
type view struct {
	text   strings.Builder // every header decoded, every parameter, every body decoded
	names  []string        // every header field name, lower-cased, at any depth
	parts  []viewPart
	depth  int // deepest multipart nesting
	blobs  [][]byte
	tops   map[string][]string // the top-level header fields, by lower-cased name
	errors []error
}

type viewPart struct {
	typ  string
	body []byte
}

func decodeView(raw []byte) *view {
	v := &view{tops: map[string][]string{}}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && (e == nil || !tolerable(err)) {
		v.errors = append(v.errors, err)
		return v
	}
	v.walk(e, 0, true)
	return v
}

var testWordDecoder = mime.WordDecoder{CharsetReader: message.CharsetReader}

func (v *view) walk(e *message.Entity, depth int, top bool) {
	if depth > v.depth {
		v.depth = depth
	}
	for f := e.Header.Fields(); f.Next(); {
		name := strings.ToLower(f.Key())
		val, err := testWordDecoder.DecodeHeader(f.Value())
		if err != nil {
			val = f.Value()
		}
		v.names = append(v.names, name)
		if top {
			v.tops[name] = append(v.tops[name], val)
		}
		fmt.Fprintf(&v.text, "%s: %s\n", f.Key(), val)
	}
	for _, k := range []string{"Content-Type", "Content-Disposition"} {
		if _, params, err := mime.ParseMediaType(e.Header.Get(k)); err == nil {
			for pk, pv := range params {
				if d, err := testWordDecoder.DecodeHeader(pv); err == nil {
					pv = d
				}
				fmt.Fprintf(&v.text, "%s=%s\n", pk, pv)
			}
		}
	}
	typ, _, _ := e.Header.ContentType()
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil && (p == nil || !tolerable(err)) {
				v.errors = append(v.errors, err)
				return
			}
			v.walk(p, depth+1, false)
		}
		return
	}
	if typ == "message/rfc822" || typ == "message/global" {
		inner, err := message.Read(e.Body)
		if err != nil && (inner == nil || !tolerable(err)) {
			v.errors = append(v.errors, err)
			return
		}
		v.walk(inner, depth, false)
		return
	}
	// A body that does not decode is not a structural error: a broken
	// attachment passes through as it came.
	body, _ := io.ReadAll(e.Body)
	v.parts = append(v.parts, viewPart{typ: typ, body: body})
	v.blobs = append(v.blobs, body)
	v.text.Write(body)
	v.text.WriteByte('\n')
}

// contains reports whether s occurs in the raw output or in the decoded
// view, ignoring case; "hex:..." secrets are matched against octets.
func (v *view) contains(raw []byte, s string) bool {
	if h, ok := strings.CutPrefix(s, "hex:"); ok {
		var b []byte
		fmt.Sscanf(h, "%x", &b)
		if bytes.Contains(raw, b) {
			return true
		}
		for _, blob := range v.blobs {
			if bytes.Contains(blob, b) {
				return true
			}
		}
		return false
	}
	ls := strings.ToLower(s)
	return strings.Contains(strings.ToLower(string(raw)), ls) ||
		strings.Contains(strings.ToLower(v.text.String()), ls)
}

// tolerable reports whether err only says that a charset or encoding is
// unknown to go-message: the entity is still readable.
func tolerable(err error) bool {
	return message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)
}
