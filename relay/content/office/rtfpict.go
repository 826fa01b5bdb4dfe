package office

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"

	"leak/relay/content/image"
)

// A picture in RTF (RTF 1.9.1 "Pictures") is the image file itself, in hex
// or after \binN, in a {\pict} group whose control words give its format
// and size. A JPEG keeps its EXIF there (the camera's serial number, the
// photographer's name, where it was taken), so pictures are cleaned as
// attached images are: JPEG and PNG by the image package, the pixels kept
// as they were; the formats it cannot clean (Windows and enhanced
// metafiles, device-independent bitmaps, Mac PICT) are dropped with their
// group. Word writes a metafile copy of each picture in \nonshppict for
// older readers; that group is left empty and the picture still shows.

// maxPicture bounds the picture data held in memory to be cleaned; a
// larger picture is dropped.
const maxPicture = DefaultMax

// pictFormats are the control words that give a picture's format, with the
// media type of those the image package cleans ("" for the others).
var pictFormats = map[string]string{
	"jpegblip": "image/jpeg", "pngblip": "image/png",
	"emfblip": "", "wmetafile": "", "pmmetafile": "", "macpict": "", "dibitmap": "", "wbitmap": "",
}

// hexLine is how many hex digits go on a line, as Word writes them.
const hexLine = 128

// pict reads the rest of a {\pict} group whose first tokens are read and
// writes it with its picture cleaned, or writes nothing when the picture
// cannot be cleaned. Subgroups (\*\picprop, the shape properties) are
// copied; \*\blipuid and \bliptagN, checksums of the original image that
// would match it to the cleaned one, go.
func (c *rtfCleaner) pict(read []rtfToken) error {
	var (
		props   bytes.Buffer // the group as written, without its data
		bare    bool         // props ends with a control word with no delimiter
		data    []byte
		digits  []byte // hex digits, one picture byte every two
		media   string
		invalid bool
	)
	keep := func(t rtfToken) {
		props.Write(t.raw)
		bare = t.kind == 'w' && !t.space
	}
	props.WriteByte('{')
	for _, t := range read {
		keep(t)
	}
	for depth := 1; depth > 0; {
		t, err := c.next()
		if err != nil {
			return err
		}
		switch {
		case t.kind == '{':
			written, err := c.pictGroup(&props)
			if err != nil {
				return err
			}
			if written {
				bare = false
			}
		case t.kind == '}':
			depth--
		case t.kind == 't':
			for _, b := range t.raw {
				switch {
				case b == ' ' || b == '\r' || b == '\n' || b == '\t':
				case '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F':
					digits = append(digits, b)
				default:
					invalid = true
				}
			}
		case t.kind == 'w' && t.word == "bin":
			// The picture in raw bytes rather than hex.
			if !t.has || t.param <= 0 {
				continue
			}
			if t.param > maxPicture || len(data) > 0 || len(digits) > 0 {
				invalid = true
				if err := c.binary(t, false); err != nil {
					return err
				}
				continue
			}
			data = make([]byte, t.param)
			if _, err := io.ReadFull(c.in, data); err != nil {
				return fmt.Errorf("office: rtf: \\bin past the end: %w", malformedRTF())
			}
		case t.kind == 'w' && (t.word == "bliptag" || dropWord(t.word)):
		default:
			if m, ok := pictFormats[t.word]; ok && t.kind == 'w' {
				media = m
			}
			keep(t)
		}
		if len(digits) > 2*maxPicture {
			invalid = true
			digits = digits[:0]
		}
	}
	if len(digits) > 0 {
		if len(data) > 0 || len(digits)%2 != 0 {
			invalid = true
		}
		data = make([]byte, len(digits)/2)
		hex.Decode(data, digits[:2*len(data)])
	}
	var img bytes.Buffer
	if !invalid && media != "" {
		if _, err := image.Clean(media, &img, bytes.NewReader(data)); err != nil {
			invalid = true
		}
	}
	if invalid || media == "" {
		// A control word written just before the group would run into
		// the text after it; a space is its delimiter and nothing else.
		if c.bare {
			c.emit([]byte(" "))
		}
		return nil
	}
	c.emit(props.Bytes())
	if bare {
		c.emit([]byte(" "))
	}
	h := hex.EncodeToString(img.Bytes())
	for len(h) > hexLine {
		c.emit([]byte(h[:hexLine] + "\r\n"))
		h = h[hexLine:]
	}
	c.emit([]byte(h + "}"))
	return nil
}

// pictGroup copies a subgroup of a picture, its opening brace read, to
// props, without its rsids; written tells whether it did. It drops a
// \*\blipuid, and a subgroup that holds a picture, an object's data, raw
// bytes or a destination run drops (none of which a writer puts in a
// picture's properties), rather than clean them there.
func (c *rtfCleaner) pictGroup(props *bytes.Buffer) (written bool, err error) {
	t1, err := c.next()
	if err != nil {
		return false, err
	}
	read := []rtfToken{t1}
	if t1.kind == 's' && string(t1.raw) == `\*` {
		t2, err := c.next()
		if err != nil {
			return false, err
		}
		read = append(read, t2)
		if t2.kind == 'w' && t2.word == "blipuid" {
			return false, c.skip(1)
		}
	}
	if out, ok, err := c.property(read); err != nil || ok {
		props.Write(out)
		return out != nil, err
	}
	c.pending = append(read, c.pending...)
	var g bytes.Buffer
	g.WriteByte('{')
	bare, drop := false, false
	for depth := 1; depth > 0; {
		t, err := c.next()
		if err != nil {
			return false, err
		}
		switch t.kind {
		case '{':
			if depth++; depth > maxDepth {
				return false, fmt.Errorf("office: rtf: groups nested too deep: %w", malformedRTF())
			}
			// A shape property in {\*\picprop}.
			t1, err := c.next()
			if err != nil {
				return false, err
			}
			out, ok, err := c.property([]rtfToken{t1})
			if err != nil {
				return false, err
			}
			if ok {
				depth--
				if out == nil && bare {
					out = []byte(" ")
				}
				g.Write(out)
				bare = false
				continue
			}
			c.pending = append([]rtfToken{t1}, c.pending...)
		case '}':
			depth--
		case 'w':
			if t.word == "bin" {
				drop = true
				if err := c.binary(t, false); err != nil {
					return false, err
				}
			}
			if t.word == "pict" || rtfDropped[t.word] || t.word == "revtbl" {
				drop = true
			}
			if dropWord(t.word) {
				// As in run: a space keeps the words around it apart.
				if bare {
					g.WriteByte(' ')
					bare = false
				}
				continue
			}
		}
		g.Write(t.raw)
		bare = t.kind == 'w' && !t.space
	}
	if drop {
		return false, nil
	}
	props.Write(g.Bytes())
	return true, nil
}
