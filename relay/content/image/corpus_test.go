package image

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	goimage "image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"leak/relay/corpus"
)

// corpusDir holds messages shaped like real clients' (see gen.py there).
const corpusDir = "../../anonymize/testdata/content/images"

// TestCorpusValid checks the image corpus with the project's port of the
// shared checker: every secret is in its input, every must-keep string is
// reachable, every must-keep picture shows at its size.
func TestCorpusValid(t *testing.T) {
	for _, p := range corpus.Validate(corpusDir) {
		t.Error(p)
	}
}

// TestCorpus cleans every picture in the image corpus and checks that no
// secret the manifest lists survives in the cleaned bytes, and that each
// picture the manifest wants kept still decodes at its displayed size
// (EXIF orientation applied). Types without a cleaner must belong to a
// message the manifest expects to be refused.
func TestCorpus(t *testing.T) {
	m, err := corpus.Load(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Messages) < 12 {
		t.Fatalf("%d messages in the corpus", len(m.Messages))
	}
	for _, e := range m.Messages {
		t.Run(e.File, func(t *testing.T) {
			f, err := os.Open(filepath.Join(corpusDir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			msg, err := message.Read(f)
			if err != nil {
				t.Fatal(err)
			}
			refused, planted := false, 0
			sizes := map[string][][2]int{}
			err = msg.Walk(func(_ []int, part *message.Entity, err error) error {
				if err != nil && !message.IsUnknownCharset(err) {
					return err
				}
				mt, _, _ := part.Header.ContentType()
				if !strings.HasPrefix(mt, "image/") {
					return nil
				}
				in, err := io.ReadAll(part.Body)
				if err != nil {
					return err
				}
				var out bytes.Buffer
				ok, err := Clean(mt, &out, bytes.NewReader(in))
				if !ok {
					refused = true
					return nil
				}
				if err != nil {
					t.Errorf("%s: %v", mt, err)
					return nil
				}
				for _, s := range e.Secrets {
					if contains(in, s) {
						planted++
					}
					if contains(out.Bytes(), s) {
						t.Errorf("%s: secret %q survived", mt, s)
					}
				}
				// Text drawn in an SVG is content, not metadata: a
				// marker in the picture must survive.
				for _, k := range e.MustKeep {
					if strings.HasPrefix(k, "KEEP-") && contains(in, k) && !contains(out.Bytes(), k) {
						t.Errorf("%s: %q lost", mt, k)
					}
				}
				sizes[mt] = append(sizes[mt], displaySize(t, mt, out.Bytes()))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if planted == 0 && !refused {
				t.Error("no secret of the manifest is in any picture: the entry tests nothing here")
			}
			if want := e.Expected.Refused(); refused != want {
				t.Errorf("a picture without a cleaner: %v, manifest expects a refusal: %v", refused, want)
			}
			for _, im := range e.MustKeepImages {
				n := 0
				for _, s := range sizes[im.ContentType] {
					if s == im.DisplaySize {
						n++
					}
				}
				if n < max(im.Count, 1) {
					t.Errorf("%s: displayed sizes %v, want %d of %v", im.ContentType, sizes[im.ContentType], im.Count, im.DisplaySize)
				}
			}
		})
	}
}

// contains reports whether b holds s, ignoring ASCII case, or the bytes of
// s written as "hex:...".
func contains(b []byte, s string) bool {
	if h, ok := strings.CutPrefix(s, "hex:"); ok {
		x, _ := hex.DecodeString(h)
		return bytes.Contains(b, x)
	}
	return bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(s)))
}

// displaySize decodes a cleaned picture and returns its size as shown,
// after EXIF orientation.
func displaySize(t *testing.T, mt string, b []byte) [2]int {
	switch mt {
	case "image/webp":
		return webpSize(t, b)
	case "image/svg+xml":
		d := xml.NewDecoder(bytes.NewReader(b))
		for {
			if _, err := d.Token(); err == io.EOF {
				return [2]int{}
			} else if err != nil {
				t.Errorf("cleaned SVG does not parse: %v", err)
				return [2]int{}
			}
		}
	}
	im, _, err := goimage.Decode(bytes.NewReader(b))
	if err != nil {
		t.Errorf("%s: cleaned picture does not decode: %v", mt, err)
		return [2]int{}
	}
	w, h := im.Bounds().Dx(), im.Bounds().Dy()
	o := 1
	if mt == "image/jpeg" {
		o = exifOrientationOf(t, b)
	}
	if o >= 5 {
		w, h = h, w
	}
	return [2]int{w, h}
}

// webpSize reads the canvas size of a cleaned WebP (RFC 9649 §2.5-2.7)
// and checks that it decodes (see sameWebPPixels).
func webpSize(t *testing.T, b []byte) [2]int {
	sameWebPPixels(t, b, b)
	cs := webpTop(t, b)
	if len(cs) == 0 {
		return [2]int{}
	}
	d := cs[0].data
	u24 := func(p []byte) int { return int(p[0]) | int(p[1])<<8 | int(p[2])<<16 }
	switch c := cs[0]; {
	case c.fourcc == "VP8X" && len(d) >= 10:
		return [2]int{u24(d[4:]) + 1, u24(d[7:]) + 1}
	case c.fourcc == "VP8 " && len(d) >= 10:
		return [2]int{int(binary.LittleEndian.Uint16(d[6:]) & 0x3FFF), int(binary.LittleEndian.Uint16(d[8:]) & 0x3FFF)}
	case c.fourcc == "VP8L" && len(d) >= 5:
		v := binary.LittleEndian.Uint32(d[1:])
		return [2]int{int(v&0x3FFF) + 1, int(v>>14&0x3FFF) + 1}
	}
	t.Errorf("WebP without a known first chunk")
	return [2]int{}
}
