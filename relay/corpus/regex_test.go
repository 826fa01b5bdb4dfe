package corpus

import "testing"

func TestMatchPython(t *testing.T) {
	for _, tt := range []struct {
		rx, text, flags string
		want            bool
	}{
		{`(?<!\r)\n`, "a\r\nb\r\n", "", false},
		{`(?<!\r)\n`, "a\r\nb\nc", "", true},
		{`(?<!\r)\n`, "\n", "", true},
		{`\r(?!\n)`, "a\r\n", "", false},
		{`\r(?!\n)`, "a\rb", "", true},
		{`\r(?!\n)`, "a\r", "", true},
		{`(?<=X-)Mailer`, "X-Mailer: y", "", true},
		{`(?<=X-)Mailer`, "Mailer: y", "", false},
		{`Sent(?= from)`, "Sent from my phone", "", true},
		{`(?m)^Subject: Urgent`, "A: b\nSubject: Urgent wire", "", true},
		{`^subject: urgent`, "A: b\nSubject: Urgent wire", "mi", true},
		{`[^\r\n]{999,}`, string(make([]byte, 998)), "", false},
		{`end\Z`, "the end", "", true},
	} {
		got, err := matchPython(tt.rx, tt.text, tt.flags)
		if err != nil || got != tt.want {
			t.Errorf("matchPython(%q, %q) = %v, %v; want %v", tt.rx, tt.text, got, err, tt.want)
		}
	}
	if _, err := matchPython(`(?<!a)b(?!c)`, "b", ""); err == nil {
		t.Error("two lookarounds: no error, want one (the check must not pass silently)")
	}
}
