package relay

import "testing"

// parseCommand agrees with go-smtp v0.26 on the verb and on whether a BDAT
// chunk follows; each case below was a disagreement before.
func TestParseCommand(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		line  string
		verb  string
		chunk int64
	}{
		{"BDAT 5\r", "BDAT", 5},
		{"bdat 5 last", "BDAT", 5},
		{"BDAT 0 LAST", "BDAT", 0},
		{"BDAT 5 X", "BDAT", -1},         // 501, no chunk
		{"BDAT 5 LAST X", "BDAT", -1},    // too many arguments
		{"BDAT\t5", "", -1},              // mangled: no space after the verb
		{" BDAT 5", "", -1},              // mangled
		{"BDAT +5", "BDAT", -1},          // ParseUint refuses a sign
		{"BDAT 99999999999", "BDAT", -1}, // over 32 bits
		{"STARTTLSX", "STARTTLS", -1},    // go-smtp matches a prefix
		{"", "", -1},
		{"NOOP", "NOOP", -1},
	} {
		verb, chunk := parseCommand([]byte(tt.line))
		if verb != tt.verb || chunk != tt.chunk {
			t.Errorf("parseCommand(%q) = %q, %d; want %q, %d", tt.line, verb, chunk, tt.verb, tt.chunk)
		}
	}
}
