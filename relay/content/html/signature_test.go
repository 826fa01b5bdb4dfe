package html

import (
	"reflect"
	"testing"
)

// The signatures the cleaner removes are handed on as lines of text, for
// the plain-text alternative that carries them without a marker.
func TestSignatureHandedOn(t *testing.T) {
	cases := []struct {
		name, in string
		want     [][]string
	}{{
		name: "outlook _MailAutoSig, up to the quoted message",
		in: `<p class=MsoNormal>Body.</p><p class=MsoNormal><a name="_MailAutoSig">Kind regards,</a></p>` +
			`<p class=MsoNormal>Aoife</p><p class=MsoNormal><b>Head of Procurement</b> | Brennan</p>` +
			`<div style="border-top:solid #E1E1E1 1.0pt"><p><b>From:</b> Bob</p></div><p>quoted</p>`,
		want: [][]string{{"Kind regards,", "Aoife", "Head of Procurement | Brennan"}},
	}, {
		name: "outlook on the web",
		in:   `<div>Body.</div><div id="Signature"><div>Best,</div><div>Aoife Brennan<br>+353 1 555 0187</div></div>`,
		want: [][]string{{"Best,", "Aoife Brennan", "+353 1 555 0187"}},
	}, {
		name: "none",
		in:   `<div>Body.</div><div>Best,<br>Aoife</div>`,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got [][]string
			_, err := cleanString(t, c.in, Options{Signature: func(l []string) { got = append(got, l) }})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
