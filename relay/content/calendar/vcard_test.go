package calendar

import (
	"bytes"
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

func TestVCard(t *testing.T) {
	own := "BEGIN:VCARD\nVERSION:3.0\nFN:Tomasz Kowalczyk\nitem1.EMAIL;type=INTERNET;type=pref:T.Kowalczyk@kowalczyk-arch.example\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRg\n ABAQAAAQABAAD/2Q==\nEND:VCARD\n"
	other := "BEGIN:VCARD\nVERSION:3.0\nFN:Plomeria Ruiz\nEMAIL:info@ruiz.example\nNOTE:fold\n ed note\nEND:VCARD\n"
	v21 := "BEGIN:VCARD\nVERSION:2.1\nN:Kowalczyk;Tomasz\nEMAIL;INTERNET:tomasz@mail.example\nEND:VCARD\n"
	tests := []struct {
		name    string
		in      string
		kept    int
		want    string
		refusal refusal.Kind
	}{
		{name: "own and other", in: own + other, kept: 1, want: crlf(other)},
		{name: "other only, lone LF kept as is", in: other, kept: 1, want: other},
		{name: "own only", in: own, kept: 0, want: ""},
		{name: "vcard 2.1 own", in: v21 + "\n" + other, kept: 1, want: other},
		{name: "agent nested", in: "BEGIN:VCARD\nAGENT:\nBEGIN:VCARD\nEMAIL:tomasz@mail.example\nEND:VCARD\nEND:VCARD\n", kept: 1},
		{name: "not a card", in: "hello\n", refusal: refusal.Malformed},
		{name: "empty", in: "", refusal: refusal.Malformed},
		{name: "unterminated", in: "BEGIN:VCARD\nFN:x\n", refusal: refusal.Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if tt.name != "other only, lone LF kept as is" && tt.name != "vcard 2.1 own" {
				in = crlf(in)
			}
			var out bytes.Buffer
			kept, err := VCard(&out, strings.NewReader(in), testID)
			if tt.refusal != 0 {
				if r, ok := refusal.As(err); !ok || r.Kind != tt.refusal {
					t.Fatalf("err = %v, want refusal %v", err, tt.refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if kept != tt.kept {
				t.Errorf("kept = %d, want %d", kept, tt.kept)
			}
			if tt.want != "" || kept == 0 {
				if out.String() != tt.want {
					t.Errorf("output = %q, want %q", out.String(), tt.want)
				}
			}
			if strings.Contains(strings.ToLower(out.String()), "kowalczyk") && tt.name != "agent nested" {
				t.Errorf("own card survived: %q", out.String())
			}
		})
	}
}
