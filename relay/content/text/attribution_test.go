package text

import "testing"

func TestNeutralAttribution(t *testing.T) {
	tests := []struct{ in, want string }{
		{"On Tuesday, November 3, 2026 10:12 AM, Alice Smith wrote:", "On Tuesday, November 3, 2026 10:12 AM, someone wrote:"},
		{`On 11/3/26, 10:12 AM, "Alice Smith" <alice@x.example> wrote:`, "On 11/3/26, 10:12 AM, someone wrote:"},
		{"Alice Smith <alice@x.example> wrote:", "Someone wrote:"},
		{"Am Di., 3. Nov. 2026 um 10:12 Uhr schrieb Alice Smith <alice@x.example>:", "Am Di., 3. Nov. 2026 um 10:12 Uhr schrieb jemand:"},
		{"Am Dienstag schrieb Alice Smith Projektleitung:", "Jemand schrieb:"},
		{"Le mar. 3 nov. 2026 à 10:12, Alice Smith <alice@x.example> a écrit :", "Le mar. 3 nov. 2026 à 10:12, quelqu'un a écrit :"},
		{"Em ter., 3 de nov. de 2026 às 10:12, Alice <alice@x.example> escreveu:", "Em ter., 3 de nov. de 2026 às 10:12, alguém escreveu:"},
		{"On Monday, November 2nd, 2026 at 17:05, Ida Strand <ida@x.example> wrote:", "On Monday, November 2nd, 2026 at 17:05, someone wrote:"},
	}
	for _, tt := range tests {
		got, ok := NeutralAttribution(tt.in)
		if !ok || got != tt.want {
			t.Errorf("NeutralAttribution(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, in := range []string{
		"On the other hand, the committee wrote:",
		"Alice Smith wrote:",
		"On 3 Nov 2026 we met:",
		"Here is what I wrote:",
		"Note:",
	} {
		if got, ok := NeutralAttribution(in); ok {
			t.Errorf("NeutralAttribution(%q) = %q, want no match", in, got)
		}
	}
}
