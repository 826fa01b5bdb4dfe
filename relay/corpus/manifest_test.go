package corpus

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

func TestExpected(t *testing.T) {
	var e Entry
	err := json.Unmarshal([]byte(`{"file": "x.eml", "expected": {"outcome": "reject_or_accept_sanitize",
		"acceptable_replies": ["550 5.5.2", "250 (single message)"], "never": ["a second message"]}}`), &e)
	if err != nil {
		t.Fatal(err)
	}
	x := e.Expected
	if x.Refused() || !x.MayRefuse() {
		t.Errorf("Refused = %v, MayRefuse = %v, want false, true", x.Refused(), x.MayRefuse())
	}
	if _, ok := x.Raw["never"]; !ok {
		t.Error("Raw lost the free-form fields")
	}
	for reply, want := range map[string]bool{
		"250 2.0.0 OK: queued":      true,
		"550 5.5.2 Syntax error":    true,
		"554 5.6.0 Bare LF":         false,
		"250-first line of a reply": true,
	} {
		if got := x.Accepts(reply); got != want {
			t.Errorf("Accepts(%q) = %v, want %v", reply, got, want)
		}
	}
	reject := Expected{Outcome: "reject", Reply: "554 5.6.1", AcceptableReplies: []string{"250"}}
	if !reject.Refused() || reject.Accepts("250 OK") || !reject.Accepts("554 5.6.1 Unsupported") {
		t.Error("Reply must take precedence over acceptable_replies")
	}
	if (Expected{}).MayRefuse() || !(Expected{}).Accepts("250 OK") || (Expected{}).Accepts("451 4.3.0") {
		t.Error("an entry without expectations must be accepted with 2xx")
	}
}

// TestDirs: a content directory is a corpus once it has a manifest.
func TestDirs(t *testing.T) {
	dirs := Dirs()
	if len(dirs) < 2 || filepath.Base(dirs[0]) != "corpus" || filepath.Base(dirs[len(dirs)-1]) != "hostile" {
		t.Errorf("Dirs() = %q", dirs)
	}
	for _, d := range Dirs(Content) {
		if _, err := Load(d); err != nil {
			t.Error(err)
		}
	}
	t.Setenv("LEAK_CORPUS", "")
	if _, ok := Shared(Clients); ok {
		t.Error("Shared with LEAK_CORPUS unset reports a directory")
	}
	t.Setenv("LEAK_CORPUS", t.TempDir())
	if _, ok := Shared(Clients); ok {
		t.Error("Shared reports a directory without a manifest")
	}
}
