package text

import (
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

// The lines of the HTML part's signature, as the HTML cleaner hands them
// on: Outlook's _MailAutoSig paragraphs.
var outlookSig = [][]string{{"Kind regards,", "Aoife", "Head of Procurement | Brennan Procurement", "Tel: +353 1 555 0187", "www.brennan-procure.example"}}

func TestCarriedSignature(t *testing.T) {
	cases := []struct {
		name, in string
		sigs     [][]string
		gone     []string
		kept     []string
	}{{
		name: "outlook, above the quoted message",
		in: "Bob,\n\nThe numbers are in.\n\nKind regards,\nAoife\nHead of Procurement | Brennan Procurement\nTel: +353 1 555 0187\n" +
			"www.brennan-procure.example<https://www.brennan-procure.example/>\n[cid:image001.png@01DA4F2E.8B5C9A10]\n\n" +
			"From: Bob Jones <bob@example.com>\nSent: Monday, November 2, 2026 17:02\nTo: Aoife\nSubject: Q3\n\nAre they in?\n",
		sigs: outlookSig,
		gone: []string{"Kind regards", "Head of Procurement", "555 0187", "brennan-procure", "[image]"},
		kept: []string{"Bob,\n\nThe numbers are in.\n\n", "From: someone", "Subject: Q3", "Are they in?"},
	}, {
		name: "spaced and separated otherwise",
		in:   "Text.\n\nKind regards\n\nAoife\n\nHead of Procurement\tBrennan Procurement\nTel. +353-1-555-0187\n",
		sigs: outlookSig,
		gone: []string{"Kind regards", "Head of Procurement", "555-0187"},
		kept: []string{"Text.\n\n"},
	}, {
		name: "wrapped",
		in:   "Text.\n\nAoife Brennan, Head of Procurement and Contracts, Brennan\nProcurement Ltd, 1 Quay Street, Dublin\n\nP.S. KEEP\n",
		sigs: [][]string{{"Aoife Brennan, Head of Procurement and Contracts, Brennan Procurement Ltd, 1 Quay Street, Dublin"}},
		gone: []string{"Head of Procurement", "Quay Street"},
		kept: []string{"Text.\n\n", "\n\nP.S. KEEP\n"},
	}, {
		name: "in a quote",
		in:   "Yes.\n\n> Numbers below.\n>\n> Kind regards,\n> Aoife\n> Head of Procurement | Brennan Procurement\n",
		sigs: outlookSig,
		gone: []string{"Head of Procurement", "Kind regards"},
		kept: []string{"Yes.", "> Numbers below."},
	}, {
		name: "the first line alone is the sender's text",
		in:   "Text.\n\nKind regards,\nBob\n",
		sigs: outlookSig,
		kept: []string{"Kind regards,\nBob\n"},
	}, {
		name: "a short line alone is no signature",
		in:   "Thanks, Aoife\nKEEP\n",
		sigs: [][]string{{"Thanks, Aoife"}},
		kept: []string{"Thanks, Aoife\nKEEP\n"},
	}, {
		name: "text after the signature stays",
		in:   "Kind regards,\nAoife\nHead of Procurement | Brennan Procurement\nRen\nThe file is attached.\n",
		sigs: outlookSig,
		gone: []string{"Head of Procurement"},
		kept: []string{"Ren\nThe file is attached.\n"},
	}}
	// Shapes a review found leaking (each fails on 3a9abbc).
	sigRule := [][]string{{"Kind regards,", "Aoife", "Head of Procurement | Brennan Procurement", "Tel: +353 1 555 0187"}}
	cases = append(cases, []struct {
		name, in string
		sigs     [][]string
		gone     []string
		kept     []string
	}{{
		name: "a rule inside the signature",
		in:   "Text.\n\nKind regards,\nAoife\nHead of Procurement | Brennan Procurement\n________________________________\nTel: +353 1 555 0187\n",
		sigs: sigRule,
		gone: []string{"555 0187", "____"},
		kept: []string{"Text.\n"},
	}, {
		name: "Outlook's alt text for a logo, and Outlook for Mac's placeholder",
		in: "Text.\n\nKind regards,\nAoife\n[A close up of a logo Description automatically generated]\n[signature_1637361421]\n" +
			"Head of Procurement | Brennan Procurement\nTel: +353 1 555 0187\n",
		sigs: sigRule,
		gone: []string{"555 0187", "logo", "signature_"},
		kept: []string{"Text.\n"},
	}, {
		name: "two blank lines after the sign-off",
		in:   "Text.\n\nKind regards,\n\n\nAoife\nHead of Procurement | Brennan Procurement\nTel: +353 1 555 0187\n",
		sigs: sigRule,
		gone: []string{"555 0187", "Head of Procurement"},
		kept: []string{"Text.\n"},
	}, {
		name: "links written after their text in parentheses",
		in:   "Text.\n\nKind regards,\nAoife\nbrennan-procure.example (https://brennan-procure.example/)\nTel: +353 1 555 0187\n",
		sigs: [][]string{{"Kind regards,", "Aoife", "brennan-procure.example", "Tel: +353 1 555 0187"}},
		gone: []string{"555 0187", "brennan-procure"},
		kept: []string{"Text.\n"},
	}, {
		name: "a wrapped line's short last piece",
		in:   "Text.\n\nAoife Brennan\nBrennan Procurement, 1 Quay Street, Dublin 2, D02 XY00,\nIreland\nTel: +353 1 555 0187\n",
		sigs: [][]string{{"Aoife Brennan", "Brennan Procurement, 1 Quay Street, Dublin 2, D02 XY00, Ireland", "Tel: +353 1 555 0187"}},
		gone: []string{"555 0187", "Ireland"},
		kept: []string{"Text.\n"},
	}, {
		name: "a sign-off and an initial",
		in:   "Text.\n\nKind regards,\nA\n",
		sigs: sigRule,
		kept: []string{"Kind regards,\nA\n"},
	}}...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := clean(t, c.in, Options{Signatures: c.sigs})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.gone {
				if strings.Contains(out, s) {
					t.Errorf("%q left in:\n%s", s, out)
				}
			}
			for _, s := range c.kept {
				if !strings.Contains(out, s) {
					t.Errorf("%q lost:\n%s", s, out)
				}
			}
		})
	}
}

