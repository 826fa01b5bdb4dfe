package image

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// dataURL cleans an image embedded in a data: URL (RFC 2397), as editors
// write when a photo is placed in a drawing; its EXIF is as revealing as a
// photo's sent on its own. Only base64 images of a type Clean knows are
// kept. A malformed embedded image refuses the whole SVG.
func dataURL(v string) (string, bool, error) {
	comma := strings.IndexByte(v, ',')
	if comma < 0 {
		return "", false, nil
	}
	params := strings.Split(v[len("data:"):comma], ";")
	mt := strings.ToLower(strings.TrimSpace(params[0]))
	if mt == "image/jpg" {
		mt = "image/jpeg"
	}
	if !strings.EqualFold(strings.TrimSpace(params[len(params)-1]), "base64") {
		return "", false, nil
	}
	// Editors wrap long base64 lines; RFC 2397 allows no spaces, but
	// browsers skip them.
	b64 := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v[comma+1:])
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", false, nil
	}
	var out bytes.Buffer
	ok, err := Clean(mt, &out, bytes.NewReader(raw))
	if err != nil {
		return "", false, fmt.Errorf("image: svg: embedded image: %w", err)
	}
	if !ok {
		return "", false, nil
	}
	return "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(out.Bytes()), true, nil
}
