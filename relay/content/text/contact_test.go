package text

import (
	"strings"
	"testing"
)

// TestContactBlock: a stored signature with no marker and no HTML part
// beside it, found by the sign-off above it and the contact details in it.
func TestContactBlock(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // the whole output
	}{{
		name: "Outlook, plain text only",
		in:   "Bob,\n\nThe numbers are in.\n\nKind regards,\nAoife\nHead of Procurement | Brennan Procurement\nTel: +353 1 555 0187\nwww.brennan-procure.example\n",
		want: "Bob,\n\nThe numbers are in.\n\nKind regards,\n",
	}, {
		name: "a blank line after the sign-off, the quote below kept",
		in: "Fine by me.\n\nCheers,\n\nNiamh Quinn\nSenior Counsel, Quinn Legal\nM: 087 555 0144\n\n" +
			"On Mon, 2 Nov 2026 at 17:02, Bob <bob@example.com> wrote:\n> Is clause 4 fine?\n",
		want: "Fine by me.\n\nCheers,\n\nOn Mon, 2 Nov 2026, someone wrote:\n> Is clause 4 fine?\n",
	}, {
		name: "German, an address line before the phone",
		in:   "Anbei die Unterlagen.\n\nMit freundlichen Grüßen\nJörg Müller\nVertrieb\nMusterstraße 1, 10115 Berlin\nTel. 030 1234567\n",
		want: "Anbei die Unterlagen.\n\nMit freundlichen Grüßen\n",
	}, {
		name: "French, an e-mail address",
		in:   "Merci pour votre retour.\n\nCordialement,\nÉlodie Marchand\nelodie.marchand@atelier-marchand.example\n",
		want: "Merci pour votre retour.\n\nCordialement,\n",
	}, {
		name: "a long block: the details come after the window's first lines",
		in:   "Text.\n\nBest regards,\nA. Kowalski\nSenior Engineer\nPlatform Team\nKowalski & Partners\nul. Długa 5\n00-001 Warszawa\nPoland\n+48 22 555 01 23\n",
		want: "Text.\n\nBest regards,\n",
	}, {
		name: "a sign-off and a name alone stay",
		in:   "Text.\n\nThanks,\nAoife\n",
		want: "Text.\n\nThanks,\nAoife\n",
	}, {
		name: "a P.S. with a link stays",
		in:   "Text.\n\nThanks,\nBob\n\nP.S. The venue is at www.venue.example\n",
		want: "Text.\n\nThanks,\nBob\n\nP.S. The venue is at www.venue.example\n",
	}, {
		name: "prose after the name stays",
		in:   "Text.\n\nBest,\nTom\nI will be out of the office until Monday, so call the front desk at +44 20 7946 0000.\n",
		want: "Text.\n\nBest,\nTom\nI will be out of the office until Monday, so call the front desk at +44 20 7946 0000.\n",
	}, {
		name: "no sign-off: a name and a phone number are text",
		in:   "Call this one:\nAoife\nTel: +353 1 555 0187\n",
		want: "Call this one:\nAoife\nTel: +353 1 555 0187\n",
	}, {
		name: "a sign-off inside a sentence is none",
		in:   "I said thanks, and then\nAoife\nTel: +353 1 555 0187\n",
		want: "I said thanks, and then\nAoife\nTel: +353 1 555 0187\n",
	}, {
		name: "a date is no phone number",
		in:   "Text.\n\nRegards,\nAoife\nOn leave 2026-12-24 to 2027-01-02\n",
		want: "Text.\n\nRegards,\nAoife\nOn leave 2026-12-24 to 2027-01-02\n",
	}, {
		name: "a link after a blank line stays",
		in:   "Text.\n\nThanks,\nAlice\n\nAgenda: https://docs.example/agenda\nRoom: 4.12\n",
		want: "Text.\n\nThanks,\nAlice\n\nAgenda: https://docs.example/agenda\nRoom: 4.12\n",
	}, {
		name: "a forwarded message's signature is its author's",
		in: "See below.\n\n-----Original Message-----\nFrom: Dan Supplier <dan@supplier.example>\nSent: Monday, November 2, 2026 17:02\n" +
			"Subject: Quote\n\nPrices attached.\n\nBest regards,\nDan Supplier\nSales, Supplier Ltd\nTel: +44 20 7946 0000\n",
		want: "See below.\n\n-----Original Message-----\nFrom: someone\nSubject: Quote\n\nPrices attached.\n\nBest regards,\nDan Supplier\nSales, Supplier Ltd\nTel: +44 20 7946 0000\n",
	}, {
		name: "pronouns after the name",
		in:   "Text.\n\nKind regards,\nAoife Brennan (she/her)\nHead of Procurement\nTel: +353 1 555 0187\n",
		want: "Text.\n\nKind regards,\n",
	}, {
		name: "letters after the name, a title after a bar",
		in:   "Text.\n\nThanks and regards,\nAoife Brennan, MBA | Head of Procurement\nlinkedin.com/in/aoife-brennan\n",
		want: "Text.\n\nThanks and regards,\n",
	}, {
		name: "a five-word name, Swedish",
		in:   "Text.\n\nMed vänlig hälsning\nMaría del Carmen García López\nMob: 070 123 45 67\n",
		want: "Text.\n\nMed vänlig hälsning\n",
	}, {
		name: "in a quote it stays",
		in:   "Yes.\n\n> Kind regards,\n> Aoife\n> Tel: +353 1 555 0187\n",
		want: "Yes.\n\n> Kind regards,\n> Aoife\n> Tel: +353 1 555 0187\n",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := clean(t, c.in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if out != c.want {
				t.Errorf("got\n%q\nwant\n%q", out, c.want)
			}
		})
	}
}

func TestContactDetails(t *testing.T) {
	for s, want := range map[string]bool{
		"Tel: +353 1 555 0187":         true,
		"M: 087 555 0144":              true,
		"+48 22 555 01 23":             true,
		"(555) 123-4567 ext. 89":       true, // ten digits, no label needed
		"Office | 0161 496 0000":       true,
		"T 020 7946 0000 | F 020 7946": true,
		"www.example.com":              true,
		"https://example.com/a":        true,
		"jo@example.com":               true,
		"@handle":                      false,
		"2026-12-24":                   false,
		"Room 1234567":                 false,
		"Invoice 1234567":              false,
		"Ref 12345678901":              true, // eleven digits: taken for a number without a label
	} {
		if got := contactDetails(s); got != want {
			t.Errorf("contactDetails(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsSignOff(t *testing.T) {
	for s, want := range map[string]bool{
		"Kind regards,":              true,
		"  KIND   Regards ":          true,
		"Mit freundlichen Grüßen":    true,
		"Best,":                      true,
		"Cheers!":                    true,
		"Z poważaniem,":              true,
		"Regards to your mother,":    false,
		"Thanks for the update":      false,
		"":                           false,
		strings.Repeat("thanks ", 9): false,
	} {
		if got := isSignOff(s); got != want {
			t.Errorf("isSignOff(%q) = %v, want %v", s, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { isSignOff("Mit freundlichen Grüßen,") }); n != 0 {
		t.Errorf("isSignOff allocates %v times", n)
	}
}
