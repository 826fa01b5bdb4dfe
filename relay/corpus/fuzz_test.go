package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheck: whatever a copy holds, the checker does not panic or hang,
// and still finds a secret placed in its raw bytes.
func FuzzCheck(f *testing.F) {
	for _, dir := range Dirs() {
		files, _ := filepath.Glob(filepath.Join(dir, "*.e*"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil && len(b) < 16<<10 { // small seeds keep the fuzzer fast
				f.Add(b)
			}
		}
	}
	f.Add(message("", plainText, binaryPart("image/png", pngWith("zTXt", []byte("k\x00\x00x")))))
	f.Add(message("", plainText, binaryPart("image/jpeg", jpegWith(8, 4, 6))))
	f.Add(message("", plainText, binaryPart("application/pdf", pdfWith("x"))))
	e := Entry{
		Secrets:        []string{"Qz-marker-Qz", "hex:00ff00"},
		MustKeep:       []string{"KEEP"},
		MustKeepImages: []Image{{ContentType: "image/jpeg", DisplaySize: [2]int{4, 8}}},
		MustKeepParts:  []Part{{ContentType: "application/pdf", ContainsHex: []string{"25"}}},
		IfAccepted:     IfAccepted{ForbiddenOutputRegex: []string{`(?<!\r)\n`}},
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		Check(e, msg, "bob@example.com", true)
		hard, _ := Check(e, append(msg, "\r\nQz-marker-Qz"...), "", false)
		for _, h := range hard {
			if h == `secret leaked: "Qz-marker-Qz"` {
				return
			}
		}
		t.Errorf("a secret in the raw bytes is not found: %q", hard)
	})
}
