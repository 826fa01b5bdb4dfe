package calendar

import (
	"bytes"
	"encoding/base64"
	"strings"

	"leak/relay/content/image"
)

// cardImage returns the content line to write for a PHOTO or LOGO of a
// kept card, read from raw, or nil to drop it. A contact's photo is a
// picture like any other: its EXIF names the camera's owner (Artist) and
// serial number, and the capture time and place. An inline image (base64
// in vCard 2.1 and 3.0, a data: URL in 4.0, RFC 6350 section 6.2.4) of a
// type package image cleans goes through it and is encoded again; any
// other (a URL into the sender's address book or photo service, a type
// with no cleaner, an image the cleaner refuses) is dropped. The line is
// folded at 75 octets and ends as raw ends.
func cardImage(p property, raw []byte) []byte {
	data, dataURL := cardImageData(&p)
	mediaType := sniffImage(data)
	if mediaType == "" {
		return nil
	}
	var clean bytes.Buffer
	if ok, err := image.Clean(mediaType, &clean, bytes.NewReader(data)); !ok || err != nil {
		return nil
	}
	enc := base64.StdEncoding.EncodeToString(clean.Bytes())
	if dataURL {
		p.Value = "data:" + mediaType + ";base64," + enc
	} else {
		p.Value = enc
	}
	var b bytes.Buffer
	if err := writeFolded(&b, p.String()); err != nil {
		return nil
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		return bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n"))
	}
	return b.Bytes()
}

// cardImageData decodes the inline image of p: a data: URL (RFC 2397),
// or a value with ENCODING=b (vCard 3.0) or BASE64 (vCard 2.1). It
// returns nil for anything else.
func cardImageData(p *property) (data []byte, dataURL bool) {
	v := strings.TrimSpace(p.Value)
	if len(v) > 5 && strings.EqualFold(v[:5], "data:") {
		meta, payload, ok := strings.Cut(v[5:], ",")
		if !ok || !strings.HasSuffix(strings.ToLower(meta), ";base64") {
			return nil, false
		}
		return decodeBase64(payload), true
	}
	for _, q := range p.Params {
		if q.Bare && q.Name == "BASE64" ||
			q.Name == "ENCODING" && len(q.Values) == 1 && (strings.EqualFold(q.Values[0], "b") || strings.EqualFold(q.Values[0], "base64")) {
			return decodeBase64(v), false
		}
	}
	return nil, false
}

// decodeBase64 decodes s, padded or not, skipping the white space of
// vCard 2.1 folds; it returns nil if s is not base64.
func decodeBase64(s string) []byte {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil
	}
	return b
}

// sniffImage returns the media type of the image formats package image
// cleans, from their signatures, whatever type the card declares.
func sniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\xFF\xD8\xFF")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}
