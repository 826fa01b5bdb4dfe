package text

import "testing"

func TestNeutralAttribution(t *testing.T) {
	tests := []struct{ in, want string }{
		{"On Tuesday, November 3, 2026 10:12 AM, Alice Smith wrote:", "On Tuesday, November 3, 2026, someone wrote:"},
		{`On 11/3/26, 10:12 AM, "Alice Smith" <alice@x.example> wrote:`, "On 11/3/26, someone wrote:"},
		{"Alice Smith <alice@x.example> wrote:", "Someone wrote:"},
		{"Am Di., 3. Nov. 2026 um 10:12 Uhr schrieb Alice Smith <alice@x.example>:", "Am Di., 3. Nov. 2026 schrieb jemand:"},
		{"Am Dienstag schrieb Alice Smith Projektleitung:", "Jemand schrieb:"},
		{"Le mar. 3 nov. 2026 à 10:12, Alice Smith <alice@x.example> a écrit :", "Le mar. 3 nov. 2026, quelqu'un a écrit :"},
		{"Em ter., 3 de nov. de 2026 às 10:12, Alice <alice@x.example> escreveu:", "Em ter., 3 de nov. de 2026, alguém escreveu:"},
		{"On Monday, November 2nd, 2026 at 17:05, Ida Strand <ida@x.example> wrote:", "On Monday, November 2nd, 2026, someone wrote:"},
		{"On Tue, Nov 18, 2025 at 10:07 PM Bob Jones <bob@example.com> wrote:", "On Tue, Nov 18, 2025, someone wrote:"},
		{"Den tis 18 nov. 2025 kl 22:07 skrev Carol Jones <carol@x.example>:", "Den tis 18 nov. 2025 skrev någon:"},
		{"tir. 18. nov. 2025 kl. 22.07 skrev Carol Jones <carol@x.example>:", "tir. 18. nov. 2025 skrev nogen:"},
		{"wt., 18 lis 2025 o 22:07 Carol Jones <carol@x.example> napisał(a):", "wt., 18 lis 2025 ktoś napisał(a):"},
		{"вт, 18 нояб. 2025 г. в 22:07, Carol Jones <carol@x.example>:", "вт, 18 нояб. 2025, кто-то написал:"},
		{"ti 18.11.2025 klo 22.07 Carol Jones (carol@x.example) kirjoitti:", "ti 18.11.2025 joku kirjoitti:"},
		{"Dne 18. 11. 2025 22:07 Carol Jones napsal(a):", "Dne 18. 11. 2025 někdo napsal(a):"},
		{"Carol Jones <carol@x.example>, 18 Kas 2025 Sal, 22:07 tarihinde şunu yazdı:", "18 Kas 2025 Sal tarihinde biri şunu yazdı:"},
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
		"Hon skrev detta:",
		"Jan napisał(a):",
		"вт, как договорились:",
	} {
		if got, ok := NeutralAttribution(in); ok {
			t.Errorf("NeutralAttribution(%q) = %q, want no match", in, got)
		}
	}
}
