package anonymize

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSenderInPDF: a PDF that still shows or links the sender's own
// address after cleaning refuses the message with the document refusal,
// whether LibreOffice exported it (typed, linked, drawn in two portions)
// or its fonts are simple ones without ToUnicode, as attached or inside a
// ZIP; the same PDFs with another person's address are delivered. The
// PDFs are relay/content/pdf's, made by its testdata/address/address.py.
func TestSenderInPDF(t *testing.T) {
	files, err := filepath.Glob("../content/pdf/testdata/address/*.pdf")
	if err != nil || len(files) < 16 {
		t.Fatalf("%d test files, %v", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		own := strings.HasSuffix(f, "-alice.pdf")
		for _, part := range []string{
			wrappedAttachment("application/pdf", "minutes.pdf", data),
			wrappedAttachment("application/zip", "minutes.zip", zipOf(t, map[string]string{"minutes.pdf": string(data)})),
		} {
			name, typ := filepath.Base(f), "application/pdf"
			if strings.Contains(part, "application/zip") {
				name, typ = name+" in a ZIP", "application/zip"
			}
			t.Run(name, func(t *testing.T) {
				var out bytes.Buffer
				err := New(testOptions()).Rewrite(bytes.NewReader(mixed(part)), []Copy{{To: "bob@example.com",
					Relationship: "a friend", W: &out}}, "alice@sender.example")
				var e *Error
				switch {
				case own && (!errors.As(err, &e) || e.Reason != Content || e.Text != docAddressText):
					t.Errorf("Rewrite: %v, want the document refusal", err)
				case !own && err != nil:
					t.Errorf("Rewrite: %v, want the PDF delivered", err)
				case !own && !strings.Contains(out.String(), "Content-Type: "+typ):
					t.Error("the PDF is not in the message delivered")
				}
			})
		}
	}
}
