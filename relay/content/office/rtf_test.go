package office

import (
	"bytes"
	"strings"
	"testing"

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
			"{\\rtf1{\\pict\\bin4 }{\\}x}}",
			"{\\rtf1{\\pict\\bin4 }{\\}x}}"},
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