func TestSignaturesCut(t *testing.T) {
	sigs := NewSignatures(outlookSig)
	in := []string{"Let us meet.", "", "Kind regards\\,", "Aoife", "Head of Procurement | Brennan Procurement", "", "Tel: +353 1 555 0187", "", "Join the meeting"}
	got := strings.Join(sigs.Cut(in), "|")
	if want := "Let us meet.|||Join the meeting"; got != want {
		t.Errorf("Cut = %q, want %q", got, want)
	}
	in = []string{"Agenda", "Kind regards\\,", "Aoife", "____", "Head of Procurement | Brennan Procurement", "", "Join"}
	if got, want := strings.Join(sigs.Cut(in), "|"), "Agenda||Join"; got != want {
		t.Errorf("Cut = %q, want %q", got, want)
	}
	if got := NewSignatures([][]string{{"Thanks"}, {}, {"--", "  "}, {"Hi", strings.Repeat("typed text ", 30)}}); !got.Empty() {
		t.Errorf("short and empty signatures kept: %+v", got)
	}
}

// FuzzSignatures checks that a signature from the HTML part, whatever its
// lines, never makes Clean fail otherwise than by a refusal, and that Cut
// only removes lines, keeping the others in order.
func FuzzSignatures(f *testing.F) {
	f.Add("Text.\n\nKind regards,\nAoife\nHead of Procurement\n> quoted\n", "Kind regards,\nAoife\nHead of Procurement")
	f.Add("a\n\n\nb\n[cid:x]\nc", "a\nb\nc")
	f.Add("Aoife Brennan, Head of\nProcurement\n", "Aoife Brennan, Head of Procurement")
	f.Fuzz(func(t *testing.T, in, sig string) {
		sigs := [][]string{strings.Split(sig, "\n")}
		var b strings.Builder
		if err := Clean(&b, strings.NewReader(in), Options{Signatures: sigs}); err != nil {
			if _, ok := refusal.As(err); !ok {
				t.Fatalf("Clean: %v", err)
			}
		}
		lines := strings.Split(in, "\n")
		kept := NewSignatures(sigs).Cut(append([]string(nil), lines...))
		i := 0
		for _, k := range kept {
			for i < len(lines) && lines[i] != k {
				i++
			}
			if i == len(lines) {
				t.Fatalf("Cut(%q) = %q: not a subsequence", lines, kept)
			}
			i++
		}
	})
}
