package anonymize

import (
	"path"
	"regexp"
	"strings"

	"github.com/emersion/go-message/textproto"

	"leak/relay/content/filename"
	"leak/relay/content/text"
)

// contentType is a parsed Content-Type: the lower-cased media type and its
// parameters as the sender wrote them (decoded, not yet filtered).
type contentType struct {
	typ    string
	params map[string]string
}

// contentTypeOf returns the Content-Type of an entity. Without a usable one
// the entity is text/plain (RFC 2045 section 5.2), or message/rfc822 inside
// a multipart/digest (RFC 2046 section 5.1.5).
//
// The default charset is utf-8, not the us-ascii RFC 2045 names: the label
// has to be written before the body is read, utf-8 is a superset of
// us-ascii (so it is right for any 7-bit body), and 8-bit octets in an
// unlabelled body are in practice UTF-8, the charset RFC 6532 section 3
// makes the default for message headers. Deciding from the content would
// mean holding the whole body.
func contentTypeOf(h *textproto.Header, digest bool) contentType {
	v := h.Get("Content-Type")
	if strings.TrimSpace(v) == "" && digest {
		return contentType{typ: "message/rfc822", params: map[string]string{}}
	}
	typ, params := parseParams(v)
	if !isMediaType(typ) {
		return contentType{typ: "text/plain", params: map[string]string{"charset": "utf-8"}}
	}
	return contentType{typ: typ, params: params}
}

// transferEncoding returns the lower-cased Content-Transfer-Encoding, with
// the common misspellings "7-bit" and "8-bit" read as meant.
func transferEncoding(h *textproto.Header) string {
	v := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	switch v {
	case "7-bit":
		return "7bit"
	case "8-bit":
		return "8bit"
	}
	return v
}

// typeValue formats the Content-Type an entity keeps: the media type and
// only the parameters rendering needs. boundary is the new boundary of a
// multipart.
func (r *rewriter) typeValue(ct contentType, boundary string) string {
	p := ct.params
	out := []string{ct.typ}
	keep := func(key string, ok func(string) bool) {
		if v := p[key]; ok(v) {
			out = append(out, formatParam(key, v))
		}
	}
	lowerToken := func(key string, ok func(string) bool) {
		if v := strings.ToLower(p[key]); ok(v) {
			out = append(out, formatParam(key, v))
		}
	}
	oneOf := func(vals ...string) func(string) bool {
		return func(v string) bool {
			for _, x := range vals {
				if v == x {
					return true
				}
			}
			return false
		}
	}
	major, _, _ := strings.Cut(ct.typ, "/")
	switch major {
	case "multipart":
		out = append(out, "boundary="+quote(boundary))
		switch ct.typ {
		case "multipart/related":
			lowerToken("type", isMediaType)
			if id := msgID(p["start"]); id != "" {
				out = append(out, "start="+quote("<"+r.cid([]byte(id))+">"))
			}
		case "multipart/encrypted":
			lowerToken("protocol", isMediaType)
		case "multipart/report":
			lowerToken("report-type", isToken)
		}
	case "message":
	case "text":
		// Lower-case charset names: "UTF-8" against "utf-8" is a client's
		// habit, and habits are fingerprints.
		lowerToken("charset", func(v string) bool { return isToken(v) && len(v) <= 40 })
		lowerToken("format", oneOf("flowed", "fixed"))
		lowerToken("delsp", oneOf("yes", "no"))
		if ct.typ == "text/calendar" {
			keep("method", isToken) // an invite is not one without it (RFC 6047)
		}
		r.fileParam(&out, "name", p["name"])
	default:
		if ct.typ == "application/pkcs7-mime" || ct.typ == "application/x-pkcs7-mime" {
			lowerToken("smime-type", isToken) // RFC 8551 section 3.2.2
		}
		r.fileParam(&out, "name", p["name"])
	}
	return strings.Join(out, "; ")
}

// fileParam writes a file name parameter: the name's last path element,
// a name a device made up made plain, the sender's display name replaced as
// in the text, and a name that holds the sender's address ("alice@example.com
// contacts.csv") made plain altogether.
func (r *rewriter) fileParam(out *[]string, key, v string) {
	if v = baseName(v); v == "" {
		return
	}
	v = text.ReplaceNames(filename.Neutral(v), r.sender.names)
	if r.nameHasAddress(v) {
		v = "file" + strings.ToLower(path.Ext(v))
		if !plainExt.MatchString(v[len("file"):]) {
			v = "file"
		}
	}
	*out = append(*out, formatFileParam(key, v))
}

// nameHasAddress reports whether a file name holds one of the sender's
// addresses; unlike in text, one may run on into the extension
// ("alice@example.com.vcf").
func (r *rewriter) nameHasAddress(v string) bool {
	v = strings.ToLower(v)
	for _, a := range r.sender.addrs {
		if strings.Contains(v, a) {
			return true
		}
	}
	return false
}

// plainExt is an extension kept on a name made plain.
var plainExt = regexp.MustCompile(`^\.[a-z0-9]{1,5}$`)

// leafFields returns the fields a leaf part keeps, in a fixed order:
// Content-Type, Content-Transfer-Encoding (cte, if any), Content-Disposition
// (inline or attachment, with the file's base name) and Content-ID
// (replaced by its keyed hash).
func (r *rewriter) leafFields(h *textproto.Header, ct contentType, cte string) []HeaderField {
	fields := []HeaderField{{"Content-Type", r.typeValue(ct, "")}}
	if cte != "" {
		fields = append(fields, HeaderField{"Content-Transfer-Encoding", cte})
	}
	if v := h.Get("Content-Disposition"); strings.TrimSpace(v) != "" {
		disp, params := parseParams(v)
		if disp != "inline" {
			disp = "attachment" // RFC 2183 section 2.8: unknown types are attachments
		}
		val := []string{disp}
		r.fileParam(&val, "filename", params["filename"])
		fields = append(fields, HeaderField{"Content-Disposition", strings.Join(val, "; ")})
	}
	if id := msgID(h.Get("Content-Id")); id != "" {
		fields = append(fields, HeaderField{"Content-ID", "<" + r.cid([]byte(id)) + ">"})
	}
	return fields
}

// isAttachment reports whether an entity is marked as an attachment.
func isAttachment(h *textproto.Header) bool {
	disp, _ := parseParams(h.Get("Content-Disposition"))
	return disp != "" && disp != "inline"
}

// baseName decodes RFC 2047 words in a file name (as Outlook writes them)
// and keeps only its last path element: "C:\Users\hollis\cv.pdf" names
// its owner.
func baseName(s string) string {
	s = normaliseText(decodeText(s))
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		return ""
	}
	return s
}

// msgID returns what is between the angle brackets of a Content-ID (or the
// whole trimmed value if it has none).
func msgID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		v = v[i+1:]
		if j := strings.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	}
	return strings.TrimSpace(v)
}
