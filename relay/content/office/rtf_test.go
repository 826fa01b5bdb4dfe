package office

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	goimage "image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"
	"strings"
	"testing"

	"leak/relay/content/image"
	"leak/relay/content/refusal"
)

func TestRTF(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"info dropped",
			`{\rtf1\ansi{\info{\author Jo Bloggs}{\*\company Bloggs Ltd}{\operator jbloggs}}text}`,
			`{\rtf1\ansi text}`},
		{"rsids dropped, delimiters kept apart",
			`{\rtf1{\*\rsidtbl \rsid1\rsid2}\pard\b\insrsid1 bold\par\plain \charrsid22 \i x}`,
			`{\rtf1 \pard\b bold\par\plain \i x}`},
		{"rsid with a parameter and no space dropped, the words around it kept apart",
			`{\rtf1\lytcalctblwd\lnbnsrsid90obrkwrptbl\b\insrsid7bold\fs22\charrsid3\i x}`,
			`{\rtf1\lytcalctblwd obrkwrptbl\b bold\fs22 \i x}`},
		{"revision table neutralised, dates dropped",
			`{\rtf1{\*\revtbl {Unknown;}{Jo Bloggs;}}{\revised\revauth1\revdttm123 new}}`,
			`{\rtf1{\*\revtbl {Unknown;}{Author;}}{\revised\revauth1 new}}`},
		{"annotation author and initials neutralised",
			`{\rtf1{\*\atnid JB}{\*\atnauthor Jo Bloggs}\chatn{\*\annotation{\*\atndate 99}note}}`,
			`{\rtf1{\*\atnid A}{\*\atnauthor Author}\chatn{\*\annotation note}}`},
		{"escapes and hex copied",
			`{\rtf1 \{a\} \\ \'e9 \u8364?}`,
			`{\rtf1 \{a\} \\ \'e9 \u8364?}`},
		{"binary run copied as is",
			"{\\rtf1{\\sv\\bin4 }{\\}x}}",
			"{\\rtf1{\\sv\\bin4 }{\\}x}}"},
		{"binary run inside a dropped group skipped",
			"{\\rtf1{\\*\\userprops\\bin3 }}}}x}",
			"{\\rtf1 x}"},
		{"generator, template, userprops dropped",
			`{\rtf1{\*\generator Riched20;}{\*\template C:\\Users\\jo\\N.dotm}{\*\userprops {\propname a}}body}`,
			`{\rtf1 body}`},
		{"destination word later in a group drops the rest of it",
			`{\rtf1{{\author0}\creatim 2026}{\b x\author Jo}}`,
			`{\rtf1{}{\b x}}`},
		{"trailing bytes not copied",
			"{\\rtf1 a}\r\n\x00junk",
			"{\\rtf1 a}"},
		{"object data dropped, its displayed result kept",
			`{\rtf1{\object\objemb{\*\objclass Package}\objw1440\objh480{\*\objdata 01050000433a5c55736572735c6a626c6f676773}{\result\pard KEEP}}}`,
			`{\rtf1{\object\objemb{\*\objclass Package}\objw1440\objh480 {\result\pard KEEP}}}`},
		{"metafile picture dropped, its group kept",
			`{\rtf1\b{\*\nonshppict{\pict\wmetafile8\picw10 0100}}x}`,
			`{\rtf1\b{\*\nonshppict }x}`},
		{"picture without a format dropped",
			`{\rtf1\b{\pict\picw10 ffd8}x}`,
			`{\rtf1\b x}`},
		{"picture that does not decode dropped",
			`{\rtf1{\pict\jpegblip 0102}x{\pict\pngblip 0}y}`,
			`{\rtf1 xy}`},
		{"picture word later in a group drops the rest of it",
			`{\rtf1{\b\pict\jpegblip ffd8}x}`,
			`{\rtf1{\b}x}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RTF(&b, strings.NewReader(tt.in)); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got  %q\nwant %q", b.String(), tt.want)
			}
		})
	}
}

func TestRTFMalformed(t *testing.T) {
	for _, in := range []string{
		"", `{\rt`, `{\rtfrsid}`, `hello`, ` {\rtf1}`, `{\rtf1 {a}`, `{\rtf1{\info x}`, "{\\rtf1\\bin10 ab}",
		`{\rtf1 \'e`, `{\rtf1\` + strings.Repeat("a", 40) + `}`, strings.Repeat("{", 5000),
	} {
		err := RTF(&bytes.Buffer{}, strings.NewReader(in))
		if r, ok := refusal.As(err); !ok || r.Kind != refusal.Malformed {
			t.Errorf("RTF(%.20q) = %v, want a malformed refusal", in, err)
		}
	}
}

// exifJPEG is a small JPEG whose EXIF names the photographer and the
// camera's serial number, as a camera writes them.
func exifJPEG(t *testing.T) []byte {
	t.Helper()
	img := goimage.NewRGBA(goimage.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var j bytes.Buffer
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = be.AppendUint16(tiff, 2)
	for _, e := range []struct {
		tag       uint16
		n, offset uint32
	}{{0x013B, 10, 38}, {0xA431, 13, 48}} { // Artist, BodySerialNumber
		tiff = be.AppendUint16(tiff, e.tag)
		tiff = be.AppendUint16(tiff, 2) // ASCII
		tiff = be.AppendUint32(tiff, e.n)
		tiff = be.AppendUint32(tiff, e.offset)
	}
	tiff = be.AppendUint32(tiff, 0)
	tiff = append(tiff, "Jo Bloggs\x00JBLOGGSCAM42\x00"...)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	out := be.AppendUint16([]byte{0xFF, 0xD8, 0xFF, 0xE1}, uint16(len(app1)+2))
	out = append(out, app1...)
	return append(out, j.Bytes()[2:]...)
}

// textPNG is a small PNG with a tEXt chunk naming its author.
func textPNG(t *testing.T) []byte {
	t.Helper()
	var p bytes.Buffer
	if err := png.Encode(&p, goimage.NewGray(goimage.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	chunk := []byte("tEXtAuthor\x00Jo Bloggs")
	c := binary.BigEndian.AppendUint32(nil, uint32(len(chunk)-4))
	c = append(c, chunk...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(chunk))
	b := p.Bytes()
	const afterIHDR = 8 + 25
	return append(append(append([]byte(nil), b[:afterIHDR]...), c...), b[afterIHDR:]...)
}

// TestRTFPictures: a JPEG or PNG picture, in hex or after \bin, comes out
// as the image package cleans it, in hex, with the picture's other
// properties; the checksums of the original go.
func TestRTFPictures(t *testing.T) {
	jpg, pngData := exifJPEG(t), textPNG(t)
	tests := []struct {
		name, in string
		picture  []byte
		clean    func(io.Writer, io.Reader) error
		kept     []string // before and after the picture's data
	}{
		{"jpeg in hex", `{\rtf1\pard Photo:\par{\*\shppict{\pict{\*\picprop\shplid1025{\sp{\sn shapeType}{\sv 75}}}\picscalex100\picw8\pich8\picwgoal120\pichgoal120\jpegblip\bliptag-1290417357{\*\blipuid b3173c33a1b2}` +
			"\r\n" + wrapHex(jpg) + `}}\par}`, jpg, image.JPEG,
			[]string{`{\rtf1\pard Photo:\par{\*\shppict{\pict{\*\picprop\shplid1025{\sp{\sn shapeType}{\sv 75}}}\picscalex100\picw8\pich8\picwgoal120\pichgoal120\jpegblip `, `}}\par}`}},
		{"png after bin", `{\rtf1{\pict\pngblip\picw4\pich4\bin` + strconv.Itoa(len(pngData)) + " " + string(pngData) + `}}`, pngData, image.PNG,
			[]string{`{\rtf1{\pict\pngblip\picw4\pich4 `, `}}`}},
		{"properties holding raw bytes or a picture dropped", `{\rtf1{\pict\pngblip\picw4{\*\picprop\b\bin2 xy}{\*\picprop{\pict\jpegblip ` + hex.EncodeToString(jpg) + `}}` +
			hex.EncodeToString(pngData) + `}}`, pngData, image.PNG,
			[]string{`{\rtf1{\pict\pngblip\picw4 `, `}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want bytes.Buffer
			if err := tt.clean(&want, bytes.NewReader(tt.picture)); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := RTF(&out, strings.NewReader(tt.in)); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			flat := strings.ReplaceAll(got, "\r\n", "")
			for _, s := range []string{hex.EncodeToString([]byte("Jo Bloggs")), hex.EncodeToString([]byte("JBLOGGSCAM42")), "Jo Bloggs", "blipuid", "bliptag"} {
				if strings.Contains(flat, s) {
					t.Errorf("%q survives", s)
				}
			}
			if wantOut := tt.kept[0] + hex.EncodeToString(want.Bytes()) + tt.kept[1]; flat != wantOut {
				t.Errorf("got  %q\nwant %q", flat, wantOut)
			}
			var again bytes.Buffer
			if err := RTF(&again, strings.NewReader(got)); err != nil || again.String() != got {
				t.Errorf("cleaning the cleaned RTF changes it (err %v)", err)
			}
			if t.Failed() {
				t.Logf("out:\n%s", got)
			}
		})
	}
}

// wrapHex writes data in hex lines of 64 digits, as WordPad does.
func wrapHex(data []byte) string {
	h := hex.EncodeToString(data)
	var b strings.Builder
	for len(h) > 64 {
		b.WriteString(h[:64] + "\r\n")
		h = h[64:]
	}
	return b.String() + h
}
