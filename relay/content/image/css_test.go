package image

import "testing"

func TestNeutralCSS(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"fill:#fff", "fill:#fff", true},
		{"fill:url(#g)", "fill:url(#g)", true},
		{`fill: URL( "#g" ) red`, `fill: URL( "#g" ) red`, true},
		{"fill:url(https://t.example/x.svg#g) red", "fill:none red", true},
		{`src: url("a).ttf")`, "src: none", true},
		{"background:url(http://t.example/unterminated", "background:none", true},
		{"@import 'https://t.example/a.css'; .a{}", "@x-leak-removed-import 'https://t.example/a.css'; .a{}", true},
		{"@IMPORT url(x.css);", "@x-leak-removed-import none;", true},
		{`fill:\75 rl(https://t.example/)`, "", false},
		{`background:image-set("https://t.example/a.png" 1x)`, "", false},
		{"Größe: url(/Users/x)", "Größe: none", true},
	}
	for _, tt := range tests {
		got, ok := neutralCSS(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("neutralCSS(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok {
			if again, _ := neutralCSS(got); again != got {
				t.Errorf("neutralCSS(%q) is not stable: %q", got, again)
			}
		}
	}
}
